/* Unit tests for label aggregation (core/aggregate.h): hand-computed cases for every method, Dawid–Skene
 * on data drawn from its own model, crowd-kit's step-by-step fixtures and toy datasets (read in place
 * from ../shared/data/truth through the CLI's CSV loader; those tests skip when the folder is absent),
 * multi-label, numeric, edge cases and allocation failures. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/aggregate_cli.h"
#include "core/aggregate.h"

/* cmocka 1.1 compares floats only in single precision. */
#define assert_near(a, b, eps)                                                                                 \
    do {                                                                                                       \
        double a_ = (a), b_ = (b);                                                                             \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.10g, expected %.10g ± %g", #a, a_, b_, (double)(eps)); \
    } while (0)

static struct agg_params defaults(void)
{
    struct agg_params p;
    agg_params_default(&p);
    return p;
}

/* ---- shared data ---------------------------------------------------------------------------- */

/* ../shared/data/truth from $MESON_SOURCE_ROOT, else the first one above the working directory; NULL
 * when there is none (the tests that read it then skip). */
static const char *truth_dir(void)
{
    static char path[4096];
    struct stat st;
    const char *root = getenv("MESON_SOURCE_ROOT");
    if (root && snprintf(path, sizeof path, "%s/../shared/data/truth", root) < (int)sizeof path &&
        stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return path;
    char cwd[2048];
    if (!getcwd(cwd, sizeof cwd)) return NULL;
    for (;;) {
        snprintf(path, sizeof path, "%s/../shared/data/truth", cwd);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) return path;
        char *slash = strrchr(cwd, '/');
        if (!slash || slash == cwd) return NULL;
        *slash = 0;
    }
}

static void truth_path(char *out, size_t n, const char *rel)
{
    const char *dir = truth_dir();
    if (!dir) {
        printf("skipped: ../shared/data/truth not found\n");
        skip();
    }
    snprintf(out, n, "%s/%s", dir, rel);
}

static void load(const char *rel, struct agg_dataset *d)
{
    char path[4096], err[1024];
    truth_path(path, sizeof path, rel);
    if (!cli_agg_load_answers(path, d, err, sizeof err)) fail_msg("%s", err);
}

/* A plain comma-separated file without quotes (the fixtures): fields of each data row after the header. */
struct rows {
    size_t n;
    char fields[64][8][64];
};

static void read_rows(const char *rel, struct rows *r)
{
    char path[4096], line[512];
    truth_path(path, sizeof path, rel);
    FILE *f = fopen(path, "r");
    if (!f) fail_msg("cannot open %s", path);
    r->n = 0;
    bool header = true;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = 0;
        if (header || !line[0]) {
            header = false;
            continue;
        }
        assert_true(r->n < 64);
        size_t k = 0;
        for (char *save = NULL, *t = strtok_r(line, ",", &save); t && k < 8; t = strtok_r(NULL, ",", &save))
            snprintf(r->fields[r->n][k++], sizeof r->fields[0][0], "%s", t);
        r->n++;
    }
    fclose(f);
}

static size_t name_index(char **names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    fail_msg("no '%s'", name);
    return 0;
}

/* ---- majority vote ---------------------------------------------------------------------------- */

/* Three classes, three items, three workers:
 *   item 0: labels 0, 1, 1   → class 1, vote fractions (1/3, 2/3, 0)
 *   item 1: labels 2, 0      → a tie, broken towards the lower index: class 0, confidence 1/2
 *   item 2: no answers       → AGG_NO_LABEL, confidence 0, posterior = the shares of all votes
 * Votes overall: class 0 ×2, class 1 ×2, class 2 ×1 → prior (0.4, 0.4, 0.2).
 * Worker quality (share of answers equal to the item's label): w0 answered 0 (item 0, label 1: no) and
 * 2 (item 1, label 0: no) → 0; w1 answered 1 and 0 → 1; w2 answered 1 → 1. */
static void mv_hand(void **state)
{
    (void)state;
    const struct agg_answer a[] = {{0, 0, 0}, {0, 1, 1}, {0, 2, 1}, {1, 0, 2}, {1, 1, 0}};
    struct agg_result r;
    assert_int_equal(agg_categorical(AGG_MV, a, 5, 3, 3, 3, NULL, &r), AGG_OK);
    assert_int_equal(r.label[0], 1);
    assert_near(r.confidence[0], 2.0 / 3, 1e-12);
    assert_near(r.posterior[0], 1.0 / 3, 1e-12);
    assert_near(r.posterior[2], 0, 0);
    assert_int_equal(r.label[1], 0);
    assert_near(r.confidence[1], 0.5, 1e-12);
    assert_near(r.posterior[3 + 2], 0.5, 1e-12);
    assert_int_equal(r.label[2], AGG_NO_LABEL);
    assert_near(r.confidence[2], 0, 0);
    assert_near(r.prior[0], 0.4, 1e-12);
    assert_near(r.prior[2], 0.2, 1e-12);
    assert_near(r.posterior[6 + 1], 0.4, 1e-12);
    assert_near(r.worker_quality[0], 0, 0);
    assert_near(r.worker_quality[1], 1, 0);
    assert_near(r.worker_quality[2], 1, 0);
    assert_int_equal(r.iterations, 0);
    /* Every confusion row is a distribution. */
    for (size_t x = 0; x < 3 * 3; x++) {
        double sum = 0;
        for (size_t l = 0; l < 3; l++) sum += r.confusion[x * 3 + l];
        assert_near(sum, 1, 1e-9);
    }
    agg_result_free(&r);
}

/* ---- one-coin Dawid–Skene --------------------------------------------------------------------- */

/* Two classes; item 0: w0 → 0, w1 → 0; item 1: w0 → 0, w1 → 1.
 * Start (soft MV): q0 = (1, 0), q1 = (1/2, 1/2); accuracies p = mean q(own answer): w0 (1 + 1/2)/2 = 3/4,
 * w1 (1 + 1/2)/2 = 3/4; priors (3/4, 1/4). Item 1 ties → class 0.
 * One iteration. E step, P(truth, answers) = prior × Π (p if right, 1 − p if wrong):
 *   item 0: truth 0: 3/4·3/4·3/4 = 27/64, truth 1: 1/4·1/4·1/4 = 1/64 → q0(0) = 27/28
 *   item 1: truth 0: 3/4·3/4·1/4 = 9/64,  truth 1: 1/4·1/4·3/4 = 3/64 → q1(0) = 3/4
 * M step: p(w0) = (27/28 + 3/4)/2 = 6/7, p(w1) = (27/28 + 1/4)/2 = 17/28;
 * priors ((27/28 + 3/4)/2, (1/28 + 1/4)/2) = (6/7, 1/7). */
static void onecoin_hand(void **state)
{
    (void)state;
    const struct agg_answer a[] = {{0, 0, 0}, {0, 1, 0}, {1, 0, 0}, {1, 1, 1}};
    struct agg_params p = defaults();
    p.max_iter = 0;
    struct agg_result r;
    assert_int_equal(agg_categorical(AGG_ONECOIN, a, 4, 2, 2, 2, &p, &r), AGG_OK);
    assert_near(r.worker_quality[0], 0.75, 1e-12);
    assert_near(r.worker_quality[1], 0.75, 1e-12);
    assert_near(r.prior[0], 0.75, 1e-12);
    assert_int_equal(r.label[1], 0);
    assert_near(r.confidence[1], 0.5, 1e-12);
    agg_result_free(&r);

    p.max_iter = 1;
    assert_int_equal(agg_categorical(AGG_ONECOIN, a, 4, 2, 2, 2, &p, &r), AGG_OK);
    assert_int_equal(r.iterations, 1);
    assert_near(r.posterior[0], 27.0 / 28, 1e-12);
    assert_near(r.posterior[2], 0.75, 1e-12);
    assert_near(r.worker_quality[0], 6.0 / 7, 1e-12);
    assert_near(r.worker_quality[1], 17.0 / 28, 1e-12);
    assert_near(r.prior[0], 6.0 / 7, 1e-12);
    /* The one-coin confusion: p on the diagonal, 1 − p elsewhere. */
    assert_near(r.confusion[(1 * 2 + 0) * 2 + 0], 17.0 / 28, 1e-12);
    assert_near(r.confusion[(1 * 2 + 0) * 2 + 1], 11.0 / 28, 1e-12);
    agg_result_free(&r);
}

/* ---- experts among random workers: every model method must find them -------------------------- */

/* 40 items with truth i % 2. Workers 0 and 1 are always right; workers 2, 3 and 4 answer from a fixed
 * pseudo-random bit pattern that ignores the truth. Majority vote is wrong wherever the three random
 * workers all disagree with the truth. */
static size_t experts(struct agg_answer *a, uint32_t *truth)
{
    size_t n = 0;
    uint64_t x = 0x2545F4914F6CDD1Dull;
    for (uint32_t i = 0; i < 40; i++) {
        truth[i] = i % 2;
        a[n++] = (struct agg_answer){i, 0, truth[i]};
        a[n++] = (struct agg_answer){i, 1, truth[i]};
        for (uint32_t w = 2; w < 5; w++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            a[n++] = (struct agg_answer){i, w, (uint32_t)(x >> 40) & 1};
        }
    }
    return n;
}

static double accuracy(const struct agg_result *r, const uint32_t *truth, size_t n_items)
{
    size_t ok = 0;
    for (size_t i = 0; i < n_items; i++) ok += r->label[i] == (int32_t)truth[i];
    return (double)ok / (double)n_items;
}

static void models_find_experts(void **state)
{
    (void)state;
    struct agg_answer a[200];
    uint32_t truth[40];
    size_t n = experts(a, truth);
    struct agg_result r;
    assert_int_equal(agg_categorical(AGG_MV, a, n, 40, 5, 2, NULL, &r), AGG_OK);
    double mv = accuracy(&r, truth, 40);
    assert_true(mv < 0.95);
    agg_result_free(&r);
    const enum agg_method models[] = {AGG_DS, AGG_ONECOIN, AGG_GLAD, AGG_MACE};
    for (size_t m = 0; m < 4; m++) {
        assert_int_equal(agg_categorical(models[m], a, n, 40, 5, 2, NULL, &r), AGG_OK);
        double acc = accuracy(&r, truth, 40);
        if (acc != 1) fail_msg("%s: accuracy %g", agg_method_name(models[m]), acc);
        for (uint32_t w = 2; w < 5; w++)
            if (!(r.worker_quality[0] > r.worker_quality[w] + 0.3 && r.worker_quality[1] > r.worker_quality[w] + 0.3))
                fail_msg("%s: quality of expert %g, %g vs random worker %u %g", agg_method_name(models[m]),
                         r.worker_quality[0], r.worker_quality[1], w, r.worker_quality[w]);
        if (models[m] == AGG_GLAD || models[m] == AGG_MACE) {
            /* GLAD's alpha and MACE's theta rank the experts first. */
            assert_non_null(r.worker_param);
            for (uint32_t w = 2; w < 5; w++) assert_true(r.worker_param[0] > r.worker_param[w]);
        }
        if (models[m] == AGG_GLAD) assert_non_null(r.item_param);
        agg_result_free(&r);
    }
}

/* MACE: a worker who always answers class 0 is a spammer with strategy on 0. Items 0–19, truth i % 2,
 * three honest workers always right, worker 3 always says 0. */
static void mace_spammer(void **state)
{
    (void)state;
    struct agg_answer a[80];
    size_t n = 0;
    for (uint32_t i = 0; i < 20; i++) {
        for (uint32_t w = 0; w < 3; w++) a[n++] = (struct agg_answer){i, w, i % 2};
        a[n++] = (struct agg_answer){i, 3, 0};
    }
    for (int em = 0; em < 2; em++) {
        struct agg_params p = defaults();
        p.mace_em = em;
        struct agg_result r;
        assert_int_equal(agg_categorical(AGG_MACE, a, n, 20, 4, 2, &p, &r), AGG_OK);
        for (uint32_t i = 0; i < 20; i++) assert_int_equal(r.label[i], (int32_t)(i % 2));
        assert_true(r.worker_param[3] < 0.3);
        assert_true(r.worker_param[0] > 0.8);
        /* Spamming worker 3 answers 0 whatever the truth: P(0 | truth 1) is high. */
        assert_true(r.confusion[(3 * 2 + 1) * 2 + 0] > 0.6);
        /* The spammer is right about half the time by chance. */
        assert_near(r.worker_quality[3], 0.5, 0.2);
        agg_result_free(&r);
    }
}

/* Every EM method's objective never falls from one iteration to the next (DS and one-coin: the ELBO;
 * GLAD: log-likelihood + log prior, its M step only accepting gains). */
static void objective_monotone(void **state)
{
    (void)state;
    struct agg_answer a[200];
    uint32_t truth[40];
    size_t n = experts(a, truth);
    const enum agg_method models[] = {AGG_DS, AGG_ONECOIN, AGG_GLAD};
    for (size_t m = 0; m < 3; m++) {
        double prev = -INFINITY;
        for (int it = 1; it <= 15; it++) {
            struct agg_params p = defaults();
            p.max_iter = it;
            p.tol = -INFINITY;
            struct agg_result r;
            assert_int_equal(agg_categorical(models[m], a, n, 40, 5, 2, &p, &r), AGG_OK);
            assert_int_equal(r.iterations, it);
            if (r.objective < prev - 1e-12)
                fail_msg("%s: objective fell from %.12g to %.12g at iteration %d", agg_method_name(models[m]), prev,
                         r.objective, it);
            prev = r.objective;
            agg_result_free(&r);
        }
    }
}

/* ---- Dawid–Skene on data drawn from its own model ----------------------------------------------- */

static uint64_t rng_state;
static uint64_t rng(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double urand(void)
{
    return (double)(rng() >> 11) * 0x1.0p-53;
}
static size_t draw(const double *p, size_t K)
{
    double u = urand(), c = 0;
    for (size_t k = 0; k + 1 < K; k++)
        if (u < (c += p[k])) return k;
    return K - 1;
}

enum { SW = 50, SI = 2000, SK = 4, SR = 7 };

/* 50 workers in three kinds, 7 distinct random workers answering each item, priors (0.4, 0.3, 0.2, 0.1):
 *  - 20 reliable: right with probability 0.65–0.9, errors spread evenly;
 *  - 15 confusers: right 0.45, answer truth + 1 (mod 4) 0.45, the other two 0.05 each;
 *  - 15 biased: answer class 3 with probability 0.6, the truth 0.3, the other two 0.05 each (truth 3:
 *    0.9 right, the rest even).
 * Majority vote suffers from the last two kinds; the per-worker confusion matrices of DS undo them. */
static void synth(double conf[SW][SK][SK], const double *prior, struct agg_answer *a, uint32_t *truth)
{
    for (size_t w = 0; w < SW; w++)
        for (size_t t = 0; t < SK; t++) {
            double *row = conf[w][t];
            if (w < 20) {
                double p = 0.65 + 0.25 * urand();
                for (size_t l = 0; l < SK; l++) row[l] = l == t ? p : (1 - p) / (SK - 1);
            } else if (w < 35) {
                for (size_t l = 0; l < SK; l++) row[l] = l == t ? 0.45 : l == (t + 1) % SK ? 0.45 : 0.05;
            } else if (t == 3) {
                for (size_t l = 0; l < SK; l++) row[l] = l == 3 ? 0.9 : 0.1 / 3;
            } else {
                for (size_t l = 0; l < SK; l++) row[l] = l == 3 ? 0.6 : l == t ? 0.3 : 0.05;
            }
        }
    size_t n = 0;
    for (uint32_t i = 0; i < SI; i++) {
        truth[i] = (uint32_t)draw(prior, SK);
        uint32_t chosen[SR];
        for (size_t r = 0; r < SR; r++) {
            uint32_t w;
            bool dup;
            do {
                w = (uint32_t)(rng() % SW);
                dup = false;
                for (size_t q = 0; q < r; q++) dup |= chosen[q] == w;
            } while (dup);
            chosen[r] = w;
            a[n++] = (struct agg_answer){i, w, (uint32_t)draw(conf[w][truth[i]], SK)};
        }
    }
}

static void ds_recovers_its_model(void **state)
{
    (void)state;
    static double conf[SW][SK][SK];
    static struct agg_answer a[SI * SR];
    static uint32_t truth[SI];
    const double prior[SK] = {0.4, 0.3, 0.2, 0.1};
    rng_state = 20240229;
    synth(conf, prior, a, truth);
    for (size_t w = 0; w < SW; w++)
        for (size_t t = 0; t < SK; t++) {
            double s = 0;
            for (size_t l = 0; l < SK; l++) s += conf[w][t][l];
            assert_near(s, 1, 1e-12);
        }
    /* The Bayes-optimal labels: the posterior under the true parameters. */
    size_t bayes_ok = 0;
    for (size_t i = 0; i < SI; i++) {
        double ll[SK];
        for (size_t k = 0; k < SK; k++) ll[k] = log(prior[k]);
        for (size_t j = i * SR; j < (i + 1) * SR; j++)
            for (size_t k = 0; k < SK; k++) ll[k] += log(conf[a[j].worker][k][a[j].label]);
        size_t best = 0;
        for (size_t k = 1; k < SK; k++)
            if (ll[k] > ll[best]) best = k;
        bayes_ok += best == truth[i];
    }
    double bayes = (double)bayes_ok / SI;
    struct agg_result mv, ds;
    assert_int_equal(agg_categorical(AGG_MV, a, SI * SR, SI, SW, SK, NULL, &mv), AGG_OK);
    assert_int_equal(agg_categorical(AGG_DS, a, SI * SR, SI, SW, SK, NULL, &ds), AGG_OK);
    double acc_mv = accuracy(&mv, truth, SI), acc_ds = accuracy(&ds, truth, SI);
    print_message("synthetic DS: Bayes-optimal %.4f, DS %.4f (%d iterations), MV %.4f\n", bayes, acc_ds,
                  ds.iterations, acc_mv);
    assert_true(acc_ds >= bayes - 0.02);
    assert_true(acc_ds >= acc_mv + 0.08);
    /* The confusion matrices and priors come back: mean absolute error per entry, each worker having
     * about 280 answers. */
    double err = 0, worst_prior = 0;
    for (size_t w = 0; w < SW; w++)
        for (size_t t = 0; t < SK; t++)
            for (size_t l = 0; l < SK; l++) err += fabs(ds.confusion[(w * SK + t) * SK + l] - conf[w][t][l]);
    err /= SW * SK * SK;
    for (size_t k = 0; k < SK; k++) worst_prior = fmax(worst_prior, fabs(ds.prior[k] - prior[k]));
    print_message("synthetic DS: mean |confusion error| %.4f, worst prior error %.4f\n", err, worst_prior);
    assert_true(err < 0.05);
    assert_true(worst_prior < 0.03);
    /* Estimated accuracy tracks the true prior-weighted diagonal. */
    double qerr = 0;
    for (size_t w = 0; w < SW; w++) {
        double acc = 0;
        for (size_t t = 0; t < SK; t++) acc += prior[t] * conf[w][t][t];
        qerr += fabs(ds.worker_quality[w] - acc);
    }
    assert_true(qerr / SW < 0.05);
    agg_result_free(&mv);
    agg_result_free(&ds);
}

/* ---- crowd-kit fixtures --------------------------------------------------------------------------- */

/* crowd-kit's Dawid–Skene after 0 and 1 iterations (tolerance 0.005, as its own test uses). */
static void crowdkit_ds_step_by_step(void **state)
{
    (void)state;
    struct agg_dataset d;
    load("crowdkit_ds_stepbystep/answer.csv", &d);
    assert_int_equal(d.n_labels, 2);
    assert_string_equal(d.labels[0], "no");
    static struct rows rows;
    for (int iter = 0; iter <= 1; iter++) {
        struct agg_params p = defaults();
        p.max_iter = iter;
        struct agg_result r;
        assert_int_equal(agg_categorical(AGG_DS, d.answers, d.n_answers, d.n_items, d.n_workers, 2, &p, &r), AGG_OK);
        assert_int_equal(r.iterations, iter);
        char rel[128];
        snprintf(rel, sizeof rel, "crowdkit_ds_stepbystep/expected_probas_iter%d.csv", iter);
        read_rows(rel, &rows);
        assert_int_equal(rows.n, 5);
        for (size_t x = 0; x < rows.n; x++) {
            size_t i = name_index(d.items, d.n_items, rows.fields[x][0]);
            assert_near(r.posterior[i * 2 + 0], atof(rows.fields[x][1]), 0.005);
            assert_near(r.posterior[i * 2 + 1], atof(rows.fields[x][2]), 0.005);
        }
        snprintf(rel, sizeof rel, "crowdkit_ds_stepbystep/expected_priors_iter%d.csv", iter);
        read_rows(rel, &rows);
        assert_int_equal(rows.n, 2);
        for (size_t x = 0; x < rows.n; x++)
            assert_near(r.prior[name_index(d.labels, 2, rows.fields[x][0])], atof(rows.fields[x][1]), 0.005);
        snprintf(rel, sizeof rel, "crowdkit_ds_stepbystep/expected_errors_iter%d.csv", iter);
        read_rows(rel, &rows);
        assert_int_equal(rows.n, 10);
        for (size_t x = 0; x < rows.n; x++) {
            size_t w = name_index(d.workers, d.n_workers, rows.fields[x][0]);
            size_t o = name_index(d.labels, 2, rows.fields[x][1]);
            for (size_t t = 0; t < 2; t++)
                assert_near(r.confusion[(w * 2 + t) * 2 + o], atof(rows.fields[x][2 + t]), 0.005);
        }
        snprintf(rel, sizeof rel, "crowdkit_ds_stepbystep/expected_labels_iter%d.csv", iter);
        read_rows(rel, &rows);
        assert_int_equal(rows.n, 5);
        for (size_t x = 0; x < rows.n; x++) {
            size_t i = name_index(d.items, d.n_items, rows.fields[x][0]);
            assert_string_equal(d.labels[r.label[i]], rows.fields[x][1]);
        }
        agg_result_free(&r);
    }
    cli_agg_dataset_free(&d);
}

/* Every item of crowd-kit's toy and simple datasets comes out right with Dawid–Skene (as crowd-kit's
 * tests require), and with the other models too. */
static void crowdkit_recovered(void **state)
{
    (void)state;
    const char *sets[] = {"crowdkit_toy", "crowdkit_simple"};
    for (size_t s = 0; s < 2; s++) {
        char rel[128], path[4096], err[1024];
        struct agg_dataset d;
        struct agg_truth t;
        snprintf(rel, sizeof rel, "%s/answer.csv", sets[s]);
        load(rel, &d);
        snprintf(rel, sizeof rel, "%s/truth.csv", sets[s]);
        truth_path(path, sizeof path, rel);
        if (!cli_agg_load_truth(path, &d, &t, err, sizeof err)) fail_msg("%s", err);
        const enum agg_method models[] = {AGG_DS, AGG_ONECOIN, AGG_GLAD, AGG_MACE};
        for (size_t m = 0; m < 4; m++) {
            struct agg_result r;
            assert_int_equal(agg_categorical(models[m], d.answers, d.n_answers, d.n_items, d.n_workers, d.n_labels,
                                             NULL, &r),
                             AGG_OK);
            size_t evaluated = 0;
            for (size_t i = 0; i < d.n_items; i++) {
                if (!t.by_item[i]) continue;
                evaluated++;
                if (strcmp(d.labels[r.label[i]], t.by_item[i]))
                    fail_msg("%s %s: item %s is %s, truth %s", sets[s], agg_method_name(models[m]), d.items[i],
                             d.labels[r.label[i]], t.by_item[i]);
            }
            assert_int_equal(evaluated, s == 0 ? 5 : 10);
            agg_result_free(&r);
        }
        cli_agg_truth_free(&t);
        cli_agg_dataset_free(&d);
    }
}

/* ---- multi-label ---------------------------------------------------------------------------------- */

/* Three labels. Item 0: w0 ticks {0, 1}, w1 ticks {0}, w2 ticks nothing (listed as a response).
 * Item 1: w0 and w1 tick {2}; w1's response is also listed (a duplicate pair counts once).
 * Majority vote per label: item 0: label 0 has 2 of 3 yes → chosen, P = 2/3; label 1: 1 of 3 → 1/3;
 * label 2: 0. Item 1: label 2: 2 of 2 → 1; labels 0 and 1: 0. Item 2 has no responses: P = the share of
 * yes votes for that label overall (label 0: 2 of 5 answers). Worker quality on label 0: item 0 is yes,
 * item 1 no; w0 (yes, no) → 1, w2 (no on item 0) → 0. A 1-of-2 tie stays unticked. */
static void multilabel_hand(void **state)
{
    (void)state;
    const struct agg_response resp[] = {{0, 2}, {1, 1}};
    const struct agg_answer ticked[] = {{0, 0, 0}, {0, 0, 1}, {0, 1, 0}, {1, 0, 2}, {1, 1, 2}};
    struct agg_multilabel_result r;
    assert_int_equal(agg_multilabel(AGG_MV, resp, 2, ticked, 5, 3, 3, 3, NULL, &r), AGG_OK);
    assert_near(r.probability[0 * 3 + 0], 2.0 / 3, 1e-12);
    assert_int_equal(r.chosen[0 * 3 + 0], 1);
    assert_near(r.probability[0 * 3 + 1], 1.0 / 3, 1e-12);
    assert_int_equal(r.chosen[0 * 3 + 1], 0);
    assert_near(r.probability[0 * 3 + 2], 0, 0);
    assert_near(r.probability[1 * 3 + 2], 1, 0);
    assert_int_equal(r.chosen[1 * 3 + 2], 1);
    assert_int_equal(r.chosen[1 * 3 + 0], 0);
    assert_near(r.probability[2 * 3 + 0], 2.0 / 5, 1e-12);
    assert_int_equal(r.chosen[2 * 3 + 0], 0);
    assert_near(r.worker_quality[0 * 3 + 0], 1, 0);
    assert_near(r.worker_quality[2 * 3 + 0], 0, 0);
    agg_multilabel_result_free(&r);

    const struct agg_answer tie[] = {{0, 0, 1}};
    const struct agg_response both[] = {{0, 0}, {0, 1}};
    assert_int_equal(agg_multilabel(AGG_MV, both, 2, tie, 1, 1, 2, 2, NULL, &r), AGG_OK);
    assert_near(r.probability[1], 0.5, 0);
    assert_int_equal(r.chosen[1], 0);
    agg_multilabel_result_free(&r);

    /* The model methods run per label too. */
    assert_int_equal(agg_multilabel(AGG_DS, resp, 2, ticked, 5, 3, 3, 3, NULL, &r), AGG_OK);
    assert_int_equal(r.chosen[1 * 3 + 2], 1);
    assert_true(r.iterations > 0);
    agg_multilabel_result_free(&r);
    const struct agg_answer bad[] = {{0, 0, 3}};
    assert_int_equal(agg_multilabel(AGG_MV, NULL, 0, bad, 1, 1, 1, 3, NULL, &r), AGG_EINVAL);
}

/* ---- numeric -------------------------------------------------------------------------------------- */

/* Item 0: 1, 2, 10 → mean 13/3, median 2, population sd sqrt(((1−13/3)² + (2−13/3)² + (10−13/3)²)/3)
 * = sqrt(146/9) ≈ 4.0277; item 1: 6, 4 → mean and median 5; item 2: nothing → NaN. Worker 0 answered 1
 * (item 0) and 6 (item 1): with means, |1 − 13/3| and |6 − 5| → (10/3 + 1)/2 = 13/6. */
static void numeric_hand(void **state)
{
    (void)state;
    const struct agg_numeric_answer a[] = {{0, 0, 1}, {0, 1, 2}, {0, 2, 10}, {1, 0, 6}, {1, 1, 4}};
    struct agg_numeric_result r;
    assert_int_equal(agg_numeric(AGG_MEAN, a, 5, 3, 4, &r), AGG_OK);
    assert_near(r.value[0], 13.0 / 3, 1e-12);
    assert_near(r.value[1], 5, 1e-12);
    assert_true(isnan(r.value[2]));
    assert_int_equal(r.count[0], 3);
    assert_int_equal(r.count[2], 0);
    assert_near(r.spread[0], sqrt(146.0 / 9), 1e-12);
    assert_near(r.worker_error[0], 13.0 / 6, 1e-12);
    assert_true(isnan(r.worker_error[3]));
    agg_numeric_result_free(&r);
    assert_int_equal(agg_numeric(AGG_MEDIAN, a, 5, 3, 4, &r), AGG_OK);
    assert_near(r.value[0], 2, 0);
    assert_near(r.value[1], 5, 0);
    agg_numeric_result_free(&r);
    const struct agg_numeric_answer inf[] = {{0, 0, INFINITY}};
    assert_int_equal(agg_numeric(AGG_MEAN, inf, 1, 1, 1, &r), AGG_EINVAL);
}

/* ---- edge cases ----------------------------------------------------------------------------------- */

static void edge_cases(void **state)
{
    (void)state;
    const enum agg_method all[] = {AGG_MV, AGG_DS, AGG_ONECOIN, AGG_GLAD, AGG_MACE};
    struct agg_result r;
    for (size_t m = 0; m < 5; m++) {
        /* One worker; item 1 has no answers. Every answered item gets that worker's label. */
        const struct agg_answer one[] = {{0, 0, 2}, {2, 0, 1}, {3, 0, 2}};
        assert_int_equal(agg_categorical(all[m], one, 3, 4, 1, 3, NULL, &r), AGG_OK);
        assert_int_equal(r.label[0], 2);
        assert_int_equal(r.label[1], AGG_NO_LABEL);
        assert_near(r.confidence[1], 0, 0);
        assert_int_equal(r.label[2], 1);
        for (size_t x = 0; x < 4 * 3; x++) assert_true(isfinite(r.posterior[x]));
        double s = 0;
        for (size_t k = 0; k < 3; k++) s += r.posterior[1 * 3 + k];
        assert_near(s, 1, 1e-9);
        assert_true(isfinite(r.worker_quality[0]));
        agg_result_free(&r);
        /* No answers at all, a worker without answers. */
        assert_int_equal(agg_categorical(all[m], NULL, 0, 2, 1, 2, NULL, &r), AGG_OK);
        assert_int_equal(r.label[0], AGG_NO_LABEL);
        assert_true(isnan(r.worker_quality[0]));
        agg_result_free(&r);
        /* One class. */
        const struct agg_answer single[] = {{0, 0, 0}, {0, 1, 0}};
        assert_int_equal(agg_categorical(all[m], single, 2, 1, 2, 1, NULL, &r), AGG_OK);
        assert_int_equal(r.label[0], 0);
        assert_near(r.confidence[0], 1, 0);
        agg_result_free(&r);
        /* Many answers on one item: log space keeps it finite (a product of 3000 probabilities underflows). */
        static struct agg_answer many[3000];
        for (uint32_t j = 0; j < 3000; j++) many[j] = (struct agg_answer){0, j % 30, j % 7 == 0};
        assert_int_equal(agg_categorical(all[m], many, 3000, 1, 30, 2, NULL, &r), AGG_OK);
        assert_int_equal(r.label[0], 0);
        assert_true(isfinite(r.confidence[0]) && r.confidence[0] > 0.5);
        agg_result_free(&r);
        /* Out of range. */
        const struct agg_answer bad[] = {{0, 0, 3}};
        assert_int_equal(agg_categorical(all[m], bad, 1, 1, 1, 3, NULL, &r), AGG_EINVAL);
        assert_null(r.label);
        const struct agg_answer bad_item[] = {{5, 0, 0}};
        assert_int_equal(agg_categorical(all[m], bad_item, 1, 1, 1, 3, NULL, &r), AGG_EINVAL);
        assert_int_equal(agg_categorical(all[m], one, 3, 4, 1, 0, NULL, &r), AGG_EINVAL);
        /* Sizes whose arrays cannot exist fail cleanly instead of overflowing. */
        assert_int_equal(agg_categorical(all[m], NULL, 0, SIZE_MAX / 4, 1, 16, NULL, &r), AGG_ENOMEM);
        assert_int_equal(agg_categorical(all[m], NULL, 0, SIZE_MAX, 1, 2, NULL, &r), AGG_ENOMEM);
        assert_int_equal(agg_categorical(all[m], NULL, 0, 1, SIZE_MAX / 4, 2, NULL, &r), AGG_ENOMEM);
        assert_null(r.posterior);
    }
    struct agg_params p = defaults();
    p.tol = NAN;
    assert_int_equal(agg_categorical(AGG_DS, NULL, 0, 1, 1, 2, &p, &r), AGG_EINVAL);
    p = defaults();
    p.smoothing = -1;
    assert_int_equal(agg_categorical(AGG_DS, NULL, 0, 1, 1, 2, &p, &r), AGG_EINVAL);
    struct agg_numeric_result nr;
    assert_int_equal(agg_numeric(AGG_MEAN, NULL, 0, SIZE_MAX, 1, &nr), AGG_ENOMEM);
}

/* Smoothing: DS with a pseudo-count keeps every confusion entry away from 0 and 1. With a = 1 and a worker
 * who answered once (class 0 on an item that is class 0 with certainty), the row for truth 0 is
 * ((1 + 1)/(1 + 2), 1/(1 + 2)) = (2/3, 1/3) at the start. */
static void ds_smoothing(void **state)
{
    (void)state;
    const struct agg_answer a[] = {{0, 0, 0}};
    struct agg_params p = defaults();
    p.smoothing = 1;
    p.max_iter = 0;
    struct agg_result r;
    assert_int_equal(agg_categorical(AGG_DS, a, 1, 1, 1, 2, &p, &r), AGG_OK);
    assert_near(r.confusion[0 * 2 + 0], 2.0 / 3, 1e-12);
    assert_near(r.confusion[0 * 2 + 1], 1.0 / 3, 1e-12);
    /* Truth 1 was never seen: the uniform (1/2, 1/2). Priors (1 + 1)/(1 + 2) = 2/3. */
    assert_near(r.confusion[1 * 2 + 0], 0.5, 1e-12);
    assert_near(r.prior[0], 2.0 / 3, 1e-12);
    agg_result_free(&r);
}

/* Every allocation failing in turn gives AGG_ENOMEM and leaks nothing (the sanitizer build checks the
 * leaks); once enough allocations succeed the call works. */
static void allocation_failures(void **state)
{
    (void)state;
    struct agg_answer a[200];
    uint32_t truth[40];
    size_t n = experts(a, truth);
    const enum agg_method all[] = {AGG_MV, AGG_DS, AGG_ONECOIN, AGG_GLAD, AGG_MACE};
    for (size_t m = 0; m < 5; m++) {
        long k = 0;
        for (;; k++) {
            assert_true(k < 100);
            struct agg_result r;
            agg_test_fail_alloc(k);
            enum agg_status st = agg_categorical(all[m], a, n, 40, 5, 2, NULL, &r);
            agg_test_fail_alloc(-1);
            if (st == AGG_OK) {
                agg_result_free(&r);
                break;
            }
            assert_int_equal(st, AGG_ENOMEM);
            assert_null(r.label);
            assert_null(r.posterior);
        }
        assert_true(k > 5);
    }
    const struct agg_response resp[] = {{0, 2}};
    const struct agg_answer ticked[] = {{0, 0, 0}, {0, 1, 1}, {1, 0, 1}};
    for (long k = 0;; k++) {
        assert_true(k < 200);
        struct agg_multilabel_result r;
        agg_test_fail_alloc(k);
        enum agg_status st = agg_multilabel(AGG_DS, resp, 1, ticked, 3, 2, 3, 2, NULL, &r);
        agg_test_fail_alloc(-1);
        if (st == AGG_OK) {
            agg_multilabel_result_free(&r);
            break;
        }
        assert_int_equal(st, AGG_ENOMEM);
        assert_null(r.probability);
    }
    const struct agg_numeric_answer v[] = {{0, 0, 1}, {0, 1, 3}};
    for (long k = 0;; k++) {
        assert_true(k < 50);
        struct agg_numeric_result r;
        agg_test_fail_alloc(k);
        enum agg_status st = agg_numeric(AGG_MEDIAN, v, 2, 1, 2, &r);
        agg_test_fail_alloc(-1);
        if (st == AGG_OK) {
            assert_near(r.value[0], 2, 0);
            agg_numeric_result_free(&r);
            break;
        }
        assert_int_equal(st, AGG_ENOMEM);
    }
}

static void method_names(void **state)
{
    (void)state;
    enum agg_method m;
    assert_true(agg_method_parse("glad", &m));
    assert_int_equal(m, AGG_GLAD);
    assert_string_equal(agg_method_name(AGG_ONECOIN), "onecoin");
    assert_false(agg_method_parse("mean", &m));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mv_hand),
        cmocka_unit_test(onecoin_hand),
        cmocka_unit_test(models_find_experts),
        cmocka_unit_test(mace_spammer),
        cmocka_unit_test(objective_monotone),
        cmocka_unit_test(ds_recovers_its_model),
        cmocka_unit_test(crowdkit_ds_step_by_step),
        cmocka_unit_test(crowdkit_recovered),
        cmocka_unit_test(multilabel_hand),
        cmocka_unit_test(numeric_hand),
        cmocka_unit_test(edge_cases),
        cmocka_unit_test(ds_smoothing),
        cmocka_unit_test(allocation_failures),
        cmocka_unit_test(method_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
