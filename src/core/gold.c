/* Gold scoring per kind and its explanation (see gold.h). */
#include "core/gold.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/aggregate_geo.h"

/* ---- the explanation: a bounded string cut at a character boundary with "…" ---- */

struct text {
    char *p;
    size_t cap, len;
    bool cut;
};

#define ELLIPSIS "\xe2\x80\xa6"

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    if (t->cut || t->cap < sizeof ELLIPSIS + 1) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if (t->len + (size_t)n + sizeof ELLIPSIS <= t->cap) {
        t->len += (size_t)n;
        return;
    }
    /* Too long: keep what fits before the ellipsis, dropping a partly written character. */
    size_t start = t->len, end = t->cap - sizeof ELLIPSIS;
    if (end < start) end = start;
    size_t j = end;
    while (j > start && ((unsigned char)t->p[j - 1] & 0xC0) == 0x80) j--;
    if (j > start) {
        unsigned char lead = (unsigned char)t->p[j - 1];
        size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
        if (j - 1 + need > end) end = j - 1;
    }
    memcpy(t->p + end, ELLIPSIS, sizeof ELLIPSIS);
    t->len = end + sizeof ELLIPSIS - 1;
    t->cut = true;
}

/* ---- text_classification ---- */

static bool in_labels(json_t *list, json_t *s)
{
    for (size_t i = 0; i < json_array_size(list); i++)
        if (json_equal(json_array_get(list, i), s)) return true;
    return false;
}

static void put_quoted_list(struct text *t, json_t *list, json_t *minus)
{
    bool first = true;
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *l = json_array_get(list, i);
        if (minus && in_labels(minus, l)) continue;
        put(t, "%s\"%s\"", first ? "" : ", ", json_string_value(l) ? json_string_value(l) : "?");
        first = false;
    }
}

static bool classification(json_t *schema, json_t *exp, json_t *ans, struct gold_result *out, struct text *t)
{
    json_t *multi = json_object_get(schema, "multiple");
    bool multiple = multi ? json_is_true(multi) : json_object_get(exp, "labels") != NULL;
    if (!multiple) {
        const char *e = json_string_value(json_object_get(exp, "label"));
        const char *a = json_string_value(json_object_get(ans, "label"));
        if (!e) return false;
        out->score = a && !strcmp(a, e);
        if (out->score == 1) put(t, "correct: \"%s\"", e);
        else if (a) put(t, "expected label \"%s\", you chose \"%s\"", e, a);
        else put(t, "expected label \"%s\", you chose none", e);
        return true;
    }
    json_t *e = json_object_get(exp, "labels"), *a = json_object_get(ans, "labels");
    if (!json_is_array(e)) return false;
    size_t both = 0, ne = json_array_size(e), na = json_array_size(a);
    for (size_t i = 0; i < na; i++) both += in_labels(e, json_array_get(a, i));
    size_t uni = ne + na - both;
    out->score = uni ? (double)both / (double)uni : 1;
    if (out->score == 1) {
        put(t, "correct: ");
        put_quoted_list(t, e, NULL);
        if (ne == 0) put(t, "no labels");
        return true;
    }
    put(t, "expected labels ");
    put_quoted_list(t, e, NULL);
    put(t, "; you chose ");
    put_quoted_list(t, a, NULL);
    if (na == 0) put(t, "none");
    if (both < ne) {
        put(t, " (missed ");
        put_quoted_list(t, e, a);
        put(t, both < na ? "; " : ")");
    } else {
        put(t, " (");
    }
    if (both < na) {
        put(t, "not expected ");
        put_quoted_list(t, a, e);
        put(t, ")");
    }
    return true;
}

/* ---- text_spans ---- */

struct span {
    json_int_t start, end;
    const char *label;
    bool matched;
};

static struct span *read_spans(json_t *answer, size_t *n)
{
    json_t *sp = json_object_get(answer, "spans");
    *n = json_array_size(sp);
    struct span *s = calloc(*n ? *n : 1, sizeof *s);
    for (size_t i = 0; s && i < *n; i++) {
        json_t *o = json_array_get(sp, i);
        s[i] = (struct span){json_integer_value(json_object_get(o, "start")), json_integer_value(json_object_get(o, "end")),
                             json_string_value(json_object_get(o, "label")), false};
        if (!s[i].label) s[i].label = "";
    }
    return s;
}

/* Byte offset of code point cp in s (the end when s is shorter). */
static size_t byte_of(const char *s, json_int_t cp)
{
    size_t i = 0;
    for (json_int_t k = 0; s[i] && k < cp; k++)
        do i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80);
    return i;
}

/* "PER \"John\"" from the task's text, or "PER at 0–4" without it; quotes are cut at 40 code points. */
static void put_span(struct text *t, const struct span *s, const char *text)
{
    if (text) {
        json_int_t end = s->end - s->start > 40 ? s->start + 40 : s->end;
        size_t b0 = byte_of(text, s->start), b1 = byte_of(text, end);
        put(t, "%s \"%.*s%s\"", s->label, (int)(b1 - b0), text + b0, end < s->end ? ELLIPSIS : "");
    } else {
        put(t, "%s at %lld\xe2\x80\x93%lld", s->label, (long long)s->start, (long long)s->end);
    }
}

static bool spans(json_t *exp, json_t *ans, const char *text, struct gold_result *out, struct text *t)
{
    if (!json_is_array(json_object_get(exp, "spans"))) return false;
    size_t ne, na, m = 0;
    struct span *e = read_spans(exp, &ne), *a = read_spans(ans, &na);
    if (!e || !a) {
        free(e), free(a);
        return false;
    }
    for (size_t i = 0; i < ne; i++)
        for (size_t j = 0; j < na; j++)
            if (!a[j].matched && a[j].start == e[i].start && a[j].end == e[i].end && !strcmp(a[j].label, e[i].label)) {
                a[j].matched = e[i].matched = true;
                m++;
                break;
            }
    out->score = ne + na ? 2.0 * (double)m / (double)(ne + na) : 1;
    if (ne + na == 0) put(t, "correct: no spans");
    else if (m == ne && m == na) put(t, "all %zu span%s matched exactly", ne, ne == 1 ? "" : "s");
    else put(t, "%zu of %zu span%s matched exactly", m, ne, ne == 1 ? "" : "s");
    for (int pass = 0; pass < 2; pass++) {
        struct span *list = pass ? a : e;
        size_t n = pass ? na : ne, shown = 0;
        for (size_t i = 0; i < n; i++) {
            if (list[i].matched) continue;
            put(t, shown++ ? ", " : pass ? "; extra: " : "; missed: ");
            put_span(t, &list[i], text);
        }
    }
    free(e), free(a);
    return true;
}

/* ---- objects ---- */

static const char *noun(enum agg_shape_type type, bool mixed, size_t n)
{
    if (mixed) return n == 1 ? "object" : "objects";
    switch (type) {
    case AGG_SHAPE_BOX: return n == 1 ? "box" : "boxes";
    case AGG_SHAPE_POLYGON: return n == 1 ? "polygon" : "polygons";
    case AGG_SHAPE_KEYPOINTS: return n == 1 ? "keypoint set" : "keypoint sets";
    case AGG_SHAPE_CUBOID: return n == 1 ? "cuboid" : "cuboids";
    }
    return "objects";
}

static const char *metric(enum agg_shape_type t) { return t == AGG_SHAPE_KEYPOINTS ? "OKS" : t == AGG_SHAPE_CUBOID ? "3D IoU" : "IoU"; }

/* -1 when memory runs out, 0 when expected does not parse, 1 scored. */
static int objects(enum project_kind kind, json_t *exp, json_t *ans, double thr, struct gold_result *out, struct text *t)
{
    struct agg_shape *e, *a;
    size_t ne, na;
    if (!agg_shapes_parse(kind, exp, &e, &ne)) return 0;
    if (!agg_shapes_parse(kind, ans, &a, &na)) a = NULL, na = 0; /* unreadable: as if nothing was drawn */
    long *match = malloc(sizeof *match * (ne ? ne : 1));
    bool *used = calloc(na ? na : 1, sizeof *used);
    long m = match && used ? agg_shapes_match(e, ne, a, na, thr, true, match, NULL) : -1;
    if (m < 0) {
        agg_shapes_free(e, ne), agg_shapes_free(a, na), free(match), free(used);
        return -1;
    }
    for (size_t i = 0; i < ne; i++)
        if (match[i] >= 0) used[match[i]] = true;
    out->score = ne + na ? 2.0 * (double)m / (double)(ne + na) : 1;

    enum agg_shape_type type = ne ? e[0].type : na ? a[0].type : AGG_SHAPE_BOX;
    bool mixed = false, mixed_metric = false;
    for (size_t i = 0; i < ne + na; i++) {
        enum agg_shape_type ti = i < ne ? e[i].type : a[i - ne].type;
        mixed |= ti != type;
        mixed_metric |= strcmp(metric(ti), metric(type)) != 0;
    }
    const char *mname = mixed_metric ? "IoU/OKS" : metric(type);
    if (ne + na == 0) {
        put(t, "correct: no objects");
    } else if (ne == 0) {
        put(t, "no objects expected, you drew %zu", na);
    } else {
        if ((size_t)m == ne && (size_t)m == na && ne == 1) put(t, "the %s matched", noun(type, mixed, 1));
        else if ((size_t)m == ne && (size_t)m == na) put(t, "all %zu %s matched", ne, noun(type, mixed, ne));
        else put(t, "%ld of %zu %s matched", m, ne, noun(type, mixed, ne));
        put(t, " (%s \xe2\x89\xa5 %g)", mname, thr);
    }
    size_t shown = 0;
    for (size_t i = 0; i < ne; i++) {
        if (match[i] >= 0) continue;
        put(t, shown++ ? ", " : "; missed: ");
        put(t, "%s", e[i].cls);
        double best = 0; /* the nearest miss among the unmatched drawings */
        for (size_t j = 0; j < na; j++)
            if (!used[j]) best = fmax(best, agg_shape_similarity(&e[i], &a[j], true));
        if (best > 0) put(t, " (best %s %.2f)", metric(e[i].type), best);
    }
    shown = 0;
    for (size_t j = 0; j < na; j++)
        if (!used[j]) put(t, "%s%s", shown++ ? ", " : ne ? "; extra: " : ": ", a[j].cls);
    agg_shapes_free(e, ne), agg_shapes_free(a, na), free(match), free(used);
    return 1;
}

/* ---- llm_comparison ---- */

static bool comparison(json_t *exp, json_t *ans, bool tie_no_credit, struct gold_result *out, struct text *t)
{
    const char *e = json_string_value(json_object_get(json_object_get(exp, "preference"), "choice"));
    const char *a = json_string_value(json_object_get(json_object_get(ans, "preference"), "choice"));
    if (!e) return false;
    bool etie = !strcmp(e, "tie"), atie = a && !strcmp(a, "tie");
    const char *credit = tie_no_credit ? "no credit" : "half credit";
    if (a && !strcmp(a, e)) {
        out->score = 1;
        if (etie) put(t, "correct: a tie");
        else put(t, "correct: you preferred \"%s\"", e);
    } else if (etie && a) {
        out->score = tie_no_credit ? 0 : 0.5;
        put(t, "expected a tie, you preferred \"%s\" (%s)", a, credit);
    } else if (atie) {
        out->score = tie_no_credit ? 0 : 0.5;
        put(t, "expected \"%s\" to be preferred, you chose a tie (%s)", e, credit);
    } else {
        out->score = 0;
        if (etie) put(t, "expected a tie, you chose none");
        else put(t, "expected \"%s\" to be preferred, you chose %s%s%s", e, a ? "\"" : "", a ? a : "none", a ? "\"" : "");
    }
    return true;
}

/* ---- entry points ---- */

bool gold_score(enum project_kind kind, json_t *schema, json_t *expected, json_t *answer,
                const struct gold_params *params, struct gold_result *out)
{
    memset(out, 0, sizeof *out);
    struct gold_params p = params ? *params : (struct gold_params){0};
    double pass = p.pass_score > 0 ? p.pass_score : 1.0, thr = p.iou_threshold > 0 ? p.iou_threshold : 0.5;
    struct text t = {out->explanation, sizeof out->explanation, 0, false};
    bool ok = json_is_object(expected);
    if (!json_is_object(answer)) answer = NULL;
    switch (ok ? kind : KIND__COUNT) {
    case KIND_TEXT_CLASSIFICATION: ok = classification(schema, expected, answer, out, &t); break;
    case KIND_TEXT_SPANS: ok = spans(expected, answer, json_string_value(json_object_get(p.data, "text")), out, &t); break;
    case KIND_IMAGE_ANNOTATION:
    case KIND_LIDAR_CUBOIDS: {
        int r = objects(kind, expected, answer, thr, out, &t);
        if (r < 0) return false;
        ok = r > 0;
        break;
    }
    case KIND_LLM_COMPARISON: ok = comparison(expected, answer, p.tie_no_credit, out, &t); break;
    case KIND_FREE_TEXT:
        put(&t, "free-text answers are not scored automatically");
        return true;
    default: ok = false;
    }
    if (!ok) {
        memset(out, 0, sizeof *out);
        snprintf(out->explanation, sizeof out->explanation, "this gold task's expected answer cannot be compared");
        return true;
    }
    out->scorable = true;
    out->passed = out->score >= pass - 1e-12;
    return true;
}

const char *gold_explain(enum project_kind kind, json_t *schema, json_t *expected, json_t *answer,
                         const struct gold_params *params, char *buf, size_t cap)
{
    struct gold_result *r = malloc(sizeof *r);
    if (cap == 0) {
        free(r);
        return buf;
    }
    if (!r || !gold_score(kind, schema, expected, answer, params, r)) {
        snprintf(buf, cap, "out of memory");
        free(r);
        return buf;
    }
    struct text t = {buf, cap, 0, false};
    buf[0] = '\0';
    put(&t, "%s", r->explanation);
    free(r);
    return buf;
}
