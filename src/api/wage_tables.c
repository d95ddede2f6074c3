/* The wage tables in force. For now the seed tables compiled into the binary. */
#include "api/wage_tables.h"

#include <stdlib.h>
#include <string.h>

#include "util/embedded.h"
#include "util/log.h"

static const struct embedded_file *seed(const char *name)
{
    for (const struct embedded_file *f = embedded_seed; f->name; f++)
        if (!strcmp(f->name, name)) return f;
    return NULL;
}

db_rc wage_set_load(db *d, struct wage_set *out)
{
    (void)d;
    memset(out, 0, sizeof *out);
    const struct embedded_file *bf = seed("wage_benchmarks.csv"), *cf = seed("country_basics.csv");
    struct wage_error e;
    if (!bf || !cf || !wage_benchmarks_parse((const char *)bf->data, bf->size, &out->b, &out->nb, &e) ||
        !wage_countries_parse((const char *)cf->data, cf->size, &out->c, &out->nc, &e)) {
        wage_set_free(out);
        return DB_ERROR;
    }
    out->t = (struct wage_tables){out->b, out->nb, out->c, out->nc};
    return DB_OK;
}

void wage_set_free(struct wage_set *s)
{
    free(s->b);
    free(s->c);
    memset(s, 0, sizeof *s);
}

int64_t wage_platform_floor_usd_micros(void)
{
    const char *v = getenv("FAIRLABEL_PLATFORM_FLOOR_USD_MICROS");
    if (!v || !*v) return 2000000;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || x < 0 || x > 1000000000LL) {
        log_msg("FAIRLABEL_PLATFORM_FLOOR_USD_MICROS=%s is not an amount in micros; using 2000000", v);
        return 2000000;
    }
    return x;
}
