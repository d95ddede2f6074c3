/* bench/aggregate.c — the label-aggregation engine (core/aggregate.h) on synthetic data of growing size
 * (labels per second, time per label and per label-iteration) and on the truth-inference datasets
 * (accuracy beside the published figures). Run by bench/aggregate, which builds it with cc -O2. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/aggregate_cli.h"
#include "core/aggregate.h"

/* CPU time of this process: the machine may be shared, and waiting for a core is not our cost. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double wall(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* splitmix64: a fixed seed gives the same data on every machine. */
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

struct synth {
    size_t n, items, workers, K;
    struct agg_answer *a;
    uint32_t *truth;
};

/* labels answers, labels / 10 items, each answered by 10 distinct workers out of max(20, labels / 1000).
 * Worker w is right with probability p_w ~ U(0.25, 0.85); a wrong answer goes to a class drawn from the
 * worker's own random distribution over the other classes (so errors are not uniform). */
static void synth_make(struct synth *s, size_t labels, size_t K, uint64_t seed)
{
    rng_state = seed;
    s->K = K;
    s->items = labels / 10;
    s->n = s->items * 10;
    s->workers = labels / 1000 > 20 ? labels / 1000 : 20;
    s->a = malloc(s->n * sizeof *s->a);
    s->truth = malloc(s->items * sizeof *s->truth);
    double *acc = malloc(s->workers * sizeof *acc), *err = malloc(s->workers * K * sizeof *err);
    if (!s->a || !s->truth || !acc || !err) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    for (size_t w = 0; w < s->workers; w++) {
        acc[w] = 0.25 + 0.6 * urand();
        double t = 0;
        for (size_t k = 0; k < K; k++) t += err[w * K + k] = urand() * urand();
        for (size_t k = 0; k < K; k++) err[w * K + k] /= t;
    }
    size_t j = 0;
    for (size_t i = 0; i < s->items; i++) {
        uint32_t t = (uint32_t)(rng() % K);
        s->truth[i] = t;
        size_t first = (size_t)(rng() % s->workers);
        for (size_t r = 0; r < 10; r++) {
            /* 10 distinct workers: a random start and a stride that is 1 for small pools. */
            size_t w = (first + r * (s->workers / 10 > 0 ? s->workers / 10 : 1) + r) % s->workers;
            uint32_t l = t;
            if (urand() >= acc[w]) {
                double u = urand() * (1 - err[w * K + t]), c = 0;
                l = (uint32_t)(t == 0 ? 1 : 0);
                for (size_t k = 0; k < K; k++) {
                    if (k == t) continue;
                    c += err[w * K + k];
                    if (u < c) {
                        l = (uint32_t)k;
                        break;
                    }
                }
            }
            s->a[j++] = (struct agg_answer){(uint32_t)i, (uint32_t)w, l};
        }
    }
    free(acc);
    free(err);
}

static const enum agg_method methods[] = {AGG_MV, AGG_DS, AGG_ONECOIN, AGG_GLAD, AGG_MACE};
#define N_METHODS (sizeof methods / sizeof *methods)
/* The synthetic rows: each method with its defaults, then a fixed amount of work (tol -inf), where the
 * time per label must not grow with size: Dawid–Skene for 100 iterations, GLAD for 20. */
struct fixed_row {
    const char *name;
    enum agg_method m;
    int iterations;
};
static const struct fixed_row fixed_rows[] = {{"ds-100", AGG_DS, 100}, {"glad-20", AGG_GLAD, 20}};
#define N_ROWS (N_METHODS + sizeof fixed_rows / sizeof *fixed_rows)

static const char *row_name(size_t mi)
{
    return mi < N_METHODS ? agg_method_name(methods[mi]) : fixed_rows[mi - N_METHODS].name;
}

/* The seed of each standard size (others take the first): bench/aggregate_api loads the same answers. */
static uint64_t size_seed(size_t labels)
{
    return labels == 1000000 ? 44 : labels == 100000 ? 43 : 42;
}

/* item,worker,label,truth per answer, in item order: what bench/aggregate_api writes into a project. */
static int dump_synth(size_t labels, const char *path)
{
    struct synth s;
    synth_make(&s, labels, 10, size_seed(labels));
    FILE *f = fopen(path, "w");
    if (!f) {
        perror(path);
        return 1;
    }
    for (size_t j = 0; j < s.n; j++)
        fprintf(f, "%u,%u,%u,%u\n", s.a[j].item, s.a[j].worker, s.a[j].label, s.truth[s.a[j].item]);
    int rc = fclose(f) ? 1 : 0;
    printf("items=%zu workers=%zu labels=%zu\n", s.items, s.workers, s.n);
    free(s.a);
    free(s.truth);
    return rc;
}

/* sizes: 10^4, 10^5 and 10^6 up to max_labels, or the one size `one` when it is not 0. */
static void bench_sizes(double min_seconds, size_t max_labels, size_t one, const char *only)
{
    size_t sizes[] = {10000, 100000, 1000000};
    if (one) sizes[0] = one, sizes[1] = sizes[2] = SIZE_MAX;
    double per_label[N_ROWS][3] = {{0}};
    printf("synthetic: 10 classes, items = labels / 10, 10 answers per item, workers = max(20, labels / 1000);\n"
           "default parameters (at most 100 iterations, tol 1e-5); ds-100 and glad-20 are forced to run 100 and 20\n"
           "iterations (tol -inf); CPU seconds, best of repeated runs (at least %.1f s per row)\n\n",
           min_seconds);
    printf("%-8s %9s %5s %10s %10s %12s %10s %14s %9s\n", "method", "labels", "iter", "cpu s", "wall s", "labels/s",
           "ns/label", "ns/label/iter", "accuracy");
    for (size_t si = 0; si < 3 && sizes[si] <= max_labels; si++) {
        struct synth s;
        synth_make(&s, sizes[si], 10, size_seed(sizes[si]));
        for (size_t mi = 0; mi < N_ROWS; mi++) {
            struct agg_params prm;
            agg_params_default(&prm);
            enum agg_method m = mi < N_METHODS ? methods[mi] : fixed_rows[mi - N_METHODS].m;
            const char *row = row_name(mi);
            if (only && strcmp(only, row)) continue;
            if (mi >= N_METHODS) prm.tol = -INFINITY, prm.max_iter = fixed_rows[mi - N_METHODS].iterations;
            double best = INFINITY, best_wall = 0, spent = 0;
            int iters = 0, reps = 0;
            double accuracy = 0;
            while (reps < 1 || (spent < min_seconds && reps < 50)) {
                struct agg_result r;
                double t0 = now(), w0 = wall();
                enum agg_status st = agg_categorical(m, s.a, s.n, s.items, s.workers, s.K, &prm, &r);
                double dt = now() - t0, dw = wall() - w0;
                if (st) {
                    fprintf(stderr, "aggregation failed: %d\n", (int)st);
                    exit(1);
                }
                spent += dt, reps++;
                if (dt < best) best = dt, best_wall = dw;
                iters = r.iterations;
                size_t ok = 0;
                for (size_t i = 0; i < s.items; i++) ok += r.label[i] == (int32_t)s.truth[i];
                accuracy = (double)ok / (double)s.items;
                agg_result_free(&r);
            }
            per_label[mi][si] = best / (double)s.n;
            printf("%-8s %9zu %5d %10.4f %10.4f %12.0f %10.1f %14.2f %9.4f\n", row, s.n, iters, best, best_wall,
                   (double)s.n / best, best / (double)s.n * 1e9,
                   best / (double)s.n / (iters > 0 ? iters : 1) * 1e9, accuracy);
            fflush(stdout);
        }
        free(s.a);
        free(s.truth);
    }
    printf("\ngrowth of time per label (1.00 = linear): ");
    const char *sep = "";
    for (size_t mi = 0; mi < N_ROWS; mi++) {
        const char *row = row_name(mi);
        if (only && strcmp(only, row)) continue;
        printf("%s%s", sep, row);
        sep = "; ";
        for (size_t si = 1; si < 3 && sizes[si] <= max_labels; si++)
            printf(" %.2f", per_label[mi][si] / per_label[mi][si - 1]);
    }
    printf("\n");
}

/* Published accuracies (../shared/data/truth/README.md); negative: none. */
struct published {
    const char *dir;
    double mv, ds, glad, mace;
};
static const struct published published[] = {
    {"crowdkit_toy", -1, 1, -1, -1},
    {"crowdkit_simple", -1, 1, -1, -1},
    {"d_jn-product", 0.897, 0.940, 0.928, 0.929},
    {"d_sentiment", 0.932, 0.960, 0.948, 0.950},
    {"s4_Relevance", 0.536, 0.615, 0.511, 0.501},
    {"s5_AdultContent", 0.763, 0.748, 0.760, 0.763},
    {"snow2008_rte", 0.919, 0.928, -1, -1},
    {"snow2008_temp", 0.939, 0.942, -1, -1},
    {"snow2008_wsd", 0.994, 0.994, -1, -1},
};

static void cell(double ours, double pub)
{
    char b[32];
    if (pub >= 0) snprintf(b, sizeof b, "%.3f (%.3f)", ours, pub);
    else snprintf(b, sizeof b, "%.3f", ours);
    printf(" %-14s", b);
}

static void bench_datasets(const char *root)
{
    printf("\ndatasets in %s: accuracy on the items with both answers and a truth (published in brackets);\n"
           "default parameters; mace+p = MACE with estimated class priors\n\n", root);
    printf("%-16s %6s %6s %5s %3s  %-14s %-14s %-14s %-14s %-14s %-14s %8s\n", "dataset", "items", "answ", "eval",
           "K", "mv", "ds", "onecoin", "glad", "mace", "mace+p", "ds ms");
    for (size_t di = 0; di < sizeof published / sizeof *published; di++) {
        char a[4096], t[4096], err[1024];
        snprintf(a, sizeof a, "%s/%s/answer.csv", root, published[di].dir);
        snprintf(t, sizeof t, "%s/%s/truth.csv", root, published[di].dir);
        struct agg_dataset d;
        struct agg_truth tr;
        if (!cli_agg_load_answers(a, &d, err, sizeof err)) {
            printf("%-16s %s\n", published[di].dir, err);
            continue;
        }
        if (!cli_agg_load_truth(t, &d, &tr, err, sizeof err)) {
            printf("%-16s %s\n", published[di].dir, err);
            cli_agg_dataset_free(&d);
            continue;
        }
        double acc[6], ds_ms = 0;
        size_t evaluated = 0;
        for (int mi = 0; mi < 6; mi++) {
            struct agg_params p;
            agg_params_default(&p);
            p.mace_estimate_prior = mi == 5;
            struct agg_result r;
            double t0 = now();
            if (agg_categorical(mi == 5 ? AGG_MACE : methods[mi], d.answers, d.n_answers, d.n_items, d.n_workers,
                                d.n_labels, &p, &r)) {
                fprintf(stderr, "aggregation failed\n");
                exit(1);
            }
            if (mi == 1) ds_ms = (now() - t0) * 1e3;
            size_t ok = 0;
            evaluated = 0;
            for (size_t i = 0; i < d.n_items; i++) {
                if (!tr.by_item[i] || r.label[i] == AGG_NO_LABEL) continue;
                evaluated++;
                ok += !strcmp(d.labels[r.label[i]], tr.by_item[i]);
            }
            acc[mi] = evaluated ? (double)ok / (double)evaluated : NAN;
            agg_result_free(&r);
        }
        printf("%-16s %6zu %6zu %5zu %3zu ", published[di].dir, d.n_items, d.n_answers, evaluated, d.n_labels);
        cell(acc[0], published[di].mv);
        cell(acc[1], published[di].ds);
        cell(acc[2], -1);
        cell(acc[3], published[di].glad);
        cell(acc[4], published[di].mace);
        cell(acc[5], -1);
        printf(" %8.1f\n", ds_ms);
        fflush(stdout);
        cli_agg_truth_free(&tr);
        cli_agg_dataset_free(&d);
    }
}

/* N_Emotion: mean and median against the published MAE / RMSE (12.02 / 17.84 and 13.53 / 21.26). */
static void bench_numeric(const char *root)
{
    char a[4096], t[4096], err[1024];
    snprintf(a, sizeof a, "%s/f201_Emotion_FULL/answer.csv", root);
    snprintf(t, sizeof t, "%s/f201_Emotion_FULL/truth.csv", root);
    struct agg_dataset d;
    struct agg_truth tr;
    if (!cli_agg_load_answers(a, &d, err, sizeof err)) {
        printf("f201_Emotion_FULL: %s\n", err);
        return;
    }
    if (!cli_agg_load_truth(t, &d, &tr, err, sizeof err)) {
        printf("f201_Emotion_FULL: %s\n", err);
        cli_agg_dataset_free(&d);
        return;
    }
    struct agg_numeric_answer *na = malloc(d.n_answers * sizeof *na);
    if (!na) exit(1);
    for (size_t j = 0; j < d.n_answers; j++)
        na[j] = (struct agg_numeric_answer){d.answers[j].item, d.answers[j].worker, atof(d.labels[d.answers[j].label])};
    static const double pub[2][2] = {{12.02, 17.84}, {13.53, 21.26}};
    printf("\nf201_Emotion_FULL (N_Emotion, %zu answers, %zu items): MAE / RMSE (published)\n", d.n_answers, d.n_items);
    for (int m = 0; m < 2; m++) {
        struct agg_numeric_result r;
        if (agg_numeric(m ? AGG_MEDIAN : AGG_MEAN, na, d.n_answers, d.n_items, d.n_workers, &r)) exit(1);
        double ae = 0, se = 0;
        size_t n = 0;
        for (size_t i = 0; i < d.n_items; i++) {
            if (!tr.by_item[i] || !r.count[i]) continue;
            double e = r.value[i] - atof(tr.by_item[i]);
            ae += fabs(e), se += e * e, n++;
        }
        printf("  %-6s %.2f / %.2f  (%.2f / %.2f)\n", m ? "median" : "mean", ae / (double)n, sqrt(se / (double)n),
               pub[m][0], pub[m][1]);
        agg_numeric_result_free(&r);
    }
    free(na);
    cli_agg_truth_free(&tr);
    cli_agg_dataset_free(&d);
}

int main(int argc, char **argv)
{
    double min_seconds = 1;
    size_t max_labels = 1000000;
    size_t one = 0;
    const char *data = NULL, *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dump") && i + 2 < argc) return dump_synth((size_t)atol(argv[i + 1]), argv[i + 2]);
        if (!strcmp(argv[i], "--labels") && i + 1 < argc) one = max_labels = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--min-seconds") && i + 1 < argc) min_seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--max-labels") && i + 1 < argc) max_labels = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--data") && i + 1 < argc) data = argv[++i];
        else if (!strcmp(argv[i], "--only") && i + 1 < argc) only = argv[++i];
        else {
            fprintf(stderr, "usage: bench-aggregate [--min-seconds S] [--max-labels N | --labels N] [--only ROW] [--data DIR]\n"
                            "       bench-aggregate --dump LABELS FILE   (the synthetic answers of that size as CSV)\n");
            return 2;
        }
    }
    if (max_labels > 0) bench_sizes(min_seconds, max_labels, one, only);
    if (data) {
        bench_datasets(data);
        bench_numeric(data);
    }
    return 0;
}
