/* The wage benchmark tables in force and the platform floor: what FW-5 (claims, project checks), FW-6
 * (top-ups), FW-7 (task cards), FW-8 (qualification pay) and the quarterly report measure pay against. */
#ifndef FL_WAGE_TABLES_H
#define FL_WAGE_TABLES_H
#include "core/wages.h"
#include "http/req.h"
#include "store/store.h"

struct wage_snapshot;

struct wage_set {
    struct wage_tables t;        /* points into b and c */
    struct wage_benchmark *b;    /* shared with other readers: do not modify */
    size_t nb;
    struct wage_country *c;
    size_t nc;
    int64_t version;             /* changes whenever an admin edits the tables */
    struct wage_snapshot *snap;  /* what wage_set_free releases */
};

/* Loads the tables in force from the database. Inside a transaction it reads there; outside it runs its own.
 * The parsed tables are cached per process and reread only when the version row changed (one one-row read
 * per call). DB_ERROR when they cannot be read or a stored row does not parse. Free with wage_set_free. */
db_rc wage_set_load(db *d, struct wage_set *out);
void wage_set_free(struct wage_set *s);
/* Drops the cached tables (after an edit committed in this process). */
void wage_cache_invalidate(void);

/* The platform floor in USD micros per hour: FAIRLABEL_PLATFORM_FLOOR_USD_MICROS, default 2000000 (2 USD). */
int64_t wage_platform_floor_usd_micros(void);

/* Copies the compiled-in seed (data/seed/) into the empty tables, once: several servers starting together
 * serialise on the migration lock, and only the first finds version 0. 0, or -1 with err filled. */
int wage_seed(db *d, char *err, size_t errlen);

/* FW-5: whether a project paying reward (currency, before the worker-side fee) for estimated_seconds is offered
 * to a worker of country. A country missing from the tables gets the platform floor alone; a project currency
 * with no USD rate cannot be shown to meet any floor, so it is not offered. */
struct wage_offer {
    bool offered;
    bool rate_known;         /* false: the project's currency has no USD rate in the tables */
    bool country_known;      /* false: the platform floor alone applies */
    char currency[4];        /* the worker's floor currency: the country's, or USD */
    int64_t rate_micros_per_hour;  /* the net rate at the estimate, in that currency (half-even) */
    int64_t floor_micros_per_hour; /* the worker's floor in that currency */
    int64_t min_reward_micros;     /* the least reward meeting the floor (-1: none can) */
    char reason[400];              /* why not offered; "" when offered */
};
enum wage_rc wage_offer_of(const struct wage_tables *t, const char *country, int64_t reward_micros,
                           const char *currency, int64_t estimated_seconds, int64_t worker_fee_bps,
                           int64_t platform_floor_usd_micros, struct wage_date today, struct wage_offer *out);

/* Marks a project's JSON for a worker of country: "offered" and, when false, "not_offered_reason" (FW-5). */
void wage_offer_mark(const struct wage_set *ws, const char *country, int64_t worker_fee_bps, const struct project *p,
                     json_t *pj);

/* FW-5 in the claim's transaction: whether the published project p pays the caller at least their floor at its
 * estimate; wage_claim_refuse replies 403 with the rate and the floor after the rollback. */
struct wage_claim {
    struct wage_offer o;
    enum wage_rc wrc;
};
db_rc wage_claim_check(db *d, req *r, const struct project *p, struct wage_claim *out);
bool wage_claim_allowed(const struct wage_claim *w);
void wage_claim_refuse(req *r, const struct project *p, const struct wage_claim *w);

#endif
