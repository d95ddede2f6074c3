/* The project cache (see project_cache.h): 256 direct-mapped slots keyed by project id, each entry
 * valid for one quality_json text. Claims and submits read the few columns that change in their own
 * transaction, so the cache needs no invalidation, TTL or version column: a stale entry is never used,
 * only replaced. The columns it keeps are never updated after insert (queries.def, PROJECT_HOT). */
#include "store/project_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

/* Entries share parsed jansson values between threads; their reference counts must be atomic. */
#if !JSON_HAVE_ATOMIC_BUILTINS && !JSON_HAVE_SYNC_BUILTINS
#error "jansson without atomic reference counts: project_cache.c shares parsed values between threads"
#endif

enum { SLOTS = 256 };
static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct project_hot *slots[SLOTS];

json_t *project_quality_parse(int64_t project_id, const char *quality_json, int64_t overlap, struct quality_config *cfg)
{
    struct verr e;
    json_t *holder = quality_json ? json_loads(quality_json, 0, NULL) : NULL;
    if (!quality_parse(holder, overlap, "/quality", cfg, &e)) {
        log_msg("project %lld: stored quality settings unreadable (%s: %s); using defaults", (long long)project_id,
                e.field, e.detail);
        quality_parse(NULL, overlap, "/quality", cfg, &e);
    }
    return holder;
}

static _Atomic int *refs_of(const struct project_hot *h) { return &((struct project_hot *)h)->refs; }

static void entry_free(struct project_hot *h)
{
    json_decref(h->schema);
    json_decref(h->quality_holder);
    free((char *)h->p.name);
    free((char *)h->p.instructions);
    free((char *)h->p.kind);
    free((char *)h->p.schema_json);
    free((char *)h->p.currency);
    free((char *)h->quality_json);
    free(h);
}

void project_cache_release(const struct project_hot *h)
{
    if (h && atomic_fetch_sub_explicit(refs_of(h), 1, memory_order_acq_rel) == 1) entry_free((struct project_hot *)h);
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

/* A new entry from a full row, holding two references (the cache's and the caller's). */
static struct project_hot *entry_make(const struct project *row)
{
    struct project_hot *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    h->p = (struct project){.id = row->id, .owner_id = row->owner_id, .reward_micros = row->reward_micros,
                            .estimated_seconds = row->estimated_seconds, .overlap = row->overlap,
                            .lease_seconds = row->lease_seconds, .created_at = row->created_at};
    h->p.name = dup_or_empty(row->name);
    h->p.instructions = dup_or_empty(row->instructions);
    h->p.kind = dup_or_empty(row->kind);
    h->p.schema_json = dup_or_empty(row->schema_json);
    h->p.currency = dup_or_empty(row->currency);
    h->quality_json = row->quality_json ? strdup(row->quality_json) : NULL;
    if (!h->p.name || !h->p.instructions || !h->p.kind || !h->p.schema_json || !h->p.currency ||
        (row->quality_json && !h->quality_json)) {
        entry_free(h);
        return NULL;
    }
    h->schema = json_loads(h->p.schema_json, 0, NULL);
    h->quality_holder = project_quality_parse(row->id, h->quality_json, row->overlap, &h->quality);
    atomic_init(refs_of(h), 2);
    return h;
}

static bool same_text(const char *a, const char *b) { return a && b ? !strcmp(a, b) : a == b; }

db_rc project_cache_get(db *d, arena *a, int64_t id, struct project *p, const struct project_hot **hot)
{
    *hot = NULL;
    db_stmt *s = db_q(d, Q_PROJECT_HOT);
    db_bind_i64(s, 1, id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return rc;
    const char *quality = db_col_null(s, 1) ? NULL : db_col_text(s, 1);
    struct project_hot *h = NULL;
    pthread_mutex_lock(&cache_mu);
    struct project_hot *e = slots[(uint64_t)id % SLOTS];
    if (e && e->p.id == id && same_text(e->quality_json, quality)) {
        atomic_fetch_add_explicit(refs_of(e), 1, memory_order_relaxed);
        h = e;
    }
    pthread_mutex_unlock(&cache_mu);
    if (h) {
        *p = h->p;
        p->status = arena_strdup(a, db_col_text(s, 0));
        p->quality_json = quality ? arena_strdup(a, quality) : NULL;
        p->callback_url = arena_strdup(a, db_col_text(s, 2));
        p->callback_allow_private = db_col_i64(s, 3) != 0;
        db_reset(s);
    } else {
        /* A miss reads the whole row; its changing columns may be newer than the ones just read (read
         * committed), so *p and the entry both take them from this row. */
        db_reset(s);
        rc = store_project_get(d, a, id, false, p);
        if (rc != DB_ROW) return rc;
        quality = p->quality_json;
        h = entry_make(p);
        if (!h) return DB_ERROR;
        pthread_mutex_lock(&cache_mu);
        struct project_hot **slot = &slots[(uint64_t)id % SLOTS];
        struct project_hot *old = *slot;
        *slot = h;
        pthread_mutex_unlock(&cache_mu);
        project_cache_release(old);
    }
    /* The caller's copy outlives the entry: its strings go to the arena. */
    p->name = arena_strdup(a, h->p.name);
    p->instructions = arena_strdup(a, h->p.instructions);
    p->kind = arena_strdup(a, h->p.kind);
    p->schema_json = arena_strdup(a, h->p.schema_json);
    p->currency = arena_strdup(a, h->p.currency);
    p->task_count = p->tasks_started = p->tasks_complete = p->answer_count = p->updated_at = 0;
    if (!p->name || !p->instructions || !p->kind || !p->schema_json || !p->currency || !p->status ||
        !p->callback_url || (quality && !p->quality_json)) {
        project_cache_release(h);
        return DB_ERROR;
    }
    *hot = h;
    return DB_ROW;
}
