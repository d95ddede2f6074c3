/* Areas, intersections and IoU of annotation shapes (see geometry.h). */
#include "core/geometry.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

double geo_box_iou(const double a[4], const double b[4])
{
    double iw = fmin(a[0] + a[2], b[0] + b[2]) - fmax(a[0], b[0]);
    double ih = fmin(a[1] + a[3], b[1] + b[3]) - fmax(a[1], b[1]);
    double inter = iw > 0 && ih > 0 ? iw * ih : 0;
    double uni = a[2] * a[3] + b[2] * b[3] - inter;
    return uni > 0 ? inter / uni : 0;
}

double geo_polygon_signed_area(const double *xy, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i + 1) % n;
        s += xy[2 * i] * xy[2 * j + 1] - xy[2 * j] * xy[2 * i + 1];
    }
    return s / 2;
}

double geo_polygon_area(const double *xy, size_t n) { return fabs(geo_polygon_signed_area(xy, n)); }

/* ---- general simple polygons: slab sweep ---- */

struct edge {
    double x0, y0, x1, y1; /* x0 < x1; vertical edges are left out, they bound no slab's interior */
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_edge_xmin(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    return x->x0 < y->x0 ? -1 : x->x0 > y->x0;
}

/* The non-vertical edges of a polygon, left to right, sorted by their left end. Returns the count. */
static size_t edges_of(const double *xy, size_t n, struct edge *out)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = (i + 1) % n;
        double ax = xy[2 * i], ay = xy[2 * i + 1], bx = xy[2 * j], by = xy[2 * j + 1];
        if (ax == bx) continue;
        out[m++] = ax < bx ? (struct edge){ax, ay, bx, by} : (struct edge){bx, by, ax, ay};
    }
    qsort(out, m, sizeof *out, cmp_edge_xmin);
    return m;
}

/* The x where two edges cross strictly inside both, if they do. */
static bool edges_cross_x(const struct edge *p, const struct edge *q, double *x)
{
    double rx = p->x1 - p->x0, ry = p->y1 - p->y0, sx = q->x1 - q->x0, sy = q->y1 - q->y0;
    double den = rx * sy - ry * sx;
    if (den == 0) return false; /* parallel or collinear: their order never changes */
    double t = ((q->x0 - p->x0) * sy - (q->y0 - p->y0) * sx) / den;
    double u = ((q->x0 - p->x0) * ry - (q->y0 - p->y0) * rx) / den;
    if (t <= 0 || t >= 1 || u <= 0 || u >= 1) return false;
    *x = p->x0 + t * rx;
    return true;
}

/* Sweeps the slabs left to right keeping the edges that span the current one. */
struct sweep {
    const struct edge *e;
    size_t n, next;  /* edges e[next..] start further right */
    size_t *active;
    size_t n_active;
    double *ys;
};

/* The sorted y of the polygon's boundary at x (strictly inside a slab); returns their count (even). */
static size_t sweep_at(struct sweep *s, double x)
{
    while (s->next < s->n && s->e[s->next].x0 < x) s->active[s->n_active++] = s->next++;
    size_t k = 0, m = 0;
    for (size_t i = 0; i < s->n_active; i++) {
        const struct edge *e = &s->e[s->active[i]];
        if (e->x1 <= x) continue; /* ended left of x: drop it */
        s->active[k++] = s->active[i];
        s->ys[m++] = e->y0 + (x - e->x0) * (e->y1 - e->y0) / (e->x1 - e->x0);
    }
    s->n_active = k;
    qsort(s->ys, m, sizeof *s->ys, cmp_double);
    return m;
}

/* Length of the intersection of two unions of intervals, each given as sorted pairs (y0 y1 y2 y3 …). */
static double intervals_overlap(const double *a, size_t na, const double *b, size_t nb)
{
    double len = 0;
    size_t i = 0, j = 0;
    while (i + 1 < na && j + 1 < nb) {
        double lo = fmax(a[i], b[j]), hi = fmin(a[i + 1], b[j + 1]);
        if (hi > lo) len += hi - lo;
        if (a[i + 1] < b[j + 1]) i += 2;
        else j += 2;
    }
    return len;
}

double geo_polygon_intersection_area(const double *a, size_t na, const double *b, size_t nb)
{
    if (na < 3 || nb < 3) return 0;
    double axlo = INFINITY, axhi = -INFINITY, bxlo = INFINITY, bxhi = -INFINITY;
    for (size_t i = 0; i < na; i++) axlo = fmin(axlo, a[2 * i]), axhi = fmax(axhi, a[2 * i]);
    for (size_t i = 0; i < nb; i++) bxlo = fmin(bxlo, b[2 * i]), bxhi = fmax(bxhi, b[2 * i]);
    double lo = fmax(axlo, bxlo), hi = fmin(axhi, bxhi);
    if (!(hi > lo)) return 0;

    size_t n = na + nb, xcap = n + 2, nx = 0;
    struct edge *edges = malloc(sizeof *edges * n);
    size_t *active = malloc(sizeof *active * n);
    double *ys = malloc(sizeof *ys * n);
    double *xs = malloc(sizeof *xs * xcap);
    double area = NAN;
    if (!edges || !active || !ys || !xs) goto out;
    struct edge *ea = edges, *eb = edges + na;
    size_t ma = edges_of(a, na, ea), mb = edges_of(b, nb, eb);

    xs[nx++] = lo;
    xs[nx++] = hi;
    for (size_t i = 0; i < na; i++)
        if (a[2 * i] > lo && a[2 * i] < hi) xs[nx++] = a[2 * i];
    for (size_t i = 0; i < nb; i++)
        if (b[2 * i] > lo && b[2 * i] < hi) xs[nx++] = b[2 * i];
    /* Crossings of an edge of a with an edge of b; eb is sorted by left end, so stop early. */
    for (size_t i = 0; i < ma; i++)
        for (size_t j = 0; j < mb && eb[j].x0 < ea[i].x1; j++) {
            double x;
            if (eb[j].x1 <= ea[i].x0 || !edges_cross_x(&ea[i], &eb[j], &x) || !(x > lo && x < hi)) continue;
            if (nx == xcap) {
                double *grown = realloc(xs, sizeof *xs * xcap * 2);
                if (!grown) goto out;
                xs = grown;
                xcap *= 2;
            }
            xs[nx++] = x;
        }
    qsort(xs, nx, sizeof *xs, cmp_double);

    /* a's sweep uses the first na slots of active and ys, b's the rest. */
    struct sweep sa = {ea, ma, 0, active, 0, ys}, sb = {eb, mb, 0, active + na, 0, ys + na};
    area = 0;
    for (size_t k = 0; k + 1 < nx; k++) {
        if (!(xs[k + 1] > xs[k])) continue;
        double xm = (xs[k] + xs[k + 1]) / 2;
        size_t ka = sweep_at(&sa, xm), kb = sweep_at(&sb, xm);
        area += (xs[k + 1] - xs[k]) * intervals_overlap(sa.ys, ka, sb.ys, kb);
    }
out:
    free(edges);
    free(active);
    free(ys);
    free(xs);
    return area;
}

double geo_polygon_iou(const double *a, size_t na, const double *b, size_t nb)
{
    double inter = geo_polygon_intersection_area(a, na, b, nb);
    double uni = geo_polygon_area(a, na) + geo_polygon_area(b, nb) - inter;
    if (isnan(inter)) return NAN;
    return uni > 0 ? fmin(1, inter / uni) : 0;
}

/* ---- convex polygons: Sutherland–Hodgman ---- */

/* Clips the polygon in (n points) by the half-plane left of p→q into out (room for cap points);
 * returns the new count. A convex polygon gains at most one point; cap only guards against rounding. */
static size_t clip_half_plane(const double *in, size_t n, const double *p, const double *q, double *out, size_t cap)
{
    size_t m = 0;
    double ex = q[0] - p[0], ey = q[1] - p[1];
    for (size_t i = 0; i < n; i++) {
        const double *s = &in[2 * i], *t = &in[2 * ((i + 1) % n)];
        double ds = ex * (s[1] - p[1]) - ey * (s[0] - p[0]);
        double dt = ex * (t[1] - p[1]) - ey * (t[0] - p[0]);
        if (ds >= 0 && m < cap) {
            out[2 * m] = s[0], out[2 * m + 1] = s[1], m++;
        }
        if (((ds > 0 && dt < 0) || (ds < 0 && dt > 0)) && m < cap) {
            double r = ds / (ds - dt);
            out[2 * m] = s[0] + r * (t[0] - s[0]), out[2 * m + 1] = s[1] + r * (t[1] - s[1]), m++;
        }
    }
    return m;
}

/* Intersection area of convex a and b, with two scratch buffers of cap >= na + nb points each. */
static double convex_clip_area(const double *a, size_t na, const double *b, size_t nb, double *buf1, double *buf2,
                               size_t cap)
{
    if (na < 3 || nb < 3) return 0;
    bool ccw = geo_polygon_signed_area(b, nb) >= 0;
    memcpy(buf1, a, sizeof *a * 2 * na);
    size_t n = na;
    double *cur = buf1, *nxt = buf2;
    for (size_t i = 0; i < nb && n > 0; i++) {
        size_t j = (i + 1) % nb;
        const double *p = &b[2 * (ccw ? i : j)], *q = &b[2 * (ccw ? j : i)];
        n = clip_half_plane(cur, n, p, q, nxt, cap);
        double *t = cur;
        cur = nxt;
        nxt = t;
    }
    return n >= 3 ? geo_polygon_area(cur, n) : 0;
}

double geo_convex_intersection_area(const double *a, size_t na, const double *b, size_t nb)
{
    /* Each half-plane adds at most one point to a convex polygon. */
    double *buf = malloc(sizeof *buf * 4 * (na + nb));
    if (!buf) return NAN;
    double area = convex_clip_area(a, na, b, nb, buf, buf + 2 * (na + nb), na + nb);
    free(buf);
    return area;
}

/* ---- rotated rectangles and cuboids ---- */

void geo_rect_corners(const struct geo_rect *r, double out[8])
{
    double c = cos(r->yaw), s = sin(r->yaw);
    static const double sign[4][2] = {{1, 1}, {-1, 1}, {-1, -1}, {1, -1}};
    for (int i = 0; i < 4; i++) {
        double dx = sign[i][0] * r->l / 2, dy = sign[i][1] * r->w / 2;
        out[2 * i] = r->cx + c * dx - s * dy;
        out[2 * i + 1] = r->cy + s * dx + c * dy;
    }
}

double geo_rect_intersection_area(const struct geo_rect *a, const struct geo_rect *b)
{
    double ca[8], cb[8], buf1[32], buf2[32];
    geo_rect_corners(a, ca);
    geo_rect_corners(b, cb);
    return convex_clip_area(ca, 4, cb, 4, buf1, buf2, 16);
}

double geo_rect_iou(const struct geo_rect *a, const struct geo_rect *b)
{
    double inter = geo_rect_intersection_area(a, b);
    double uni = a->l * a->w + b->l * b->w - inter;
    return uni > 0 ? fmin(1, inter / uni) : 0;
}

static struct geo_rect footprint(const struct geo_cuboid *c)
{
    return (struct geo_rect){c->center[0], c->center[1], c->size[0], c->size[1], c->yaw};
}

double geo_cuboid_bev_iou(const struct geo_cuboid *a, const struct geo_cuboid *b)
{
    struct geo_rect ra = footprint(a), rb = footprint(b);
    return geo_rect_iou(&ra, &rb);
}

double geo_cuboid_iou_3d(const struct geo_cuboid *a, const struct geo_cuboid *b)
{
    struct geo_rect ra = footprint(a), rb = footprint(b);
    double zlo = fmax(a->center[2] - a->size[2] / 2, b->center[2] - b->size[2] / 2);
    double zhi = fmin(a->center[2] + a->size[2] / 2, b->center[2] + b->size[2] / 2);
    if (!(zhi > zlo)) return 0;
    double inter = geo_rect_intersection_area(&ra, &rb) * (zhi - zlo);
    double uni = a->size[0] * a->size[1] * a->size[2] + b->size[0] * b->size[1] * b->size[2] - inter;
    return uni > 0 ? fmin(1, inter / uni) : 0;
}

/* ---- keypoints ---- */

/* Grows the box (lo x, lo y, hi x, hi y) by the labelled points; returns their count. */
static size_t labelled_box(const double *p, size_t n, double box[4])
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[3 * i + 2] <= 0) continue;
        k++;
        box[0] = fmin(box[0], p[3 * i]), box[1] = fmin(box[1], p[3 * i + 1]);
        box[2] = fmax(box[2], p[3 * i]), box[3] = fmax(box[3], p[3 * i + 1]);
    }
    return k;
}

static double oks_scaled(const double *gt, const double *dt, size_t n, double s2)
{
    size_t labelled = 0, dt_labelled = 0;
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        dt_labelled += dt[3 * i + 2] > 0;
        if (gt[3 * i + 2] <= 0) continue;
        labelled++;
        if (dt[3 * i + 2] <= 0) continue;
        double dx = gt[3 * i] - dt[3 * i], dy = gt[3 * i + 1] - dt[3 * i + 1];
        sum += exp(-(dx * dx + dy * dy) / (2 * s2 * GEO_OKS_KAPPA * GEO_OKS_KAPPA));
    }
    if (!labelled) return dt_labelled ? 0 : 1;
    return sum / (double)labelled;
}

double geo_oks(const double *gt, const double *dt, size_t n)
{
    double box[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    size_t k = labelled_box(gt, n, box);
    double s2 = k ? fmax((box[2] - box[0]) * (box[3] - box[1]), GEO_OKS_MIN_AREA) : GEO_OKS_MIN_AREA;
    return oks_scaled(gt, dt, n, s2);
}

double geo_keypoint_similarity(const double *a, const double *b, size_t n)
{
    double box[4] = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    size_t k = labelled_box(a, n, box) + labelled_box(b, n, box);
    double s2 = k ? fmax((box[2] - box[0]) * (box[3] - box[1]), GEO_OKS_MIN_AREA) : GEO_OKS_MIN_AREA;
    return (oks_scaled(a, b, n, s2) + oks_scaled(b, a, n, s2)) / 2;
}

double geo_wrap_angle(double a)
{
    if (!isfinite(a)) return a;
    a = fmod(a + M_PI, 2 * M_PI);
    if (a < 0) a += 2 * M_PI;
    return a - M_PI;
}
