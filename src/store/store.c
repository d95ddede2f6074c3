/* The transaction runner (see store_run in store.h). */
#include "store/store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/db_impl.h"

#include "util/log.h"

#define STORE_MAX_ATTEMPTS 12

tx_rc tx_from_db(db_rc rc)
{
    switch (rc) {
    case DB_OK:
    case DB_ROW:
    case DB_DONE: return TX_COMMIT;
    case DB_BUSY: return TX_RETRY;
    default: return TX_FAIL;
    }
}

static void backoff(int attempt)
{
    struct timespec ts = {0, (long)(1 + attempt * attempt) * 1000000L};
    nanosleep(&ts, NULL);
}

store_rc store_run(db *d, bool write, store_tx_fn fn, void *ctx)
{
    for (int attempt = 0; attempt < STORE_MAX_ATTEMPTS; attempt++) {
        db_rc b = db_begin(d, write);
        if (b == DB_BUSY) {
            backoff(attempt);
            continue;
        }
        if (b != DB_OK && attempt == 0) continue; /* a dropped connection is re-made on the next begin */
        if (b != DB_OK) {
            log_msg("store: begin failed: %s", db_errmsg(d));
            return STORE_FAILED;
        }
        tx_rc r = fn(d, ctx);
        if (r == TX_COMMIT) {
            db_rc c = db_commit(d);
            if (c == DB_OK) return STORE_OK;
            db_rollback(d);
            if (c != DB_BUSY) {
                log_msg("store: commit failed: %s", db_errmsg(d));
                return STORE_FAILED;
            }
        } else {
            db_rollback(d);
            if (r == TX_ROLLBACK) return STORE_ABORTED;
            if (r == TX_FAIL) {
                log_msg("store: transaction failed: %s", db_errmsg(d));
                return STORE_FAILED;
            }
        }
        backoff(attempt);
    }
    return STORE_BUSY;
}

/* ---- session cache (see store.h) ---- */

#define SESSION_SLOTS 4096 /* direct-mapped; a clash replaces the older entry */

struct session_slot {
    char token_hash[65], csrf_hash[65];
    bool has_csrf;
    int64_t at; /* clock time of the lookup it holds */
    uint64_t epoch;
    struct user u;
    char email[256], display_name[512], role[32], country[8];
};

static atomic_uint_fast64_t auth_epoch = 1;
static pthread_mutex_t session_mu = PTHREAD_MUTEX_INITIALIZER;
static struct session_slot *session_slots;

uint64_t store_auth_epoch(void) { return atomic_load(&auth_epoch); }
void store_auth_epoch_bump(void) { atomic_fetch_add(&auth_epoch, 1); }

static size_t slot_of(const char *token_hash)
{
    size_t h = 5381;
    for (int i = 0; i < 16 && token_hash[i]; i++) h = h * 33 + (unsigned char)token_hash[i];
    return h % SESSION_SLOTS;
}

static bool copy_text(char *dst, size_t n, const char *src)
{
    size_t len = strlen(src);
    if (len >= n) return false;
    memcpy(dst, src, len + 1);
    return true;
}

bool store_session_cache_get(const char *token_hash, int64_t now, arena *a, struct user *u, const char **csrf_hash)
{
    bool hit = false;
    pthread_mutex_lock(&session_mu);
    struct session_slot *s = session_slots ? &session_slots[slot_of(token_hash)] : NULL;
    if (s && s->epoch == store_auth_epoch() && now >= s->at && now - s->at < STORE_SESSION_CACHE_MS &&
        !strcmp(s->token_hash, token_hash)) {
        *u = s->u;
        u->email = arena_strdup(a, s->email);
        u->display_name = arena_strdup(a, s->display_name);
        u->role = arena_strdup(a, s->role);
        u->country = arena_strdup(a, s->country);
        *csrf_hash = s->has_csrf ? arena_strdup(a, s->csrf_hash) : NULL;
        hit = true;
    }
    pthread_mutex_unlock(&session_mu);
    return hit;
}

void store_session_cache_put(const char *token_hash, int64_t now, uint64_t epoch, const struct user *u,
                             const char *csrf_hash)
{
    pthread_mutex_lock(&session_mu);
    if (!session_slots) session_slots = calloc(SESSION_SLOTS, sizeof *session_slots);
    struct session_slot *s = session_slots ? &session_slots[slot_of(token_hash)] : NULL;
    if (s) {
        s->epoch = 0; /* unusable unless every field fits */
        if (copy_text(s->token_hash, sizeof s->token_hash, token_hash) &&
            copy_text(s->email, sizeof s->email, u->email) &&
            copy_text(s->display_name, sizeof s->display_name, u->display_name) &&
            copy_text(s->role, sizeof s->role, u->role) && copy_text(s->country, sizeof s->country, u->country) &&
            (!csrf_hash || copy_text(s->csrf_hash, sizeof s->csrf_hash, csrf_hash))) {
            s->u = *u;
            s->has_csrf = csrf_hash != NULL;
            s->at = now;
            s->epoch = epoch;
        }
    }
    pthread_mutex_unlock(&session_mu);
}
