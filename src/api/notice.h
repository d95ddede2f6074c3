/* Notices to a person: an inbox notification and an email in the outbox, both rendered from one catalog
 * template in the recipient's language, written in the caller's transaction. */
#ifndef FL_NOTICE_H
#define FL_NOTICE_H
#include <stdint.h>

#include <jansson.h>

#include "store/db.h"

/* Sends template_id (a key of src/core/i18n_en.def and i18n_fr.def) to user_id: an inbox row (notify_user, kind and
 * link as given, link may be NULL) and an outbox email to the user's address, both rendered with vars (a JSON
 * object of strings/numbers filling {placeholders}; NULL = none) in the user's language (en or fr; a key
 * missing in fr falls back to en). Runs inside the caller's store_run transaction. DB_OK; DB_ERROR for an
 * unknown user, an unknown template, a missing placeholder or a value with CR/LF; else the database error. */
db_rc notice_send(db *d, int64_t user_id, const char *kind, const char *template_id, json_t *vars, const char *link,
                  int64_t now);

/* Queues an email only, to an address without an account (the login-free contact page), rendered in
 * language (NULL or unknown = en). Same transaction and error rules as notice_send; DB_ERROR also for an
 * address mail_address_ok refuses. */
db_rc mail_enqueue_to(db *d, const char *to_email, const char *language, const char *template_id, json_t *vars,
                      int64_t now);

/* The user's language ("en" or "fr"; "en" when unknown), read in its own transaction. */
const char *notice_user_language(db *d, int64_t user_id);

#endif
