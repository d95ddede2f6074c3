/* Per-task results: weighted votes for labels, and the object/span/preference merges of
 * aggregate_geo for the other kinds. */
#include "core/consensus.h"

#include "core/aggregate_geo.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double consensus_accuracy(long gold_answered, double gold_score_sum)
{
    return (gold_score_sum + 2.8) / ((double)gold_answered + 4.0);
}

/* The log-odds a vote adds to its label under the one-coin model with k classes. */
static double vote_weight(const struct consensus_vote *v, size_t k, bool weighted)
{
    if (!weighted) return 1.0;
    double acc = v->accuracy;
    if (acc < 1e-3) acc = 1e-3;
    if (acc > 1 - 1e-3) acc = 1 - 1e-3;
    double w = log((double)(k > 1 ? k - 1 : 1) * acc / (1 - acc));
    return (w > 0 ? w : 0) * v->weight; /* a worse-than-chance worker's vote counts for nothing */
}

static long label_index(json_t *labels, const char *s)
{
    size_t i;
    json_t *l;
    json_array_foreach(labels, i, l) if (s && !strcmp(json_string_value(l), s)) return (long)i;
    return -1;
}

/* Single choice: score each label; the posterior is the softmax of the summed log-odds. */
static bool single_label(json_t *labels, const struct consensus_vote *votes, size_t n, bool weighted,
                         struct consensus *out)
{
    size_t k = json_array_size(labels);
    double *score = calloc(k ? k : 1, sizeof *score);
    if (!score) return false;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        long j = label_index(labels, json_string_value(json_object_get(votes[i].answer, "label")));
        if (j < 0) continue;
        double w = vote_weight(&votes[i], k, weighted);
        score[j] += w;
        total += w;
    }
    size_t best = 0;
    for (size_t j = 1; j < k; j++)
        if (score[j] > score[best]) best = j;
    if (weighted) {
        double z = 0;
        for (size_t j = 0; j < k; j++) z += exp(score[j] - score[best]);
        out->confidence = 1.0 / z;
    } else {
        out->confidence = total > 0 ? score[best] / total : 0;
    }
    free(score);
    out->result = json_pack("{s:O}", "label", json_array_get(labels, best));
    out->method = weighted ? "weighted_vote" : "majority_vote";
    return out->result != NULL;
}

/* Multiple choice: each label is a yes/no question voted on by every answer. */
static bool multi_label(json_t *labels, const struct consensus_vote *votes, size_t n, bool weighted,
                        struct consensus *out)
{
    json_t *chosen = json_array();
    double conf = 1.0;
    size_t j;
    json_t *l;
    json_array_foreach(labels, j, l) {
        double yes = 0, no = 0;
        for (size_t i = 0; i < n; i++) {
            json_t *picked = json_object_get(votes[i].answer, "labels");
            bool has = false;
            size_t m;
            json_t *p;
            json_array_foreach(picked, m, p) has = has || !strcmp(json_string_value(p), json_string_value(l));
            double w = vote_weight(&votes[i], 2, weighted);
            *(has ? &yes : &no) += w;
        }
        bool take = yes > no;
        double c = weighted ? 1.0 / (1.0 + exp(-fabs(yes - no))) : (yes + no > 0 ? (take ? yes : no) / (yes + no) : 1);
        if (c < conf) conf = c;
        if (take) json_array_append(chosen, l);
    }
    out->result = json_pack("{s:o}", "labels", chosen);
    out->confidence = conf; /* the least certain label decides how sure the whole answer is */
    out->method = weighted ? "weighted_vote_per_label" : "majority_vote_per_label";
    return out->result != NULL;
}

static bool from_geo(struct agg_geo_result *g, bool ok, struct consensus *out)
{
    if (ok) {
        out->result = json_incref(g->answer);
        out->confidence = g->confidence;
        out->method = g->method;
        agg_geo_result_free(g);
    }
    return ok;
}

bool consensus_compute(enum project_kind kind, json_t *schema, json_t *data, const struct consensus_vote *votes,
                       size_t n, const char *method, double iou_threshold, struct consensus *out)
{
    memset(out, 0, sizeof *out);
    if (n == 0) return true;
    bool weighted = !method || strcmp(method, "mv");
    if (kind == KIND_TEXT_CLASSIFICATION) {
        json_t *labels = json_object_get(schema, "labels");
        return json_is_true(json_object_get(schema, "multiple")) ? multi_label(labels, votes, n, weighted, out)
                                                                 : single_label(labels, votes, n, weighted, out);
    }
    struct agg_geo_answer *ga = calloc(n, sizeof *ga);
    if (!ga) return false;
    for (size_t i = 0; i < n; i++)
        ga[i] = (struct agg_geo_answer){.answer = votes[i].answer,
                                        .weight = weighted ? votes[i].accuracy * votes[i].weight : 1.0};
    struct agg_geo_result g = {0};
    bool ok;
    switch (kind) {
    case KIND_IMAGE_ANNOTATION:
    case KIND_LIDAR_CUBOIDS:
        ok = from_geo(&g, agg_objects(kind, ga, n, &(struct agg_geo_opts){.iou_threshold = iou_threshold}, &g), out);
        break;
    case KIND_TEXT_SPANS:
        ok = from_geo(&g, agg_spans(json_string_value(json_object_get(data, "text")), ga, n, &g), out);
        break;
    case KIND_LLM_COMPARISON: {
        struct agg_comparison_answer *ca = calloc(n, sizeof *ca);
        struct agg_comparison_task *tasks = NULL;
        size_t nt = 0;
        ok = ca != NULL;
        for (size_t i = 0; ok && i < n; i++)
            ca[i] = (struct agg_comparison_answer){.task_id = 1, .data = data, .answer = votes[i].answer,
                                                   .weight = ga[i].weight};
        ok = ok && agg_comparisons(ca, n, &(struct agg_bt_opts){0}, &tasks, &nt);
        if (ok && nt == 1) {
            out->result = json_incref(tasks[0].result.answer);
            out->confidence = tasks[0].result.confidence;
            out->method = tasks[0].result.method;
        }
        if (ok) agg_comparison_tasks_free(tasks, nt);
        free(ca);
        break;
    }
    default: ok = from_geo(&g, agg_free_text(ga, n, -1, &g), out); break;
    }
    free(ga);
    return ok;
}
