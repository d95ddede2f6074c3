/* What happens to quality state inside the transactions of submit and review: gold scoring,
 * qualification decisions, review sampling, the task's result and dynamic overlap, quality rules. */
#ifndef FL_QUALITY_FLOW_H
#define FL_QUALITY_FLOW_H
#include "core/quality.h"
#include "store/store.h"

/* The project's stored settings (validated when they were saved; defaults when unreadable). */
void quality_load(const struct project *p, json_t **holder, struct quality_config *cfg);

/* After a worker's answer to a gold or qualification task was stored: scores it and updates the
 * worker's gold record, qualification and pay owed. schema: the project's schema parsed, used read-only
 * (NULL: parsed from p). */
db_rc quality_after_gold_submit(db *d, arena *a, const struct project *p, const struct quality_config *cfg,
                                json_t *schema, const struct assignment *as, json_t *answer, int64_t now);

/* After a normal answer was stored: samples it for review, recomputes the task's result (and its
 * overlap) and runs the project's quality rules for the worker. schema and data: the project's schema and
 * the task's data parsed, used read-only (NULL: read and parsed here). */
db_rc quality_after_submit(db *d, arena *a, const struct project *p, const struct quality_config *cfg, json_t *schema,
                           json_t *data, const struct assignment *as, int64_t now);

/* Recomputes one task's result from the answers that count. */
db_rc quality_task_result(db *d, arena *a, const struct project *p, const struct quality_config *cfg, int64_t task_id,
                          int64_t now);

/* Queues a signed POST of the task's current result to the project's callback URL (no-op without
 * one). Called whenever a task's result is final after a change. */
db_rc callback_enqueue(db *d, arena *a, const struct project *p, int64_t task_id, int64_t now);

#endif
