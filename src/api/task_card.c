/* FW-7 task cards: pure arithmetic over the wage tables, plus the stored per-project median active time. */
#include "api/task_card.h"

#include <string.h>

#include "api/topup.h"
#include "api/wage_tables.h"
#include "core/active_time.h"
#include "core/money.h"
#include "util/clock.h"
#include "util/log.h"

struct card_ctx {
    json_t *items;
    size_t n;
    int64_t *answers, *median_ms;
};

static json_t *item_at(json_t *projects, size_t i) { return json_is_array(projects) ? json_array_get(projects, i) : projects; }

static tx_rc medians_tx(db *d, void *vctx)
{
    struct card_ctx *c = vctx;
    for (size_t i = 0; i < c->n; i++) {
        int64_t v[2] = {0, -1};
        struct sql_arg a[] = {{.i = json_integer_value(json_object_get(item_at(c->items, i), "id"))}};
        db_rc rc = store_row_i64(d, Q_ACTIVE_MEDIAN_OF, a, 1, v, 2);
        TX_CHECK(rc);
        c->answers[i] = rc == DB_ROW ? v[0] : 0;
        c->median_ms[i] = rc == DB_ROW ? v[1] : -1;
    }
    return TX_COMMIT;
}

/* rate (micros of `from` per hour) in the currency worth `to` USD per unit; null when unknown. */
static json_t *converted(int64_t rate, bool from_known, struct money_decimal from, bool to_known, struct money_decimal to)
{
    int64_t out;
    if (!from_known || !to_known || !money_convert(rate, from, to, &out)) return json_null();
    return json_integer(out);
}

static json_t *card(const struct wage_tables *t, const char *country, int64_t worker_fee_bps, json_t *p,
                    int64_t answers, int64_t median_ms, int64_t now)
{
    int64_t reward = json_integer_value(json_object_get(p, "reward_micros"));
    int64_t est = json_integer_value(json_object_get(p, "estimated_seconds"));
    const char *currency = json_string_value(json_object_get(p, "currency"));
    if (!currency) return NULL;
    int64_t net, wfee, rate = 0, floor = -1;
    if (!money_split(reward, worker_fee_bps, &net, &wfee)) return NULL;
    if (est > 0 && !money_rate_per_hour(net, est, &rate)) return NULL;
    struct money_decimal cur_rate, one = money_decimal_one(), local_rate = one; /* read only when wc is set */
    bool cur_known = wage_usd_per_unit(t, currency, &cur_rate);
    const struct wage_country *wc = country ? wage_country_find(t, country) : NULL;
    if (wc) local_rate = wc->usd_per_unit;
    bool have_floor = pay_floor_hourly(t, country ? country : "", currency, now, &floor);
    json_t *out = json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:o, s:o, s:o, s:o, s:o, s:I}", "reward_micros",
                            (json_int_t)reward, "currency", currency, "estimated_seconds", (json_int_t)est,
                            "worker_fee_micros", (json_int_t)wfee, "net_reward_micros", (json_int_t)net,
                            "hourly_micros", (json_int_t)rate, "hourly_usd_micros",
                            converted(rate, cur_known, cur_rate, true, one), "local_currency",
                            wc ? json_string(wc->currency) : json_null(), "hourly_local_micros",
                            converted(rate, cur_known, cur_rate, wc != NULL, local_rate), "floor_micros_per_hour",
                            have_floor ? json_integer(floor) : json_null(), "meets_floor",
                            have_floor ? json_boolean(est > 0 && money_rate_meets(net, est, floor)) : json_null(),
                            "timed_answers", (json_int_t)answers);
    json_t *median = json_null(), *mrate = json_null(), *musd = json_null(), *mlocal = json_null(), *mbelow = json_null();
    if (median_ms >= 0 && answers >= ACTIVE_MEDIAN_MIN_ANSWERS) {
        int64_t s = active_seconds_up(median_ms), r;
        median = json_integer(s);
        if (s > 0 && money_rate_per_hour(net, s, &r)) {
            mrate = json_integer(r);
            musd = converted(r, cur_known, cur_rate, true, one);
            mlocal = converted(r, cur_known, cur_rate, wc != NULL, local_rate);
            /* below the floor at the median: FW-6 tops every approved answer up to it */
            if (have_floor) mbelow = json_boolean(!money_rate_meets(net, s, floor));
        }
    }
    json_object_set_new(out, "median_active_seconds", median);
    json_object_set_new(out, "hourly_at_median_micros", mrate);
    json_object_set_new(out, "hourly_at_median_usd_micros", musd);
    json_object_set_new(out, "hourly_at_median_local_micros", mlocal);
    json_object_set_new(out, "topped_up_at_median", mbelow);
    return out;
}

void task_card_attach(req *r, json_t *projects)
{
    if (!(r->role & ROLE_WORKER) || !projects) return;
    struct card_ctx c = {.items = projects, .n = json_is_array(projects) ? json_array_size(projects) : 1};
    if (!c.n) return;
    c.answers = arena_alloc(r->a, c.n * sizeof *c.answers);
    c.median_ms = arena_alloc(r->a, c.n * sizeof *c.median_ms);
    struct wage_set ws;
    if (!c.answers || !c.median_ms || store_run(r->db, false, medians_tx, &c) != STORE_OK ||
        wage_set_load(r->db, &ws) != DB_OK) {
        log_msg("task card: cannot read medians or wage tables; projects listed without cards");
        return;
    }
    int64_t now = clock_now_ms();
    for (size_t i = 0; i < c.n; i++) {
        json_t *p = item_at(projects, i);
        json_t *tc = card(&ws.t, r->user.country, r->cfg->worker_fee_bps, p, c.answers[i], c.median_ms[i], now);
        if (tc) json_object_set_new(p, "task_card", tc);
    }
    wage_set_free(&ws);
}
