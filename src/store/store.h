/* The store: transactions (store_run) and the domain's reads and writes. Every function here runs
 * inside a transaction opened by store_run and returns a db_rc: DB_ROW/DB_OK for success, DB_DONE
 * for "not found", DB_CONSTRAINT for a uniqueness clash, DB_BUSY/DB_ERROR for failures. */
#ifndef FL_STORE_H
#define FL_STORE_H
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "core/quality.h"
#include "store/db.h"
#include "util/arena.h"

typedef enum { TX_COMMIT, TX_ROLLBACK, TX_RETRY, TX_FAIL } tx_rc;
typedef tx_rc (*store_tx_fn)(db *d, void *ctx);
typedef enum { STORE_OK, STORE_ABORTED, STORE_FAILED, STORE_BUSY } store_rc;

/* Runs fn in one transaction and commits when it returns TX_COMMIT. Busy and serialization
 * failures (SQLITE_BUSY, 40001, 40P01), whether from fn or from COMMIT, roll back and run fn
 * again, so fn must only record results into ctx, never reply. TX_ROLLBACK gives STORE_ABORTED. */
store_rc store_run(db *d, bool write, store_tx_fn fn, void *ctx);
tx_rc tx_from_db(db_rc rc);
/* In a tx callback: return early unless the db_rc is a success (DB_OK, DB_ROW or DB_DONE). */
#define TX_CHECK(expr) \
    do { \
        db_rc tx_check_rc_ = (expr); \
        if (tx_check_rc_ != DB_OK && tx_check_rc_ != DB_ROW && tx_check_rc_ != DB_DONE) \
            return tx_from_db(tx_check_rc_); \
    } while (0)

int store_migrate(db *d, char *err, size_t errlen);
int store_schema_version(db *d, int64_t *out);

/* users */
struct user {
    int64_t id, created_at;
    const char *email, *display_name, *role, *country;
    bool disabled;
};
db_rc store_user_insert(db *d, const struct user *u, const char *password_hash, int64_t *id_out);
/* Creates a user and its audit entry in one transaction (its own store_run). taken is set when the
 * email exists (STORE_ABORTED). actor_id < 0 records the new user as the actor (self sign-up). */
struct user_create {
    struct user u;
    const char *password_hash, *action, *via;
    int64_t actor_id, id;
    bool taken;
};
store_rc store_user_create(db *d, struct user_create *c);
db_rc store_user_by_email(db *d, arena *a, const char *email, struct user *u, const char **pw_hash);
db_rc store_user_by_id(db *d, arena *a, int64_t id, struct user *u);
db_rc store_user_list(db *d, arena *a, const char *role, int64_t after_id, int limit, struct user **items,
                      int *n);

/* sessions, API keys, throttling */
db_rc store_session_insert(db *d, const char *token_hash, const char *csrf_hash, int64_t user_id,
                           int64_t now, int64_t expires_at);
db_rc store_session_lookup(db *d, arena *a, const char *token_hash, int64_t now, struct user *u,
                           const char **csrf_hash);
db_rc store_session_delete(db *d, const char *token_hash);
/* A bounded in-process cache of session lookups (token hash → user and CSRF hash), valid for
 * STORE_SESSION_CACHE_MS of clock time. Any committed or rolled-back statement of this process that writes
 * users or sessions (logout, disable, role or password change) raises the auth epoch, which empties the cache;
 * another process's writes are seen within the TTL. Read the epoch before the lookup and put with it. */
#define STORE_SESSION_CACHE_MS 2000
uint64_t store_auth_epoch(void);
bool store_session_cache_get(const char *token_hash, int64_t now, arena *a, struct user *u, const char **csrf_hash);
void store_session_cache_put(const char *token_hash, int64_t now, uint64_t epoch, const struct user *u,
                             const char *csrf_hash);
struct api_key {
    int64_t id, created_at, last_used_at, revoked_at; /* 0 when unset */
    const char *name, *prefix;
};
db_rc store_apikey_insert(db *d, int64_t user_id, const char *name, const char *prefix,
                          const char *key_hash, int64_t now, int64_t *id_out);
db_rc store_apikey_list(db *d, arena *a, int64_t user_id, struct api_key **items, int *n);
/* DB_OK revoked, DB_DONE no such key of this user. */
db_rc store_apikey_revoke(db *d, int64_t id, int64_t user_id, int64_t now);
db_rc store_apikey_lookup(db *d, arena *a, const char *key_hash, struct user *u, int64_t *key_id,
                          int64_t *last_used_at);
db_rc store_apikey_touch(db *d, int64_t key_id, int64_t now);
struct throttle {
    int64_t failures, window_start, locked_until;
};
db_rc store_throttle_get(db *d, const char *scope, struct throttle *t);
db_rc store_throttle_put(db *d, const char *scope, const struct throttle *t);
db_rc store_throttle_clear(db *d, const char *scope);

/* projects and tasks */
struct project {
    int64_t id, owner_id, reward_micros, estimated_seconds, overlap, lease_seconds;
    int64_t task_count, tasks_started, tasks_complete, answer_count, created_at, updated_at;
    const char *name, *instructions, *kind, *schema_json, *currency, *status, *quality_json;
    const char *callback_url; /* "" when none */
    bool callback_allow_private;
};
db_rc store_project_insert(db *d, const struct project *p, int64_t now, int64_t *id_out);
db_rc store_project_get(db *d, arena *a, int64_t id, bool for_update, struct project *p);
enum project_filter { PROJECTS_ALL, PROJECTS_OWNED_BY, PROJECTS_WITH_STATUS, PROJECTS_REVIEWED_BY };
db_rc store_project_list(db *d, arena *a, enum project_filter f, int64_t owner_id, const char *status,
                         int64_t after_id, int limit, struct project **items, int *n);
/* Reviewers assigned to a project. */
db_rc store_reviewer_add(db *d, int64_t project_id, int64_t user_id, int64_t now);
db_rc store_reviewer_is(db *d, int64_t project_id, int64_t user_id); /* DB_ROW when assigned */
db_rc store_reviewer_list(db *d, arena *a, int64_t project_id, struct user **items, int *n);
db_rc store_project_set_status(db *d, int64_t id, const char *status, int64_t now);
db_rc store_project_add_tasks(db *d, int64_t id, int64_t n, int64_t now);
/* A task to insert. gold: 0 normal, 1 gold, 2 qualification (then gold_answer_json is set).
 * external_id, predictions_json, gold_answer_json and gold_explanation may be NULL. */
struct task_row {
    int64_t project_id, overlap, gold, priority;
    const char *external_id, *data_json, *predictions_json, *gold_answer_json, *gold_explanation;
};
/* *id_out receives the new task's id (may be NULL). */
db_rc store_task_insert(db *d, const struct task_row *t, int64_t now, int64_t *id_out);
/* n tasks in order, without their ids: one statement for TASK_INSERT_BATCH of them, else one each. A repeated
 * external_id gives DB_CONSTRAINT without saying which task. */
#define TASK_INSERT_BATCH 64
db_rc store_task_insert_batch(db *d, const struct task_row *t, size_t n, int64_t now);
db_rc store_project_set_quality(db *d, int64_t id, const char *quality_json, int64_t now);
db_rc store_project_leases_active(db *d, int64_t project_id, int64_t now, int64_t *out);

struct export_task {
    int64_t id;
    const char *external_id; /* NULL when absent */
    const char *data_json;
    const char *predictions_json; /* NULL when absent */
    const char *result_json, *result_method; /* NULL until answers arrive */
    int64_t result_confidence_ppm, result_version; /* -1 / 0 without a result */
    bool result_final;
};
struct export_answer {
    int64_t task_id, assignment_id, worker_id, submitted_at;
    const char *answer_json; /* the current version */
    const char *review_state;
    int64_t answer_version;
};
db_rc store_export_tasks(db *d, arena *a, int64_t project_id, int64_t after_id, int limit,
                         struct export_task **items, int *n);
db_rc store_export_answers(db *d, arena *a, int64_t project_id, int64_t first_task, int64_t last_task,
                           struct export_answer **items, int *n);

/* leases */
db_rc store_lease_expire(db *d, int64_t project_id, int64_t now);
struct claim {
    int64_t assignment_id, task_id, expires_at;
    const char *external_id, *data_json, *predictions_json;
};
/* DB_ROW with *c filled, or DB_DONE when no task is available to this worker. */
/* gold 0 takes the next normal task (closest to completion, then priority); 1 a gold task and 2 a
 * qualification task the worker has not had in this attempt. */
db_rc store_lease_claim(db *d, arena *a, int64_t project_id, int64_t worker_id, const char *lease_hash,
                        int64_t now, int64_t expires_at, int64_t gold, int64_t attempt, struct claim *c);
struct assignment {
    int64_t id, task_id, project_id, worker_id, expires_at, submitted_at, leased_at;
    int64_t gold, attempt, answer_version, gold_score_ppm; /* gold_score_ppm -1: not scored */
    const char *state, *idempotency_key, *schema_json, *kind, *data_json;
    const char *gold_answer_json, *gold_explanation, *review_state;
    const char *answer_json, *original_answer_json; /* the current version; the worker's own */
};
db_rc store_assignment_get(db *d, arena *a, int64_t id, struct assignment *out);
/* DB_OK when the lease was live and the answer stored, DB_DONE when the lease was lost. */
db_rc store_assignment_submit(db *d, const struct assignment *as, const char *lease_hash,
                              const char *answer_json, const char *idem_key, int64_t now);
db_rc store_assignment_release(db *d, const struct assignment *as, const char *lease_hash, int64_t now);

/* Generic statement helpers for the quality tables. An argument is text when .text is set, NULL when
 * .null, else the integer .i. cols name each result column as "T:name" where T is i (integer),
 * b (boolean), p (ppm → fraction, negative → null), t (time), T (time, 0 → null), j (JSON text),
 * s (string); "-" skips a column. NULL columns become null. */
struct sql_arg {
    int64_t i;
    const char *text;
    bool null;
};
db_rc store_rows_json(db *d, query_id q, const struct sql_arg *args, int nargs, const char *const *cols, json_t **out);
db_rc store_exec_args(db *d, query_id q, const struct sql_arg *args, int nargs, int64_t *changes);
/* The first row's first ncols integer columns (NULL → -1); DB_ROW, or DB_DONE when no row. */
db_rc store_row_i64(db *d, query_id q, const struct sql_arg *args, int nargs, int64_t *cols, int ncols);

/* quality control */
db_rc store_worker_feed_counts(db *d, int64_t worker_id, int64_t project_id, int64_t *gold, int64_t *normal);
db_rc store_skill_value(db *d, int64_t user_id, const char *skill, int64_t *value); /* -1 when unset */
db_rc store_skill_set(db *d, int64_t user_id, const char *skill, int64_t value, const char *source, int64_t by,
                      int64_t now);
struct qualification {
    int64_t attempt, score_ppm, started_at, decided_at; /* score -1 / decided 0 until decided */
    const char *state; /* in_progress, passed, failed */
};
db_rc store_qualification_get(db *d, arena *a, int64_t project_id, int64_t worker_id, struct qualification *q);
db_rc store_qualification_start(db *d, int64_t project_id, int64_t worker_id, int64_t attempt, int64_t now);
db_rc store_qualification_decide(db *d, int64_t project_id, int64_t worker_id, const char *state, int64_t score_ppm,
                                 int64_t now);
struct result_answer {
    int64_t assignment_id, worker_id, weight_ppm, gold_answered, gold_score_ppm_sum;
    const char *answer_json;
};
/* The answers that count for a task's result (submitted, not rejected; current versions). */
db_rc store_task_answers_for_result(db *d, arena *a, int64_t task_id, struct result_answer **items, int *n);
db_rc store_task_result_set(db *d, int64_t task_id, const char *result_json, const char *method, int64_t conf_ppm,
                            bool final, int64_t now, int64_t *version);
/* What one quality rule reads about a worker in a project, over the rule's window (only what it reads). */
db_rc store_worker_record(db *d, int64_t project_id, int64_t worker_id, const struct quality_rule *r,
                          struct worker_record *w);
struct review_decision {
    int64_t assignment_id, project_id, reviewer_id, new_version;
    const char *decision, *state, *reason_code, *note, *fixed_answer_json; /* fixed: only for "fix" */
};
/* DB_OK with *review_id, or DB_DONE when the assignment was decided already. */
db_rc store_review_decide(db *d, const struct review_decision *r, int64_t now, int64_t *review_id);

/* ledger: one balanced transaction per money movement, in the caller's database transaction */
struct ledger_leg {
    const char *kind; /* escrow, pending, available, in_transit, fees, external */
    int64_t owner_id; /* a user; 0 for the platform's fees and external accounts */
    int64_t amount;   /* micro-units; + raises the account's balance */
};
struct ledger_post {
    const char *key, *cause, *currency, *memo; /* key: idempotency; cause: submission, approval, … */
    int64_t cause_id, actor_id;                /* actor 0: the system */
    const struct ledger_leg *legs;
    int n_legs;
    bool has_amounts; /* gross, fee and net of an earnings line */
    int64_t gross, fee, net;
};
/* DB_OK (replayed set when the key was used before: nothing written), DB_CONSTRAINT when an account
 * other than external would go negative, DB_ERROR for an unbalanced transaction. Audited. */
db_rc store_ledger_post(db *d, const struct ledger_post *p, int64_t now, int64_t *tx_id, bool *replayed);
db_rc store_ledger_balance(db *d, const char *kind, int64_t owner_id, const char *currency, int64_t *balance);

/* media */
struct media_info {
    const char *id, *kind, *format, *content_type, *meta_json;
    int64_t size, width, height, points;
};
db_rc store_media_info(db *d, arena *a, const char *id, struct media_info *m);
/* Inserts the media unless these bytes are already stored; browser may be NULL. */
db_rc store_media_insert(db *d, const struct media_info *m, const void *bytes, size_t n, const void *browser,
                         size_t browser_len, int64_t now);
db_rc store_media_owner_add(db *d, const char *id, int64_t user_id, int64_t now);
/* DB_ROW when user uploaded it / when the worker holds a live lease on, or submitted, a task using it. */
db_rc store_media_owned(db *d, const char *id, int64_t user_id);
db_rc store_media_worker_sees(db *d, const char *id, int64_t worker_id, int64_t now);
/* DB_ROW when a task of a project the reviewer is assigned to uses the media. */
db_rc store_media_reviewer_sees(db *d, const char *id, int64_t reviewer_id);
/* Hands the stored bytes (or the browser layout) to sink inside the transaction; DB_DONE if absent. */
db_rc store_media_read(db *d, const char *id, bool browser, int (*sink)(void *ctx, const void *p, size_t n), void *ctx);
db_rc store_task_media_add(db *d, int64_t task_id, const char *media_id);

/* audit chain */
struct audit_entry {
    int64_t id, at, actor_id; /* actor_id 0: the system */
    const char *action, *target, *detail, *prev_hash, *hash;
};
db_rc store_audit_append(db *d, int64_t now, int64_t actor_id, const char *action, const char *target,
                         const char *detail);
db_rc store_audit_page(db *d, arena *a, int64_t after_id, int limit, struct audit_entry **items, int *n);

#endif
