/* Quality settings: parsing with defaults, and the decisions taken from them. */
#include "core/quality.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Rejection reasons every project publishes unless it lists its own (FW-3). */
static const char *const default_reasons[][2] = {
    {"wrong_answer", "The answer does not match the task"},
    {"incomplete", "Part of the task was not done"},
    {"instructions_not_followed", "The instructions were not followed"},
    {"low_effort", "The answer shows too little effort (for example random or copied text)"},
};

static bool bad(struct verr *e, const char *prefix, const char *path, const char *fmt, ...)
{
    snprintf(e->field, sizeof e->field, "%s%s", prefix, path);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
    return false;
}

static bool only_keys(json_t *o, const char *const *keys, const char *prefix, const char *path, struct verr *e)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        bool ok = false;
        for (int i = 0; keys[i] && !ok; i++) ok = !strcmp(k, keys[i]);
        if (!ok) {
            char p[96];
            snprintf(p, sizeof p, "%s/%s", path, k);
            return bad(e, prefix, p, "%s%s is not a known setting", prefix, p);
        }
    }
    (void)v;
    return true;
}

static bool get_int(json_t *o, const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out,
                    const char *prefix, const char *path, struct verr *e)
{
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return true;
    }
    if (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max) {
        char p[96];
        snprintf(p, sizeof p, "%s/%s", path, name);
        return bad(e, prefix, p, "%s%s must be an integer from %lld to %lld", prefix, p, (long long)min,
                   (long long)max);
    }
    *out = json_integer_value(v);
    return true;
}

static bool get_fraction(json_t *o, const char *name, double dflt, double *out, const char *prefix, const char *path,
                         struct verr *e)
{
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return true;
    }
    double x = json_number_value(v);
    if (!json_is_number(v) || !isfinite(x) || x < 0 || x > 1) {
        char p[96];
        snprintf(p, sizeof p, "%s/%s", path, name);
        return bad(e, prefix, p, "%s%s must be a number from 0 to 1", prefix, p);
    }
    *out = x;
    return true;
}

static json_t *object_member(json_t *o, const char *name, const char *prefix, const char *path, bool *ok, struct verr *e)
{
    json_t *v = json_object_get(o, name);
    *ok = true;
    if (!v || json_is_null(v)) return NULL;
    if (!json_is_object(v)) {
        char p[96];
        snprintf(p, sizeof p, "%s/%s", path, name);
        *ok = bad(e, prefix, p, "%s%s must be an object", prefix, p);
        return NULL;
    }
    return v;
}

static bool valid_name(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')) return false;
    }
    return true;
}

static const char *const reads_names[] = {"gold_accuracy", "fast_answers", "skip_rate"};
static const char *const action_names[] = {"lower_weight", "require_requalification", "lower_tier",
                                           "flag_for_review"};

const char *quality_reads_name(enum rule_reads r) { return reads_names[r]; }
const char *quality_action_name(enum rule_action a) { return action_names[a]; }

static bool parse_rules(json_t *arr, struct quality_config *c, const char *prefix, struct verr *e)
{
    if (!arr || json_is_null(arr)) return true;
    if (!json_is_array(arr) || json_array_size(arr) > QUALITY_MAX_RULES)
        return bad(e, prefix, "/rules", "%s/rules must be an array of at most %d rules", prefix, QUALITY_MAX_RULES);
    size_t i;
    json_t *r;
    json_array_foreach(arr, i, r) {
        char path[48];
        snprintf(path, sizeof path, "/rules/%zu", i);
        static const char *const keys[] = {"id", "reads", "window", "threshold", "action", NULL};
        if (!json_is_object(r)) return bad(e, prefix, path, "%s%s must be an object", prefix, path);
        if (!only_keys(r, keys, prefix, path, e)) return false;
        struct quality_rule *q = &c->rules[i];
        const char *id = json_string_value(json_object_get(r, "id"));
        if (!id || !valid_name(id, 64)) {
            char p[64];
            snprintf(p, sizeof p, "%s/id", path);
            return bad(e, prefix, p, "%s%s must be 1–64 characters of a–z, 0–9, _ - .", prefix, p);
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(c->rules[j].id, id)) {
                char p[64];
                snprintf(p, sizeof p, "%s/id", path);
                return bad(e, prefix, p, "%s%s repeats the rule id \"%s\"", prefix, p, id);
            }
        q->id = id;
        const char *reads = json_string_value(json_object_get(r, "reads"));
        int k = -1;
        for (int m = 0; reads && m < 3; m++)
            if (!strcmp(reads, reads_names[m])) k = m;
        if (k < 0) {
            char p[64];
            snprintf(p, sizeof p, "%s/reads", path);
            return bad(e, prefix, p, "%s%s must be gold_accuracy, fast_answers or skip_rate", prefix, p);
        }
        q->reads = (enum rule_reads)k;
        const char *action = json_string_value(json_object_get(r, "action"));
        k = -1;
        for (int m = 0; action && m < 4; m++)
            if (!strcmp(action, action_names[m])) k = m;
        if (k < 0) {
            char p[64];
            snprintf(p, sizeof p, "%s/action", path);
            return bad(e, prefix, p,
                       "%s%s must be lower_weight, require_requalification, lower_tier or flag_for_review "
                       "(no rule can suspend or ban: that needs a human)",
                       prefix, p);
        }
        q->action = (enum rule_action)k;
        if (!get_int(r, "window", 1, 1000, 10, &q->window, prefix, path, e)) return false;
        if (!json_object_get(r, "threshold")) {
            char p[64];
            snprintf(p, sizeof p, "%s/threshold", path);
            return bad(e, prefix, p, "%s%s is required", prefix, p);
        }
        if (!get_fraction(r, "threshold", 0, &q->threshold, prefix, path, e)) return false;
        c->n_rules = (int)i + 1;
    }
    return true;
}

bool quality_parse(json_t *q, int64_t overlap, const char *prefix, struct quality_config *c, struct verr *e)
{
    memset(c, 0, sizeof *c);
    c->max_overlap = overlap;
    c->target_confidence = 0.9;
    c->pass_mark = 0.8;
    c->review_percent = 10;
    c->review_below = 0.7;
    c->review_window_days = 7;
    c->method = "weighted";
    c->iou_threshold = 0.5;
    if (q && !json_is_null(q) && !json_is_object(q)) return bad(e, prefix, "", "%s must be an object", prefix);
    if (!q || json_is_null(q)) q = json_object(); /* an empty object is a static-free singleton only by value */
    else json_incref(q);
    bool ok = false, sub_ok;
    static const char *const keys[] = {"max_overlap", "target_confidence", "gold", "qualification",
                                       "required_skills", "review", "reject_reasons", "aggregation", "rules", NULL};
    if (!only_keys(q, keys, prefix, "", e)) goto out;
    if (!get_int(q, "max_overlap", overlap, 100, overlap, &c->max_overlap, prefix, "", e)) goto out;
    if (!get_fraction(q, "target_confidence", 0.9, &c->target_confidence, prefix, "", e)) goto out;

    json_t *g = object_member(q, "gold", prefix, "", &sub_ok, e);
    if (!sub_ok) goto out;
    if (g) {
        static const char *const gk[] = {"first", "percent", NULL};
        if (!only_keys(g, gk, prefix, "/gold", e) ||
            !get_int(g, "first", 0, 1000, 0, &c->gold_first, prefix, "/gold", e) ||
            !get_int(g, "percent", 0, 50, 0, &c->gold_percent, prefix, "/gold", e))
            goto out;
    }

    json_t *qual = object_member(q, "qualification", prefix, "", &sub_ok, e);
    if (!sub_ok) goto out;
    if (qual) {
        static const char *const qk[] = {"pass_mark", "skill", NULL};
        if (!only_keys(qual, qk, prefix, "/qualification", e) ||
            !get_fraction(qual, "pass_mark", 0.8, &c->pass_mark, prefix, "/qualification", e))
            goto out;
        json_t *s = json_object_get(qual, "skill");
        if (s && !json_is_null(s)) {
            if (!json_is_string(s) || !valid_name(json_string_value(s), 64)) {
                bad(e, prefix, "/qualification/skill", "%s/qualification/skill must be 1–64 characters of a–z, 0–9, _ - .",
                    prefix);
                goto out;
            }
            c->qualification_skill = json_string_value(s);
        }
        c->qualification = true;
    }

    json_t *skills = object_member(q, "required_skills", prefix, "", &sub_ok, e);
    if (!sub_ok) goto out;
    if (skills) {
        const char *name;
        json_t *v;
        json_object_foreach(skills, name, v) {
            char p[96];
            snprintf(p, sizeof p, "/required_skills/%s", name);
            if (c->n_skills == QUALITY_MAX_SKILLS) {
                bad(e, prefix, "/required_skills", "%s/required_skills may name at most %d skills", prefix,
                    QUALITY_MAX_SKILLS);
                goto out;
            }
            if (!valid_name(name, 64)) {
                bad(e, prefix, p, "skill names are 1–64 characters of a–z, 0–9, _ - .");
                goto out;
            }
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 100) {
                bad(e, prefix, p, "%s%s must be an integer from 0 to 100", prefix, p);
                goto out;
            }
            c->skill_names[c->n_skills] = name;
            c->skill_min[c->n_skills++] = json_integer_value(v);
        }
    }

    json_t *rv = object_member(q, "review", prefix, "", &sub_ok, e);
    if (!sub_ok) goto out;
    if (rv) {
        static const char *const rk[] = {"mode", "percent", "below", "window_days", NULL};
        if (!only_keys(rv, rk, prefix, "/review", e)) goto out;
        const char *mode = json_string_value(json_object_get(rv, "mode"));
        static const char *const modes[] = {"none", "all", "percent", "low_confidence"};
        int m = json_object_get(rv, "mode") ? -1 : 0;
        for (int i = 0; mode && i < 4; i++)
            if (!strcmp(mode, modes[i])) m = i;
        if (m < 0) {
            bad(e, prefix, "/review/mode", "%s/review/mode must be none, all, percent or low_confidence", prefix);
            goto out;
        }
        c->review = (enum review_mode)m;
        if (!get_int(rv, "percent", 1, 100, 10, &c->review_percent, prefix, "/review", e) ||
            !get_fraction(rv, "below", 0.7, &c->review_below, prefix, "/review", e) ||
            !get_int(rv, "window_days", 1, 14, 7, &c->review_window_days, prefix, "/review", e))
            goto out;
    }

    json_t *reasons = json_object_get(q, "reject_reasons");
    if (reasons && !json_is_null(reasons)) {
        if (!json_is_array(reasons) || json_array_size(reasons) < 1 || json_array_size(reasons) > QUALITY_MAX_REASONS) {
            bad(e, prefix, "/reject_reasons", "%s/reject_reasons must be an array of 1 to %d reasons", prefix,
                QUALITY_MAX_REASONS);
            goto out;
        }
        size_t i;
        json_t *r;
        json_array_foreach(reasons, i, r) {
            char p[64];
            snprintf(p, sizeof p, "/reject_reasons/%zu", i);
            const char *code = json_string_value(json_object_get(r, "code"));
            const char *title = json_string_value(json_object_get(r, "title"));
            static const char *const rk[] = {"code", "title", NULL};
            if (!json_is_object(r) || !only_keys(r, rk, prefix, p, e)) {
                if (!json_is_object(r)) bad(e, prefix, p, "%s%s must be an object {code, title}", prefix, p);
                goto out;
            }
            if (!code || !valid_name(code, 64)) {
                strncat(p, "/code", sizeof p - strlen(p) - 1);
                bad(e, prefix, p, "%s%s must be 1–64 characters of a–z, 0–9, _ - .", prefix, p);
                goto out;
            }
            if (!title || !*title || utf8_length(title) > 200) {
                strncat(p, "/title", sizeof p - strlen(p) - 1);
                bad(e, prefix, p, "%s%s must be a text of 1 to 200 characters", prefix, p);
                goto out;
            }
            for (size_t j = 0; j < i; j++)
                if (!strcmp(c->reason_codes[j], code)) {
                    strncat(p, "/code", sizeof p - strlen(p) - 1);
                    bad(e, prefix, p, "%s%s repeats the code \"%s\"", prefix, p, code);
                    goto out;
                }
            c->reason_codes[i] = code;
            c->reason_titles[i] = title;
            c->n_reasons = (int)i + 1;
        }
    } else {
        c->n_reasons = (int)(sizeof default_reasons / sizeof default_reasons[0]);
        for (int i = 0; i < c->n_reasons; i++) {
            c->reason_codes[i] = default_reasons[i][0];
            c->reason_titles[i] = default_reasons[i][1];
        }
    }

    json_t *agg = object_member(q, "aggregation", prefix, "", &sub_ok, e);
    if (!sub_ok) goto out;
    if (agg) {
        static const char *const ak[] = {"method", "iou_threshold", NULL};
        if (!only_keys(agg, ak, prefix, "/aggregation", e)) goto out;
        const char *m = json_string_value(json_object_get(agg, "method"));
        if (json_object_get(agg, "method")) {
            if (!m || (strcmp(m, "mv") && strcmp(m, "weighted"))) {
                bad(e, prefix, "/aggregation/method",
                    "%s/aggregation/method must be mv (plain majority) or weighted (votes weighted by each worker's "
                    "estimated accuracy); batch methods (ds, glad, mace) run through POST /projects/{id}/aggregate",
                    prefix);
                goto out;
            }
            c->method = m;
        }
        if (!get_fraction(agg, "iou_threshold", 0.5, &c->iou_threshold, prefix, "/aggregation", e)) goto out;
    }
    if (!parse_rules(json_object_get(q, "rules"), c, prefix, e)) goto out;
    ok = true;
out:
    /* the strings borrowed stay alive through the caller's reference to q */
    json_decref(q);
    return ok;
}

json_t *quality_to_json(const struct quality_config *c)
{
    static const char *const modes[] = {"none", "all", "percent", "low_confidence"};
    json_t *skills = json_object(), *reasons = json_array(), *rules = json_array();
    for (int i = 0; i < c->n_skills; i++) json_object_set_new(skills, c->skill_names[i], json_integer(c->skill_min[i]));
    for (int i = 0; i < c->n_reasons; i++)
        json_array_append_new(reasons, json_pack("{s:s, s:s}", "code", c->reason_codes[i], "title", c->reason_titles[i]));
    for (int i = 0; i < c->n_rules; i++) {
        const struct quality_rule *r = &c->rules[i];
        json_array_append_new(rules, json_pack("{s:s, s:s, s:I, s:f, s:s}", "id", r->id, "reads", reads_names[r->reads],
                                               "window", (json_int_t)r->window, "threshold", r->threshold, "action",
                                               action_names[r->action]));
    }
    json_t *out = json_pack("{s:I, s:f, s:{s:I, s:I}, s:o, s:{s:s, s:I, s:f, s:I}, s:o, s:{s:s, s:f}, s:o}", "max_overlap",
                            (json_int_t)c->max_overlap, "target_confidence", c->target_confidence, "gold", "first",
                            (json_int_t)c->gold_first, "percent", (json_int_t)c->gold_percent, "required_skills", skills,
                            "review", "mode", modes[c->review], "percent", (json_int_t)c->review_percent, "below",
                            c->review_below, "window_days", (json_int_t)c->review_window_days, "reject_reasons", reasons, "aggregation", "method", c->method,
                            "iou_threshold", c->iou_threshold, "rules", rules);
    if (c->qualification) {
        json_t *q = json_pack("{s:f}", "pass_mark", c->pass_mark);
        if (c->qualification_skill) json_object_set_new(q, "skill", json_string(c->qualification_skill));
        json_object_set_new(out, "qualification", q);
    } else {
        json_object_set_new(out, "qualification", json_null());
    }
    return out;
}

bool quality_reason_known(const struct quality_config *c, const char *code)
{
    for (int i = 0; code && i < c->n_reasons; i++)
        if (!strcmp(c->reason_codes[i], code)) return true;
    return false;
}

bool quality_serve_gold(const struct quality_config *c, int64_t gold_seen, int64_t normal_seen, int jitter_percent)
{
    if (gold_seen < c->gold_first) return true;
    if (c->gold_percent <= 0) return false;
    /* Gold after the first K should be p% of what follows: serve one when that share, counting this
     * claim, is ahead of the gold served so far by more than a random fraction of a task. */
    int64_t later_gold = gold_seen - c->gold_first;
    int64_t total_after = later_gold + normal_seen + 1;
    return 100 * later_gold + jitter_percent < c->gold_percent * total_after;
}

bool quality_sample_for_review(const struct quality_config *c, int64_t assignment_id)
{
    switch (c->review) {
    case REVIEW_ALL: return true;
    case REVIEW_PERCENT: {
        /* Multiplicative hashing spreads consecutive ids evenly over 0–99. */
        uint64_t h = (uint64_t)assignment_id * 0x9E3779B97F4A7C15ull;
        return (int64_t)((h >> 32) % 100) < c->review_percent;
    }
    default: return false; /* none; low_confidence is decided when the task's result is known */
    }
}

int64_t quality_next_overlap(const struct quality_config *c, int64_t overlap, int64_t submitted, double confidence)
{
    if (submitted < overlap || overlap >= c->max_overlap) return overlap;
    return confidence < c->target_confidence ? overlap + 1 : overlap;
}

json_t *quality_rule_registry(void)
{
    json_t *reads = json_pack(
        "[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s, s:s}]", "id", "gold_accuracy", "reads",
        "the mean score of the worker's last `window` gold answers in the project", "fires_when",
        "the mean is below `threshold` (0–1); needs at least `window` gold answers", "id", "fast_answers", "reads",
        "the worker's last `window` submissions in the project, timed from claim to submit", "fires_when",
        "the share of them faster than a quarter of the project's median time is above `threshold`", "id",
        "skip_rate", "reads", "the worker's last `window` claims in the project", "fires_when",
        "the share released or left to expire is above `threshold`");
    json_t *actions = json_pack(
        "[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "id", "lower_weight", "effect",
        "halves the worker's weight in aggregation for this project (the worker sees it)", "id",
        "require_requalification", "effect",
        "proposes that the worker pass the project's qualification test again (paid, FW-8); it takes effect only "
        "when a human approves it (POST /api/v1/quality-events/{id}/decide)", "id",
        "lower_tier", "effect",
        "every answer of the worker in the project is reviewed (tier 1) until a human dismisses the event", "id",
        "flag_for_review", "effect", "records a flag for a human to look at; nothing changes for the worker");
    json_t *changes = json_pack("[{s:i, s:s, s:s}]", "version", 1, "date", "2026-11-29", "change",
                                "First rules: gold_accuracy, fast_answers, skip_rate; actions lower_weight, "
                                "require_requalification (proposed only), lower_tier, flag_for_review.");
    return json_pack("{s:i, s:o, s:o, s:o, s:s}", "version", 1, "reads", reads, "actions", actions, "changes", changes,
                     "limits",
                     "No rule can suspend, ban or withhold pay, and none restricts a worker without a human's approval "
                     "(FW-19). A project's rules are listed in its quality settings (GET /api/v1/projects/{id}, "
                     "member quality.rules), which workers can read.");
}

bool quality_rule_fires(const struct quality_rule *r, const struct worker_record *w, double *value)
{
    switch (r->reads) {
    case RULE_GOLD_ACCURACY:
        if (w->gold_recent < r->window) return false;
        *value = (double)w->gold_recent_score_ppm_sum / 1e6 / (double)w->gold_recent;
        return *value < r->threshold;
    case RULE_FAST_ANSWERS:
        if (w->submitted_recent < r->window) return false;
        *value = (double)w->fast_recent / (double)w->submitted_recent;
        return *value > r->threshold;
    case RULE_SKIP_RATE: {
        int64_t claims = w->submitted_recent + w->skipped_recent;
        if (claims < r->window) return false;
        *value = (double)w->skipped_recent / (double)claims;
        return *value > r->threshold;
    }
    }
    return false;
}
