/* Label aggregation over a whole project's answers: majority vote, Dawid–Skene, one-coin Dawid–Skene,
 * GLAD and MACE for categorical labels, per-label binary aggregation for multi-label answers, and the
 * mean and median of numeric answers. Pure: no I/O. One answer is one vote: a worker who answers the
 * same item twice votes twice (as crowd-kit counts repeated rows).
 *
 * Everything works on dense indices (item < n_items, worker < n_workers, label < n_classes). Each EM
 * iteration costs O(answers × classes + items × classes + workers × classes²): there is no
 * items × workers array anywhere. Probabilities are combined in log space and normalised from the
 * row maximum, so hundreds of answers per item do not underflow. */
#ifndef FL_AGGREGATE_H
#define FL_AGGREGATE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum agg_status {
    AGG_OK = 0,
    AGG_ENOMEM = 1, /* an allocation failed, or the arrays asked for would not fit in size_t */
    AGG_EINVAL = 2, /* an index out of range, n_classes 0 or above INT32_MAX, a value not finite */
};

/* One answer: worker said label about item. */
struct agg_answer {
    uint32_t item, worker, label;
};

enum agg_method {
    /* Majority vote. Ties go to the lowest label index (the CLI numbers labels in sorted string order,
     * so that is the first label in sorted order). Posterior = vote fractions. */
    AGG_MV,
    /* Dawid & Skene 1979: a full confusion matrix per worker, class priors, EM, as crowd-kit does it:
     * initialised from the vote fractions of majority vote ("soft MV") and an M step on them; each
     * iteration an E step then an M step; stops when the evidence lower bound per answer improves by
     * less than tol. (The ELBO here counts the class prior once per item; crowd-kit's counts it once per
     * answer. The updates are the same; only the iteration it stops at can differ.) */
    AGG_DS,
    /* One-coin Dawid–Skene: one accuracy p per worker, wrong answers uniform over the other classes. */
    AGG_ONECOIN,
    /* GLAD (Whitehill et al. 2009): P(correct) = sigmoid(alpha_w × beta_i), alpha the worker's ability,
     * beta = exp(b) > 0 the inverse difficulty of the item, wrong answers uniform; Gaussian priors
     * N(glad_alpha_mean, 1) on alpha and N(glad_b_mean, 1) on b; uniform class prior (fixed, as in the
     * paper and crowd-kit). Starts at the prior means with the soft MV posteriors; each iteration an M
     * step, gradient ascent on the expected log posterior (at most glad_m_steps diagonal Newton steps,
     * each halved until the objective rises), then an E step. */
    AGG_GLAD,
    /* MACE (Hovy et al. 2013): worker w answers the truth with probability theta_w, otherwise spams
     * with a label drawn from its strategy xi_w; uniform class prior (fixed, as in the paper). Fitted by
     * variational Bayes as MACE and crowd-kit do by default: a Beta(mace_theta_a, mace_theta_b) prior
     * on (honest, spamming) and a symmetric Dirichlet(mace_strategy_prior) on xi; mace_em switches to
     * plain EM with those priors added as pseudo-counts. Initialised from soft MV with theta 0.5 and
     * uniform strategies (deterministic: no random restarts). */
    AGG_MACE,
};

struct agg_params {
    int max_iter;     /* EM iterations at most; 0 returns the initialisation (soft MV). Default 100 */
    double tol;       /* stop when the objective per answer improves by less than this (-INFINITY: never).
                         Default 1e-5 */
    double smoothing; /* DS: pseudo-count added to every confusion count and class count; one-coin:
                         Beta(s, s) on each accuracy. 0 (default, as crowd-kit): no smoothing, counts
                         and probabilities clipped below at 1e-10 so every log stays finite */
    double glad_alpha_mean; /* default 1 */
    double glad_b_mean;     /* default 1 (beta = e at the prior mean) */
    int glad_m_steps;       /* gradient steps per M step at most; default 10 */
    double mace_theta_a, mace_theta_b; /* default 0.5, 0.5 (Hovy et al.); both > 0 */
    double mace_strategy_prior;        /* default 10 (MACE's and crowd-kit's); > 0 */
    bool mace_em;                      /* default false (variational Bayes) */
    bool mace_estimate_prior;          /* default false (uniform); true: class priors = the mean posterior,
                                          re-estimated each round (helps on skewed classes) */
};

/* The defaults above. A NULL params pointer means the same. */
void agg_params_default(struct agg_params *p);

#define AGG_NO_LABEL (-1)

/* Filled by agg_categorical; free with agg_result_free (also safe on a zeroed or failed result). */
struct agg_result {
    size_t n_items, n_workers, n_classes;
    int iterations;   /* EM iterations run (0 for MV) */
    double objective; /* the last objective per answer, the one tol is applied to. DS, one-coin: the
                         ELBO; GLAD: log-likelihood + log prior density; MACE: the (variational)
                         log-likelihood of the parameters its last E step used; 0 for MV */
    int32_t *label;     /* [n_items] chosen class; AGG_NO_LABEL for an item without answers */
    double *confidence; /* [n_items] the posterior of the chosen class (MV: its vote fraction); 0
                           without answers */
    double *posterior;  /* [n_items × n_classes] row-major; an item without answers gets `prior` */
    double *prior;      /* [n_classes] DS, one-coin: the estimated class priors; MV: the share of all
                           votes; GLAD, MACE (whose model prior is uniform): the mean posterior */
    double *worker_quality; /* [n_workers] estimated accuracy, NaN for a worker without answers:
                               DS: sum_k prior_k × confusion[k][k]; one-coin: p; GLAD: the mean of
                               sigmoid(alpha × beta) over the worker's answers; MACE: theta +
                               (1 − theta) × sum_k prior_k × xi_k; MV: share of answers equal to the
                               item's majority label */
    double *confusion;  /* [n_workers × n_classes × n_classes]: confusion[(w × K + t) × K + o] =
                           P(worker w answers o | truth t), rows sum to 1. DS, one-coin, MACE: the
                           model's; MV, GLAD: the DS M step applied to their posteriors */
    double *worker_param; /* [n_workers] GLAD: alpha; MACE: theta; else NULL */
    double *item_param;   /* [n_items] GLAD: beta = exp(b); else NULL */
};

/* Aggregates n answers with method m. With n_classes 1 every answered item gets class 0 with certainty.
 * On an error nothing is left allocated in out. */
enum agg_status agg_categorical(enum agg_method m, const struct agg_answer *answers, size_t n, size_t n_items,
                                size_t n_workers, size_t n_classes, const struct agg_params *params,
                                struct agg_result *out);
void agg_result_free(struct agg_result *r);

/* "mv", "ds", "onecoin", "glad", "mace"; parse returns false for an unknown name. */
const char *agg_method_name(enum agg_method m);
bool agg_method_parse(const char *name, enum agg_method *m);

/* Multi-label answers, aggregated one label at a time as a yes/no question. A response is one
 * worker's submission for an item (whatever they ticked, perhaps nothing); ticked holds one
 * (item, worker, label) triple per label ticked, with label < n_labels. For each label L every
 * distinct (item, worker) response becomes a binary answer: class 1 when that response ticked L,
 * class 0 when not. A ticked triple implies its response, so responses only has to list the
 * submissions that ticked nothing (listing all is fine). A pair given twice counts once. */
struct agg_response {
    uint32_t item, worker;
};

struct agg_multilabel_result {
    size_t n_items, n_workers, n_labels;
    int iterations;         /* the most any label took */
    double *probability;    /* [n_items × n_labels] posterior that label applies (class 1) */
    unsigned char *chosen;  /* [n_items × n_labels] 1 when the binary method picked class 1 (ties: 0) */
    double *worker_quality; /* [n_workers × n_labels] the binary method's worker quality per label */
};

enum agg_status agg_multilabel(enum agg_method m, const struct agg_response *responses, size_t n_responses,
                               const struct agg_answer *ticked, size_t n_ticked, size_t n_items, size_t n_workers,
                               size_t n_labels, const struct agg_params *params, struct agg_multilabel_result *out);
void agg_multilabel_result_free(struct agg_multilabel_result *r);

/* Numeric answers: the per-item mean, or median (the mean of the two middle values for an even count). */
struct agg_numeric_answer {
    uint32_t item, worker;
    double value;
};

enum agg_numeric_method { AGG_MEAN, AGG_MEDIAN };

struct agg_numeric_result {
    size_t n_items, n_workers;
    double *value;        /* [n_items] NaN without answers */
    uint32_t *count;      /* [n_items] answers */
    double *spread;       /* [n_items] standard deviation of the answers (population), NaN without */
    double *worker_error; /* [n_workers] mean absolute difference between the worker's answers and the
                             items' values; NaN without answers */
};

enum agg_status agg_numeric(enum agg_numeric_method m, const struct agg_numeric_answer *answers, size_t n,
                            size_t n_items, size_t n_workers, struct agg_numeric_result *out);
void agg_numeric_result_free(struct agg_numeric_result *r);

/* For tests of the failure paths: the n-th allocation from now (0 = the next) made by this module in
 * the calling thread fails; -1 (the default) turns it off. */
void agg_test_fail_alloc(long n);

#endif
