/* Scoring a worker's answer to a gold task against the expected answer, per kind, with a short
 * explanation the worker is shown. Pure: no I/O. */
#ifndef FL_GOLD_H
#define FL_GOLD_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/schema_kind.h"

/* Every field's zero value means its default. */
struct gold_params {
    double pass_score;    /* score needed to pass; 0: 1.0 (exact, all labels, every object) */
    double iou_threshold; /* objects match at this IoU (OKS for keypoints, 3D IoU for cuboids; KITTI uses
                             0.7 for cars); 0: 0.5 */
    bool tie_no_credit;   /* llm_comparison: a tie against a choice (or the reverse) scores 0, not 0.5 */
    json_t *data;         /* the task's data, optional: quotes span text in explanations */
};

#define GOLD_EXPLANATION_MAX 512

struct gold_result {
    bool scorable;        /* false for free text, or when the expected answer cannot be compared */
    double score;         /* 0–1 */
    bool passed;          /* score ≥ pass_score */
    char explanation[GOLD_EXPLANATION_MAX]; /* UTF-8, for the worker */
};

/* Scores answer against expected (both answers of the kind under schema):
 *  - text_classification: 1 for the expected label, else 0; with "multiple", the Jaccard index of the
 *    label sets;
 *  - text_spans: F1 of exact (start, end, label) matches, 1 when both have none;
 *  - image_annotation: objects matched one-to-one by the Hungarian algorithm on IoU (boxes, polygons)
 *    or COCO's OKS against the expected skeleton (keypoints, geo_oks), same class and type, at least
 *    iou_threshold; score = F1 = 2·matches / (expected + drawn), 1 when both have none. Each missed
 *    object is named with its nearest unmatched drawing's IoU, e.g. "missed: person (best IoU 0.33)";
 *  - lidar_cuboids: the same on 3D IoU (BEV rotated IoU × height overlap);
 *  - llm_comparison: 1 for the same choice, 0.5 for a tie against a choice or the reverse (0 with
 *    tie_no_credit), else 0;
 *  - free_text: not scorable.
 * An expected answer that does not parse is not scorable either. params may be NULL. False only when
 * memory runs out. */
bool gold_score(enum project_kind kind, json_t *schema, json_t *expected, json_t *answer,
                const struct gold_params *params, struct gold_result *out);

/* The explanation alone, e.g. "expected label \"negative\", you chose \"positive\"" or "2 of 3 boxes
 * matched (IoU ≥ 0.5); missed: car". Writes at most cap bytes (NUL included) into buf, cut at a
 * character boundary; returns buf. */
const char *gold_explain(enum project_kind kind, json_t *schema, json_t *expected, json_t *answer,
                         const struct gold_params *params, char *buf, size_t cap);

#endif
