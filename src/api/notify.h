/* The notifications inbox: a short message to one user, written in the caller's transaction so it
 * commits (or rolls back) with the change it tells about. */
#ifndef FL_NOTIFY_H
#define FL_NOTIFY_H
#include <stdint.h>

#include "store/db.h"

/* Adds a notification for user_id. kind is a short machine word ("topup", "payout", …); title and body
 * are plain text; link (a path such as "/worker#earnings") may be NULL. Runs inside the caller's
 * store_run transaction; DB_OK or the database error. */
db_rc notify_user(db *d, int64_t user_id, const char *kind, const char *title, const char *body, const char *link,
                  int64_t now);

#endif
