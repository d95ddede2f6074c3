/* One task's result from its answers, recomputed as each answer arrives (or changes in review).
 * Pure: no I/O. Batch methods over a whole project (Dawid–Skene, GLAD, MACE) live in aggregate.h. */
#ifndef FL_CONSENSUS_H
#define FL_CONSENSUS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/schema_kind.h"

struct consensus_vote {
    json_t *answer;  /* borrowed */
    double accuracy; /* the worker's estimated accuracy, 0–1 (see consensus_accuracy) */
    double weight;   /* multiplier from quality rules: 1, or less after "lower_weight" */
};

struct consensus {
    json_t *result;     /* an answer of the project's kind (new reference), or NULL without answers */
    double confidence;  /* 0–1; the posterior probability of the result where the model has one */
    const char *method; /* static string naming what produced it */
};

/* A worker's accuracy from their gold record: the posterior mean under a Beta prior with mean 0.7
 * and strength 4, so a new worker counts as fairly reliable and a few gold answers move it. */
double consensus_accuracy(long gold_answered, double gold_score_sum);

/* method: "mv" (plain votes; confidence = the winner's vote share) or "weighted" (each vote counts
 * with the log-odds of its worker's accuracy, one-coin model; confidence = posterior). Ties go to the
 * label listed first in the schema. Other kinds merge as aggregate_geo.h describes, each vote
 * weighing accuracy × weight: objects clustered at iou_threshold, spans by a token vote over the
 * task's text (data), preferences by Bradley–Terry, free text the most reliable worker's answer.
 * False only when out of memory. */
bool consensus_compute(enum project_kind kind, json_t *schema, json_t *data, const struct consensus_vote *votes,
                       size_t n, const char *method, double iou_threshold, struct consensus *out);

#endif
