/* The wage benchmarks every pay decision is measured against, in public (FW-10, FW-26): per country
 * the legal minimum and a living wage per hour, in local currency and USD, with their sources and
 * whether they are stale. Read from the seed tables compiled into the binary. */
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/money.h"
#include "core/wages.h"
#include "http/reply.h"
#include "util/clock.h"
#include "api/wage_tables.h"

static json_t *figure_json(const struct wage_figure *f)
{
    if (!f->present) return json_null();
    const struct wage_benchmark *b = f->row;
    char date[16];
    snprintf(date, sizeof date, b->ref_date.month ? (b->ref_date.day ? "%04d-%02d-%02d" : "%04d-%02d") : "%04d",
             b->ref_date.year, b->ref_date.month, b->ref_date.day);
    char amount[40];
    money_format_micros(b->amount_micros, amount, sizeof amount);
    return json_pack("{s:I, s:I, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "hourly_micros",
                     (json_int_t)f->hourly_micros, "hourly_usd_micros", (json_int_t)f->hourly_usd_micros, "stale",
                     f->stale, "regional", f->regional, "region", b->region, "amount", amount, "currency", b->currency,
                     "unit", wage_unit_name(b->unit), "ref_date", date, "method", b->method, "source", b->source,
                     "rows", (json_int_t)f->n_rows);
}

void wage_benchmarks(req *r)
{
    struct wage_set ws;
    if (wage_set_load(r->db, &ws) != DB_OK) {
        reply_error(r, ERR_INTERNAL, NULL, "the wage tables do not load");
        return;
    }
    struct wage_tables t = ws.t;
    const struct wage_country *c = ws.c;
    size_t nc = ws.nc;
    struct wage_date now = wage_date_from_unix(clock_now_ms() / 1000);
    json_t *items = json_array();
    for (size_t i = 0; i < nc; i++) {
        struct wage_country_figures f;
        if (wage_country_figures(&t, c[i].country, now, &f) != WAGE_OK) continue;
        char hours[40];
        /* the rate as written: units / 10^scale */
        char written[48];
        int scale = c[i].usd_per_unit.scale;
        long long units = (long long)c[i].usd_per_unit.units, pow10 = 1;
        for (int k = 0; k < scale; k++) pow10 *= 10;
        if (scale) snprintf(written, sizeof written, "%lld.%0*lld", units / pow10, scale, units % pow10);
        else snprintf(written, sizeof written, "%lld", units);
        money_format_micros(c[i].weekly_hours_micros, hours, sizeof hours);
        json_array_append_new(items, json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "country", c[i].country, "name",
                                               c[i].name, "currency", c[i].currency, "usd_per_unit", written,
                                               "normal_weekly_hours", hours, "minimum", figure_json(&f.minimum),
                                               "living", figure_json(&f.living)));
    }
    wage_set_free(&ws);
    reply_json(r, 200, json_pack("{s:o, s:s}", "items", items, "note",
                                 "Hourly figures use the country's normal weekly hours (month × 12 / 52 / hours; day "
                                 "× 6 / hours). Where several regional figures exist the lowest is shown. Stale: "
                                 "older than 24 months or of low confidence."));
}
