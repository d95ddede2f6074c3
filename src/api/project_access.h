/* Loading a project the caller may see, shared by the project, task and assignment handlers. */
#ifndef FL_PROJECT_ACCESS_H
#define FL_PROJECT_ACCESS_H
#include "http/req.h"

enum project_access { ACCESS_READ, ACCESS_OWNER };

/* Inside a transaction: loads project id into *p when the caller may see it (ACCESS_READ: its
 * requester, any admin, workers for non-draft projects; ACCESS_OWNER: its requester only).
 * DB_ROW when visible, DB_DONE when missing or hidden (reply 404 either way). */
db_rc project_load(db *d, arena *a, const struct user *caller, unsigned role, int64_t id, enum project_access acc,
                   bool for_update, struct project *p);
/* The check of project_load on a project already read: DB_ROW when the caller may see it, else DB_DONE. */
db_rc project_visible(db *d, const struct user *caller, unsigned role, const struct project *p, enum project_access acc);
json_t *project_json(const struct project *p);

/* FW-1 inside a transaction: TX_ROLLBACK with *err = ERR_ESCROW_SHORT when the requester's escrow does
 * not cover the open work of their published projects and p. */
tx_rc project_escrow_check(db *d, req *r, const struct project *p, err_id *err, int64_t *required, int64_t *available);
void reply_escrow_short(req *r, const char *currency, int64_t required, int64_t available);

#endif
