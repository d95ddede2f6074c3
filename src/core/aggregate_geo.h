/* Merging several workers' answers of the non-categorical kinds into one: objects (boxes, polygons,
 * keypoints, cuboids) clustered by IoU, spans by a token vote, preferences by Bradley–Terry, free text
 * by pick. Every answer comes with its worker's weight (a skill, 0–1). Pure: no I/O. */
#ifndef FL_AGGREGATE_GEO_H
#define FL_AGGREGATE_GEO_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/geometry.h"
#include "core/schema_kind.h"

/* One worker's answer (borrowed) and that worker's weight. When the weights of the answers being
 * merged sum to 0 (or less), every answer counts 1. */
struct agg_geo_answer {
    json_t *answer;
    double weight;
};

struct agg_geo_opts {
    double iou_threshold; /* an object joins a cluster at this mean IoU (OKS for keypoints); 0: 0.5 */
    size_t min_votes;     /* clusters with fewer workers are dropped; 0: more than half of the answers */
};

struct agg_geo_result {
    json_t *answer;          /* the consensus, shaped as an answer of the kind (new reference) */
    const char *method;      /* static: "iou_cluster", "token_vote", "bradley_terry", "highest_skill",
                                "reviewer_pick" */
    double confidence;       /* the task's, 0–1; 0 without answers */
    size_t n_items;          /* objects or spans of answer, in order … */
    double *item_confidence; /* … and the confidence of each */
    json_t *details;         /* method-specific, may be NULL: per-object votes and IoU, BT scores */
};
void agg_geo_result_free(struct agg_geo_result *r);
/* {"method", "confidence", "answer", "item_confidence": […], "details"} (new reference). */
json_t *agg_geo_result_json(const struct agg_geo_result *r);

/* Image objects (image_annotation) and cuboids (lidar_cuboids). Answers are taken in order of
 * decreasing weight; each one's objects are matched to the clusters so far by the Hungarian
 * algorithm on the mean similarity to a cluster's members (IoU for boxes and polygons,
 * geo_keypoint_similarity for keypoints, bird's-eye-view IoU for cuboids; same class and type, at least
 * iou_threshold), so a cluster holds at most one object per worker; objects left over start new
 * clusters. A cluster seen by min_votes workers or more becomes one object:
 *  - box: weighted mean of x, y, w, h;
 *  - polygon: when all members have as many vertices, each is turned to the orientation of the
 *    heaviest member and cyclically shifted to the least squared distance from it, then the
 *    vertices are averaged; when the counts differ, or the mean polygon crosses itself, the member
 *    with the highest summed IoU to the others (the medoid) is taken as it is;
 *  - keypoints: a point is labelled when members holding at least half the cluster's weight label it
 *    (v > 0); it is the weighted mean of those members' points, visible (2) unless "occluded" weighs
 *    more;
 *  - cuboid: weighted mean of centre and size; yaw is the circular mean (atan2 of the weighted sums
 *    of sin and cos) after turning each member by a multiple of π to within π/2 of the heaviest
 *    member's yaw (yaw and yaw + π give the same box), then the heading is flipped back when the
 *    members that were turned weigh more than the others;
 *  - "attributes" and "id": per key, the value with the greatest weight, kept when members with
 *    the key hold at least half the cluster's weight.
 * Object confidence = support × mean similarity of the members to the merged object, support being
 * the cluster's share of the total weight. Task confidence = the mean over all clusters of the
 * object confidence for those kept and of 1 − support for those dropped (the consensus says "no
 * object" there); 1 when no worker drew anything. details = {"objects": [{"votes", "support",
 * "mean_iou"}], "dropped": N}. Answers whose objects do not parse are left out. False only when
 * memory runs out. */
bool agg_objects(enum project_kind kind, const struct agg_geo_answer *answers, size_t n,
                 const struct agg_geo_opts *opts, struct agg_geo_result *out);

/* text_spans. text is the task's text; tokens are maximal runs of non-whitespace code points (Unicode
 * White_Space). A span labels every token it overlaps (where spans overlap, the longest wins), so the
 * consensus snaps to token boundaries. Each token takes the label with the greatest weight, or none
 * when no label outweighs "no label" (ties go to none). Consecutive tokens with the same label form
 * one span unless the voters for that label mostly started a new span there (BIO "B"). Span confidence
 * = mean vote share of its tokens; task confidence = mean winning share over the tokens anyone
 * labelled, 1 when no one labelled any. Relations are dropped: spans' indexes differ between
 * answers. False only when memory runs out. */
bool agg_spans(const char *text, const struct agg_geo_answer *answers, size_t n, struct agg_geo_result *out);

/* free_text: no merge. The answer of the heaviest worker (ties: the first), method "highest_skill",
 * confidence = the weight share of answers with exactly the same text; or, with reviewer_pick ≥ 0,
 * that answer, method "reviewer_pick", confidence 1. */
bool agg_free_text(const struct agg_geo_answer *answers, size_t n, long reviewer_pick, struct agg_geo_result *out);

/* ---- Bradley–Terry ---- */

struct agg_bt_comparison {
    size_t winner, loser;
    double weight;
};
struct agg_bt_opts {
    double prior;  /* each item also ties a virtual item of strength 1 with this weight; 0: 0.1 */
    int max_iter;  /* 0: 10000 */
    double tol;    /* stop when no log-strength moves more; 0: 1e-10 */
};
/* Strengths p (P(i beats j) = p_i / (p_i + p_j)) by the MM iterations of Hunter (2004):
 * p_i ← W_i / Σ_j n_ij / (p_i + p_j). The prior keeps the estimate finite for items that never won
 * or never lost and fixes the scale (an item with no comparisons gets 1). iterations (may be NULL)
 * gets the count used. False when memory runs out or an index is out of range. */
bool agg_bradley_terry(size_t n_items, const struct agg_bt_comparison *c, size_t n_comparisons,
                       const struct agg_bt_opts *opts, double *strength, int *iterations);

/* One llm_comparison answer of a project, with its task's data (for the response ids). */
struct agg_comparison_answer {
    int64_t task_id;
    json_t *data, *answer; /* borrowed */
    double weight;
};
struct agg_comparison_task {
    int64_t task_id;
    struct agg_geo_result result;
};
/* Fits Bradley–Terry over every answer of a project: responses are items identified by (task,
 * response id); a choice beats each other response of the task with the answer's weight; a tie
 * gives each pair of responses half a win each way. Per task the consensus choice is the response
 * with the highest strength ("tie" when the top two are equal and some worker chose a tie), its
 * strength the weighted mean of the strengths given by those who chose it (rounded), and the ratings
 * the weighted mean per response and criterion (not rounded). Confidence = P(best beats the
 * runner-up); a task whose data lists no responses gets a null choice and confidence 0.
 * details = {"scores": {id: strength}}. *tasks (sorted by task id) is freed with
 * agg_comparison_tasks_free. False only when memory runs out. */
bool agg_comparisons(const struct agg_comparison_answer *answers, size_t n, const struct agg_bt_opts *opts,
                     struct agg_comparison_task **tasks, size_t *n_tasks);
void agg_comparison_tasks_free(struct agg_comparison_task *tasks, size_t n);

/* ---- agreement ---- */

/* Mean over pairs of answers of: Σ similarity of the objects matched (Hungarian, same class and type,
 * any overlap) / (objects in one + objects in the other − matches), 1 for two empty answers. IoU for
 * boxes and polygons, OKS for keypoints, BEV IoU for cuboids. *out is NAN with fewer than two
 * answers. False when memory runs out. */
bool agg_pairwise_iou(enum project_kind kind, const struct agg_geo_answer *answers, size_t n, double *out);

/* ---- objects parsed for comparison (shared with gold scoring) ---- */

enum agg_shape_type { AGG_SHAPE_BOX, AGG_SHAPE_POLYGON, AGG_SHAPE_KEYPOINTS, AGG_SHAPE_CUBOID };
struct agg_shape {
    enum agg_shape_type type;
    const char *cls; /* borrowed from obj */
    json_t *obj;     /* borrowed */
    double box[4];
    double *pts;     /* polygon: x y per point; keypoints: x y v per point */
    size_t n_pts;
    struct geo_cuboid cuboid;
};
/* The objects of an image_annotation or lidar_cuboids answer; false when one is malformed or memory
 * runs out (nothing to free then). */
bool agg_shapes_parse(enum project_kind kind, json_t *answer, struct agg_shape **out, size_t *n);
void agg_shapes_free(struct agg_shape *s, size_t n);
const char *agg_shape_type_name(enum agg_shape_type t); /* "bbox", "polygon", "keypoints", "cuboid" */
/* 0 for different classes or types; IoU for boxes and polygons. Between workers keypoints compare by
 * geo_keypoint_similarity and cuboids by BEV IoU; with gold (a is the expected answer) keypoints by
 * geo_oks against a and cuboids by 3D IoU. NAN when memory runs out. */
double agg_shape_similarity(const struct agg_shape *a, const struct agg_shape *b, bool gold);
/* Hungarian matching of a to b keeping pairs with similarity ≥ threshold (and > 0). a_to_b[i] is the
 * index in b or -1; sim (may be NULL) gets each a's similarity to its match (0 unmatched). Returns
 * the number of matches, -1 when memory runs out. */
long agg_shapes_match(const struct agg_shape *a, size_t na, const struct agg_shape *b, size_t nb, double threshold,
                      bool gold, long *a_to_b, double *sim);

#endif
