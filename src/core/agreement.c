/* Krippendorff's alpha, Fleiss' kappa and per-worker agreement (see agreement.h). */
#include "core/agreement.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Answers grouped by item: (worker << 32 | label) keys in item order. */
struct by_item {
    size_t *start; /* [n_items + 1] */
    uint64_t *key; /* [n] */
};

static void by_item_free(struct by_item *g)
{
    free(g->start);
    free(g->key);
}

static enum agg_status by_item_build(struct by_item *g, const struct agg_answer *a, size_t n, size_t n_items,
                                     size_t n_workers, size_t n_classes)
{
    g->start = NULL, g->key = NULL;
    if (n && !a) return AGG_EINVAL;
    for (size_t j = 0; j < n; j++)
        if (a[j].item >= n_items || a[j].worker >= n_workers || a[j].label >= n_classes) return AGG_EINVAL;
    if (n_items == SIZE_MAX) return AGG_ENOMEM;
    g->start = calloc(n_items + 1, sizeof *g->start);
    g->key = malloc((n ? n : 1) * sizeof *g->key);
    if (!g->start || !g->key || n > SIZE_MAX / sizeof *g->key) {
        by_item_free(g);
        return AGG_ENOMEM;
    }
    for (size_t j = 0; j < n; j++) g->start[a[j].item + 1]++;
    for (size_t i = 0; i < n_items; i++) g->start[i + 1] += g->start[i];
    for (size_t j = 0; j < n; j++) g->key[g->start[a[j].item]++] = (uint64_t)a[j].worker << 32 | a[j].label;
    for (size_t i = n_items; i > 0; i--) g->start[i] = g->start[i - 1];
    g->start[0] = 0;
    return AGG_OK;
}

/* Per pairable item (two answers or more): m, Σ_c n_ic², and the class totals over those items. */
struct nominal_sums {
    double n, pairs_alpha, sum_p, items, *class_n;
};

static enum agg_status nominal(const struct agg_answer *a, size_t n, size_t n_items, size_t n_classes,
                               struct nominal_sums *s)
{
    memset(s, 0, sizeof *s);
    if (n_classes == 0) return AGG_EINVAL;
    struct by_item g;
    enum agg_status st = by_item_build(&g, a, n, n_items, SIZE_MAX, n_classes);
    if (st) return st;
    double *cnt = calloc(n_classes, sizeof *cnt);
    s->class_n = calloc(n_classes, sizeof *s->class_n);
    if (!cnt || !s->class_n) {
        by_item_free(&g);
        free(cnt);
        free(s->class_n);
        s->class_n = NULL;
        return AGG_ENOMEM;
    }
    for (size_t i = 0; i < n_items; i++) {
        size_t b = g.start[i], e = g.start[i + 1];
        double m = (double)(e - b), sq = 0;
        if (e - b < 2) continue;
        /* (c + 1)² − c² = 2c + 1: the sum of squared counts grows as the counts do. */
        for (size_t j = b; j < e; j++) {
            uint32_t l = (uint32_t)g.key[j];
            sq += 2 * cnt[l] + 1;
            cnt[l] += 1;
            s->class_n[l] += 1;
        }
        for (size_t j = b; j < e; j++) cnt[(uint32_t)g.key[j]] = 0;
        s->n += m;
        s->pairs_alpha += (m * m - sq) / (m - 1);
        s->sum_p += (sq - m) / (m * (m - 1));
        s->items += 1;
    }
    free(cnt);
    by_item_free(&g);
    return AGG_OK;
}

enum agg_status agree_alpha_nominal(const struct agg_answer *a, size_t n, size_t n_items, size_t n_classes,
                                    double *alpha)
{
    *alpha = NAN;
    struct nominal_sums s;
    enum agg_status st = nominal(a, n, n_items, n_classes, &s);
    if (st) return st;
    double expected = s.n * s.n;
    for (size_t c = 0; c < n_classes; c++) expected -= s.class_n[c] * s.class_n[c];
    if (s.n >= 2 && expected > 0) *alpha = 1 - (s.n - 1) * s.pairs_alpha / expected;
    free(s.class_n);
    return AGG_OK;
}

/* Fleiss' chance agreement Σ_c p_c² over pairable items. */
static double fleiss_pe(const struct nominal_sums *s, size_t n_classes)
{
    double pe = 0;
    for (size_t c = 0; c < n_classes; c++) pe += (s->class_n[c] / s->n) * (s->class_n[c] / s->n);
    return pe;
}

enum agg_status agree_fleiss_kappa(const struct agg_answer *a, size_t n, size_t n_items, size_t n_classes,
                                   double *kappa)
{
    *kappa = NAN;
    struct nominal_sums s;
    enum agg_status st = nominal(a, n, n_items, n_classes, &s);
    if (st) return st;
    if (s.items > 0) {
        double pe = fleiss_pe(&s, n_classes), pbar = s.sum_p / s.items;
        if (pe < 1) *kappa = (pbar - pe) / (1 - pe);
    }
    free(s.class_n);
    return AGG_OK;
}

enum agg_status agree_alpha_interval(const struct agg_numeric_answer *a, size_t n, size_t n_items, double *alpha)
{
    *alpha = NAN;
    if (n && !a) return AGG_EINVAL;
    for (size_t j = 0; j < n; j++)
        if (a[j].item >= n_items || !isfinite(a[j].value)) return AGG_EINVAL;
    if (n_items > SIZE_MAX / 2) return AGG_ENOMEM;
    /* Per item: count and sum, then the squared deviations from the item mean (two passes, so large
     * values do not cancel). */
    double *cnt = calloc(n_items ? n_items : 1, sizeof *cnt), *sum = calloc(n_items ? n_items : 1, sizeof *sum);
    double *dev = calloc(n_items ? n_items : 1, sizeof *dev);
    if (!cnt || !sum || !dev) {
        free(cnt), free(sum), free(dev);
        return AGG_ENOMEM;
    }
    for (size_t j = 0; j < n; j++) cnt[a[j].item] += 1, sum[a[j].item] += a[j].value;
    double tn = 0, tsum = 0;
    for (size_t i = 0; i < n_items; i++)
        if (cnt[i] >= 2) tn += cnt[i], tsum += sum[i];
    double tmean = tn > 0 ? tsum / tn : 0, tdev = 0;
    for (size_t j = 0; j < n; j++) {
        size_t i = a[j].item;
        if (cnt[i] < 2) continue;
        double d = a[j].value - sum[i] / cnt[i], t = a[j].value - tmean;
        dev[i] += d * d;
        tdev += t * t;
    }
    /* Σ_{i≠j in u} (v_i − v_j)² = 2 m_u Σ (v − mean_u)²; likewise over all pairable values. */
    double observed = 0;
    for (size_t i = 0; i < n_items; i++)
        if (cnt[i] >= 2) observed += cnt[i] * dev[i] / (cnt[i] - 1);
    if (tn >= 2 && tdev > 0) *alpha = 1 - (tn - 1) * observed / (tn * tdev);
    free(cnt), free(sum), free(dev);
    return AGG_OK;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return (a > b) - (a < b);
}

enum agg_status agree_workers(const struct agg_answer *a, size_t n, size_t n_items, size_t n_workers,
                              size_t n_classes, struct agree_worker *out)
{
    for (size_t w = 0; w < n_workers; w++) out[w] = (struct agree_worker){NAN, NAN, 0};
    struct nominal_sums s;
    enum agg_status st = nominal(a, n, n_items, n_classes, &s);
    if (st) return st;
    double pe = s.items > 0 ? fleiss_pe(&s, n_classes) : NAN;
    free(s.class_n);
    struct by_item g;
    st = by_item_build(&g, a, n, n_items, n_workers, n_classes);
    if (st) return st;
    double *cnt = calloc(n_classes, sizeof *cnt), *match = calloc(n_workers ? n_workers : 1, sizeof *match);
    if (!cnt || !match) {
        free(cnt), free(match);
        by_item_free(&g);
        return AGG_ENOMEM;
    }
    for (size_t i = 0; i < n_items; i++) {
        size_t b = g.start[i], e = g.start[i + 1];
        if (e - b < 2) continue;
        /* Sorted by (worker, label): each worker's answers, and within them each label, are runs. */
        qsort(g.key + b, e - b, sizeof *g.key, cmp_u64);
        double m = (double)(e - b);
        for (size_t j = b; j < e; j++) cnt[(uint32_t)g.key[j]] += 1;
        for (size_t j = b; j < e;) {
            uint32_t w = (uint32_t)(g.key[j] >> 32);
            size_t we = j;
            while (we < e && (uint32_t)(g.key[we] >> 32) == w) we++;
            double own = (double)(we - j);
            out[w].pairs += own * (m - own);
            for (size_t k = j; k < we;) {
                uint32_t l = (uint32_t)g.key[k];
                size_t ke = k;
                while (ke < we && (uint32_t)g.key[ke] == l) ke++;
                double r = (double)(ke - k);
                match[w] += r * (cnt[l] - r);
                k = ke;
            }
            j = we;
        }
        for (size_t j = b; j < e; j++) cnt[(uint32_t)g.key[j]] = 0;
    }
    for (size_t w = 0; w < n_workers; w++) {
        if (out[w].pairs <= 0) continue;
        out[w].agreement = match[w] / out[w].pairs;
        out[w].kappa = pe < 1 ? (out[w].agreement - pe) / (1 - pe) : NAN;
    }
    free(cnt), free(match);
    by_item_free(&g);
    return AGG_OK;
}
