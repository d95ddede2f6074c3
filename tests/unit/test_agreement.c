/* Unit tests for inter-annotator agreement (core/agreement.h) on textbook examples with published values. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "core/agreement.h"

/* cmocka 1.1 compares floats only in single precision. */
#define assert_near(a, b, eps)                                                                             \
    do {                                                                                                   \
        double a_ = (a), b_ = (b);                                                                         \
        if (!(fabs(a_ - b_) <= (eps))) fail_msg("%s = %.10g, expected %.10g ± %g", #a, a_, b_, (double)(eps)); \
    } while (0)

/* Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the example for any number of
 * observers with missing data: 4 observers (rows), 12 units (columns), 0 = missing. Published:
 * nominal alpha = 0.743, interval alpha = 0.849. */
static const int kripp[4][12] = {
    {1, 2, 3, 3, 2, 1, 4, 1, 2, 0, 0, 0},
    {1, 2, 3, 3, 2, 2, 4, 1, 2, 5, 0, 3},
    {0, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, 0},
    {1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, 0},
};

static size_t kripp_answers(struct agg_answer *a, struct agg_numeric_answer *v)
{
    size_t n = 0;
    for (uint32_t o = 0; o < 4; o++)
        for (uint32_t u = 0; u < 12; u++) {
            if (!kripp[o][u]) continue;
            /* Values 1..5 as classes 0..4 for the nominal metric, as numbers for the interval one. */
            a[n] = (struct agg_answer){u, o, (uint32_t)kripp[o][u] - 1};
            v[n] = (struct agg_numeric_answer){u, o, kripp[o][u]};
            n++;
        }
    return n;
}

static void krippendorff_nominal_and_interval(void **state)
{
    (void)state;
    struct agg_answer a[48];
    struct agg_numeric_answer v[48];
    size_t n = kripp_answers(a, v);
    assert_int_equal(n, 41);
    double alpha;
    assert_int_equal(agree_alpha_nominal(a, n, 12, 5, &alpha), AGG_OK);
    assert_near(alpha, 0.743, 0.0005);
    assert_int_equal(agree_alpha_interval(v, n, 12, &alpha), AGG_OK);
    assert_near(alpha, 0.849, 0.0005);
}

/* Fleiss (1971) as given on Wikipedia ("Fleiss' kappa", worked example): 10 items, 14 raters each,
 * 5 categories; each row is how many raters chose each category. Published: P̄ = 0.378, P_e = 0.213,
 * kappa = 0.210. */
static const int fleiss_counts[10][5] = {
    {0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
    {7, 7, 0, 0, 0},  {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7},
};

static void fleiss_wikipedia(void **state)
{
    (void)state;
    struct agg_answer a[140];
    size_t n = 0;
    for (uint32_t i = 0; i < 10; i++) {
        uint32_t rater = 0;
        for (uint32_t c = 0; c < 5; c++)
            for (int k = 0; k < fleiss_counts[i][c]; k++) a[n++] = (struct agg_answer){i, rater++, c};
        assert_int_equal(rater, 14);
    }
    double kappa;
    assert_int_equal(agree_fleiss_kappa(a, n, 10, 5, &kappa), AGG_OK);
    assert_near(kappa, 0.210, 0.0005);
}

/* Three workers, two items, labels a = 0, b = 1: item 0 gets a, a, b; item 1 gets b, b, b.
 * Worker 0 meets (a, b) on item 0 (1 match of 2) and (b, b) on item 1 (2 of 2): agreement 3/4.
 * Worker 2 meets (a, a) then (b, b): 2/4. Pooled shares a 2/6, b 4/6: P_e = 1/9 + 4/9 = 5/9, so
 * kappa(worker 0) = (3/4 − 5/9) / (4/9) = 7/16 and kappa(worker 2) = (1/2 − 5/9) / (4/9) = −1/8. */
static void per_worker(void **state)
{
    (void)state;
    const struct agg_answer a[] = {{0, 0, 0}, {0, 1, 0}, {0, 2, 1}, {1, 0, 1}, {1, 1, 1}, {1, 2, 1}};
    struct agree_worker w[4];
    assert_int_equal(agree_workers(a, 6, 2, 4, 2, w), AGG_OK);
    assert_near(w[0].agreement, 0.75, 1e-12);
    assert_near(w[0].pairs, 4, 0);
    assert_near(w[0].kappa, 7.0 / 16, 1e-12);
    assert_near(w[1].agreement, 0.75, 1e-12);
    assert_near(w[2].agreement, 0.5, 1e-12);
    assert_near(w[2].kappa, -1.0 / 8, 1e-12);
    /* Worker 3 answered nothing. */
    assert_true(isnan(w[3].agreement) && isnan(w[3].kappa));
    assert_near(w[3].pairs, 0, 0);
}

/* A worker's repeated answers on one item are not compared with each other: worker 0 answers item 0
 * twice (a, a) and worker 1 once (b). Worker 0's two answers each meet worker 1's b: 0 of 2 match;
 * worker 1 meets a and a: 0 of 2. */
static void per_worker_repeats(void **state)
{
    (void)state;
    const struct agg_answer a[] = {{0, 0, 0}, {0, 0, 0}, {0, 1, 1}};
    struct agree_worker w[2];
    assert_int_equal(agree_workers(a, 3, 1, 2, 2, w), AGG_OK);
    assert_near(w[0].agreement, 0, 0);
    assert_near(w[0].pairs, 2, 0);
    assert_near(w[1].agreement, 0, 0);
    assert_near(w[1].pairs, 2, 0);
}

/* Undefined cases give NaN; bad indices give AGG_EINVAL. */
static void undefined_and_invalid(void **state)
{
    (void)state;
    double x;
    /* Everyone agrees on one label: no variation, chance agreement 1. */
    const struct agg_answer same[] = {{0, 0, 1}, {0, 1, 1}, {1, 0, 1}, {1, 1, 1}};
    assert_int_equal(agree_alpha_nominal(same, 4, 2, 2, &x), AGG_OK);
    assert_true(isnan(x));
    assert_int_equal(agree_fleiss_kappa(same, 4, 2, 2, &x), AGG_OK);
    assert_true(isnan(x));
    /* No item with two answers. */
    const struct agg_answer single[] = {{0, 0, 0}, {1, 1, 1}};
    assert_int_equal(agree_alpha_nominal(single, 2, 2, 2, &x), AGG_OK);
    assert_true(isnan(x));
    assert_int_equal(agree_alpha_nominal(NULL, 0, 0, 2, &x), AGG_OK);
    assert_true(isnan(x));
    const struct agg_numeric_answer nv[] = {{0, 0, 1.5}, {0, 1, 1.5}};
    assert_int_equal(agree_alpha_interval(nv, 2, 1, &x), AGG_OK);
    assert_true(isnan(x));
    /* Perfect agreement with variation between items: alpha 1, kappa 1. */
    const struct agg_answer perfect[] = {{0, 0, 0}, {0, 1, 0}, {1, 0, 1}, {1, 1, 1}};
    assert_int_equal(agree_alpha_nominal(perfect, 4, 2, 2, &x), AGG_OK);
    assert_near(x, 1, 1e-12);
    assert_int_equal(agree_fleiss_kappa(perfect, 4, 2, 2, &x), AGG_OK);
    assert_near(x, 1, 1e-12);
    const struct agg_answer bad[] = {{0, 0, 2}};
    assert_int_equal(agree_alpha_nominal(bad, 1, 1, 2, &x), AGG_EINVAL);
    assert_int_equal(agree_fleiss_kappa(bad, 1, 1, 2, &x), AGG_EINVAL);
    const struct agg_numeric_answer nan_value[] = {{0, 0, NAN}};
    assert_int_equal(agree_alpha_interval(nan_value, 1, 1, &x), AGG_EINVAL);
    struct agree_worker w[1];
    const struct agg_answer bad_worker[] = {{0, 1, 0}};
    assert_int_equal(agree_workers(bad_worker, 1, 1, 1, 2, w), AGG_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(krippendorff_nominal_and_interval),
        cmocka_unit_test(fleiss_wikipedia),
        cmocka_unit_test(per_worker),
        cmocka_unit_test(per_worker_repeats),
        cmocka_unit_test(undefined_and_invalid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
