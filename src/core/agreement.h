/* Inter-annotator agreement on a project's answers (the triples of aggregate.h): Krippendorff's alpha
 * (nominal and interval), Fleiss' kappa, and each worker's agreement with the others. Pure: no I/O.
 * Call with one project's answers to get that project's figures.
 *
 * Every answer is one value: a worker who answers an item twice contributes two values (as in
 * aggregate.h). Items with fewer than two answers carry no information about agreement and are
 * left out everywhere. A figure that is undefined (no item with two answers, or no variation at all
 * so that chance agreement is 1) is NaN. Each function returns AGG_OK, AGG_EINVAL for an index out of
 * range or a value not finite, or AGG_ENOMEM. Cost O(answers + items + classes), per worker
 * O(answers log answers-per-item). */
#ifndef FL_AGREEMENT_H
#define FL_AGREEMENT_H
#include <stddef.h>

#include "core/aggregate.h"

/* Krippendorff's alpha with the nominal metric (Krippendorff 2011, "Computing Krippendorff's
 * alpha-reliability"): 1 − (n − 1) Σ_u (m_u² − Σ_c n_uc²)/(m_u − 1) / (n² − Σ_c n_c²), with m_u the
 * values of unit u, n_uc those equal to c, n and n_c the totals over pairable units. */
enum agg_status agree_alpha_nominal(const struct agg_answer *a, size_t n, size_t n_items, size_t n_classes,
                                    double *alpha);

/* Krippendorff's alpha with the interval metric (squared differences) on numeric answers. */
enum agg_status agree_alpha_interval(const struct agg_numeric_answer *a, size_t n, size_t n_items, double *alpha);

/* Fleiss' kappa, in the generalisation for varying numbers of raters per item: P_i = (Σ_c n_ic² − m_i) /
 * (m_i (m_i − 1)), P̄ the unweighted mean of P_i over items with m_i ≥ 2, p_c the share of class c among
 * all their ratings, P_e = Σ_c p_c², kappa = (P̄ − P_e) / (1 − P_e). With the same m on every item it
 * is exactly Fleiss (1971). */
enum agg_status agree_fleiss_kappa(const struct agg_answer *a, size_t n, size_t n_items, size_t n_classes,
                                   double *kappa);

/* A worker's agreement with the other workers on shared items. Every pair (one of w's answers, one
 * answer by another worker on the same item) is compared:
 *  - agreement: the share of those pairs with the same label (NaN when w shares no item);
 *  - kappa: (agreement − P_e) / (1 − P_e), chance-corrected with Fleiss' P_e of the whole project
 *    (the chance that two random ratings agree);
 *  - pairs: how many pairs were compared. */
struct agree_worker {
    double agreement, kappa, pairs;
};

/* out has n_workers entries. */
enum agg_status agree_workers(const struct agg_answer *a, size_t n, size_t n_items, size_t n_workers,
                              size_t n_classes, struct agree_worker *out);

#endif
