/* A project's quality settings (projects.quality_json) and the decisions made from them: gold
 * mixing, review sampling, dynamic overlap and the quality-rule registry. Pure logic, no I/O. */
#ifndef FL_QUALITY_H
#define FL_QUALITY_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/validate.h"

#define QUALITY_MAX_SKILLS 16
#define QUALITY_MAX_REASONS 32
#define QUALITY_MAX_RULES 16

enum review_mode { REVIEW_NONE, REVIEW_ALL, REVIEW_PERCENT, REVIEW_LOW_CONFIDENCE };

enum rule_reads { RULE_GOLD_ACCURACY, RULE_FAST_ANSWERS, RULE_SKIP_RATE };
enum rule_action { ACTION_LOWER_WEIGHT, ACTION_REQUALIFY, ACTION_LOWER_TIER, ACTION_FLAG_FOR_REVIEW };

struct quality_rule {
    const char *id;      /* unique within the project */
    enum rule_reads reads;
    int64_t window;      /* last N gold answers / submissions the rule reads */
    double threshold;    /* gold accuracy below, share of fast answers above, skip rate above */
    enum rule_action action;
};

struct quality_config {
    int64_t max_overlap;      /* > the project's overlap: dynamic overlap is on */
    double target_confidence; /* dynamic overlap stops asking once a task's confidence reaches it */
    int64_t gold_first;       /* the first K tasks of a worker are gold … */
    int64_t gold_percent;     /* … then p% of the feed */
    bool qualification;       /* the qualification test must be passed first */
    double pass_mark;         /* 0–1, share of the test's score */
    const char *qualification_skill; /* set to the score × 100 on passing; NULL: none */
    int n_skills;
    const char *skill_names[QUALITY_MAX_SKILLS];
    int64_t skill_min[QUALITY_MAX_SKILLS];
    enum review_mode review;
    int64_t review_percent;
    double review_below;
    int64_t review_window_days; /* unreviewed answers are approved after this (FW-2: default 7, at most 14) */
    int n_reasons;
    const char *reason_codes[QUALITY_MAX_REASONS];
    const char *reason_titles[QUALITY_MAX_REASONS];
    const char *method;       /* aggregation method for categorical answers: "mv" or "weighted" */
    double iou_threshold;     /* boxes, polygons and cuboids */
    int n_rules;
    struct quality_rule rules[QUALITY_MAX_RULES];
};

/* Parses and checks a quality object (as given at project creation or PUT …/quality; NULL or {} gives
 * the defaults) for a project whose starting overlap is overlap. Strings are borrowed from q's JSON.
 * On failure e names the field under prefix (for example "/quality/review/percent"). */
bool quality_parse(json_t *q, int64_t overlap, const char *prefix, struct quality_config *out, struct verr *e);
/* The settings as JSON with defaults filled in (what the API shows and what is stored). */
json_t *quality_to_json(const struct quality_config *c);
bool quality_reason_known(const struct quality_config *c, const char *code);

/* Gold mixing. gold_seen: gold tasks this worker has had in the project; normal_seen: normal tasks.
 * jitter_percent in [0, 100) is random: the gold share stays within one task of gold_percent while
 * the worker cannot predict which claim brings one. */
bool quality_serve_gold(const struct quality_config *c, int64_t gold_seen, int64_t normal_seen, int jitter_percent);

/* Review sampling at submit: REVIEW_PERCENT picks a fixed, well-spread subset by assignment id. */
bool quality_sample_for_review(const struct quality_config *c, int64_t assignment_id);

/* Dynamic overlap: the task's overlap after an answer that left it at confidence with submitted answers. */
int64_t quality_next_overlap(const struct quality_config *c, int64_t overlap, int64_t submitted, double confidence);

/* The registry of every automated rule a project can use (FW-26): what it reads, its parameters and
 * the actions it may take. None of them can suspend or ban (FW-19). */
json_t *quality_rule_registry(void);
const char *quality_action_name(enum rule_action a);
const char *quality_reads_name(enum rule_reads r);

/* Evaluates one rule on a worker's recent record; true when it fires. value gets what it read. */
struct worker_record {
    int64_t gold_recent, gold_recent_score_ppm_sum; /* over the rule's window */
    int64_t submitted_recent, fast_recent, skipped_recent;
};
bool quality_rule_fires(const struct quality_rule *r, const struct worker_record *w, double *value);

#endif
