/* Project-wide label aggregation (see aggregate.h): the shared answer layout, majority vote,
 * Dawid–Skene, one-coin Dawid–Skene, GLAD, MACE, multi-label and numeric aggregation. */
#include "core/aggregate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* crowd-kit's floor for counts and probabilities when there is no smoothing. */
#define CLIP 1e-10

static _Thread_local long fail_countdown = -1;

void agg_test_fail_alloc(long n)
{
    fail_countdown = n;
}

/* calloc or malloc of count × size bytes; NULL on overflow or when a test asks for a failure. */
static void *xalloc(size_t count, size_t size, bool zero)
{
    if (fail_countdown >= 0 && fail_countdown-- == 0) return NULL;
    if (size && count > SIZE_MAX / size) return NULL;
    size_t bytes = count * size;
    if (!bytes) bytes = 1;
    return zero ? calloc(1, bytes) : malloc(bytes);
}

/* a × b, or SIZE_MAX when it overflows (the allocation then fails). */
static size_t mul(size_t a, size_t b)
{
    return b && a > SIZE_MAX / b ? SIZE_MAX : a * b;
}

void agg_params_default(struct agg_params *p)
{
    *p = (struct agg_params){
        .max_iter = 100,
        .tol = 1e-5,
        .smoothing = 0,
        .glad_alpha_mean = 1,
        .glad_b_mean = 1,
        .glad_m_steps = 10,
        .mace_theta_a = 0.5,
        .mace_theta_b = 0.5,
        .mace_strategy_prior = 10,
        .mace_em = false,
        .mace_estimate_prior = false,
    };
}

static const char *const method_names[] = {"mv", "ds", "onecoin", "glad", "mace"};

const char *agg_method_name(enum agg_method m)
{
    return (unsigned)m < sizeof method_names / sizeof *method_names ? method_names[m] : "?";
}

bool agg_method_parse(const char *name, enum agg_method *m)
{
    for (size_t i = 0; i < sizeof method_names / sizeof *method_names; i++)
        if (!strcmp(name, method_names[i])) {
            *m = (enum agg_method)i;
            return true;
        }
    return false;
}

/* ---- the answers grouped by item ------------------------------------------------------------- */

struct prep {
    size_t n, n_items, n_workers, K;
    size_t *start;     /* [n_items + 1] item i's answers are [start[i], start[i + 1]) */
    uint32_t *worker;  /* [n] in item order */
    uint32_t *label;   /* [n] */
    double *worker_n;  /* [n_workers] answers per worker */
    size_t n_answered; /* items with at least one answer */
};

static void prep_free(struct prep *p)
{
    free(p->start);
    free(p->worker);
    free(p->label);
    free(p->worker_n);
    memset(p, 0, sizeof *p);
}

/* A counting sort by item: O(n + n_items). */
static enum agg_status prep_build(struct prep *p, const struct agg_answer *a, size_t n, size_t n_items,
                                  size_t n_workers, size_t K)
{
    memset(p, 0, sizeof *p);
    if (n_items == SIZE_MAX) return AGG_ENOMEM; /* start[] has n_items + 1 entries */
    for (size_t j = 0; j < n; j++)
        if (a[j].item >= n_items || a[j].worker >= n_workers || a[j].label >= K) return AGG_EINVAL;
    p->n = n, p->n_items = n_items, p->n_workers = n_workers, p->K = K;
    p->start = xalloc(n_items + 1, sizeof *p->start, true);
    p->worker = xalloc(n, sizeof *p->worker, false);
    p->label = xalloc(n, sizeof *p->label, false);
    p->worker_n = xalloc(n_workers, sizeof *p->worker_n, true);
    if (!p->start || !p->worker || !p->label || !p->worker_n) {
        prep_free(p);
        return AGG_ENOMEM;
    }
    for (size_t j = 0; j < n; j++) p->start[a[j].item + 1]++, p->worker_n[a[j].worker] += 1;
    for (size_t i = 0; i < n_items; i++) {
        if (p->start[i + 1]) p->n_answered++;
        p->start[i + 1] += p->start[i];
    }
    /* Place each answer at its item's cursor (start[i] walks forward), then shift the cursors back. */
    for (size_t j = 0; j < n; j++) {
        size_t at = p->start[a[j].item]++;
        p->worker[at] = a[j].worker;
        p->label[at] = a[j].label;
    }
    for (size_t i = n_items; i > 0; i--) p->start[i] = p->start[i - 1];
    p->start[0] = 0;
    return AGG_OK;
}

/* ---- results --------------------------------------------------------------------------------- */

void agg_result_free(struct agg_result *r)
{
    if (!r) return;
    free(r->label);
    free(r->confidence);
    free(r->posterior);
    free(r->prior);
    free(r->worker_quality);
    free(r->confusion);
    free(r->worker_param);
    free(r->item_param);
    memset(r, 0, sizeof *r);
}

static enum agg_status result_alloc(struct agg_result *r, size_t I, size_t W, size_t K, enum agg_method m)
{
    memset(r, 0, sizeof *r);
    r->n_items = I, r->n_workers = W, r->n_classes = K;
    r->label = xalloc(I, sizeof *r->label, false);
    r->confidence = xalloc(I, sizeof *r->confidence, true);
    r->posterior = xalloc(mul(I, K), sizeof *r->posterior, true);
    r->prior = xalloc(K, sizeof *r->prior, true);
    r->worker_quality = xalloc(W, sizeof *r->worker_quality, true);
    r->confusion = xalloc(mul(W, mul(K, K)), sizeof *r->confusion, true);
    bool ok = r->label && r->confidence && r->posterior && r->prior && r->worker_quality && r->confusion;
    if (ok && (m == AGG_GLAD || m == AGG_MACE)) {
        r->worker_param = xalloc(W, sizeof *r->worker_param, true);
        ok = r->worker_param != NULL;
    }
    if (ok && m == AGG_GLAD) {
        r->item_param = xalloc(I, sizeof *r->item_param, true);
        ok = r->item_param != NULL;
    }
    if (!ok) {
        agg_result_free(r);
        return AGG_ENOMEM;
    }
    return AGG_OK;
}

/* Labels and confidences from the posteriors (first maximum wins); unanswered items get the prior. */
static void finish_labels(const struct prep *p, struct agg_result *r)
{
    size_t K = p->K;
    for (size_t i = 0; i < p->n_items; i++) {
        double *q = r->posterior + i * K;
        if (p->start[i] == p->start[i + 1]) {
            memcpy(q, r->prior, K * sizeof *q);
            r->label[i] = AGG_NO_LABEL;
            r->confidence[i] = 0;
            continue;
        }
        size_t best = 0;
        for (size_t k = 1; k < K; k++)
            if (q[k] > q[best]) best = k;
        r->label[i] = (int32_t)best;
        r->confidence[i] = q[best];
    }
}

/* The mean posterior over answered items. */
static void mean_posterior(const struct prep *p, const double *post, double *out)
{
    size_t K = p->K;
    for (size_t k = 0; k < K; k++) out[k] = 0;
    for (size_t i = 0; i < p->n_items; i++)
        if (p->start[i] != p->start[i + 1])
            for (size_t k = 0; k < K; k++) out[k] += post[i * K + k];
    for (size_t k = 0; k < K; k++) out[k] = p->n_answered ? out[k] / (double)p->n_answered : 1.0 / (double)K;
}

/* Vote fractions per item. */
static void soft_mv(const struct prep *p, double *post)
{
    size_t K = p->K;
    for (size_t i = 0; i < p->n_items; i++) {
        double *q = post + i * K;
        size_t m = p->start[i + 1] - p->start[i];
        for (size_t k = 0; k < K; k++) q[k] = 0;
        if (!m) continue;
        for (size_t j = p->start[i]; j < p->start[i + 1]; j++) q[p->label[j]] += 1;
        for (size_t k = 0; k < K; k++) q[k] /= (double)m;
    }
}

/* ---- Dawid–Skene pieces (also used to report confusion matrices for MV and GLAD) ---------------
 * Counts and confusions are kept observed-major, cnt[(w × K + observed) × K + truth], so the K truths
 * an answer touches are contiguous in both the E and the M step. */

/* table[row[j] + k] += q[k] for the answers [a, b) of an item (rows as in add_rows), four classes of q
 * held in registers at a time. */
static void scatter_rows(double *table, const double *q, const struct prep *p, size_t a, size_t b)
{
    size_t K = p->K, k = 0;
    for (; k + 4 <= K; k += 4) {
        double q0 = q[k], q1 = q[k + 1], q2 = q[k + 2], q3 = q[k + 3];
        for (size_t j = a; j < b; j++) {
            double *t = table + ((size_t)p->worker[j] * K + p->label[j]) * K + k;
            t[0] += q0, t[1] += q1, t[2] += q2, t[3] += q3;
        }
    }
    for (; k + 2 <= K; k += 2) {
        double q0 = q[k], q1 = q[k + 1];
        for (size_t j = a; j < b; j++) {
            double *t = table + ((size_t)p->worker[j] * K + p->label[j]) * K + k;
            t[0] += q0, t[1] += q1;
        }
    }
    for (; k < K; k++)
        for (size_t j = a; j < b; j++) table[((size_t)p->worker[j] * K + p->label[j]) * K + k] += q[k];
}

static void ds_counts(const struct prep *p, const double *post, double *cnt)
{
    size_t K = p->K;
    memset(cnt, 0, mul(p->n_workers, K * K) * sizeof *cnt);
    for (size_t i = 0; i < p->n_items; i++) scatter_rows(cnt, post + i * K, p, p->start[i], p->start[i + 1]);
}

/* P(observed | truth) from counts, per worker and truth: (count + s) / (sum + K s), or with s = 0 the
 * counts clipped at CLIP first (crowd-kit). out has cnt's layout; take_log stores logs. */
static void ds_normalise(const double *cnt, size_t W, size_t K, double s, double *out, bool take_log, double *den)
{
    for (size_t w = 0; w < W; w++) {
        const double *c = cnt + w * K * K;
        double *o = out + w * K * K;
        for (size_t k = 0; k < K; k++) den[k] = 0;
        for (size_t l = 0; l < K; l++)
            for (size_t k = 0; k < K; k++) den[k] += s > 0 ? c[l * K + k] + s : fmax(c[l * K + k], CLIP);
        for (size_t l = 0; l < K; l++)
            for (size_t k = 0; k < K; k++) {
                double v = (s > 0 ? c[l * K + k] + s : fmax(c[l * K + k], CLIP)) / den[k];
                o[l * K + k] = take_log ? log(v) : v;
            }
    }
}

/* Class priors from summed posteriors: (sum + s) / (answered + K s); with s = 0, floored at CLIP. */
static void ds_priors(const double *qsum, size_t K, double s, double *prior)
{
    double tot = 0;
    for (size_t k = 0; k < K; k++) tot += qsum[k] + s;
    for (size_t k = 0; k < K; k++) {
        prior[k] = tot > 0 ? (qsum[k] + s) / tot : 1.0 / (double)K;
        if (s <= 0 && prior[k] < CLIP) prior[k] = CLIP;
    }
}

/* Writes the observed-major confusion conf_om into r->confusion (truth-major) and the DS quality. */
static void export_confusion(const struct prep *p, const double *conf_om, struct agg_result *r, bool quality)
{
    size_t K = p->K;
    for (size_t w = 0; w < p->n_workers; w++) {
        const double *c = conf_om + w * K * K;
        double *o = r->confusion + w * K * K;
        double acc = 0;
        for (size_t t = 0; t < K; t++) {
            for (size_t l = 0; l < K; l++) o[t * K + l] = c[l * K + t];
            acc += r->prior[t] * c[t * K + t];
        }
        if (quality) r->worker_quality[w] = p->worker_n[w] > 0 ? acc : NAN;
    }
}

/* The confusion matrices DS's M step would make from r->posterior (MV and GLAD report these). */
static enum agg_status empirical_confusion(const struct prep *p, double s, struct agg_result *r)
{
    size_t K = p->K;
    double *cnt = xalloc(mul(p->n_workers, K * K), sizeof *cnt, false);
    double *den = xalloc(K, sizeof *den, false);
    if (!cnt || !den) {
        free(cnt);
        free(den);
        return AGG_ENOMEM;
    }
    ds_counts(p, r->posterior, cnt);
    ds_normalise(cnt, p->n_workers, K, s, cnt, false, den);
    export_confusion(p, cnt, r, false);
    free(cnt);
    free(den);
    return AGG_OK;
}

/* log(sum(exp(ll))) and ll turned into the normalised posterior q; returns the log-sum. Classes more
 * than 50 nats below the best get exactly 0 (e^-50 is below double precision next to 1), which saves
 * their exp. */
static double normalise_log(const double *ll, double *q, size_t K)
{
    double mx = ll[0];
    for (size_t k = 1; k < K; k++)
        if (ll[k] > mx) mx = ll[k];
    double z = 0;
    for (size_t k = 0; k < K; k++) {
        double d = ll[k] - mx;
        z += q[k] = d < -50 ? 0 : exp(d);
    }
    double inv = 1 / z;
    for (size_t k = 0; k < K; k++) q[k] *= inv;
    return mx + log(z);
}

/* ll[k] += Σ_j table[row[j] + k] over the answers [a, b) of an item, row[j] = (worker × K + label) × K.
 * Four classes at a time are summed in registers: adding into ll in memory answer after answer makes
 * every addition wait for the previous store. */
static void add_rows(double *ll, const double *table, const struct prep *p, size_t a, size_t b)
{
    size_t K = p->K, k = 0;
    for (; k + 4 <= K; k += 4) {
        double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (size_t j = a; j < b; j++) {
            const double *t = table + ((size_t)p->worker[j] * K + p->label[j]) * K + k;
            s0 += t[0], s1 += t[1], s2 += t[2], s3 += t[3];
        }
        ll[k] += s0, ll[k + 1] += s1, ll[k + 2] += s2, ll[k + 3] += s3;
    }
    for (; k + 2 <= K; k += 2) {
        double s0 = 0, s1 = 0;
        for (size_t j = a; j < b; j++) {
            const double *t = table + ((size_t)p->worker[j] * K + p->label[j]) * K + k;
            s0 += t[0], s1 += t[1];
        }
        ll[k] += s0, ll[k + 1] += s1;
    }
    for (; k < K; k++) {
        double s0 = 0;
        for (size_t j = a; j < b; j++) s0 += table[((size_t)p->worker[j] * K + p->label[j]) * K + k];
        ll[k] += s0;
    }
}

/* ---- majority vote --------------------------------------------------------------------------- */

static enum agg_status run_mv(const struct prep *p, const struct agg_params *prm, struct agg_result *r)
{
    size_t K = p->K;
    soft_mv(p, r->posterior);
    for (size_t k = 0; k < K; k++) r->prior[k] = 0;
    for (size_t j = 0; j < p->n; j++) r->prior[p->label[j]] += 1;
    for (size_t k = 0; k < K; k++) r->prior[k] = p->n ? r->prior[k] / (double)p->n : 1.0 / (double)K;
    finish_labels(p, r);
    for (size_t i = 0; i < p->n_items; i++)
        for (size_t j = p->start[i]; j < p->start[i + 1]; j++)
            r->worker_quality[p->worker[j]] += (int32_t)p->label[j] == r->label[i];
    for (size_t w = 0; w < p->n_workers; w++)
        r->worker_quality[w] = p->worker_n[w] > 0 ? r->worker_quality[w] / p->worker_n[w] : NAN;
    return empirical_confusion(p, prm->smoothing, r);
}

/* ---- Dawid–Skene ----------------------------------------------------------------------------- */

static enum agg_status run_ds(const struct prep *p, const struct agg_params *prm, struct agg_result *r)
{
    size_t K = p->K, W = p->n_workers;
    double s = prm->smoothing;
    double *cnt = xalloc(mul(W, K * K), sizeof *cnt, false);
    double *logerr = xalloc(mul(W, K * K), sizeof *logerr, false);
    double *qsum = xalloc(K, sizeof *qsum, true), *logprior = xalloc(K, sizeof *logprior, false);
    double *ll = xalloc(K, sizeof *ll, false), *den = xalloc(K, sizeof *den, false);
    if (!cnt || !logerr || !qsum || !logprior || !ll || !den) {
        free(cnt), free(logerr), free(qsum), free(logprior), free(ll), free(den);
        return AGG_ENOMEM;
    }
    /* Initialisation: soft MV posteriors, then an M step. */
    soft_mv(p, r->posterior);
    ds_counts(p, r->posterior, cnt);
    for (size_t i = 0; i < p->n_items; i++)
        for (size_t k = 0; k < K; k++) qsum[k] += r->posterior[i * K + k];
    ds_priors(qsum, K, s, r->prior);
    ds_normalise(cnt, W, K, s, logerr, true, den);
    for (size_t k = 0; k < K; k++) logprior[k] = log(r->prior[k]);

    double prev = -INFINITY, n = p->n ? (double)p->n : 1;
    r->iterations = 0;
    for (int it = 1; it <= prm->max_iter; it++) {
        /* E step with the last parameters, accumulating the next M step's counts in the same pass. */
        memset(cnt, 0, mul(W, K * K) * sizeof *cnt);
        for (size_t k = 0; k < K; k++) qsum[k] = 0;
        double entropy = 0;
        for (size_t i = 0; i < p->n_items; i++) {
            size_t a = p->start[i], b = p->start[i + 1];
            if (a == b) continue;
            double *q = r->posterior + i * K;
            memcpy(ll, logprior, K * sizeof *ll);
            add_rows(ll, logerr, p, a, b);
            double lse = normalise_log(ll, q, K), ql = 0;
            /* -sum q log q = lse - sum q ll, without a log per class. */
            for (size_t k = 0; k < K; k++) {
                if (q[k] > 0) ql += q[k] * ll[k];
                qsum[k] += q[k];
            }
            entropy += lse - ql;
            scatter_rows(cnt, q, p, a, b);
        }
        /* M step. */
        ds_priors(qsum, K, s, r->prior);
        for (size_t k = 0; k < K; k++) logprior[k] = log(r->prior[k]);
        ds_normalise(cnt, W, K, s, logerr, true, den);
        /* ELBO = E_q[log p(answers, truth)] + H(q); the answer term is sum(count × log P). */
        double elbo = entropy;
        for (size_t k = 0; k < K; k++) elbo += qsum[k] * logprior[k];
        for (size_t x = 0; x < W * K * K; x++) elbo += cnt[x] * logerr[x];
        elbo /= n;
        r->iterations = it;
        r->objective = elbo;
        if (elbo - prev < prm->tol) break;
        prev = elbo;
    }
    /* cnt holds the last M step's counts (or the initial ones): report those confusion matrices. */
    ds_normalise(cnt, W, K, s, logerr, false, den);
    finish_labels(p, r);
    export_confusion(p, logerr, r, true);
    free(cnt), free(logerr), free(qsum), free(logprior), free(ll), free(den);
    return AGG_OK;
}

/* ---- one-coin Dawid–Skene -------------------------------------------------------------------- */

/* p_w = (expected correct + s) / (answers + 2 s), clipped into [CLIP, 1 - CLIP] without smoothing. */
static void onecoin_m(const struct prep *p, const double *correct, double s, double *acc)
{
    for (size_t w = 0; w < p->n_workers; w++) {
        double v = p->worker_n[w] + 2 * s > 0 ? (correct[w] + s) / (p->worker_n[w] + 2 * s) : 0.5;
        acc[w] = fmin(fmax(v, CLIP), 1 - CLIP);
    }
}

static enum agg_status run_onecoin(const struct prep *p, const struct agg_params *prm, struct agg_result *r)
{
    size_t K = p->K, W = p->n_workers;
    double s = prm->smoothing, km1 = (double)(K - 1);
    double *correct = xalloc(W, sizeof *correct, true), *acc = xalloc(W, sizeof *acc, false);
    double *qsum = xalloc(K, sizeof *qsum, true), *logprior = xalloc(K, sizeof *logprior, false);
    double *ll = xalloc(K, sizeof *ll, false), *lgain = xalloc(W, sizeof *lgain, false);
    double *lwrong = xalloc(W, sizeof *lwrong, false);
    if (!correct || !acc || !qsum || !logprior || !ll || !lgain || !lwrong) {
        free(correct), free(acc), free(qsum), free(logprior), free(ll), free(lgain), free(lwrong);
        return AGG_ENOMEM;
    }
    soft_mv(p, r->posterior);
    for (size_t i = 0; i < p->n_items; i++) {
        const double *q = r->posterior + i * K;
        for (size_t k = 0; k < K; k++) qsum[k] += q[k];
        for (size_t j = p->start[i]; j < p->start[i + 1]; j++) correct[p->worker[j]] += q[p->label[j]];
    }
    ds_priors(qsum, K, s, r->prior);
    onecoin_m(p, correct, s, acc);

    double prev = -INFINITY, n = p->n ? (double)p->n : 1;
    for (int it = 1; it <= prm->max_iter; it++) {
        for (size_t k = 0; k < K; k++) logprior[k] = log(r->prior[k]), qsum[k] = 0;
        for (size_t w = 0; w < W; w++) {
            lwrong[w] = log((1 - acc[w]) / km1);
            lgain[w] = log(acc[w]) - lwrong[w];
        }
        memset(correct, 0, W * sizeof *correct);
        double entropy = 0;
        for (size_t i = 0; i < p->n_items; i++) {
            size_t a = p->start[i], b = p->start[i + 1];
            if (a == b) continue;
            double *q = r->posterior + i * K, base = 0;
            memcpy(ll, logprior, K * sizeof *ll);
            /* Every class pays log(wrong) per answer; the answered class gets log(right) instead. */
            for (size_t j = a; j < b; j++) {
                base += lwrong[p->worker[j]];
                ll[p->label[j]] += lgain[p->worker[j]];
            }
            for (size_t k = 0; k < K; k++) ll[k] += base;
            double lse = normalise_log(ll, q, K), ql = 0;
            for (size_t k = 0; k < K; k++) {
                if (q[k] > 0) ql += q[k] * ll[k];
                qsum[k] += q[k];
            }
            entropy += lse - ql;
            for (size_t j = a; j < b; j++) correct[p->worker[j]] += q[p->label[j]];
        }
        ds_priors(qsum, K, s, r->prior);
        onecoin_m(p, correct, s, acc);
        double elbo = entropy;
        for (size_t k = 0; k < K; k++) elbo += qsum[k] * log(r->prior[k]);
        for (size_t w = 0; w < W; w++)
            elbo += correct[w] * log(acc[w]) + (p->worker_n[w] - correct[w]) * log((1 - acc[w]) / km1);
        elbo /= n;
        r->iterations = it;
        r->objective = elbo;
        if (elbo - prev < prm->tol) break;
        prev = elbo;
    }
    finish_labels(p, r);
    for (size_t w = 0; w < W; w++) {
        r->worker_quality[w] = p->worker_n[w] > 0 ? acc[w] : NAN;
        for (size_t t = 0; t < K; t++)
            for (size_t l = 0; l < K; l++) r->confusion[(w * K + t) * K + l] = t == l ? acc[w] : (1 - acc[w]) / km1;
    }
    free(correct), free(acc), free(qsum), free(logprior), free(ll), free(lgain), free(lwrong);
    return AGG_OK;
}

/* ---- GLAD ------------------------------------------------------------------------------------ */

/* log(1 + e) for 0 <= e <= 1: glibc's log1p is several times slower than log, and below 1e-5 two terms of
 * the series are exact to 1e-16. */
static double log1p_small(double e)
{
    return e < 1e-5 ? e * (1 - 0.5 * e) : log(1 + e);
}

/* log sigmoid(x), stable for large |x|. */
static double log_sigmoid(double x)
{
    double l = log1p_small(exp(-fabs(x)));
    return x >= 0 ? -l : x - l;
}

static double sigmoid(double x)
{
    if (x >= 0) return 1 / (1 + exp(-x));
    double e = exp(x);
    return e / (1 + e);
}

/* GLAD's M-step objective Q: the sum over answers of E_q[log P(answer)] plus the log prior densities
 * (without constants), qa being q_i(label of the answer). With g non-NULL also its gradient (ga, gb)
 * and the negated diagonal of its Hessian (ha, hb) in the same pass. */
struct glad_grad {
    double *ga, *ha, *gb, *hb;
};

static double glad_q(const struct prep *p, const double *post, const double *alpha, const double *b, double lkm1,
                     const struct agg_params *prm, const struct glad_grad *g)
{
    size_t K = p->K;
    double Q = 0;
    if (g)
        for (size_t w = 0; w < p->n_workers; w++) g->ga[w] = -(alpha[w] - prm->glad_alpha_mean), g->ha[w] = 1;
    for (size_t i = 0; i < p->n_items; i++) {
        size_t s = p->start[i], e = p->start[i + 1];
        double db = b[i] - prm->glad_b_mean;
        if (g) g->gb[i] = -db, g->hb[i] = 1;
        if (s == e) continue;
        Q -= 0.5 * db * db;
        double beta = exp(b[i]), gbi = 0, hbi = 0;
        for (size_t j = s; j < e; j++) {
            uint32_t w = p->worker[j];
            double x = alpha[w] * beta, qa = post[i * K + p->label[j]];
            /* One exp serves log sigmoid(x) and sigmoid(x). */
            double ex = exp(-fabs(x)), l1 = log1p_small(ex), ls = x >= 0 ? -l1 : x - l1;
            Q += qa * ls + (1 - qa) * (ls - x - lkm1);
            if (!g) continue;
            double sg = x >= 0 ? 1 / (1 + ex) : ex / (1 + ex), d = qa - sg, v = sg * (1 - sg);
            g->ga[w] += d * beta;
            g->ha[w] += v * beta * beta;
            gbi += d * x;
            hbi += v * x * x - d * x;
        }
        if (g) g->gb[i] += gbi, g->hb[i] += hbi;
    }
    for (size_t w = 0; w < p->n_workers; w++)
        if (p->worker_n[w] > 0) Q -= 0.5 * (alpha[w] - prm->glad_alpha_mean) * (alpha[w] - prm->glad_alpha_mean);
    return Q;
}

/* Posteriors from alpha and b; returns the log-likelihood plus the log prior densities. */
static double glad_e(const struct prep *p, double *post, const double *alpha, const double *b, double lkm1,
                     double *ll, const struct agg_params *prm)
{
    size_t K = p->K;
    double L = 0, lu = -log((double)K);
    for (size_t i = 0; i < p->n_items; i++) {
        size_t s = p->start[i], e = p->start[i + 1];
        if (s == e) continue;
        double beta = exp(b[i]), base = lu;
        for (size_t k = 0; k < K; k++) ll[k] = 0;
        for (size_t j = s; j < e; j++) {
            double x = alpha[p->worker[j]] * beta, ls = log_sigmoid(x), lwrong = ls - x - lkm1;
            base += lwrong;
            ll[p->label[j]] += ls - lwrong;
        }
        for (size_t k = 0; k < K; k++) ll[k] += base;
        L += normalise_log(ll, post + i * K, K);
        L -= 0.5 * (b[i] - prm->glad_b_mean) * (b[i] - prm->glad_b_mean);
    }
    for (size_t w = 0; w < p->n_workers; w++)
        if (p->worker_n[w] > 0) L -= 0.5 * (alpha[w] - prm->glad_alpha_mean) * (alpha[w] - prm->glad_alpha_mean);
    return L;
}

/* Gradient ascent on Q over alpha and b: each step a diagonal Newton direction (the curvature floored
 * at the prior's 1, so a step is never longer than a plain gradient step), halved until Q rises. The
 * gradient at an accepted point comes from the pass that evaluated it. g[0] holds the gradient at
 * (alpha, b), g[1] is scratch for the trial point (na, nb). */
static void glad_m(const struct prep *p, const double *post, double *alpha, double *b, double lkm1,
                   const struct agg_params *prm, struct glad_grad g[2], double *na, double *nb)
{
    size_t W = p->n_workers, I = p->n_items;
    double Q = glad_q(p, post, alpha, b, lkm1, prm, &g[0]);
    for (int step = 0; step < prm->glad_m_steps; step++) {
        double t = 1, Qn = Q;
        for (int half = 0; half < 20; half++, t *= 0.5) {
            for (size_t w = 0; w < W; w++) na[w] = alpha[w] + t * g[0].ga[w] / g[0].ha[w];
            for (size_t i = 0; i < I; i++) nb[i] = b[i] + t * g[0].gb[i] / fmax(g[0].hb[i], 1);
            Qn = glad_q(p, post, na, nb, lkm1, prm, &g[1]);
            if (Qn > Q) break;
        }
        if (!(Qn > Q)) break;
        memcpy(alpha, na, W * sizeof *alpha);
        memcpy(b, nb, I * sizeof *b);
        struct glad_grad tmp = g[0];
        g[0] = g[1], g[1] = tmp;
        double gain = (Qn - Q) / (p->n ? (double)p->n : 1);
        Q = Qn;
        if (gain < prm->tol) break;
    }
}

static enum agg_status run_glad(const struct prep *p, const struct agg_params *prm, struct agg_result *r)
{
    size_t K = p->K, W = p->n_workers, I = p->n_items;
    struct glad_grad g[2];
    for (int h = 0; h < 2; h++) {
        g[h].ga = xalloc(W, sizeof *g[h].ga, false), g[h].ha = xalloc(W, sizeof *g[h].ha, false);
        g[h].gb = xalloc(I, sizeof *g[h].gb, false), g[h].hb = xalloc(I, sizeof *g[h].hb, false);
    }
    double *na = xalloc(W, sizeof *na, false), *nb = xalloc(I, sizeof *nb, false);
    double *b = xalloc(I, sizeof *b, false), *ll = xalloc(K, sizeof *ll, false);
    enum agg_status st = AGG_ENOMEM;
    if (!g[0].ga || !g[0].ha || !g[0].gb || !g[0].hb || !g[1].ga || !g[1].ha || !g[1].gb || !g[1].hb || !na || !nb ||
        !b || !ll)
        goto out;
    double *alpha = r->worker_param, lkm1 = log((double)(K - 1)), n = p->n ? (double)p->n : 1;
    for (size_t w = 0; w < W; w++) alpha[w] = prm->glad_alpha_mean;
    for (size_t i = 0; i < I; i++) b[i] = prm->glad_b_mean;
    soft_mv(p, r->posterior);
    double obj = -INFINITY;
    /* Each round: M step on the current posteriors, then the E step with the new parameters. */
    for (int it = 1; it <= prm->max_iter; it++) {
        glad_m(p, r->posterior, alpha, b, lkm1, prm, g, na, nb);
        double o = glad_e(p, r->posterior, alpha, b, lkm1, ll, prm) / n;
        r->iterations = it;
        r->objective = o;
        if (o - obj < prm->tol) break;
        obj = o;
    }
    mean_posterior(p, r->posterior, r->prior);
    finish_labels(p, r);
    for (size_t w = 0; w < W; w++) r->worker_quality[w] = 0;
    for (size_t i = 0; i < I; i++) {
        r->item_param[i] = exp(b[i]);
        for (size_t j = p->start[i]; j < p->start[i + 1]; j++)
            r->worker_quality[p->worker[j]] += sigmoid(alpha[p->worker[j]] * r->item_param[i]);
    }
    for (size_t w = 0; w < W; w++)
        r->worker_quality[w] = p->worker_n[w] > 0 ? r->worker_quality[w] / p->worker_n[w] : NAN;
    st = empirical_confusion(p, prm->smoothing, r);
out:
    for (int h = 0; h < 2; h++) free(g[h].ga), free(g[h].ha), free(g[h].gb), free(g[h].hb);
    free(na), free(nb), free(b), free(ll);
    return st;
}

/* ---- MACE ------------------------------------------------------------------------------------ */

/* The digamma function for x > 0: the recurrence up to 6, then the asymptotic series. */
static double digamma(double x)
{
    double r = 0;
    for (; x < 6; x += 1) r -= 1 / x;
    double f = 1 / (x * x);
    return r + log(x) - 0.5 / x - f * (1.0 / 12 - f * (1.0 / 120 - f * (1.0 / 252 - f * (1.0 / 240 - f / 132))));
}

/* exp(ψ(count + prior) − ψ(total)): the variational "normalisation" (the results sum to less than 1,
 * which is what discounts workers with few answers). */
static double vb_weight(double count, double total)
{
    return fmax(exp(digamma(count) - digamma(total)), CLIP);
}

/* The parameters from the posteriors. Given truth t, worker w answers l with weight
 * know_w δ(t = l) + spam_w xi_w[l]; an answer l on an item with posterior q was honest with probability
 * q_l know / (know + spam xi_l). */
static void mace_m(const struct prep *p, const double *post, const struct agg_params *prm, double *know, double *spamw,
                   double *xi, double *honest, double *spam)
{
    size_t K = p->K, W = p->n_workers;
    memset(honest, 0, W * sizeof *honest);
    memset(spam, 0, W * K * sizeof *spam);
    for (size_t i = 0; i < p->n_items; i++)
        for (size_t j = p->start[i]; j < p->start[i + 1]; j++) {
            size_t w = p->worker[j], l = p->label[j];
            double k = know[w], sx = spamw[w] * xi[w * K + l];
            double h = post[i * K + l] * k / (k + sx);
            honest[w] += h;
            spam[w * K + l] += 1 - h;
        }
    double a = prm->mace_theta_a, b = prm->mace_theta_b, c = prm->mace_strategy_prior;
    for (size_t w = 0; w < W; w++) {
        double n = p->worker_n[w], st = 0;
        for (size_t l = 0; l < K; l++) st += spam[w * K + l];
        if (prm->mace_em) {
            know[w] = fmin(fmax(n + a + b > 0 ? (honest[w] + a) / (n + a + b) : 0.5, CLIP), 1 - CLIP);
            spamw[w] = 1 - know[w];
            for (size_t l = 0; l < K; l++)
                xi[w * K + l] = fmax(st + K * c > 0 ? (spam[w * K + l] + c) / (st + K * c) : 1.0 / (double)K, CLIP);
        } else {
            know[w] = vb_weight(honest[w] + a, n + a + b);
            spamw[w] = vb_weight(n - honest[w] + b, n + a + b);
            for (size_t l = 0; l < K; l++) xi[w * K + l] = vb_weight(spam[w * K + l] + c, st + K * c);
        }
    }
}

static enum agg_status run_mace(const struct prep *p, const struct agg_params *prm, struct agg_result *r)
{
    size_t K = p->K, W = p->n_workers;
    double *xi = xalloc(mul(W, K), sizeof *xi, false), *spam = xalloc(mul(W, K), sizeof *spam, false);
    double *lspam = xalloc(mul(W, K), sizeof *lspam, false), *lgain = xalloc(mul(W, K), sizeof *lgain, false);
    double *honest = xalloc(W, sizeof *honest, false), *spamw = xalloc(W, sizeof *spamw, false);
    double *ll = xalloc(K, sizeof *ll, false), *lprior = xalloc(K, sizeof *lprior, false);
    if (!xi || !spam || !lspam || !lgain || !honest || !spamw || !ll || !lprior) {
        free(xi), free(spam), free(lspam), free(lgain), free(honest), free(spamw), free(ll), free(lprior);
        return AGG_ENOMEM;
    }
    double *know = r->worker_param, n = p->n ? (double)p->n : 1, prev = -INFINITY;
    /* Start from soft MV, splitting answers into honest and spam with MACE's neutral parameters
     * (knowing half the time, uniform strategies). */
    for (size_t w = 0; w < W; w++) know[w] = spamw[w] = 0.5;
    for (size_t x = 0; x < W * K; x++) xi[x] = 1.0 / (double)K;
    soft_mv(p, r->posterior);
    mean_posterior(p, r->posterior, r->prior);
    mace_m(p, r->posterior, prm, know, spamw, xi, honest, spam);
    for (int it = 1; it <= prm->max_iter; it++) {
        for (size_t w = 0; w < W; w++)
            for (size_t l = 0; l < K; l++) {
                double sx = spamw[w] * xi[w * K + l];
                lspam[w * K + l] = log(sx);
                lgain[w * K + l] = log(know[w] + sx) - lspam[w * K + l];
            }
        double L = 0;
        for (size_t k = 0; k < K; k++)
            lprior[k] = prm->mace_estimate_prior ? log(fmax(r->prior[k], CLIP)) : -log((double)K);
        for (size_t i = 0; i < p->n_items; i++) {
            size_t a = p->start[i], b = p->start[i + 1];
            if (a == b) continue;
            double base = 0;
            memcpy(ll, lprior, K * sizeof *ll);
            for (size_t j = a; j < b; j++) {
                size_t wl = (size_t)p->worker[j] * K + p->label[j];
                base += lspam[wl];
                ll[p->label[j]] += lgain[wl];
            }
            for (size_t k = 0; k < K; k++) ll[k] += base;
            L += normalise_log(ll, r->posterior + i * K, K);
        }
        mace_m(p, r->posterior, prm, know, spamw, xi, honest, spam);
        mean_posterior(p, r->posterior, r->prior);
        /* The (variational) log-likelihood of the parameters this E step used. */
        double o = L / n;
        r->iterations = it;
        r->objective = o;
        if (o - prev < prm->tol) break;
        prev = o;
    }
    finish_labels(p, r);
    for (size_t w = 0; w < W; w++) {
        /* Report normalised parameters: theta = know / (know + spam), xi summing to 1. */
        double theta = know[w] / (know[w] + spamw[w]), xs = 0, chance = 0;
        for (size_t k = 0; k < K; k++) xs += xi[w * K + k];
        for (size_t k = 0; k < K; k++) chance += r->prior[k] * xi[w * K + k] / xs;
        know[w] = theta;
        r->worker_quality[w] = p->worker_n[w] > 0 ? theta + (1 - theta) * chance : NAN;
        for (size_t t = 0; t < K; t++)
            for (size_t l = 0; l < K; l++)
                r->confusion[(w * K + t) * K + l] = (t == l ? theta : 0) + (1 - theta) * xi[w * K + l] / xs;
    }
    free(xi), free(spam), free(lspam), free(lgain), free(honest), free(spamw), free(ll), free(lprior);
    return AGG_OK;
}

/* ---- entry point ----------------------------------------------------------------------------- */

/* One class: every answered item is that class with certainty. */
static void single_class(const struct prep *p, struct agg_result *r)
{
    r->prior[0] = 1;
    for (size_t i = 0; i < p->n_items; i++) r->posterior[i] = 1;
    finish_labels(p, r);
    for (size_t w = 0; w < p->n_workers; w++) {
        r->worker_quality[w] = p->worker_n[w] > 0 ? 1 : NAN;
        r->confusion[w] = 1;
        if (r->worker_param) r->worker_param[w] = NAN;
    }
    for (size_t i = 0; r->item_param && i < p->n_items; i++) r->item_param[i] = NAN;
}

enum agg_status agg_categorical(enum agg_method m, const struct agg_answer *answers, size_t n, size_t n_items,
                                size_t n_workers, size_t n_classes, const struct agg_params *params,
                                struct agg_result *out)
{
    memset(out, 0, sizeof *out);
    struct agg_params def;
    if (!params) agg_params_default(&def), params = &def;
    if (n_classes == 0 || n_classes > INT32_MAX || (unsigned)m > AGG_MACE || (n && !answers)) return AGG_EINVAL;
    if (isnan(params->tol) || !(params->smoothing >= 0) || !isfinite(params->smoothing)) return AGG_EINVAL;
    if (m == AGG_MACE && !(params->mace_theta_a > 0 && params->mace_theta_b > 0 && params->mace_strategy_prior > 0))
        return AGG_EINVAL;
    struct prep p;
    enum agg_status st = prep_build(&p, answers, n, n_items, n_workers, n_classes);
    if (st) return st;
    st = result_alloc(out, n_items, n_workers, n_classes, m);
    if (st) {
        prep_free(&p);
        return st;
    }
    if (n_classes == 1) {
        single_class(&p, out);
    } else {
        switch (m) {
        case AGG_MV: st = run_mv(&p, params, out); break;
        case AGG_DS: st = run_ds(&p, params, out); break;
        case AGG_ONECOIN: st = run_onecoin(&p, params, out); break;
        case AGG_GLAD: st = run_glad(&p, params, out); break;
        case AGG_MACE: st = run_mace(&p, params, out); break;
        }
    }
    prep_free(&p);
    if (st) agg_result_free(out);
    return st;
}

/* ---- multi-label ----------------------------------------------------------------------------- */

void agg_multilabel_result_free(struct agg_multilabel_result *r)
{
    if (!r) return;
    free(r->probability);
    free(r->chosen);
    free(r->worker_quality);
    memset(r, 0, sizeof *r);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Index of key in the sorted array keys[n], or n. */
static size_t find_u64(const uint64_t *keys, size_t n, uint64_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (keys[mid] < key) lo = mid + 1;
        else hi = mid;
    }
    return lo < n && keys[lo] == key ? lo : n;
}

enum agg_status agg_multilabel(enum agg_method m, const struct agg_response *responses, size_t n_responses,
                               const struct agg_answer *ticked, size_t n_ticked, size_t n_items, size_t n_workers,
                               size_t n_labels, const struct agg_params *params, struct agg_multilabel_result *out)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)m > AGG_MACE || (n_responses && !responses) || (n_ticked && !ticked)) return AGG_EINVAL;
    for (size_t j = 0; j < n_responses; j++)
        if (responses[j].item >= n_items || responses[j].worker >= n_workers) return AGG_EINVAL;
    for (size_t j = 0; j < n_ticked; j++)
        if (ticked[j].item >= n_items || ticked[j].worker >= n_workers || ticked[j].label >= n_labels)
            return AGG_EINVAL;
    if (n_responses > SIZE_MAX - n_ticked || n_labels == SIZE_MAX) return AGG_ENOMEM;
    /* The distinct responses, as sorted (item << 32 | worker) keys. */
    size_t np = n_responses + n_ticked;
    uint64_t *pairs = xalloc(np, sizeof *pairs, false);
    size_t *label_start = xalloc(n_labels + 1, sizeof *label_start, true);
    uint32_t *by_label = xalloc(n_ticked, sizeof *by_label, false);
    unsigned char *flag = NULL;
    struct agg_answer *bin = NULL;
    enum agg_status st = AGG_ENOMEM;
    out->n_items = n_items, out->n_workers = n_workers, out->n_labels = n_labels;
    out->probability = xalloc(mul(n_items, n_labels), sizeof *out->probability, true);
    out->chosen = xalloc(mul(n_items, n_labels), sizeof *out->chosen, true);
    out->worker_quality = xalloc(mul(n_workers, n_labels), sizeof *out->worker_quality, true);
    if (!pairs || !label_start || !by_label || !out->probability || !out->chosen || !out->worker_quality) goto fail;
    for (size_t j = 0; j < n_responses; j++) pairs[j] = (uint64_t)responses[j].item << 32 | responses[j].worker;
    for (size_t j = 0; j < n_ticked; j++) pairs[n_responses + j] = (uint64_t)ticked[j].item << 32 | ticked[j].worker;
    qsort(pairs, np, sizeof *pairs, cmp_u64);
    size_t u = 0;
    for (size_t j = 0; j < np; j++)
        if (!u || pairs[j] != pairs[u - 1]) pairs[u++] = pairs[j];
    flag = xalloc(u, sizeof *flag, true);
    bin = xalloc(u, sizeof *bin, false);
    if (!flag || !bin) goto fail;
    /* Ticked triples grouped by label, each as the index of its response. */
    for (size_t j = 0; j < n_ticked; j++) label_start[ticked[j].label + 1]++;
    for (size_t l = 0; l < n_labels; l++) label_start[l + 1] += label_start[l];
    for (size_t j = 0; j < n_ticked; j++)
        by_label[label_start[ticked[j].label]++] =
            (uint32_t)find_u64(pairs, u, (uint64_t)ticked[j].item << 32 | ticked[j].worker);
    for (size_t l = n_labels; l > 0; l--) label_start[l] = label_start[l - 1];
    label_start[0] = 0;
    for (size_t j = 0; j < u; j++) bin[j].item = (uint32_t)(pairs[j] >> 32), bin[j].worker = (uint32_t)pairs[j];
    for (size_t l = 0; l < n_labels; l++) {
        for (size_t j = label_start[l]; j < label_start[l + 1]; j++) flag[by_label[j]] = 1;
        for (size_t j = 0; j < u; j++) bin[j].label = flag[j];
        for (size_t j = label_start[l]; j < label_start[l + 1]; j++) flag[by_label[j]] = 0;
        struct agg_result r;
        st = agg_categorical(m, bin, u, n_items, n_workers, 2, params, &r);
        if (st) goto fail;
        for (size_t i = 0; i < n_items; i++) {
            out->probability[i * n_labels + l] = r.posterior[i * 2 + 1];
            out->chosen[i * n_labels + l] = r.label[i] == 1;
        }
        for (size_t w = 0; w < n_workers; w++) out->worker_quality[w * n_labels + l] = r.worker_quality[w];
        if (r.iterations > out->iterations) out->iterations = r.iterations;
        agg_result_free(&r);
    }
    st = AGG_OK;
    goto done;
fail:
    agg_multilabel_result_free(out);
done:
    free(pairs), free(label_start), free(by_label), free(flag), free(bin);
    return st;
}

/* ---- numeric --------------------------------------------------------------------------------- */

void agg_numeric_result_free(struct agg_numeric_result *r)
{
    if (!r) return;
    free(r->value);
    free(r->count);
    free(r->spread);
    free(r->worker_error);
    memset(r, 0, sizeof *r);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

enum agg_status agg_numeric(enum agg_numeric_method m, const struct agg_numeric_answer *a, size_t n, size_t n_items,
                            size_t n_workers, struct agg_numeric_result *out)
{
    memset(out, 0, sizeof *out);
    if ((m != AGG_MEAN && m != AGG_MEDIAN) || (n && !a)) return AGG_EINVAL;
    for (size_t j = 0; j < n; j++)
        if (a[j].item >= n_items || a[j].worker >= n_workers || !isfinite(a[j].value)) return AGG_EINVAL;
    if (n_items == SIZE_MAX) return AGG_ENOMEM;
    out->n_items = n_items, out->n_workers = n_workers;
    out->value = xalloc(n_items, sizeof *out->value, true);
    out->count = xalloc(n_items, sizeof *out->count, true);
    out->spread = xalloc(n_items, sizeof *out->spread, true);
    out->worker_error = xalloc(n_workers, sizeof *out->worker_error, true);
    size_t *start = xalloc(n_items + 1, sizeof *start, true);
    double *vals = xalloc(n, sizeof *vals, false), *wn = xalloc(n_workers, sizeof *wn, true);
    if (!out->value || !out->count || !out->spread || !out->worker_error || !start || !vals || !wn) {
        agg_numeric_result_free(out);
        free(start), free(vals), free(wn);
        return AGG_ENOMEM;
    }
    for (size_t j = 0; j < n; j++) start[a[j].item + 1]++;
    for (size_t i = 0; i < n_items; i++) start[i + 1] += start[i];
    for (size_t j = 0; j < n; j++) vals[start[a[j].item]++] = a[j].value;
    for (size_t i = n_items; i > 0; i--) start[i] = start[i - 1];
    start[0] = 0;
    for (size_t i = 0; i < n_items; i++) {
        size_t s = start[i], c = start[i + 1] - s;
        out->count[i] = (uint32_t)(c > UINT32_MAX ? UINT32_MAX : c);
        if (!c) {
            out->value[i] = out->spread[i] = NAN;
            continue;
        }
        /* Two passes (mean, then squared deviations) keep the variance accurate. */
        double sum = 0, ss = 0;
        for (size_t j = s; j < s + c; j++) sum += vals[j];
        double mean = sum / (double)c;
        for (size_t j = s; j < s + c; j++) ss += (vals[j] - mean) * (vals[j] - mean);
        out->spread[i] = sqrt(ss / (double)c);
        if (m == AGG_MEAN) {
            out->value[i] = mean;
        } else {
            qsort(vals + s, c, sizeof *vals, cmp_double);
            out->value[i] = c % 2 ? vals[s + c / 2] : (vals[s + c / 2 - 1] + vals[s + c / 2]) / 2;
        }
    }
    for (size_t j = 0; j < n; j++) {
        out->worker_error[a[j].worker] += fabs(a[j].value - out->value[a[j].item]);
        wn[a[j].worker] += 1;
    }
    for (size_t w = 0; w < n_workers; w++) out->worker_error[w] = wn[w] > 0 ? out->worker_error[w] / wn[w] : NAN;
    free(start), free(vals), free(wn);
    return AGG_OK;
}
