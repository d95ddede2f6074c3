/* The wage tables in force: read from the database (seeded from data/seed/ once), cached per process and
 * version; the platform floor; and the FW-5 offer rule built on core/wages.c. */
#include "api/wage_tables.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/wages.h"
#include "util/clock.h"
#include "util/env.h"
#include "util/embedded.h"

/* One parsed version of the tables, shared by every wage_set loaded from it; freed with its last user. */
struct wage_snapshot {
    int refs; /* under cache_mu */
    int64_t version;
    struct wage_benchmark *b;
    size_t nb;
    struct wage_country *c;
    size_t nc;
};

static pthread_mutex_t cache_mu = PTHREAD_MUTEX_INITIALIZER;
static struct wage_snapshot *cache; /* holds one reference */

static void snapshot_release_locked(struct wage_snapshot *s)
{
    if (s && --s->refs == 0) {
        free(s->b);
        free(s->c);
        free(s);
    }
}

/* The cached snapshot with a reference taken, when it is of this version. */
static struct wage_snapshot *cache_get(int64_t version)
{
    pthread_mutex_lock(&cache_mu);
    struct wage_snapshot *s = cache && cache->version == version ? cache : NULL;
    if (s) s->refs++;
    pthread_mutex_unlock(&cache_mu);
    return s;
}

/* Caches s unless a newer version is cached already. */
static void cache_put(struct wage_snapshot *s)
{
    pthread_mutex_lock(&cache_mu);
    if (!cache || cache->version < s->version) {
        snapshot_release_locked(cache);
        s->refs++;
        cache = s;
    }
    pthread_mutex_unlock(&cache_mu);
}

void wage_cache_invalidate(void)
{
    pthread_mutex_lock(&cache_mu);
    snapshot_release_locked(cache);
    cache = NULL;
    pthread_mutex_unlock(&cache_mu);
}

struct load_ctx {
    struct wage_snapshot *snap; /* with a reference for the caller */
};

/* The version, then the tables only when that version is not cached, then the version again: every edit
 * bumps it in its own commit, so an unchanged version means the tables were read whole, even where each
 * statement sees its own snapshot (PostgreSQL's read committed). A changed one reads again. */
static tx_rc load_tx(db *d, void *vctx)
{
    struct load_ctx *c = vctx;
    if (c->snap) { /* a retry: let go of the first attempt's */
        wage_set_free(&(struct wage_set){.snap = c->snap});
        c->snap = NULL;
    }
    for (int attempt = 0; attempt < 5; attempt++) {
        int64_t version, after = -1;
        TX_CHECK(store_wage_version(d, &version));
        if ((c->snap = cache_get(version))) return TX_COMMIT;
        struct wage_snapshot *s = calloc(1, sizeof *s);
        if (!s) return TX_FAIL;
        db_rc rc = store_wage_tables_read(d, &s->b, &s->nb, &s->c, &s->nc);
        if (rc == DB_OK) rc = store_wage_version(d, &after);
        if (rc != DB_OK || after != version) {
            free(s->b);
            free(s->c);
            free(s);
            if (rc != DB_OK) return tx_from_db(rc == DB_DONE ? DB_ERROR : rc);
            continue;
        }
        s->version = version;
        s->refs = 1;
        cache_put(s);
        c->snap = s;
        return TX_COMMIT;
    }
    return TX_RETRY; /* edited five times while reading: start over */
}

db_rc wage_set_load(db *d, struct wage_set *out)
{
    memset(out, 0, sizeof *out);
    struct load_ctx c = {0};
    if (db_in_tx(d)) {
        tx_rc t = load_tx(d, &c);
        if (t != TX_COMMIT) return t == TX_RETRY ? DB_BUSY : DB_ERROR;
    } else if (store_run(d, false, load_tx, &c) != STORE_OK) {
        return DB_ERROR;
    }
    struct wage_snapshot *s = c.snap;
    *out = (struct wage_set){.t = {s->b, s->nb, s->c, s->nc}, .b = s->b, .nb = s->nb, .c = s->c, .nc = s->nc,
                             .version = s->version, .snap = s};
    return DB_OK;
}

void wage_set_free(struct wage_set *s)
{
    if (s->snap) {
        pthread_mutex_lock(&cache_mu);
        snapshot_release_locked(s->snap);
        pthread_mutex_unlock(&cache_mu);
    }
    memset(s, 0, sizeof *s);
}

int64_t wage_platform_floor_usd_micros(void)
{
    return env_i64("FAIRLABEL_PLATFORM_FLOOR_USD_MICROS", 2000000, 0, 1000000000LL);
}

/* ---- the seed ---- */

static const struct embedded_file *seed_file(const char *name)
{
    for (const struct embedded_file *f = embedded_seed; f->name; f++)
        if (!strcmp(f->name, name)) return f;
    return NULL;
}

struct seed_ctx {
    struct wage_benchmark *b;
    size_t nb;
    struct wage_country *c;
    size_t nc;
    bool seeded;
};

static tx_rc seed_tx(db *d, void *vctx)
{
    struct seed_ctx *c = vctx;
    c->seeded = false;
    TX_CHECK(db_run(db_q(d, Q_MIGRATION_LOCK)));
    int64_t version, now = clock_now_ms();
    TX_CHECK(store_wage_version(d, &version));
    if (version != 0) return TX_COMMIT; /* seeded before, perhaps by another server */
    for (size_t i = 0; i < c->nc; i++) TX_CHECK(store_wage_country_put(d, &c->c[i], now));
    for (size_t i = 0; i < c->nb; i++) TX_CHECK(store_wage_benchmark_put(d, &c->b[i], now));
    TX_CHECK(store_wage_version_bump(d, now, &version));
    char counts[96];
    snprintf(counts, sizeof counts, "{\"wage_benchmarks\":%zu,\"country_basics\":%zu}", c->nb, c->nc);
    TX_CHECK(store_wage_history_add(d, version, "seed", "data/seed", NULL, counts, 0,
                                    "the tables compiled into the binary (data/seed/)", now));
    c->seeded = true;
    return TX_COMMIT;
}

int wage_seed(db *d, char *err, size_t errlen)
{
    const struct embedded_file *bf = seed_file("wage_benchmarks.csv"), *cf = seed_file("country_basics.csv");
    struct seed_ctx c = {0};
    struct wage_error e = {0};
    int rc = -1;
    if (!bf || !cf) {
        snprintf(err, errlen, "wage seed: the seed tables are not compiled in");
        return -1;
    }
    if (!wage_benchmarks_parse((const char *)bf->data, bf->size, &c.b, &c.nb, &e) ||
        !wage_countries_parse((const char *)cf->data, cf->size, &c.c, &c.nc, &e) ||
        !wage_tables_check(&(struct wage_tables){c.b, c.nb, c.c, c.nc}, &e)) {
        char where[300];
        wage_error_format(&e, where, sizeof where);
        snprintf(err, errlen, "wage seed: %s", where);
        goto out;
    }
    if (store_run(d, true, seed_tx, &c) != STORE_OK) {
        snprintf(err, errlen, "wage seed: %s", db_errmsg(d));
        goto out;
    }
    rc = 0;
out:
    free(c.b);
    free(c.c);
    return rc;
}

/* ---- FW-5 ---- */

enum wage_rc wage_offer_of(const struct wage_tables *t, const char *country, int64_t reward_micros,
                           const char *currency, int64_t estimated_seconds, int64_t worker_fee_bps,
                           int64_t platform_floor_usd_micros, struct wage_date today, struct wage_offer *out)
{
    memset(out, 0, sizeof *out);
    if (!country) country = "";
    struct wage_tables tt = *t;
    struct wage_country *with_worker = NULL;
    out->country_known = wage_country_find(t, country) != NULL;
    if (!out->country_known) {
        /* a stand-in row in USD without a legal minimum, so the platform floor alone applies */
        with_worker = malloc((t->n_countries + 1) * sizeof *with_worker);
        if (!with_worker) return WAGE_OVERFLOW;
        if (t->n_countries) memcpy(with_worker, t->countries, t->n_countries * sizeof *with_worker);
        struct wage_country *w = &with_worker[t->n_countries];
        memset(w, 0, sizeof *w);
        snprintf(w->country, sizeof w->country, "%s", country);
        memcpy(w->currency, "USD", 4);
        w->usd_per_unit = money_decimal_one();
        w->weekly_hours_micros = 40 * MONEY_MICROS;
        tt.countries = with_worker;
        tt.n_countries = t->n_countries + 1;
    }
    struct wage_project_check pc;
    enum wage_rc rc = wage_project_check(&tt, country, reward_micros, currency, estimated_seconds, worker_fee_bps,
                                         platform_floor_usd_micros, today, &pc);
    free(with_worker);
    if (rc == WAGE_NO_RATE) {
        snprintf(out->reason, sizeof out->reason,
                 "the wage tables have no USD rate for %s, so this pay cannot be checked against any floor (FW-5)",
                 currency);
        return WAGE_OK;
    }
    if (rc != WAGE_OK) return rc;
    out->rate_known = true;
    out->offered = pc.meets_floor;
    memcpy(out->currency, pc.floor.currency, sizeof out->currency);
    out->rate_micros_per_hour = pc.rate_local_micros_per_hour;
    out->floor_micros_per_hour = pc.floor.hourly_micros;
    out->min_reward_micros = pc.min_reward_micros;
    if (!out->offered) {
        char rate[32], floor[32], min[32];
        money_format_micros(out->rate_micros_per_hour, rate, sizeof rate);
        money_format_micros(out->floor_micros_per_hour, floor, sizeof floor);
        money_format_micros(pc.min_reward_micros, min, sizeof min);
        snprintf(out->reason, sizeof out->reason,
                 "this project pays %s %s an hour at its estimate after fees, below your floor of %s %s an hour (%s; "
                 "FW-5); it would need a reward of at least %s %s",
                 rate, out->currency, floor, out->currency,
                 pc.floor.legal_minimum_applies ? "the legal minimum wage of your country" : "the platform floor",
                 min, currency);
    }
    return WAGE_OK;
}

void wage_offer_mark(const struct wage_set *ws, const char *country, int64_t worker_fee_bps, const struct project *p,
                     json_t *pj)
{
    struct wage_offer o;
    if (wage_offer_of(&ws->t, country, p->reward_micros, p->currency, p->estimated_seconds, worker_fee_bps,
                      wage_platform_floor_usd_micros(), wage_date_from_unix(clock_now_ms() / 1000), &o) != WAGE_OK) {
        o.offered = false;
        snprintf(o.reason, sizeof o.reason, "the pay of this project cannot be checked against your floor (FW-5)");
    }
    json_object_set_new(pj, "offered", json_boolean(o.offered));
    json_object_set_new(pj, "not_offered_reason", o.offered ? json_null() : json_string(o.reason));
}
