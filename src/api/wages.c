/* The wage benchmarks every pay decision is measured against (FW-5, FW-10, FW-26): the public tables and
 * their change history, admin edits (versioned and audited), the pay check of a project per country, and
 * the FW-5 gate on claims. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/project_access.h"
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

/* ---- admin edits ---- */

struct edit_ctx {
    req *r;
    int64_t now, version;
    bool is_benchmark, created;
    struct wage_benchmark b, old_b;
    struct wage_country c, old_c;
    const char *reason;
    json_t *old_json, *new_json, *followed; /* followed: countries whose rate followed a shared currency's */
    err_id err;
    char field[64], detail[512];
};

static void edit_ctx_clear(struct edit_ctx *c)
{
    json_decref(c->old_json);
    json_decref(c->new_json);
    json_decref(c->followed);
    c->old_json = c->new_json = c->followed = NULL;
}

static char *json_text(req *r, json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    if (!s) return NULL;
    char *out = arena_strdup(r->a, s);
    free(s);
    return out;
}

/* After an edit, inside its transaction: every benchmark's country has basics and its currency a rate. */
static tx_rc tables_consistent(db *d, struct edit_ctx *c, struct wage_benchmark *b, size_t nb,
                               struct wage_country *co, size_t nc)
{
    (void)d;
    struct wage_error e;
    if (wage_tables_check(&(struct wage_tables){b, nb, co, nc}, &e)) return TX_COMMIT;
    const struct wage_benchmark *bad = e.line >= 1 && e.line <= nb ? &b[e.line - 1] : NULL;
    c->err = ERR_INVALID_FIELD;
    snprintf(c->field, sizeof c->field, "/%s", e.column == 1 ? "country" : "currency");
    snprintf(c->detail, sizeof c->detail, "after this edit the benchmark %s/%s/%s would be inconsistent: %s",
             bad ? bad->country : "?", bad ? wage_kind_name(bad->kind) : "?", bad ? bad->region : "?", e.detail);
    return TX_ROLLBACK;
}

static tx_rc record_edit(db *d, struct edit_ctx *c, const char *table, const char *key)
{
    req *r = c->r;
    TX_CHECK(store_wage_version_bump(d, c->now, &c->version));
    const char *old_text = c->old_json ? json_text(r, c->old_json) : NULL, *new_text = json_text(r, c->new_json);
    if (!new_text || (c->old_json && !old_text)) return TX_FAIL;
    TX_CHECK(store_wage_history_add(d, c->version, table, key, old_text, new_text, r->user.id, c->reason, c->now));
    json_t *detail = json_pack("{s:I, s:s, s:s, s:O, s:O}", "version", (json_int_t)c->version, "table", table,
                               "reason", c->reason, "old", c->old_json ? c->old_json : json_null(), "new", c->new_json);
    if (c->followed) json_object_set(detail, "rate_followed_by", c->followed);
    char *detail_text = json_text(r, detail);
    json_decref(detail);
    if (!detail_text) return TX_FAIL;
    TX_CHECK(store_audit_append(d, c->now, r->user.id,
                                c->is_benchmark ? "wage.benchmark.put" : "wage.country.put", key, detail_text));
    TX_CHECK(announcement_auto(d, "benchmarks", "claim_floor", arena_printf(r->a, "Wage table change: %s", key),
                               arena_printf(r->a, "The wage table (version %lld) changed %s: %s", (long long)c->version,
                                            key, c->reason),
                               c->now, r->user.id, c->now));
    return TX_COMMIT;
}

static tx_rc benchmark_put_tx(db *d, void *vctx)
{
    struct edit_ctx *c = vctx;
    edit_ctx_clear(c);
    db_rc rc = store_wage_benchmark_get(d, c->b.country, c->b.region, c->b.kind, &c->old_b);
    TX_CHECK(rc);
    c->created = rc == DB_DONE;
    if (!c->created) c->old_json = store_wage_benchmark_json(&c->old_b);
    c->new_json = store_wage_benchmark_json(&c->b);
    TX_CHECK(store_wage_benchmark_put(d, &c->b, c->now));
    struct wage_benchmark *b;
    struct wage_country *co;
    size_t nb, nc;
    TX_CHECK(store_wage_tables_read(d, &b, &nb, &co, &nc));
    tx_rc t = tables_consistent(d, c, b, nb, co, nc);
    free(b);
    free(co);
    if (t != TX_COMMIT) return t;
    const char *key = arena_printf(c->r->a, "%s/%s/%s", c->b.country, wage_kind_name(c->b.kind), c->b.region);
    return record_edit(d, c, "wage_benchmarks", key);
}

static const char *const benchmark_columns[] = {"country", "region", "kind",     "amount", "currency",
                                                "unit",    "ref_date", "method", "confidence", "source"};
static const char *const country_columns[] = {"country", "name", "currency", "usd_per_unit", "fx_date",
                                              "normal_weekly_hours", "hours_source"};

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

static void reply_edit(req *r, store_rc rc, struct edit_ctx *c, json_t *row)
{
    if (c->err) {
        reply_error(r, c->err, c->field, "%s", c->detail);
        json_decref(row);
    } else if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        json_decref(row);
    } else {
        wage_cache_invalidate();
        json_t *out = json_pack("{s:I, s:o, s:O}", "version", (json_int_t)c->version, "row", row, "previous",
                                c->old_json ? c->old_json : json_null());
        if (c->followed) json_object_set(out, "rate_followed_by", c->followed);
        reply_json(r, c->created ? 201 : 200, out);
    }
    edit_ctx_clear(c);
}

/* The reason every edit needs (shown in the public history). */
static bool edit_reason(json_t *body, const char **reason, struct verr *e)
{
    return json_req_string(body, "reason", 3, 500, reason, e);
}

void wage_benchmark_put(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    static const char *const keys[] = {"country", "region", "kind", "amount", "currency", "unit", "ref_date",
                                       "method", "confidence", "source", "reason", NULL};
    struct verr e;
    struct edit_ctx c = {.r = r, .now = clock_now_ms(), .is_benchmark = true};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    const char *f[WAGE_BENCHMARK_COLUMNS];
    bool ok = json_only_keys(body, keys, "", &e);
    for (int i = 0; ok && i < WAGE_BENCHMARK_COLUMNS; i++) ok = (f[i] = field_text(r, body, benchmark_columns[i], &e));
    if (!ok || !edit_reason(body, &c.reason, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    struct wage_error we;
    if (!wage_benchmark_from_fields(f, &c.b, &we)) {
        char detail[300];
        wage_error_format(&we, detail, sizeof detail);
        reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "/%s", benchmark_columns[we.column > 0 ? we.column - 1 : 0]),
                    "%s", we.detail[0] ? we.detail : detail);
        return;
    }
    store_rc rc = store_run(r->db, true, benchmark_put_tx, &c);
    reply_edit(r, rc, &c, c.err || rc != STORE_OK ? NULL : store_wage_benchmark_json(&c.b));
}

static tx_rc country_put_tx(db *d, void *vctx)
{
    struct edit_ctx *c = vctx;
    edit_ctx_clear(c);
    db_rc rc = store_wage_country_get(d, c->c.country, &c->old_c);
    TX_CHECK(rc);
    c->created = rc == DB_DONE;
    if (!c->created) c->old_json = store_wage_country_json(&c->old_c);
    c->new_json = store_wage_country_json(&c->c);
    TX_CHECK(store_wage_country_put(d, &c->c, c->now));
    struct wage_benchmark *b;
    struct wage_country *co;
    size_t nb, nc;
    TX_CHECK(store_wage_tables_read(d, &b, &nb, &co, &nc));
    /* one currency has one rate: the other countries using it follow the edited rate */
    tx_rc t = TX_COMMIT;
    json_t *followers = json_array();
    for (size_t i = 0; i < nc && t == TX_COMMIT; i++) {
        struct wage_country *o = &co[i];
        if (!strcmp(o->country, c->c.country) || strcmp(o->currency, c->c.currency)) continue;
        if (o->usd_per_unit.units == c->c.usd_per_unit.units && o->usd_per_unit.scale == c->c.usd_per_unit.scale)
            continue;
        json_t *old = store_wage_country_json(o);
        o->usd_per_unit = c->c.usd_per_unit;
        o->fx_date = c->c.fx_date;
        db_rc prc = store_wage_country_put(d, o, c->now);
        if (prc != DB_OK) t = tx_from_db(prc);
        if (!c->followed) c->followed = json_array();
        json_array_append_new(c->followed, json_string(o->country));
        json_array_append_new(followers, json_pack("{s:s, s:o, s:o}", "key", o->country, "old", old, "new",
                                                   store_wage_country_json(o)));
    }
    if (t == TX_COMMIT) t = tables_consistent(d, c, b, nb, co, nc);
    free(b);
    free(co);
    if (t == TX_COMMIT) t = record_edit(d, c, "country_basics", c->c.country);
    /* each follower's own history row, under the same version and reason */
    size_t i;
    json_t *fw;
    json_array_foreach(followers, i, fw) {
        if (t != TX_COMMIT) break;
        const char *old = json_text(c->r, json_object_get(fw, "old")), *new = json_text(c->r, json_object_get(fw, "new"));
        const char *reason = arena_printf(c->r->a, "the rate of %s follows %s: %s", c->c.currency, c->c.country, c->reason);
        db_rc hrc = old && new ? store_wage_history_add(d, c->version, "country_basics",
                                                        json_string_value(json_object_get(fw, "key")), old, new,
                                                        c->r->user.id, reason, c->now)
                               : DB_ERROR;
        if (hrc != DB_OK) t = tx_from_db(hrc);
    }
    json_decref(followers);
    return t;
}

struct country_load_ctx {
    const char *country;
    struct wage_country row;
    bool found;
};

static tx_rc country_load_tx(db *d, void *vctx)
{
    struct country_load_ctx *c = vctx;
    db_rc rc = store_wage_country_get(d, c->country, &c->row);
    TX_CHECK(rc);
    c->found = rc == DB_ROW;
    return TX_COMMIT;
}

void wage_country_put(req *r)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    static const char *const keys[] = {"country", "name", "currency", "usd_per_unit", "fx_date",
                                       "normal_weekly_hours", "hours_source", "reason", NULL};
    struct verr e;
    struct edit_ctx c = {.r = r, .now = clock_now_ms()};
    if (!json_is_object(body)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return;
    }
    const char *country;
    if (!json_only_keys(body, keys, "", &e) || !json_req_string(body, "country", 2, 2, &country, &e) ||
        !edit_reason(body, &c.reason, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (!country_code_valid(country)) {
        reply_error(r, ERR_INVALID_FIELD, "/country", "\"%s\" is not an ISO 3166-1 alpha-2 country code", country);
        return;
    }
    /* a field left out keeps its value; a new country needs them all */
    struct country_load_ctx cur = {.country = country};
    store_rc rc = store_run(r->db, false, country_load_tx, &cur);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    struct wage_country_text *now_text = arena_alloc(r->a, sizeof *now_text);
    if (cur.found) store_wage_country_text(&cur.row, now_text);
    const char *f[WAGE_COUNTRY_COLUMNS] = {country};
    for (int i = 1; i < WAGE_COUNTRY_COLUMNS; i++) {
        if (cur.found && !json_object_get(body, country_columns[i])) {
            f[i] = now_text->f[i];
        } else if (!(f[i] = field_text(r, body, country_columns[i], &e))) {
            reply_error(r, ERR_INVALID_FIELD, e.field, "%s%s", e.detail, cur.found ? "" : " (a new country needs every field)");
            return;
        }
    }
    struct wage_error we;
    if (!wage_country_from_fields(f, &c.c, &we)) {
        reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "/%s", country_columns[we.column > 0 ? we.column - 1 : 0]),
                    "%s", we.detail);
        return;
    }
    rc = store_run(r->db, true, country_put_tx, &c);
    reply_edit(r, rc, &c, c.err || rc != STORE_OK ? NULL : store_wage_country_json(&c.c));
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
