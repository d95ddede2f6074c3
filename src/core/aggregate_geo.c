/* Object clustering, span token votes, Bradley–Terry and free-text picks (see aggregate_geo.h). */
#include "core/aggregate_geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/hungarian.h"
#include "core/schema.h"

void agg_geo_result_free(struct agg_geo_result *r)
{
    json_decref(r->answer);
    json_decref(r->details);
    free(r->item_confidence);
    memset(r, 0, sizeof *r);
}

json_t *agg_geo_result_json(const struct agg_geo_result *r)
{
    json_t *items = json_array();
    for (size_t i = 0; i < r->n_items; i++) json_array_append_new(items, json_real(r->item_confidence[i]));
    return json_pack("{s:s, s:f, s:O?, s:o, s:O?}", "method", r->method ? r->method : "", "confidence",
                     r->confidence, "answer", r->answer, "item_confidence", items, "details", r->details);
}

/* Effective weights: negative or NAN count 0, and all count 1 when they sum to 0. Returns the sum. */
static double effective_weights(const double *in, size_t n, double *out)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        out[i] = in[i] > 0 ? in[i] : 0;
        sum += out[i];
    }
    if (sum > 0) return sum;
    for (size_t i = 0; i < n; i++) out[i] = 1;
    return (double)n;
}

/* ---- shapes ---- */

static bool read_numbers(json_t *v, size_t n, double *out)
{
    if (!json_is_array(v) || json_array_size(v) != n) return false;
    for (size_t i = 0; i < n; i++) {
        json_t *x = json_array_get(v, i);
        if (!json_is_number(x) || !isfinite(json_number_value(x))) return false;
        out[i] = json_number_value(x);
    }
    return true;
}

/* A list of n points of dim numbers each, into a new array. */
static double *read_points(json_t *v, size_t dim, size_t *n)
{
    *n = json_array_size(v);
    if (!json_is_array(v) || *n == 0) return NULL;
    double *p = malloc(sizeof *p * dim * *n);
    for (size_t i = 0; p && i < *n; i++)
        if (!read_numbers(json_array_get(v, i), dim, &p[dim * i])) {
            free(p);
            return NULL;
        }
    return p;
}

static bool parse_object(enum project_kind kind, json_t *obj, struct agg_shape *s)
{
    memset(s, 0, sizeof *s);
    s->obj = obj;
    s->cls = json_string_value(json_object_get(obj, "class"));
    if (!s->cls) return false;
    if (kind == KIND_LIDAR_CUBOIDS) {
        s->type = AGG_SHAPE_CUBOID;
        json_t *yaw = json_object_get(obj, "yaw");
        if (!read_numbers(json_object_get(obj, "center"), 3, s->cuboid.center) ||
            !read_numbers(json_object_get(obj, "size"), 3, s->cuboid.size) || !json_is_number(yaw))
            return false;
        s->cuboid.yaw = json_number_value(yaw);
        return isfinite(s->cuboid.yaw);
    }
    const char *type = json_string_value(json_object_get(obj, "type"));
    if (!type) return false;
    if (!strcmp(type, "bbox")) {
        s->type = AGG_SHAPE_BOX;
        return read_numbers(json_object_get(obj, "bbox"), 4, s->box);
    }
    if (!strcmp(type, "polygon")) {
        s->type = AGG_SHAPE_POLYGON;
        s->pts = read_points(json_object_get(obj, "points"), 2, &s->n_pts);
        return s->pts && s->n_pts >= 3;
    }
    if (!strcmp(type, "keypoints")) {
        s->type = AGG_SHAPE_KEYPOINTS;
        s->pts = read_points(json_object_get(obj, "keypoints"), 3, &s->n_pts);
        return s->pts != NULL;
    }
    return false;
}

void agg_shapes_free(struct agg_shape *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) free(s[i].pts);
    free(s);
}

bool agg_shapes_parse(enum project_kind kind, json_t *answer, struct agg_shape **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    json_t *objs = json_object_get(answer, "objects");
    if (!json_is_array(objs)) return false;
    size_t k = json_array_size(objs);
    struct agg_shape *s = calloc(k ? k : 1, sizeof *s);
    if (!s) return false;
    for (size_t i = 0; i < k; i++)
        if (!parse_object(kind, json_array_get(objs, i), &s[i])) {
            agg_shapes_free(s, i + 1);
            return false;
        }
    *out = s;
    *n = k;
    return true;
}

const char *agg_shape_type_name(enum agg_shape_type t)
{
    static const char *const names[] = {"bbox", "polygon", "keypoints", "cuboid"};
    return t <= AGG_SHAPE_CUBOID ? names[t] : "object";
}

double agg_shape_similarity(const struct agg_shape *a, const struct agg_shape *b, bool gold)
{
    if (a->type != b->type || strcmp(a->cls, b->cls)) return 0;
    switch (a->type) {
    case AGG_SHAPE_BOX: return geo_box_iou(a->box, b->box);
    case AGG_SHAPE_POLYGON: return geo_polygon_iou(a->pts, a->n_pts, b->pts, b->n_pts);
    case AGG_SHAPE_KEYPOINTS:
        if (a->n_pts != b->n_pts) return 0;
        return gold ? geo_oks(a->pts, b->pts, a->n_pts) : geo_keypoint_similarity(a->pts, b->pts, a->n_pts);
    case AGG_SHAPE_CUBOID:
        return gold ? geo_cuboid_iou_3d(&a->cuboid, &b->cuboid) : geo_cuboid_bev_iou(&a->cuboid, &b->cuboid);
    }
    return 0;
}

long agg_shapes_match(const struct agg_shape *a, size_t na, const struct agg_shape *b, size_t nb, double threshold,
                      bool gold, long *a_to_b, double *sim)
{
    double *score = calloc(na && nb ? na * nb : 1, sizeof *score);
    if (!score) return -1;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++) {
            double s = agg_shape_similarity(&a[i], &b[j], gold);
            if (isnan(s)) {
                free(score);
                return -1;
            }
            score[i * nb + j] = s;
        }
    long kept = hungarian_max_score(score, na, nb, threshold, a_to_b, NULL);
    for (size_t i = 0; sim && kept >= 0 && i < na; i++) sim[i] = a_to_b[i] >= 0 ? score[i * nb + (size_t)a_to_b[i]] : 0;
    free(score);
    return kept;
}

/* ---- object clusters ---- */

struct member {
    size_t answer;
    const struct agg_shape *shape;
};

struct cluster {
    struct member *m; /* room for one per answer */
    size_t n;
};

/* The members' weights normalised to sum 1 (equal when they sum to 0). */
static void member_weights(const struct cluster *c, const double *w, double *out)
{
    double sum = 0;
    for (size_t i = 0; i < c->n; i++) sum += out[i] = w[c->m[i].answer];
    for (size_t i = 0; i < c->n; i++) out[i] = sum > 0 ? out[i] / sum : 1.0 / (double)c->n;
}

/* The members' value for key with the greatest weight (borrowed), or NULL unless members with the
 * key weigh at least half. get(obj) gives the member's object holding the key (or NULL). */
static json_t *vote_value(const struct cluster *c, const double *mw, json_t *(*get)(json_t *), const char *key)
{
    double have = 0, best_w = -1;
    json_t *best = NULL;
    for (size_t j = 0; j < c->n; j++) {
        json_t *x = json_object_get(get(c->m[j].shape->obj), key);
        if (!x) continue;
        have += mw[j];
        double wx = 0;
        for (size_t k = 0; k < c->n; k++)
            if (json_equal(x, json_object_get(get(c->m[k].shape->obj), key))) wx += mw[k];
        if (wx > best_w) best_w = wx, best = x;
    }
    return have * 2 >= 1 - 1e-12 ? best : NULL;
}

/* vote_value for every key any member has. */
static void vote_keys(const struct cluster *c, const double *mw, json_t *(*get)(json_t *), json_t *into)
{
    for (size_t i = 0; i < c->n; i++) {
        const char *key;
        json_t *v;
        json_object_foreach(get(c->m[i].shape->obj), key, v) {
            if (json_object_get(into, key)) continue; /* decided already */
            json_t *best = vote_value(c, mw, get, key);
            if (best) json_object_set_new(into, key, json_deep_copy(best));
        }
    }
}

static json_t *get_self(json_t *o) { return o; }
static json_t *get_attributes(json_t *o) { return json_object_get(o, "attributes"); }

static json_t *pair_array(const double *p, size_t n, size_t dim)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        json_t *pt = json_array();
        for (size_t d = 0; d < dim; d++)
            json_array_append_new(pt, dim == 3 && d == 2 ? json_integer((json_int_t)p[dim * i + d]) : json_real(p[dim * i + d]));
        json_array_append_new(a, pt);
    }
    return a;
}

/* Polygon members aligned to the first (heaviest) and averaged; NULL when counts differ, the mean is
 * not simple, or memory runs out. */
static double *polygon_mean(const struct cluster *c, const double *mw)
{
    const struct agg_shape *ref = c->m[0].shape;
    size_t n = ref->n_pts;
    for (size_t i = 1; i < c->n; i++)
        if (c->m[i].shape->n_pts != n) return NULL;
    double *mean = calloc(2 * n, sizeof *mean), *pts = malloc(sizeof *pts * 2 * n);
    if (!mean || !pts) goto fail;
    bool ref_ccw = geo_polygon_signed_area(ref->pts, n) >= 0;
    for (size_t i = 0; i < c->n; i++) {
        const struct agg_shape *s = c->m[i].shape;
        bool flip = (geo_polygon_signed_area(s->pts, n) >= 0) != ref_ccw;
        for (size_t k = 0; k < n; k++) {
            size_t from = flip ? n - 1 - k : k;
            pts[2 * k] = s->pts[2 * from], pts[2 * k + 1] = s->pts[2 * from + 1];
        }
        size_t best_shift = 0;
        double best = INFINITY;
        for (size_t sh = 0; sh < n; sh++) {
            double d = 0;
            for (size_t k = 0; k < n && d < best; k++) {
                double dx = pts[2 * ((k + sh) % n)] - ref->pts[2 * k], dy = pts[2 * ((k + sh) % n) + 1] - ref->pts[2 * k + 1];
                d += dx * dx + dy * dy;
            }
            if (d < best) best = d, best_shift = sh;
        }
        for (size_t k = 0; k < n; k++) {
            mean[2 * k] += mw[i] * pts[2 * ((k + best_shift) % n)];
            mean[2 * k + 1] += mw[i] * pts[2 * ((k + best_shift) % n) + 1];
        }
    }
    free(pts);
    if (polygon_is_simple(mean, n) && geo_polygon_area(mean, n) > 0) return mean;
fail:
    free(mean);
    free(pts);
    return NULL;
}

/* The member with the highest summed similarity to the others (ties: the heavier, i.e. earlier). */
static size_t medoid(const struct cluster *c, bool *nomem)
{
    size_t best = 0;
    double best_sum = -1;
    for (size_t i = 0; i < c->n; i++) {
        double sum = 0;
        for (size_t j = 0; j < c->n; j++)
            if (j != i) sum += agg_shape_similarity(c->m[i].shape, c->m[j].shape, false);
        if (isnan(sum)) *nomem = true;
        if (sum > best_sum) best_sum = sum, best = i;
    }
    return best;
}

/* The merged object of a cluster as a new JSON object, NULL when memory runs out. */
static json_t *merge_cluster(const struct cluster *c, const double *mw)
{
    const struct agg_shape *ref = c->m[0].shape;
    json_t *o = json_object();
    json_object_set_new(o, "class", json_string(ref->cls));
    switch (ref->type) {
    case AGG_SHAPE_BOX: {
        double b[4] = {0};
        for (size_t i = 0; i < c->n; i++)
            for (int k = 0; k < 4; k++) b[k] += mw[i] * c->m[i].shape->box[k];
        json_object_set_new(o, "type", json_string("bbox"));
        json_object_set_new(o, "bbox", json_pack("[f,f,f,f]", b[0], b[1], b[2], b[3]));
        break;
    }
    case AGG_SHAPE_POLYGON: {
        json_object_set_new(o, "type", json_string("polygon"));
        double *mean = polygon_mean(c, mw);
        if (mean) {
            json_object_set_new(o, "points", pair_array(mean, ref->n_pts, 2));
            free(mean);
        } else {
            bool nomem = false;
            const struct agg_shape *m = c->m[medoid(c, &nomem)].shape;
            if (nomem) {
                json_decref(o);
                return NULL;
            }
            json_object_set_new(o, "points", json_deep_copy(json_object_get(m->obj, "points")));
        }
        break;
    }
    case AGG_SHAPE_KEYPOINTS: {
        size_t n = ref->n_pts;
        double *kp = calloc(3 * n, sizeof *kp);
        if (!kp) {
            json_decref(o);
            return NULL;
        }
        for (size_t k = 0; k < n; k++) {
            double lab = 0, vis = 0, occ = 0, x = 0, y = 0;
            for (size_t i = 0; i < c->n; i++) {
                if (c->m[i].shape->n_pts != n) continue;
                const double *p = &c->m[i].shape->pts[3 * k];
                if (p[2] <= 0) continue;
                lab += mw[i], x += mw[i] * p[0], y += mw[i] * p[1];
                if (p[2] >= 2) vis += mw[i];
                else occ += mw[i];
            }
            if (lab * 2 >= 1 - 1e-12 && lab > 0) kp[3 * k] = x / lab, kp[3 * k + 1] = y / lab, kp[3 * k + 2] = occ > vis ? 1 : 2;
        }
        json_object_set_new(o, "type", json_string("keypoints"));
        json_object_set_new(o, "keypoints", pair_array(kp, n, 3));
        free(kp);
        break;
    }
    case AGG_SHAPE_CUBOID: {
        double ctr[3] = {0}, size[3] = {0}, ref_yaw = ref->cuboid.yaw, s = 0, co = 0, flipped = 0;
        for (size_t i = 0; i < c->n; i++) {
            const struct geo_cuboid *q = &c->m[i].shape->cuboid;
            for (int k = 0; k < 3; k++) ctr[k] += mw[i] * q->center[k], size[k] += mw[i] * q->size[k];
            double yaw = q->yaw;
            if (fabs(geo_wrap_angle(yaw - ref_yaw)) > M_PI / 2) {
                yaw += M_PI;
                flipped += mw[i];
            }
            s += mw[i] * sin(yaw), co += mw[i] * cos(yaw);
        }
        double yaw = atan2(s, co);
        if (flipped * 2 > 1 + 1e-12) yaw = geo_wrap_angle(yaw + M_PI);
        json_object_set_new(o, "center", json_pack("[f,f,f]", ctr[0], ctr[1], ctr[2]));
        json_object_set_new(o, "size", json_pack("[f,f,f]", size[0], size[1], size[2]));
        json_object_set_new(o, "yaw", json_real(yaw));
        break;
    }
    }
    json_t *id = vote_value(c, mw, get_self, "id");
    if (id) json_object_set_new(o, "id", json_deep_copy(id));
    bool any_attrs = false;
    for (size_t i = 0; i < c->n; i++) any_attrs |= get_attributes(c->m[i].shape->obj) != NULL;
    if (any_attrs) {
        json_t *attrs = json_object();
        vote_keys(c, mw, get_attributes, attrs);
        json_object_set_new(o, "attributes", attrs);
    }
    return o;
}

/* Adds the shapes of one answer to the clusters; false when memory runs out. */
static bool cluster_answer(struct cluster **cl, size_t *ncl, size_t *capcl, size_t n_answers, size_t answer,
                           const struct agg_shape *s, size_t ns, double threshold)
{
    size_t C = *ncl;
    double *score = calloc(ns && C ? ns * C : 1, sizeof *score);
    long *match = malloc(sizeof *match * (ns ? ns : 1));
    bool ok = score && match;
    for (size_t i = 0; ok && i < ns; i++)
        for (size_t j = 0; ok && j < C; j++) {
            const struct cluster *c = &(*cl)[j];
            double sum = 0;
            for (size_t k = 0; k < c->n; k++) sum += agg_shape_similarity(&s[i], c->m[k].shape, false);
            score[i * C + j] = sum / (double)c->n;
            ok = !isnan(sum);
        }
    ok = ok && hungarian_max_score(score, ns, C, threshold, match, NULL) >= 0;
    for (size_t i = 0; ok && i < ns; i++) {
        struct member m = {answer, &s[i]};
        if (match[i] >= 0) {
            struct cluster *c = &(*cl)[match[i]];
            c->m[c->n++] = m;
            continue;
        }
        if (*ncl == *capcl) {
            size_t cap = *capcl ? *capcl * 2 : 16;
            struct cluster *grown = realloc(*cl, sizeof *grown * cap);
            if (!grown) {
                ok = false;
                break;
            }
            *cl = grown;
            *capcl = cap;
        }
        struct cluster *c = &(*cl)[(*ncl)++];
        c->m = malloc(sizeof *c->m * n_answers);
        c->n = 0;
        if (!c->m) {
            (*ncl)--;
            ok = false;
            break;
        }
        c->m[c->n++] = m;
    }
    free(score);
    free(match);
    return ok;
}

struct by_weight {
    size_t index;
    double weight;
};

static int by_weight_desc(const void *a, const void *b)
{
    const struct by_weight *x = a, *y = b;
    if (x->weight != y->weight) return x->weight > y->weight ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

bool agg_objects(enum project_kind kind, const struct agg_geo_answer *answers, size_t n,
                 const struct agg_geo_opts *opts, struct agg_geo_result *out)
{
    memset(out, 0, sizeof *out);
    out->method = "iou_cluster";
    double threshold = opts && opts->iou_threshold > 0 ? opts->iou_threshold : 0.5;
    struct agg_shape **shapes = calloc(n ? n : 1, sizeof *shapes);
    size_t *counts = calloc(n ? n : 1, sizeof *counts);
    double *raw = calloc(n ? n : 1, sizeof *raw), *w = calloc(n ? n : 1, sizeof *w);
    struct by_weight *order = calloc(n ? n : 1, sizeof *order);
    struct cluster *cl = NULL;
    size_t ncl = 0, capcl = 0, nvalid = 0;
    double *mw = NULL;
    bool ok = shapes && counts && raw && w && order;

    for (size_t i = 0; ok && i < n; i++) {
        if (!agg_shapes_parse(kind, answers[i].answer, &shapes[i], &counts[i])) continue;
        raw[nvalid] = answers[i].weight;
        order[nvalid++].index = i;
    }
    double total = ok ? effective_weights(raw, nvalid, raw) : 0;
    for (size_t k = 0; ok && k < nvalid; k++) {
        w[order[k].index] = raw[k];
        order[k].weight = raw[k];
    }
    if (ok) qsort(order, nvalid, sizeof *order, by_weight_desc);
    for (size_t k = 0; ok && k < nvalid; k++) {
        size_t i = order[k].index;
        ok = cluster_answer(&cl, &ncl, &capcl, nvalid, i, shapes[i], counts[i], threshold);
    }

    size_t min_votes = opts && opts->min_votes ? opts->min_votes : nvalid / 2 + 1;
    json_t *objs = json_array(), *info = json_array();
    mw = malloc(sizeof *mw * (nvalid ? nvalid : 1));
    out->item_confidence = malloc(sizeof *out->item_confidence * (ncl ? ncl : 1));
    ok = ok && objs && info && mw && out->item_confidence;
    double conf_sum = 0;
    size_t dropped = 0;
    for (size_t j = 0; ok && j < ncl; j++) {
        const struct cluster *c = &cl[j];
        double support = 0;
        for (size_t k = 0; k < c->n; k++) support += w[c->m[k].answer];
        support /= total;
        if (c->n < min_votes) {
            conf_sum += 1 - support;
            dropped++;
            continue;
        }
        member_weights(c, w, mw);
        json_t *o = merge_cluster(c, mw);
        struct agg_shape merged;
        if (!o || !parse_object(kind, o, &merged)) {
            json_decref(o);
            ok = false;
            break;
        }
        double sim = 0;
        for (size_t k = 0; k < c->n; k++) sim += agg_shape_similarity(&merged, c->m[k].shape, false);
        free(merged.pts);
        if (isnan(sim)) {
            json_decref(o);
            ok = false;
            break;
        }
        sim /= (double)c->n;
        json_array_append_new(objs, o);
        out->item_confidence[out->n_items++] = support * sim;
        conf_sum += support * sim;
        json_array_append_new(info, json_pack("{s:I, s:f, s:f}", "votes", (json_int_t)c->n, "support", support,
                                              "mean_iou", sim));
    }
    if (ok) {
        out->answer = json_pack("{s:o}", "objects", objs);
        out->details = json_pack("{s:o, s:I}", "objects", info, "dropped", (json_int_t)dropped);
        out->confidence = nvalid == 0 ? 0 : ncl == 0 ? 1 : conf_sum / (double)ncl;
        ok = out->answer && out->details;
    } else {
        json_decref(objs);
        json_decref(info);
    }
    for (size_t j = 0; j < ncl; j++) free(cl[j].m);
    free(cl);
    for (size_t i = 0; shapes && i < n; i++) agg_shapes_free(shapes[i], counts[i]);
    free(shapes);
    free(counts);
    free(raw);
    free(w);
    free(order);
    free(mw);
    if (!ok) agg_geo_result_free(out);
    return ok;
}

/* ---- agreement ---- */

bool agg_pairwise_iou(enum project_kind kind, const struct agg_geo_answer *answers, size_t n, double *out)
{
    *out = NAN;
    struct agg_shape **s = calloc(n ? n : 1, sizeof *s);
    size_t *ns = calloc(n ? n : 1, sizeof *ns);
    bool *valid = calloc(n ? n : 1, sizeof *valid);
    bool ok = s && ns && valid;
    for (size_t i = 0; ok && i < n; i++) valid[i] = agg_shapes_parse(kind, answers[i].answer, &s[i], &ns[i]);
    double sum = 0;
    size_t pairs = 0;
    for (size_t i = 0; ok && i < n; i++)
        for (size_t j = i + 1; ok && j < n; j++) {
            if (!valid[i] || !valid[j]) continue;
            pairs++;
            if (ns[i] + ns[j] == 0) {
                sum += 1;
                continue;
            }
            long *match = malloc(sizeof *match * (ns[i] ? ns[i] : 1));
            double *sim = malloc(sizeof *sim * (ns[i] ? ns[i] : 1));
            long m = match && sim ? agg_shapes_match(s[i], ns[i], s[j], ns[j], 0, false, match, sim) : -1;
            if (m < 0) ok = false;
            double matched = 0;
            for (size_t k = 0; ok && k < ns[i]; k++) matched += sim[k];
            if (ok) sum += matched / (double)(ns[i] + ns[j] - (size_t)m);
            free(match);
            free(sim);
        }
    if (ok && pairs > 0) *out = sum / (double)pairs;
    for (size_t i = 0; s && i < n; i++) agg_shapes_free(s[i], ns[i]);
    free(s);
    free(ns);
    free(valid);
    return ok;
}

/* ---- spans ---- */

static bool is_white_space(unsigned long c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* Token boundaries in code points; *ts and *te are new arrays (NULL with no tokens). False on memory. */
static bool tokenize(const char *text, size_t **ts, size_t **te, size_t *nt)
{
    size_t cap = 16, n = 0, cp = 0;
    size_t *s = malloc(sizeof *s * cap), *e = malloc(sizeof *e * cap);
    bool in = false;
    const unsigned char *p = (const unsigned char *)text;
    while (s && e && *p) {
        unsigned long c = *p++;
        int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
        if (more) c &= 0x3Fu >> more;
        for (; more && (*p & 0xC0) == 0x80; more--) c = (c << 6) | (*p++ & 0x3F);
        bool ws = is_white_space(c);
        if (!ws && !in) {
            if (n == cap) {
                cap *= 2;
                size_t *s2 = realloc(s, sizeof *s * cap);
                if (s2) s = s2;
                size_t *e2 = s2 ? realloc(e, sizeof *e * cap) : NULL;
                if (!e2) {
                    free(s), free(e);
                    return false;
                }
                e = e2;
            }
            s[n] = cp;
        }
        if (ws && in) e[n++] = cp;
        in = !ws;
        cp++;
    }
    if (!s || !e) {
        free(s), free(e);
        return false;
    }
    if (in) e[n++] = cp;
    *ts = s, *te = e, *nt = n;
    return true;
}

static long label_id(const char **labels, size_t *n, const char *l)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(labels[i], l)) return (long)i;
    labels[*n] = l;
    return (long)(*n)++;
}

/* First token ending after offset x. */
static size_t first_token_after(const size_t *te, size_t nt, size_t x)
{
    size_t lo = 0, hi = nt;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (te[mid] > x) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

bool agg_spans(const char *text, const struct agg_geo_answer *answers, size_t n, struct agg_geo_result *out)
{
    memset(out, 0, sizeof *out);
    out->method = "token_vote";
    size_t *ts = NULL, *te = NULL, nt = 0, max_labels = 0;
    if (!tokenize(text ? text : "", &ts, &te, &nt)) return false;
    for (size_t a = 0; a < n; a++) max_labels += json_array_size(json_object_get(answers[a].answer, "spans"));
    size_t T = nt ? nt : 1, N = n ? n : 1;
    long *lab = malloc(sizeof *lab * T * N), *span_of = malloc(sizeof *span_of * T);
    bool *begin = malloc(sizeof *begin * T * N);
    size_t *len = malloc(sizeof *len * T);
    const char **labels = malloc(sizeof *labels * (max_labels ? max_labels : 1));
    double *w = malloc(sizeof *w * N), *raw = calloc(N, sizeof *raw), *lw = malloc(sizeof *lw * (max_labels + 1));
    double *lb = malloc(sizeof *lb * (max_labels + 1));
    long *win = malloc(sizeof *win * T);
    double *share = malloc(sizeof *share * T);
    bool *starts = malloc(sizeof *starts * T);
    json_t *spans = json_array();
    size_t n_labels = 0;
    bool ok = lab && span_of && begin && len && labels && w && raw && lw && lb && win && share && starts && spans;
    if (ok) {
        for (size_t a = 0; a < n; a++) raw[a] = answers[a].weight;
        effective_weights(raw, n, w);
    }
    for (size_t a = 0; ok && a < n; a++) {
        for (size_t t = 0; t < nt; t++) span_of[t] = -1, len[t] = 0;
        json_t *sp = json_object_get(answers[a].answer, "spans");
        for (size_t k = 0; k < json_array_size(sp); k++) {
            json_t *s = json_array_get(sp, k);
            json_int_t st = json_integer_value(json_object_get(s, "start")), en = json_integer_value(json_object_get(s, "end"));
            const char *l = json_string_value(json_object_get(s, "label"));
            if (!l || st < 0 || en <= st) continue;
            for (size_t t = first_token_after(te, nt, (size_t)st); t < nt && ts[t] < (size_t)en; t++)
                if ((size_t)(en - st) > len[t]) len[t] = (size_t)(en - st), span_of[t] = (long)k;
        }
        for (size_t t = 0; t < nt; t++) {
            const char *l = span_of[t] >= 0
                                ? json_string_value(json_object_get(json_array_get(sp, (size_t)span_of[t]), "label"))
                                : NULL;
            lab[a * T + t] = l ? label_id(labels, &n_labels, l) : -1;
            begin[a * T + t] = t == 0 || span_of[t - 1] != span_of[t];
        }
    }
    /* The vote per token. */
    double wsum = 0, labelled_share = 0;
    size_t labelled = 0;
    for (size_t a = 0; a < n; a++) wsum += w[a];
    for (size_t t = 0; ok && t < nt; t++) {
        double none = 0;
        for (size_t l = 0; l < n_labels; l++) lw[l] = lb[l] = 0;
        for (size_t a = 0; a < n; a++) {
            long l = lab[a * T + t];
            if (l < 0) none += w[a];
            else lw[l] += w[a], lb[l] += begin[a * T + t] ? w[a] : -w[a];
        }
        long best = -1;
        double best_w = none;
        for (size_t l = 0; l < n_labels; l++)
            if (lw[l] > best_w || (best >= 0 && lw[l] == best_w && strcmp(labels[l], labels[best]) < 0))
                best = (long)l, best_w = lw[l];
        win[t] = best;
        share[t] = wsum > 0 ? best_w / wsum : 0;
        starts[t] = best >= 0 && (t == 0 || win[t - 1] != best || lb[best] > 0);
        if (none < wsum) labelled++, labelled_share += share[t];
    }
    out->item_confidence = malloc(sizeof *out->item_confidence * T);
    ok = ok && out->item_confidence;
    for (size_t t = 0; ok && t < nt;) {
        if (win[t] < 0) {
            t++;
            continue;
        }
        size_t u = t + 1;
        double sh = share[t];
        while (u < nt && win[u] == win[t] && !starts[u]) sh += share[u++];
        json_array_append_new(spans, json_pack("{s:I, s:I, s:s}", "start", (json_int_t)ts[t], "end",
                                               (json_int_t)te[u - 1], "label", labels[win[t]]));
        out->item_confidence[out->n_items++] = sh / (double)(u - t);
        t = u;
    }
    if (ok) {
        out->answer = json_pack("{s:O, s:[]}", "spans", spans, "relations");
        out->confidence = n == 0 ? 0 : labelled ? labelled_share / (double)labelled : 1;
        ok = out->answer != NULL;
    }
    json_decref(spans);
    free(ts), free(te), free(lab), free(span_of), free(begin), free(len), free(labels), free(w), free(raw);
    free(lw), free(lb), free(win), free(share), free(starts);
    if (!ok) agg_geo_result_free(out);
    return ok;
}

/* ---- free text ---- */

bool agg_free_text(const struct agg_geo_answer *answers, size_t n, long reviewer_pick, struct agg_geo_result *out)
{
    memset(out, 0, sizeof *out);
    out->method = "highest_skill";
    if (n == 0) return true;
    if (reviewer_pick >= 0 && (size_t)reviewer_pick < n) {
        out->method = "reviewer_pick";
        out->answer = json_incref(answers[reviewer_pick].answer);
        out->confidence = 1;
        return true;
    }
    double *w = malloc(sizeof *w * n), *raw = malloc(sizeof *raw * n);
    if (!w || !raw) {
        free(w), free(raw);
        return false;
    }
    for (size_t i = 0; i < n; i++) raw[i] = answers[i].weight;
    double total = effective_weights(raw, n, w);
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (w[i] > w[best]) best = i;
    const char *text = json_string_value(json_object_get(answers[best].answer, "text"));
    double same = 0;
    for (size_t i = 0; i < n; i++) {
        const char *t = json_string_value(json_object_get(answers[i].answer, "text"));
        if (i == best || (t && text && !strcmp(t, text))) same += w[i];
    }
    out->answer = json_incref(answers[best].answer);
    out->confidence = same / total;
    free(w), free(raw);
    return true;
}

/* ---- Bradley–Terry ---- */

static size_t find_root(size_t *parent, size_t i)
{
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
}

/* Rescales the strengths p of one connected group of items to the best common scale. Comparisons
 * inside the group do not depend on it, only the prior's virtual ties with the item of strength 1 do:
 * the log-scale t solves f(t) = Σ (1 − e^t p_i) / (1 + e^t p_i) = −Σ tanh((t + log p_i) / 2) = 0,
 * which lies between −max log p and −min log p. MM alone moves the scale very slowly once there are
 * many comparisons. Newton steps, falling back to bisection when one leaves the bracket. lp is scratch. */
static void rescale(double *p, const size_t *items, size_t n, double *lp)
{
    double lo = INFINITY, hi = -INFINITY, t = 0;
    for (size_t k = 0; k < n; k++) {
        lp[k] = log(p[items[k]]);
        lo = fmin(lo, -lp[k]), hi = fmax(hi, -lp[k]);
        t -= lp[k] / (double)n;
    }
    for (int it = 0; it < 100 && hi - lo > 1e-14; it++) {
        double f = 0, df = 0;
        for (size_t k = 0; k < n; k++) {
            double th = tanh((t + lp[k]) / 2);
            f -= th, df -= (1 - th * th) / 2;
        }
        double step = df < 0 ? f / df : INFINITY;
        if (fabs(step) < 1e-12) break;
        if (f > 0) lo = t;
        else hi = t;
        double next = t - step;
        t = next > lo && next < hi ? next : (lo + hi) / 2;
    }
    double s = exp(t);
    for (size_t k = 0; k < n; k++) p[items[k]] *= s;
}

bool agg_bradley_terry(size_t n_items, const struct agg_bt_comparison *c, size_t n_comparisons,
                       const struct agg_bt_opts *opts, double *strength, int *iterations)
{
    double prior = opts && opts->prior > 0 ? opts->prior : 0.1;
    int max_iter = opts && opts->max_iter > 0 ? opts->max_iter : 10000;
    double tol = opts && opts->tol > 0 ? opts->tol : 1e-10;
    for (size_t k = 0; k < n_comparisons; k++)
        if (c[k].winner >= n_items || c[k].loser >= n_items) return false;
    size_t N = n_items ? n_items : 1;
    double *wins = malloc(sizeof *wins * N), *den = malloc(sizeof *den * N), *old = malloc(sizeof *old * N);
    size_t *root = malloc(sizeof *root * N), *start = calloc(N + 1, sizeof *start), *items = malloc(sizeof *items * N);
    size_t *cursor = malloc(sizeof *cursor * N);
    bool ok = wins && den && old && root && start && items && cursor;
    if (ok) {
        /* Items grouped by connected component: items[start[r] .. start[r + 1]) for each root r. */
        for (size_t i = 0; i < n_items; i++) root[i] = i;
        for (size_t k = 0; k < n_comparisons; k++) {
            size_t a = find_root(root, c[k].winner), b = find_root(root, c[k].loser);
            if (a != b) root[a] = b;
        }
        for (size_t i = 0; i < n_items; i++) start[(root[i] = find_root(root, i)) + 1]++;
        for (size_t i = 0; i < n_items; i++) start[i + 1] += start[i];
        for (size_t i = 0; i < n_items; i++) cursor[i] = start[i];
        for (size_t i = 0; i < n_items; i++) items[cursor[root[i]]++] = i;

        for (size_t i = 0; i < n_items; i++) wins[i] = prior, strength[i] = 1;
        for (size_t k = 0; k < n_comparisons; k++)
            if (c[k].weight > 0 && c[k].winner != c[k].loser) wins[c[k].winner] += c[k].weight;
    }
    int it = 0;
    while (ok && it < max_iter) {
        it++;
        for (size_t i = 0; i < n_items; i++) den[i] = 2 * prior / (strength[i] + 1), old[i] = strength[i];
        for (size_t k = 0; k < n_comparisons; k++) {
            size_t a = c[k].winner, b = c[k].loser;
            if (!(c[k].weight > 0) || a == b) continue;
            double x = c[k].weight / (strength[a] + strength[b]);
            den[a] += x, den[b] += x;
        }
        for (size_t i = 0; i < n_items; i++) strength[i] = wins[i] / den[i];
        for (size_t r = 0; r < n_items; r++) /* den is free until the next iteration */
            if (start[r + 1] > start[r]) rescale(strength, items + start[r], start[r + 1] - start[r], den);
        double moved = 0;
        for (size_t i = 0; i < n_items; i++) moved = fmax(moved, fabs(log(strength[i] / old[i])));
        if (moved < tol) break;
    }
    if (iterations) *iterations = it;
    free(wins), free(den), free(old), free(root), free(start), free(items), free(cursor);
    return ok;
}

/* ---- pairwise preferences over a project ---- */

static int by_task(const void *a, const void *b)
{
    const struct agg_comparison_answer *const *x = a, *const *y = b;
    if ((*x)->task_id != (*y)->task_id) return (*x)->task_id < (*y)->task_id ? -1 : 1;
    return *x < *y ? -1 : *x > *y;
}

/* The response ids of a task's data, or NULL. */
static json_t *responses_of(const struct agg_comparison_answer *const *g, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        json_t *r = json_object_get(g[i]->data, "responses");
        if (json_is_array(r) && json_array_size(r) >= 2) return r;
    }
    return NULL;
}

static long response_index(json_t *responses, const char *id)
{
    for (size_t i = 0; id && i < json_array_size(responses); i++) {
        const char *ri = json_string_value(json_object_get(json_array_get(responses, i), "id"));
        if (ri && !strcmp(ri, id)) return (long)i;
    }
    return -1;
}

static bool add_comparison(struct agg_bt_comparison **c, size_t *n, size_t *cap, size_t winner, size_t loser, double w)
{
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 64;
        struct agg_bt_comparison *g = realloc(*c, sizeof *g * nc);
        if (!g) return false;
        *c = g, *cap = nc;
    }
    (*c)[(*n)++] = (struct agg_bt_comparison){winner, loser, w};
    return true;
}

/* Weighted mean ratings per response and criterion: {"a": {"helpfulness": 3.5}}, NULL when no one rated. */
static json_t *mean_ratings(const struct agg_comparison_answer *const *g, size_t n, const double *w)
{
    json_t *sums = json_object(), *out = json_object();
    for (size_t i = 0; i < n; i++) {
        const char *rid, *crit;
        json_t *row, *v;
        json_object_foreach(json_object_get(g[i]->answer, "ratings"), rid, row) {
            json_object_foreach(row, crit, v) {
                if (!json_is_number(v)) continue;
                json_t *srow = json_object_get(sums, rid);
                if (!srow) json_object_set_new(sums, rid, srow = json_object());
                json_t *acc = json_object_get(srow, crit);
                if (!acc) json_object_set_new(srow, crit, acc = json_pack("[f,f]", 0.0, 0.0));
                json_real_set(json_array_get(acc, 0), json_real_value(json_array_get(acc, 0)) + w[i] * json_number_value(v));
                json_real_set(json_array_get(acc, 1), json_real_value(json_array_get(acc, 1)) + w[i]);
            }
        }
    }
    const char *rid, *crit;
    json_t *srow, *acc;
    json_object_foreach(sums, rid, srow) {
        json_t *row = json_object();
        json_object_foreach(srow, crit, acc) {
            double sw = json_real_value(json_array_get(acc, 1));
            json_object_set_new(row, crit, json_real(sw > 0 ? json_real_value(json_array_get(acc, 0)) / sw : 0));
        }
        json_object_set_new(out, rid, row);
    }
    json_decref(sums);
    if (json_object_size(out) == 0) {
        json_decref(out);
        return NULL;
    }
    return out;
}

void agg_comparison_tasks_free(struct agg_comparison_task *tasks, size_t n)
{
    for (size_t i = 0; tasks && i < n; i++) agg_geo_result_free(&tasks[i].result);
    free(tasks);
}

bool agg_comparisons(const struct agg_comparison_answer *answers, size_t n, const struct agg_bt_opts *opts,
                     struct agg_comparison_task **tasks, size_t *n_tasks)
{
    *tasks = NULL;
    *n_tasks = 0;
    const struct agg_comparison_answer **sorted = malloc(sizeof *sorted * (n ? n : 1));
    size_t *base = malloc(sizeof *base * (n ? n : 1)), *group = malloc(sizeof *group * (n + 1));
    double *w = malloc(sizeof *w * (n ? n : 1)), *raw = malloc(sizeof *raw * (n ? n : 1)), *p = NULL;
    struct agg_bt_comparison *cmp = NULL;
    struct agg_comparison_task *out = NULL;
    size_t ncmp = 0, capcmp = 0, ngroups = 0, items = 0;
    bool ok = sorted && base && group && w && raw;
    for (size_t i = 0; ok && i < n; i++) sorted[i] = &answers[i];
    if (ok) qsort(sorted, n, sizeof *sorted, by_task);
    /* Groups of one task: [group[g], group[g + 1]); weights normalised within each. */
    for (size_t i = 0; ok && i < n; i++)
        if (i == 0 || sorted[i]->task_id != sorted[i - 1]->task_id) group[ngroups++] = i;
    if (ok) group[ngroups] = n;
    for (size_t g = 0; ok && g < ngroups; g++) {
        size_t lo = group[g], hi = group[g + 1];
        for (size_t i = lo; i < hi; i++) raw[i] = sorted[i]->weight;
        effective_weights(raw + lo, hi - lo, w + lo);
        json_t *resp = responses_of(sorted + lo, hi - lo);
        size_t r = json_array_size(resp);
        base[g] = items;
        items += r;
        for (size_t i = lo; ok && i < hi; i++) {
            const char *choice = json_string_value(json_object_get(json_object_get(sorted[i]->answer, "preference"), "choice"));
            long c = response_index(resp, choice);
            if (c >= 0) {
                for (size_t k = 0; ok && k < r; k++)
                    if (k != (size_t)c) ok = add_comparison(&cmp, &ncmp, &capcmp, base[g] + (size_t)c, base[g] + k, w[i]);
            } else if (choice && !strcmp(choice, "tie")) {
                for (size_t a = 0; ok && a < r; a++)
                    for (size_t b = 0; ok && b < r; b++)
                        if (a != b) ok = add_comparison(&cmp, &ncmp, &capcmp, base[g] + a, base[g] + b, w[i] / 2);
            }
        }
    }
    p = malloc(sizeof *p * (items ? items : 1));
    out = calloc(ngroups ? ngroups : 1, sizeof *out);
    ok = ok && p && out && agg_bradley_terry(items, cmp, ncmp, opts, p, NULL);
    for (size_t g = 0; ok && g < ngroups; g++) {
        size_t lo = group[g], hi = group[g + 1];
        const struct agg_comparison_answer *const *ga = sorted + lo;
        json_t *resp = responses_of(ga, hi - lo);
        size_t r = json_array_size(resp);
        struct agg_geo_result *res = &out[g].result;
        out[g].task_id = sorted[lo]->task_id;
        res->method = "bradley_terry";
        size_t best = 0, second = 1;
        json_t *scores = json_object();
        for (size_t k = 0; k < r; k++) {
            const char *id = json_string_value(json_object_get(json_array_get(resp, k), "id"));
            if (id) json_object_set_new(scores, id, json_real(p[base[g] + k]));
            if (p[base[g] + k] > p[base[g] + best]) best = k;
        }
        second = best == 0 ? 1 : 0;
        for (size_t k = 0; k < r; k++)
            if (k != best && p[base[g] + k] > p[base[g] + second]) second = k;
        double pb = r ? p[base[g] + best] : 1, ps = r > 1 ? p[base[g] + second] : 1;
        const char *choice = r ? json_string_value(json_object_get(json_array_get(resp, best), "id")) : NULL;
        bool anyone_tied = false;
        for (size_t i = 0; i < hi - lo; i++) {
            const char *c = json_string_value(json_object_get(json_object_get(ga[i]->answer, "preference"), "choice"));
            anyone_tied |= c && !strcmp(c, "tie");
        }
        if (anyone_tied && fabs(pb - ps) <= 1e-9 * pb) choice = "tie";
        double sw = 0, ss = 0;
        for (size_t i = 0; choice && i < hi - lo; i++) {
            json_t *pref = json_object_get(ga[i]->answer, "preference");
            const char *c = json_string_value(json_object_get(pref, "choice"));
            if (!c || strcmp(c, choice)) continue;
            sw += w[lo + i], ss += w[lo + i] * (double)json_integer_value(json_object_get(pref, "strength"));
        }
        long strength = sw > 0 ? lround(ss / sw) : 1;
        if (strength < 1) strength = 1;
        if (strength > 7) strength = 7;
        json_t *answer = json_pack("{s:{s:s?, s:I}}", "preference", "choice", choice, "strength", (json_int_t)strength);
        json_t *ratings = mean_ratings(ga, hi - lo, w + lo);
        if (ratings) json_object_set_new(answer, "ratings", ratings);
        res->answer = answer;
        res->details = json_pack("{s:o}", "scores", scores);
        res->confidence = r ? pb / (pb + ps) : 0;
        ok = answer && res->details;
    }
    if (ok) {
        *tasks = out;
        *n_tasks = ngroups;
    } else {
        agg_comparison_tasks_free(out, ngroups);
    }
    free(sorted), free(base), free(group), free(w), free(raw), free(p), free(cmp);
    return ok;
}
