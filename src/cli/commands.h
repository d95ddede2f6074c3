/* Administrative subcommands that work on the database directly (no server needed). */
#ifndef FL_COMMANDS_H
#define FL_COMMANDS_H
#include "store/db.h"

int cli_user_add(db *d, const char *email, const char *role, const char *country, const char *name,
                 const char *password);
/* Seeds demo users and a published demo project unless they exist; prints the logins. */
int cli_demo(db *d);
/* Recomputes the audit hash chain; prints the verdict; 0 when intact. */
int cli_audit_verify(db *d);

/* Checks the ledger's invariants; prints the verdict; 0 when they hold. */
int cli_ledger_verify(db *d);
/* Records a deposit into a requester's escrow; the reference makes it idempotent. */
int cli_escrow_deposit(db *d, const char *email, int64_t amount_micros, const char *currency, const char *reference);

#define DEMO_PASSWORD "fairlabel-demo"

#endif
