/* The wage benchmarks every pay decision is measured against (FW-5, FW-10, FW-26): the public tables and
 * their change history, admin edits (scheduled through api/wage_changes.c, FW-23), the pay check of a project
 * per country, and the FW-5 gate on claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
#include "api/wage_changes.h"
#include "api/wage_tables.h"
#include "core/country.h"
#include "core/money.h"
#include "core/validate.h"
#include "core/wages.h"
#include "http/reply.h"
#include "store/wages.h"
#include "util/clock.h"

static struct wage_date today(void) { return wage_date_from_unix(clock_now_ms() / 1000); }

static json_t *figure_json(const struct wage_figure *f)
{
    if (!f->present) return json_null();
    const struct wage_benchmark *b = f->row;
    struct wage_benchmark_text *t = malloc(sizeof *t);
    if (!t) return json_null();
    store_wage_benchmark_text(b, t);
    json_t *o = json_pack("{s:I, s:I, s:b, s:b, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "hourly_micros",
                          (json_int_t)f->hourly_micros, "hourly_usd_micros", (json_int_t)f->hourly_usd_micros, "stale",
                          f->stale, "regional", f->regional, "region", b->region, "amount", t->f[3], "currency",
                          b->currency, "unit", wage_unit_name(b->unit), "ref_date", t->f[6], "method", b->method,
                          "source", b->source, "rows", (json_int_t)f->n_rows);
    free(t);
    return o;
}

void wage_benchmarks(req *r)
{
    struct wage_set ws;
    if (wage_set_load(r->db, &ws) != DB_OK) {
        reply_error(r, ERR_INTERNAL, NULL, "the wage tables do not load");
        return;
    }
    struct wage_date now = today();
    json_t *items = json_array(), *rows = json_array();
    for (size_t i = 0; i < ws.nc; i++) {
        struct wage_country_figures f;
        if (wage_country_figures(&ws.t, ws.c[i].country, now, &f) != WAGE_OK) continue;
        json_t *item = store_wage_country_json(&ws.c[i]);
        json_object_set_new(item, "minimum", figure_json(&f.minimum));
        json_object_set_new(item, "living", figure_json(&f.living));
        json_array_append_new(items, item);
    }
    for (size_t i = 0; i < ws.nb; i++) {
        json_t *row = store_wage_benchmark_json(&ws.b[i]);
        json_object_set_new(row, "stale", json_boolean(wage_is_stale(&ws.b[i], now)));
        json_array_append_new(rows, row);
    }
    int64_t version = ws.version;
    wage_set_free(&ws);
    reply_json(r, 200,
               json_pack("{s:I, s:I, s:o, s:o, s:s}", "version", (json_int_t)version,
                         "platform_floor_usd_micros_per_hour", (json_int_t)wage_platform_floor_usd_micros(), "items",
                         items, "benchmarks", rows, "note",
                         "Hourly figures use the country's normal weekly hours (month × 12 / 52 / hours; day × 6 / "
                         "hours). Where several regional figures exist the lowest is shown. Stale: older than 24 "
                         "months or of low confidence."));
}

/* ---- change history ---- */

struct history_ctx {
    int64_t after;
    int limit;
    json_t *items;
};

static tx_rc history_tx(db *d, void *vctx)
{
    struct history_ctx *c = vctx;
    static const char *const cols[] = {"i:id", "i:version", "s:table", "s:key", "j:old", "j:new", "i:admin_id",
                                       "s:reason", "t:at", NULL};
    json_decref(c->items);
    c->items = NULL;
    TX_CHECK(store_rows_json(d, Q_WAGE_HISTORY_PAGE, (struct sql_arg[]){{.i = c->after}, {.i = c->limit}}, 2, cols,
                             &c->items));
    return TX_COMMIT;
}

void wage_history(req *r)
{
    struct history_ctx c = {0};
    if (req_page(r, &c.after, &c.limit, 100, 500) != RES_OK) return;
    store_rc rc = store_run(r->db, false, history_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.items);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.items));
}

/* ---- admin edits: checked here field by field, then scheduled (api/wage_changes.c, FW-23) ---- */

/* A field of an edit as text: a string, or an integer written in decimal. NULL (with e) when neither. */
static const char *field_text(req *r, json_t *body, const char *name, struct verr *e)
{
    json_t *v = json_object_get(body, name);
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) return arena_printf(r->a, "%lld", (long long)json_integer_value(v));
    snprintf(e->field, sizeof e->field, "/%s", name);
    snprintf(e->detail, sizeof e->detail, "%s is required: a string as in the CSV", name);
    return NULL;
}

/* The reason every edit needs (shown in the public history), and the optional emergency: {reason} that applies
 * a change at once when it lowers nothing. */
static bool edit_reasons(json_t *body, struct wage_edit *w, struct verr *e)
{
    if (!json_req_string(body, "reason", 3, 500, &w->reason, e)) return false;
    json_t *em = json_object_get(body, "emergency");
    if (!em) return true;
    static const char *const keys[] = {"reason", NULL};
    if (!json_is_object(em)) {
        snprintf(e->field, sizeof e->field, "/emergency");
        snprintf(e->detail, sizeof e->detail, "emergency is an object: {\"reason\": why it cannot wait}");
        return false;
    }
    if (!json_only_keys(em, keys, "/emergency", e)) return false;
    if (!json_req_string(em, "reason", 3, 500, &w->emergency_reason, e) || text_blank(w->emergency_reason)) {
        snprintf(e->field, sizeof e->field, "/emergency/reason");
        snprintf(e->detail, sizeof e->detail, "an emergency needs a reason (3 to 500 characters)");
        return false;
    }
    return true;
}

void wage_benchmark_put(req *r)
{
    static const char *const keys[] = {"country", "region", "kind", "amount", "currency", "unit", "ref_date",
                                       "method", "confidence", "source", "reason", "emergency", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct verr e;
    struct wage_edit w = {.is_benchmark = true};
    const char *f[WAGE_BENCHMARK_COLUMNS];
    bool ok = true;
    for (int i = 0; ok && i < WAGE_BENCHMARK_COLUMNS; i++) ok = (f[i] = field_text(r, body, wage_benchmark_fields[i], &e));
    if (!ok || !edit_reasons(body, &w, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    struct wage_error we;
    if (!wage_benchmark_from_fields(f, &w.b, &we)) {
        char detail[300];
        wage_error_format(&we, detail, sizeof detail);
        reply_error(r, ERR_INVALID_FIELD,
                    arena_printf(r->a, "/%s", wage_benchmark_fields[we.column > 0 ? we.column - 1 : 0]), "%s",
                    we.detail[0] ? we.detail : detail);
        return;
    }
    wage_edit_submit(r, &w);
}

void wage_country_put(req *r)
{
    static const char *const keys[] = {"country", "name", "currency", "usd_per_unit", "fx_date",
                                       "normal_weekly_hours", "hours_source", "reason", "emergency", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct verr e;
    struct wage_edit w = {0};
    const char *country;
    if (!json_req_string(body, "country", 2, 2, &country, &e) || !edit_reasons(body, &w, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!country_code_valid(country)) {
        reply_error(r, ERR_INVALID_FIELD, "/country", "\"%s\" is not an ISO 3166-1 alpha-2 country code", country);
        return;
    }
    /* a field left out keeps its value as it will stand after the changes already scheduled; a new country
     * needs them all */
    struct wage_country *cur = arena_alloc(r->a, sizeof *cur);
    bool found;
    store_rc rc = wage_country_projected(r->db, country, cur, &found);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    struct wage_country_text *now_text = arena_alloc(r->a, sizeof *now_text);
    if (found) store_wage_country_text(cur, now_text);
    const char *f[WAGE_COUNTRY_COLUMNS] = {country};
    for (int i = 1; i < WAGE_COUNTRY_COLUMNS; i++) {
        if (found && !json_object_get(body, wage_country_fields[i])) {
            f[i] = now_text->f[i];
        } else if (!(f[i] = field_text(r, body, wage_country_fields[i], &e))) {
            reply_error(r, ERR_INVALID_FIELD, e.field, "%s%s", e.detail, found ? "" : " (a new country needs every field)");
            return;
        }
    }
    struct wage_error we;
    if (!wage_country_from_fields(f, &w.c, &we)) {
        reply_error(r, ERR_INVALID_FIELD,
                    arena_printf(r->a, "/%s", wage_country_fields[we.column > 0 ? we.column - 1 : 0]), "%s", we.detail);
        return;
    }
    wage_edit_submit(r, &w);
}

/* ---- the pay check of a project, per country (FW-5) ---- */

static json_t *micros_or_null(bool present, int64_t v) { return present ? json_integer(v) : json_null(); }

json_t *pay_check_json(db *d, int64_t reward_micros, const char *currency, int64_t estimated_seconds,
                       int64_t worker_fee_bps)
{
    struct wage_set ws;
    if (wage_set_load(d, &ws) != DB_OK) return NULL;
    struct wage_date now = today();
    int64_t platform = wage_platform_floor_usd_micros();
    json_t *countries = json_array(), *offered = json_array();
    bool rate_known = true;
    int64_t min_all = 0;
    for (size_t i = 0; i < ws.nc && rate_known; i++) {
        const struct wage_country *co = &ws.c[i];
        struct wage_project_check pc;
        enum wage_rc rc = wage_project_check(&ws.t, co->country, reward_micros, currency, estimated_seconds,
                                             worker_fee_bps, platform, now, &pc);
        if (rc == WAGE_NO_RATE) {
            rate_known = false;
            break;
        }
        if (rc != WAGE_OK) continue;
        if (pc.meets_floor) json_array_append_new(offered, json_string(co->country));
        if (pc.min_reward_micros > min_all) min_all = pc.min_reward_micros;
        json_t *row = json_pack(
            "{s:s, s:s, s:s, s:b, s:o, s:I, s:I, s:I, s:I, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:I}", "country",
            co->country, "name", co->name, "currency", co->currency, "meets_floor", pc.meets_floor, "meets_living",
            pc.living.present ? json_boolean(pc.meets_living) : json_null(), "rate_micros_per_hour",
            (json_int_t)pc.rate_local_micros_per_hour, "rate_usd_micros_per_hour",
            (json_int_t)pc.rate_usd_micros_per_hour, "floor_micros_per_hour", (json_int_t)pc.floor.hourly_micros,
            "floor_usd_micros_per_hour", (json_int_t)pc.floor.hourly_usd_micros, "floor_basis",
            pc.floor.legal_minimum_applies ? "legal_minimum" : "platform", "minimum_micros_per_hour",
            micros_or_null(pc.floor.minimum.present, pc.floor.minimum.hourly_micros), "minimum_stale",
            pc.floor.minimum.present ? json_boolean(pc.floor.minimum.stale) : json_null(), "living_micros_per_hour",
            micros_or_null(pc.living.present, pc.living.hourly_micros), "living_usd_micros_per_hour",
            micros_or_null(pc.living.present, pc.living.hourly_usd_micros), "living_stale",
            pc.living.present ? json_boolean(pc.living.stale) : json_null(), "living_regional",
            pc.living.present ? json_boolean(pc.living.regional) : json_null(), "min_reward_micros",
            (json_int_t)pc.min_reward_micros);
        json_array_append_new(countries, row);
    }
    /* workers of countries outside the tables: the platform floor alone */
    struct wage_offer other;
    json_t *other_json = json_null();
    if (rate_known && wage_offer_of(&ws.t, "", reward_micros, currency, estimated_seconds, worker_fee_bps, platform,
                                    now, &other) == WAGE_OK && other.rate_known) {
        if (other.min_reward_micros > min_all) min_all = other.min_reward_micros;
        other_json = json_pack("{s:b, s:I, s:I, s:I}", "meets_floor", other.offered, "rate_usd_micros_per_hour",
                               (json_int_t)other.rate_micros_per_hour, "floor_usd_micros_per_hour",
                               (json_int_t)other.floor_micros_per_hour, "min_reward_micros",
                               (json_int_t)other.min_reward_micros);
    }
    size_t n = json_array_size(offered);
    bool elsewhere = json_is_object(other_json) && json_is_true(json_object_get(other_json, "meets_floor"));
    json_t *warning = json_null();
    if (!rate_known) {
        json_array_clear(countries);
        json_array_clear(offered);
        n = 0;
        warning = json_sprintf("would be offered to nobody: the wage tables have no USD rate for %s, so the pay "
                               "cannot be checked against any floor (FW-5)", currency);
    } else if (n == 0 && !elsewhere) {
        char min[32];
        money_format_micros(min_all, min, sizeof min);
        warning = json_sprintf("would be offered to nobody: the pay is below the floor in every country (FW-5); a "
                               "reward of %s %s at this estimate meets every floor", min, currency);
    } else if (n == 0) {
        warning = json_string("would be offered to no country of the wage tables, only to workers of countries outside them "
                              "(at the platform floor)");
    }
    int64_t rate = 0;
    int64_t net, fee;
    if (money_split(reward_micros, worker_fee_bps, &net, &fee)) money_rate_per_hour(net, estimated_seconds, &rate);
    json_t *out = json_pack("{s:I, s:I, s:s, s:I, s:I, s:I, s:b, s:I, s:o, s:o, s:I, s:o, s:o, s:o}", "version",
                            (json_int_t)ws.version, "reward_micros", (json_int_t)reward_micros, "currency", currency,
                            "estimated_seconds", (json_int_t)estimated_seconds, "worker_fee_bps",
                            (json_int_t)worker_fee_bps, "platform_floor_usd_micros_per_hour", (json_int_t)platform,
                            "rate_known", rate_known, "rate_micros_per_hour", (json_int_t)rate, "countries",
                            countries, "other_countries", other_json, "offered_to", (json_int_t)n,
                            "offered_to_countries", offered, "min_reward_micros",
                            rate_known ? json_integer(min_all) : json_null(), "warning", warning);
    wage_set_free(&ws);
    return out;
}

void pay_check(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    static const char *const keys[] = {"reward_micros", "currency", "estimated_seconds", NULL};
    struct verr e;
    int64_t reward, seconds;
    const char *currency;
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    if (!json_only_keys(body, keys, "", &e) || !json_req_int(body, "reward_micros", 0, 1000000000000LL, &reward, &e) ||
        !json_req_string(body, "currency", 3, 3, &currency, &e) ||
        !json_req_int(body, "estimated_seconds", 1, 86400, &seconds, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!currency_code_valid(currency)) {
        reply_error(r, ERR_INVALID_FIELD, "/currency", "currency must be an ISO 4217 code such as USD (got \"%.8s\")",
                    currency);
        return;
    }
    json_t *out = pay_check_json(r->db, reward, currency, seconds, r->cfg->worker_fee_bps);
    if (!out) reply_error(r, ERR_INTERNAL, NULL, "the wage tables do not load");
    else reply_json(r, 200, out);
}

struct project_pay_ctx {
    req *r;
    struct project p;
    bool found;
};

static tx_rc project_pay_tx(db *d, void *vctx)
{
    struct project_pay_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, (r->role & ROLE_ADMIN) ? ACCESS_READ : ACCESS_OWNER,
                            false, &c->p);
    TX_CHECK(rc);
    c->found = rc == DB_ROW;
    return TX_COMMIT;
}

void projects_pay_check(req *r)
{
    struct project_pay_ctx c = {.r = r};
    store_rc rc = store_run(r->db, false, project_pay_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (!c.found) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    json_t *out = pay_check_json(r->db, c.p.reward_micros, c.p.currency, c.p.estimated_seconds, r->cfg->worker_fee_bps);
    if (!out) {
        reply_error(r, ERR_INTERNAL, NULL, "the wage tables do not load");
        return;
    }
    json_object_set_new(out, "project_id", json_integer(c.p.id));
    reply_json(r, 200, out);
}

/* ---- FW-5 for workers: listing and claiming ---- */

db_rc wage_claim_check(db *d, req *r, const struct project *p, struct wage_claim *out)
{
    struct wage_set ws;
    db_rc rc = wage_set_load(d, &ws); /* cached per process: one indexed read of the version */
    if (rc != DB_OK) return rc;
    out->wrc = wage_offer_of(&ws.t, r->user.country, p->reward_micros, p->currency, p->estimated_seconds,
                             r->cfg->worker_fee_bps, wage_platform_floor_usd_micros(), today(), &out->o);
    wage_set_free(&ws);
    return DB_OK;
}

bool wage_claim_allowed(const struct wage_claim *w) { return w->wrc == WAGE_OK && w->o.offered; }

void wage_claim_refuse(req *r, const struct project *p, const struct wage_claim *w)
{
    if (w->wrc != WAGE_OK) {
        reply_error(r, ERR_INTERNAL, NULL, "the pay floor cannot be computed: %s", wage_rc_str(w->wrc));
        return;
    }
    if (!w->o.rate_known) {
        reply_error_with(r, ERR_PAY_RATE_UNKNOWN, NULL, w->o.reason, json_pack("{s:s}", "project_currency", p->currency));
        return;
    }
    reply_error_with(r, ERR_BELOW_PAY_FLOOR, NULL, w->o.reason,
                     json_pack("{s:s, s:I, s:I, s:s, s:I}", "currency", w->o.currency, "rate_micros_per_hour",
                               (json_int_t)w->o.rate_micros_per_hour, "floor_micros_per_hour",
                               (json_int_t)w->o.floor_micros_per_hour, "project_currency", p->currency,
                               "min_reward_micros", (json_int_t)w->o.min_reward_micros));
}
