/* Scheduled changes to the wage-benchmark tables (FW-23): an admin's edit is checked against the tables as they
 * will stand after every earlier scheduled change, announced with a comment period, and applied by a periodic
 * job when the period ends, each in its own transaction (withdrawn when it no longer fits). An emergency change
 * that lowers nothing applies at once and is announced all the same. The list is public; admins withdraw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/jobs.h"
#include "api/wage_changes.h"
#include "api/wage_tables.h"
#include "core/rule_registry.h"
#include "core/validate.h"
#include "http/reply.h"
#include "store/wages.h"
#include "util/clock.h"

#define WAGE_CHANGE_LINK "/worker#announcements"

const char *const wage_benchmark_fields[WAGE_BENCHMARK_COLUMNS] = {
    "country", "region", "kind", "amount", "currency", "unit", "ref_date", "method", "confidence", "source"};
const char *const wage_country_fields[WAGE_COUNTRY_COLUMNS] = {
    "country", "name", "currency", "usd_per_unit", "fx_date", "normal_weekly_hours", "hours_source"};

/* ---- the tables in memory ---- */

struct tables {
    struct wage_benchmark *b;
    size_t nb;
    struct wage_country *c;
    size_t nc;
};

static void tables_free(struct tables *t)
{
    free(t->b);
    free(t->c);
    *t = (struct tables){0};
}

static struct wage_tables tables_view(const struct tables *t) { return (struct wage_tables){t->b, t->nb, t->c, t->nc}; }

static bool tables_copy(const struct tables *from, struct tables *to)
{
    *to = (struct tables){.b = malloc((from->nb + 1) * sizeof *to->b), .c = malloc((from->nc + 1) * sizeof *to->c)};
    if (!to->b || !to->c) {
        tables_free(to);
        return false;
    }
    if (from->nb) memcpy(to->b, from->b, from->nb * sizeof *to->b);
    if (from->nc) memcpy(to->c, from->c, from->nc * sizeof *to->c);
    to->nb = from->nb;
    to->nc = from->nc;
    return true;
}

static bool same_benchmark(const struct wage_benchmark *a, const struct wage_benchmark *b)
{
    return !strcmp(a->country, b->country) && !strcmp(a->region, b->region) && a->kind == b->kind;
}

static bool same_rate(const struct wage_country *a, const struct wage_country *b)
{
    return a->usd_per_unit.units == b->usd_per_unit.units && a->usd_per_unit.scale == b->usd_per_unit.scale;
}

/* Puts b in place of the row of its key, or last. *old_json: the row replaced, or NULL for a new row. */
static bool tables_put_benchmark(struct tables *t, const struct wage_benchmark *b, json_t **old_json)
{
    for (size_t i = 0; i < t->nb; i++) {
        if (!same_benchmark(&t->b[i], b)) continue;
        if (old_json) *old_json = store_wage_benchmark_json(&t->b[i]);
        t->b[i] = *b;
        return true;
    }
    struct wage_benchmark *nb = realloc(t->b, (t->nb + 1) * sizeof *nb);
    if (!nb) return false;
    t->b = nb;
    t->b[t->nb++] = *b;
    return true;
}

/* Puts c in place of its country's row, or last. One currency has one rate: the other countries using c's
 * currency take its rate; each is appended to followers (when not NULL) as {key, old}. */
static bool tables_put_country(struct tables *t, const struct wage_country *c, json_t **old_json, json_t *followers)
{
    size_t i;
    for (i = 0; i < t->nc && strcmp(t->c[i].country, c->country); i++) {}
    if (i == t->nc) {
        struct wage_country *nc = realloc(t->c, (t->nc + 1) * sizeof *nc);
        if (!nc) return false;
        t->c = nc;
        t->nc++;
    } else if (old_json) {
        *old_json = store_wage_country_json(&t->c[i]);
    }
    t->c[i] = *c;
    for (size_t j = 0; j < t->nc; j++) {
        struct wage_country *o = &t->c[j];
        if (j == i || strcmp(o->currency, c->currency) || same_rate(o, c)) continue;
        if (followers)
            json_array_append_new(followers, json_pack("{s:s, s:o}", "key", o->country, "old", store_wage_country_json(o)));
        o->usd_per_unit = c->usd_per_unit;
        o->fx_date = c->fx_date;
    }
    return true;
}

static bool tables_apply(struct tables *t, const struct wage_edit *e, json_t **old_json, json_t *followers)
{
    if (old_json) *old_json = NULL;
    return e->is_benchmark ? tables_put_benchmark(t, &e->b, old_json) : tables_put_country(t, &e->c, old_json, followers);
}

/* Every benchmark's country has basics and its currency a USD rate; else the field and the detail of the 422. */
static bool tables_consistent(struct tables *t, char *field, size_t fn, char *detail, size_t dn)
{
    for (size_t i = 0; i < t->nb; i++) t->b[i].line = i + 1;
    struct wage_tables v = tables_view(t);
    struct wage_error e;
    if (wage_tables_check(&v, &e)) return true;
    const struct wage_benchmark *bad = e.line >= 1 && e.line <= t->nb ? &t->b[e.line - 1] : NULL;
    snprintf(field, fn, "/%s", e.column == 1 ? "country" : "currency");
    snprintf(detail, dn, "after this edit the benchmark %s/%s/%s would be inconsistent: %s", bad ? bad->country : "?",
             bad ? wage_kind_name(bad->kind) : "?", bad ? bad->region : "?", e.detail);
    return false;
}

/* A stored row (JSON keyed by the CSV columns) back into an edit. */
static bool edit_from_row(const char *table, json_t *row, struct wage_edit *e)
{
    *e = (struct wage_edit){.is_benchmark = table && !strcmp(table, "wage_benchmarks")};
    int n = e->is_benchmark ? WAGE_BENCHMARK_COLUMNS : WAGE_COUNTRY_COLUMNS;
    const char *const *names = e->is_benchmark ? wage_benchmark_fields : wage_country_fields;
    const char *f[WAGE_BENCHMARK_COLUMNS];
    for (int i = 0; i < n; i++)
        if (!(f[i] = json_string_value(json_object_get(row, names[i])))) return false;
    struct wage_error we;
    return e->is_benchmark ? wage_benchmark_from_fields(f, &e->b, &we) : wage_country_from_fields(f, &e->c, &we);
}

/* The tables in force and, when scheduled, every scheduled change on top in the order it will apply. */
static db_rc tables_load(db *d, bool scheduled, struct tables *t)
{
    *t = (struct tables){0};
    db_rc rc = store_wage_tables_read(d, &t->b, &t->nb, &t->c, &t->nc);
    if (rc != DB_OK || !scheduled) return rc;
    static const char *const cols[] = {"i:id", "s:table", "j:new", NULL};
    json_t *rows;
    if ((rc = store_rows_json(d, Q_WAGE_CHANGES_SCHEDULED, NULL, 0, cols, &rows)) != DB_OK) {
        tables_free(t);
        return rc;
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        struct wage_edit e;
        if (!edit_from_row(json_string_value(json_object_get(row, "table")), json_object_get(row, "new"), &e) ||
            !tables_apply(t, &e, NULL, NULL)) {
            rc = DB_ERROR;
            break;
        }
    }
    json_decref(rows);
    if (rc != DB_OK) tables_free(t);
    return rc;
}

/* Where after lowers something workers are measured against, compared with before: a country's currency or USD
 * rate (a rate moves every floor and every project converted through it), or a country's legal minimum or living
 * wage per hour. NULL when nothing is lower; else the field to name, with detail. */
static const char *emergency_lowers(const struct tables *before, const struct tables *after, const struct wage_edit *e,
                                    char *detail, size_t n)
{
    struct wage_tables vb = tables_view(before), va = tables_view(after);
    struct wage_date now = wage_date_from_unix(clock_now_ms() / 1000);
    for (size_t i = 0; i < before->nc; i++) {
        const struct wage_country *o = &before->c[i], *a = wage_country_find(&va, o->country);
        if (!a) continue;
        if (strcmp(o->currency, a->currency)) {
            snprintf(detail, n, "the currency of %s would change from %s to %s", o->country, o->currency, a->currency);
            return "/currency";
        }
        if (!same_rate(o, a)) {
            snprintf(detail, n, "the USD rate of %s (%s) would change; a new rate moves floors converted through it",
                     o->currency, o->country);
            return "/usd_per_unit";
        }
        struct wage_country_figures fb, fa;
        if (wage_country_figures(&vb, o->country, now, &fb) != WAGE_OK ||
            wage_country_figures(&va, o->country, now, &fa) != WAGE_OK)
            continue;
        const struct wage_figure *was[2] = {&fb.minimum, &fb.living}, *will[2] = {&fa.minimum, &fa.living};
        for (int k = 0; k < 2; k++) {
            if (!was[k]->present || (will[k]->present && will[k]->hourly_micros >= was[k]->hourly_micros)) continue;
            char from[32], to[32] = "none";
            money_format_micros(was[k]->hourly_micros, from, sizeof from);
            if (will[k]->present) money_format_micros(will[k]->hourly_micros, to, sizeof to);
            snprintf(detail, n, "the %s of %s would fall from %s to %s %s an hour", k ? "living wage" : "legal minimum",
                     o->country, from, to, o->currency);
            return e->is_benchmark ? "/amount" : "/normal_weekly_hours";
        }
    }
    return NULL;
}

static const char *edit_key(arena *a, const struct wage_edit *e)
{
    return e->is_benchmark ? arena_printf(a, "%s/%s/%s", e->b.country, wage_kind_name(e->b.kind), e->b.region)
                           : arena_strdup(a, e->c.country);
}

static const char *edit_table(const struct wage_edit *e) { return e->is_benchmark ? "wage_benchmarks" : "country_basics"; }

static json_t *edit_row_json(const struct wage_edit *e)
{
    return e->is_benchmark ? store_wage_benchmark_json(&e->b) : store_wage_country_json(&e->c);
}

static const char *json_text(arena *a, json_t *j)
{
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) : NULL;
    if (!s) return NULL;
    char *out = arena_strdup(a, s);
    free(s);
    return out;
}

/* "amount: 16113.75 → 200000; unit: month → hour", or the whole new row for a new one. */
static const char *change_summary(arena *a, json_t *old, json_t *new)
{
    if (!old) return arena_printf(a, "a new row %s", json_text(a, new));
    char buf[2048] = "";
    size_t used = 0;
    const char *k;
    json_t *v;
    json_object_foreach(new, k, v) {
        const char *was = json_string_value(json_object_get(old, k)), *now = json_string_value(v);
        if (!now || (was && !strcmp(was, now)) || used >= sizeof buf) continue;
        used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s: %s → %s", used ? "; " : "", k, was ? was : "", now);
    }
    return arena_strdup(a, used ? buf : "no field changes");
}

/* ---- the change rows ---- */

static const char *const change_cols[] = {
    "i:id",         "s:table",   "s:key",          "j:old",         "j:new",          "s:reason",
    "s:emergency_reason", "i:proposed_by", "i:announcement_id", "t:created_at", "t:applies_at", "s:state",
    "t:applied_at", "i:applied_version", "t:withdrawn_at", "i:withdrawn_by", "s:withdraw_reason",
    "i:withdraw_announcement_id", NULL};

static db_rc change_rows(db *d, query_id q, const struct sql_arg *args, int nargs, json_t **out)
{
    db_rc rc = store_rows_json(d, q, args, nargs, change_cols, out);
    if (rc != DB_OK) return rc;
    size_t i;
    json_t *row;
    json_array_foreach(*out, i, row) json_object_set_new(row, "link", json_string(WAGE_CHANGE_LINK));
    return DB_OK;
}

static db_rc change_one(db *d, int64_t id, json_t **out)
{
    json_t *rows;
    *out = NULL;
    db_rc rc = change_rows(d, Q_WAGE_CHANGE_GET, (struct sql_arg[]){{.i = id}}, 1, &rows);
    if (rc != DB_OK) return rc;
    *out = json_incref(json_array_get(rows, 0));
    json_decref(rows);
    return *out ? DB_ROW : DB_DONE;
}

static db_rc audit_json(db *d, arena *a, int64_t now, int64_t actor, const char *action, const char *target, json_t *detail)
{
    const char *text = json_text(a, detail);
    json_decref(detail);
    return text ? store_audit_append(d, now, actor, action, target, text) : DB_ERROR;
}

/* ---- applying ---- */

struct applied {
    int64_t version;
    json_t *old_json, *new_json, *followed; /* followed: countries whose rate followed a shared currency's */
};

static void applied_clear(struct applied *ap)
{
    json_decref(ap->old_json);
    json_decref(ap->new_json);
    json_decref(ap->followed);
    *ap = (struct applied){0};
}

struct apply_error {
    char field[64], detail[512];
};

/* Writes change id to the tables in force, in the caller's transaction: the row (and the rows whose rate follows),
 * the version bump, the public history rows and the audit entry, with the proposer as the actor. With expect_old
 * (the job), the row in force must still be the one the announcement said it replaces. DB_DONE when it no longer
 * fits (nothing written, err filled). */
static db_rc change_apply(db *d, arena *a, int64_t id, const struct wage_edit *e, int64_t by, int64_t now,
                          bool check_old, json_t *expect_old, struct applied *out, struct apply_error *err)
{
    struct tables t;
    db_rc rc = tables_load(d, false, &t);
    if (rc != DB_OK) return rc;
    json_t *followers = json_array();
    if (!tables_apply(&t, e, &out->old_json, followers)) rc = DB_ERROR;
    const char *key = edit_key(a, e), *table = edit_table(e);
    if (rc == DB_OK && check_old && !(expect_old && !json_is_null(expect_old) ? out->old_json && json_equal(expect_old, out->old_json)
                                                                              : !out->old_json)) {
        snprintf(err->field, sizeof err->field, "/%s", e->is_benchmark ? "amount" : "country");
        snprintf(err->detail, sizeof err->detail, "the row %s changed after this change was announced, so it is no "
                 "longer the change announced", key);
        rc = DB_DONE;
    }
    if (rc == DB_OK && !tables_consistent(&t, err->field, sizeof err->field, err->detail, sizeof err->detail)) rc = DB_DONE;
    if (rc != DB_OK) {
        json_decref(followers);
        tables_free(&t);
        return rc;
    }
    out->new_json = edit_row_json(e);
    rc = e->is_benchmark ? store_wage_benchmark_put(d, &e->b, now) : store_wage_country_put(d, &e->c, now);
    struct wage_tables v = tables_view(&t);
    size_t i;
    json_t *f;
    json_array_foreach(followers, i, f) {
        const struct wage_country *row = wage_country_find(&v, json_string_value(json_object_get(f, "key")));
        if (rc != DB_OK || !row) break;
        json_object_set_new(f, "new", store_wage_country_json(row));
        rc = store_wage_country_put(d, row, now);
    }
    tables_free(&t);
    if (rc == DB_OK) rc = store_wage_version_bump(d, now, &out->version);
    const char *old_text = out->old_json ? json_text(a, out->old_json) : NULL, *new_text = json_text(a, out->new_json);
    if (rc == DB_OK && (!new_text || (out->old_json && !old_text))) rc = DB_ERROR;
    if (rc == DB_OK) rc = store_wage_history_add(d, out->version, table, key, old_text, new_text, by, e->reason, now);
    json_array_foreach(followers, i, f) {
        if (rc != DB_OK) break;
        if (!out->followed) out->followed = json_array();
        const char *code = json_string_value(json_object_get(f, "key"));
        json_array_append_new(out->followed, json_string(code));
        const char *o = json_text(a, json_object_get(f, "old")), *n = json_text(a, json_object_get(f, "new"));
        const char *why = arena_printf(a, "the rate of %s follows %s: %s", e->c.currency, e->c.country, e->reason);
        rc = o && n ? store_wage_history_add(d, out->version, table, code, o, n, by, why, now) : DB_ERROR;
    }
    json_decref(followers);
    if (rc != DB_OK) return rc;
    json_t *detail = json_pack("{s:I, s:s, s:s, s:O, s:O, s:I, s:o}", "version", (json_int_t)out->version, "table",
                               table, "reason", e->reason, "old", out->old_json ? out->old_json : json_null(), "new",
                               out->new_json, "change_id", (json_int_t)id, "emergency_reason",
                               e->emergency_reason ? json_string(e->emergency_reason) : json_null());
    if (!detail) return DB_ERROR;
    if (out->followed) json_object_set(detail, "rate_followed_by", out->followed);
    rc = audit_json(d, a, now, by, e->is_benchmark ? "wage.benchmark.put" : "wage.country.put", key, detail);
    if (rc != DB_OK) return rc;
    return store_exec_args(d, Q_WAGE_CHANGE_APPLIED_VERSION, (struct sql_arg[]){{.i = id}, {.i = out->version}}, 2, NULL);
}

/* The follow-up announcement and the audit entry of a withdrawal. actor 0: the server (the job). */
static db_rc withdraw_note(db *d, arena *a, int64_t id, const char *key, const char *reason, int64_t announcer,
                           int64_t actor, int64_t now)
{
    struct announcement_in in = {
        .kind = "benchmarks", .rule_id = "claim_floor", .source = "wage_edit",
        .title = arena_printf(a, "Withdrawn: wage table change %s", key),
        .body = arena_printf(a, "The scheduled change %lld to the wage table row %s will not apply%s: %s", (long long)id,
                             key, actor ? "" : " (it no longer fits the tables in force)", reason),
        .comment_until = now + ANNOUNCE_COMMENT_MIN_MS, .applies_at = now, .by = announcer};
    int64_t ann = 0;
    db_rc rc = announcement_publish(d, &in, now, &ann);
    if (rc == DB_OK)
        rc = store_exec_args(d, Q_WAGE_CHANGE_WITHDRAW_NOTE, (struct sql_arg[]){{.i = id}, {.i = ann}}, 2, NULL);
    if (rc != DB_OK) return rc;
    return audit_json(d, a, now, actor, "wage.change.withdrawn", key,
                      json_pack("{s:I, s:s, s:s, s:I}", "change_id", (json_int_t)id, "reason", reason, "by",
                                actor ? "admin" : "server", "announcement_id", (json_int_t)ann));
}

/* ---- an admin's edit ---- */

struct submit_ctx {
    req *r;
    const struct wage_edit *e;
    int64_t now, id;
    struct applied ap;
    json_t *change;
    err_id err;
    struct apply_error ae;
};

static tx_rc submit_tx(db *d, void *vctx)
{
    struct submit_ctx *c = vctx;
    req *r = c->r;
    const struct wage_edit *e = c->e;
    applied_clear(&c->ap);
    json_decref(c->change);
    c->change = NULL;
    c->err = 0;
    /* a scheduled change lands after the earlier ones; an emergency one on the tables in force */
    struct tables base, after;
    TX_CHECK(tables_load(d, !e->emergency_reason, &base));
    if (!tables_copy(&base, &after)) {
        tables_free(&base);
        return TX_FAIL;
    }
    json_t *old = NULL;
    bool ok = tables_apply(&after, e, &old, NULL);
    if (ok && !tables_consistent(&after, c->ae.field, sizeof c->ae.field, c->ae.detail, sizeof c->ae.detail)) {
        c->err = ERR_INVALID_FIELD;
    } else if (ok && e->emergency_reason) {
        const char *field = emergency_lowers(&base, &after, e, c->ae.detail, sizeof c->ae.detail);
        if (field) {
            c->err = ERR_WAGE_EMERGENCY_LOWERS;
            snprintf(c->ae.field, sizeof c->ae.field, "%s", field);
        }
    }
    tables_free(&base);
    tables_free(&after);
    if (!ok || c->err) {
        json_decref(old);
        return ok ? TX_ROLLBACK : TX_FAIL;
    }
    const char *key = edit_key(r->a, e), *table = edit_table(e);
    json_t *new = edit_row_json(e);
    int64_t applies = e->emergency_reason ? c->now : c->now + ANNOUNCE_COMMENT_MIN_MS;
    const char *old_text = old ? json_text(r->a, old) : NULL, *new_text = json_text(r->a, new);
    const char *summary = change_summary(r->a, old, new);
    json_decref(old);
    json_decref(new);
    if (!new_text || !summary) return TX_FAIL;

    char when[32];
    clock_iso8601(applies, when, sizeof when);
    struct announcement_in in = {
        .kind = "benchmarks", .rule_id = "claim_floor", .source = "wage_edit",
        .title = e->emergency_reason ? arena_printf(r->a, "Wage table change: %s (in force now)", key)
                                     : arena_printf(r->a, "Wage table change: %s (applies %.10s)", key, when),
        .body = e->emergency_reason
                    ? arena_printf(r->a, "The wage table row %s changed at once, as an emergency that lowers no floor (%s). "
                                         "Change: %s. Reason: %s.", key, e->emergency_reason, summary, e->reason)
                    : arena_printf(r->a, "Proposed change to the wage table row %s: %s. Reason: %s. It applies at %s, "
                                         "when the comment period ends, unless withdrawn.", key, summary, e->reason, when),
        .short_period_reason = e->emergency_reason
                                   ? arena_printf(r->a, "in force at once as an emergency that lowers no floor: %s",
                                                  e->emergency_reason)
                                   : NULL,
        .comment_until = c->now + ANNOUNCE_COMMENT_MIN_MS, .applies_at = applies, .by = r->user.id};
    int64_t ann = 0;
    TX_CHECK(announcement_publish(d, &in, c->now, &ann));

    struct sql_arg ins[] = {{.text = table},
                            {.text = key},
                            {.text = old_text, .null = !old_text},
                            {.text = new_text},
                            {.text = e->reason},
                            {.text = e->emergency_reason, .null = !e->emergency_reason},
                            {.i = r->user.id},
                            {.i = ann},
                            {.i = c->now},
                            {.i = applies},
                            {.text = e->emergency_reason ? "applied" : "scheduled"},
                            {.i = c->now, .null = !e->emergency_reason}};
    db_rc rc = store_row_i64(d, Q_WAGE_CHANGE_INSERT, ins, 12, &c->id, 1);
    if (rc == DB_DONE) return TX_FAIL;
    TX_CHECK(rc);
    if (e->emergency_reason) {
        rc = change_apply(d, r->a, c->id, e, r->user.id, c->now, false, NULL, &c->ap, &c->ae);
        if (rc == DB_DONE) {
            c->err = ERR_INVALID_FIELD;
            return TX_ROLLBACK;
        }
        TX_CHECK(rc);
    } else {
        json_t *detail = json_pack("{s:I, s:s, s:s, s:I, s:I}", "change_id", (json_int_t)c->id, "table", table,
                                   "reason", e->reason, "applies_at", (json_int_t)applies, "announcement_id",
                                   (json_int_t)ann);
        json_t *oj = old_text ? json_loads(old_text, 0, NULL) : json_null(), *nj = json_loads(new_text, 0, NULL);
        json_object_set_new(detail, "old", oj ? oj : json_null());
        json_object_set_new(detail, "new", nj ? nj : json_null());
        TX_CHECK(audit_json(d, r->a, c->now, r->user.id, "wage.change.scheduled", key, detail));
    }
    rc = change_one(d, c->id, &c->change);
    if (rc == DB_DONE) return TX_FAIL;
    TX_CHECK(rc);
    return TX_COMMIT;
}

void wage_edit_submit(req *r, const struct wage_edit *e)
{
    struct submit_ctx c = {.r = r, .e = e, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, submit_tx, &c);
    if (c.err) {
        reply_error(r, c.err, c.ae.field, "%s", c.ae.detail);
    } else if (rc != STORE_OK) {
        reply_store_failure(r, rc);
    } else if (!e->emergency_reason) {
        reply_json(r, 202, json_incref(c.change));
    } else {
        wage_cache_invalidate();
        json_t *out = json_pack("{s:I, s:O, s:O, s:O}", "version", (json_int_t)c.ap.version, "row", c.ap.new_json,
                                "previous", c.ap.old_json ? c.ap.old_json : json_null(), "change", c.change);
        if (c.ap.followed) json_object_set(out, "rate_followed_by", c.ap.followed);
        reply_json(r, c.ap.old_json ? 200 : 201, out);
    }
    applied_clear(&c.ap);
    json_decref(c.change);
}

struct projected_ctx {
    const char *country;
    struct wage_country *out;
    bool found;
};

static tx_rc projected_tx(db *d, void *vctx)
{
    struct projected_ctx *c = vctx;
    struct tables t;
    TX_CHECK(tables_load(d, true, &t));
    struct wage_tables v = tables_view(&t);
    const struct wage_country *row = wage_country_find(&v, c->country);
    c->found = row != NULL;
    if (row) *c->out = *row;
    tables_free(&t);
    return TX_COMMIT;
}

store_rc wage_country_projected(db *d, const char *country, struct wage_country *out, bool *found)
{
    struct projected_ctx c = {.country = country, .out = out};
    store_rc rc = store_run(d, false, projected_tx, &c);
    *found = c.found;
    return rc;
}

/* ---- the job ---- */

struct job_ctx {
    int64_t id, now;
    arena *a;
    bool applied;
};

static tx_rc job_apply_tx(db *d, void *vctx)
{
    struct job_ctx *c = vctx;
    c->applied = false;
    int64_t claimed = 0;
    TX_CHECK(store_exec_args(d, Q_WAGE_CHANGE_CLAIM, (struct sql_arg[]){{.i = c->id}, {.i = c->now}}, 2, &claimed));
    if (claimed == 0) return TX_COMMIT; /* another server applied it, or an admin withdrew it */
    static const char *const cols[] = {"s:table", "s:key", "j:new", "s:reason", "i:proposed_by", "j:old", NULL};
    json_t *rows;
    TX_CHECK(store_rows_json(d, Q_WAGE_CHANGE_ROW, (struct sql_arg[]){{.i = c->id}}, 1, cols, &rows));
    json_t *row = json_array_get(rows, 0);
    struct wage_edit e;
    if (!row || !edit_from_row(json_string_value(json_object_get(row, "table")), json_object_get(row, "new"), &e)) {
        json_decref(rows);
        return TX_FAIL;
    }
    e.reason = arena_strdup(c->a, json_string_value(json_object_get(row, "reason")));
    const char *key = arena_strdup(c->a, json_string_value(json_object_get(row, "key")));
    int64_t by = json_integer_value(json_object_get(row, "proposed_by"));
    struct applied ap = {0};
    struct apply_error err;
    db_rc rc = change_apply(d, c->a, c->id, &e, by, c->now, true, json_object_get(row, "old"), &ap, &err);
    applied_clear(&ap);
    json_decref(rows);
    if (rc == DB_OK) {
        c->applied = true;
        return TX_COMMIT;
    }
    if (rc != DB_DONE) return tx_from_db(rc);
    /* it no longer fits: withdrawn whole, never half-applied (change_apply wrote nothing) */
    TX_CHECK(store_exec_args(d, Q_WAGE_CHANGE_WITHDRAW_CLAIMED,
                             (struct sql_arg[]){{.i = c->id}, {.i = c->now}, {.null = true}, {.text = err.detail}}, 4, NULL));
    TX_CHECK(withdraw_note(d, c->a, c->id, key, err.detail, by, 0, c->now));
    return TX_COMMIT;
}

int job_wage_changes(db *d, const struct server_config *cfg, int64_t now)
{
    (void)cfg;
    static const char *const cols[] = {"i:id", NULL};
    json_t *rows;
    if (store_rows_json(d, Q_WAGE_CHANGES_DUE, (struct sql_arg[]){{.i = now}}, 1, cols, &rows) != DB_OK) return -1;
    int failed = 0;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        struct job_ctx c = {.id = json_integer_value(json_object_get(row, "id")), .now = now, .a = arena_new(16384)};
        store_rc rc = c.a ? store_run(d, true, job_apply_tx, &c) : STORE_FAILED;
        arena_free(c.a);
        if (rc != STORE_OK) {
            failed = 1;
            break; /* in order: a later change does not apply before this one */
        }
        if (c.applied) wage_cache_invalidate();
    }
    json_decref(rows);
    return failed ? -1 : 0;
}

/* ---- handlers ---- */

struct list_ctx {
    int64_t after;
    int limit;
    const char *state;
    json_t *items;
};

static tx_rc list_tx(db *d, void *vctx)
{
    struct list_ctx *c = vctx;
    json_decref(c->items);
    c->items = NULL;
    TX_CHECK(change_rows(d, Q_WAGE_CHANGE_PAGE,
                         (struct sql_arg[]){{.i = c->after}, {.i = c->limit}, {.text = c->state}}, 3, &c->items));
    return TX_COMMIT;
}

/* GET /api/v1/wage-changes[?state=scheduled|applied|withdrawn] (public): oldest first, keyset by id. */
void wage_changes_list(req *r)
{
    struct list_ctx c = {.state = req_query(r, "state")};
    if (req_page(r, &c.after, &c.limit, 100, 500) != RES_OK) return;
    if (!c.state) c.state = "";
    if (c.state[0] && strcmp(c.state, "scheduled") && strcmp(c.state, "applied") && strcmp(c.state, "withdrawn")) {
        reply_error(r, ERR_BAD_QUERY, "state", "?state must be scheduled, applied or withdrawn");
        return;
    }
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        json_decref(c.items);
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:o}", "items", c.items));
}

struct withdraw_ctx {
    req *r;
    int64_t now;
    const char *reason;
    json_t *change;
    err_id err;
    const char *detail;
};

static tx_rc withdraw_tx(db *d, void *vctx)
{
    struct withdraw_ctx *c = vctx;
    req *r = c->r;
    json_decref(c->change);
    c->change = NULL;
    c->err = 0;
    int64_t n = 0;
    TX_CHECK(store_exec_args(d, Q_WAGE_CHANGE_WITHDRAW,
                             (struct sql_arg[]){{.i = r->id}, {.i = c->now}, {.i = r->user.id}, {.text = c->reason}}, 4, &n));
    json_t *row;
    db_rc rc = change_one(d, r->id, &row);
    TX_CHECK(rc);
    if (n == 0) {
        c->err = rc == DB_DONE ? ERR_NOT_FOUND : ERR_WAGE_CHANGE_NOT_SCHEDULED;
        c->detail = rc == DB_DONE ? arena_printf(r->a, "no wage-table change %lld", (long long)r->id)
                                  : arena_printf(r->a, "wage-table change %lld is %s", (long long)r->id,
                                                 json_string_value(json_object_get(row, "state")));
        json_decref(row);
        return TX_ROLLBACK;
    }
    const char *key = arena_strdup(r->a, json_string_value(json_object_get(row, "key")));
    json_decref(row);
    TX_CHECK(withdraw_note(d, r->a, r->id, key, c->reason, r->user.id, r->user.id, c->now));
    rc = change_one(d, r->id, &c->change);
    if (rc == DB_DONE) return TX_FAIL;
    TX_CHECK(rc);
    return TX_COMMIT;
}

/* POST /api/v1/wage-changes/{id}/withdraw {reason} (admins): only while scheduled. */
void wage_changes_withdraw(req *r)
{
    static const char *const keys[] = {"reason", NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return;
    struct withdraw_ctx c = {.r = r, .now = clock_now_ms()};
    struct verr e;
    if (!json_req_string(body, "reason", 3, 500, &c.reason, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    if (text_blank(c.reason)) {
        reply_error(r, ERR_INVALID_FIELD, "/reason", "a withdrawal needs a reason");
        return;
    }
    store_rc rc = store_run(r->db, true, withdraw_tx, &c);
    if (c.err) reply_error(r, c.err, NULL, "%s", c.detail);
    else if (rc != STORE_OK) reply_store_failure(r, rc);
    else reply_json(r, 200, json_incref(c.change));
    json_decref(c.change);
}
