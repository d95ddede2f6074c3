/* Quality state changes that ride in the submit and review transactions. */
#include "api/quality_flow.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/consensus.h"
#include "core/gold.h"
#include "store/project_cache.h"

void quality_load(const struct project *p, json_t **holder, struct quality_config *cfg)
{
    *holder = project_quality_parse(p->id, p->quality_json, p->overlap, cfg);
}

static int64_t to_ppm(double x) { return (int64_t)llround(x * 1e6); }

static db_rc decide_qualification(db *d, arena *a, const struct project *p, const struct quality_config *cfg,
                                  const struct assignment *as, int64_t now)
{
    int64_t total[1], prog[3]; /* answered, scored, summed score */
    db_rc rc = store_row_i64(d, Q_QUALIFICATION_TASKS, (struct sql_arg[]){{.i = p->id}}, 1, total, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    rc = store_row_i64(d, Q_QUALIFICATION_PROGRESS,
                       (struct sql_arg[]){{.i = p->id}, {.i = as->worker_id}, {.i = as->attempt}}, 3, prog, 3);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    if (prog[0] < total[0]) return DB_OK; /* more test tasks to go */
    /* Answers that cannot be scored (free text) are left out; a test with none scored passes, as only a
     * person could judge it. */
    int64_t score = prog[1] ? prog[2] / prog[1] : 1000000;
    bool passed = score >= to_ppm(cfg->pass_mark);
    rc = store_qualification_decide(d, p->id, as->worker_id, passed ? "passed" : "failed", score, now);
    if (rc != DB_OK) return rc;
    if (passed && cfg->qualification_skill) {
        rc = store_skill_set(d, as->worker_id, cfg->qualification_skill, (score + 5000) / 10000,
                             arena_printf(a, "qualification:%lld", (long long)p->id), 0, now);
        if (rc != DB_OK) return rc;
    }
    char *detail = arena_printf(a, "{\"project_id\":%lld,\"worker_id\":%lld,\"attempt\":%lld,\"score_ppm\":%lld,"
                                   "\"pass_mark_ppm\":%lld}",
                                (long long)p->id, (long long)as->worker_id, (long long)as->attempt, (long long)score,
                                (long long)to_ppm(cfg->pass_mark));
    return store_audit_append(d, now, 0, passed ? "qualification.pass" : "qualification.fail", p->name, detail);
}

static db_rc apply_rule(db *d, arena *a, const struct project *p, const struct quality_rule *r, int64_t worker_id,
                        double value, int64_t now)
{
    /* One open event per rule and worker: a rule does not pile up actions while a human looks. */
    struct sql_arg open[] = {{.i = p->id}, {.i = worker_id}, {.text = r->id}};
    int64_t one[1];
    db_rc rc = store_row_i64(d, Q_QUALITY_EVENT_RECENT, open, 3, one, 1);
    if (rc == DB_ROW) return DB_OK;
    if (rc != DB_DONE) return rc;
    int64_t q[4] = {0, 0, 1000000, 0};
    rc = store_row_i64(d, Q_WORKER_QUALITY_GET, (struct sql_arg[]){{.i = p->id}, {.i = worker_id}}, 2, q, 4);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    int64_t weight = q[2], tier = q[3];
    switch (r->action) {
    case ACTION_LOWER_WEIGHT: weight /= 2; break;
    case ACTION_LOWER_TIER: tier = 1; break;
    case ACTION_REQUALIFY: break;        /* it would stop the worker claiming: only proposed until a human approves (FW-19) */
    case ACTION_FLAG_FOR_REVIEW: break;
    }
    if (weight != q[2] || tier != q[3]) {
        struct sql_arg s[] = {{.i = p->id}, {.i = worker_id}, {.i = weight}, {.i = tier}, {.i = now}};
        rc = store_exec_args(d, Q_WORKER_QUALITY_SET, s, 5, NULL);
        if (rc != DB_OK) return rc;
    }
    char *detail = arena_printf(a, "{\"reads\":\"%s\",\"value\":%.4f,\"threshold\":%.4f,\"window\":%lld,"
                                   "\"in_effect\":%s}",
                                quality_reads_name(r->reads), value, r->threshold, (long long)r->window,
                                r->action == ACTION_REQUALIFY ? "false" : "true");
    struct sql_arg ev[] = {{.i = p->id}, {.i = worker_id}, {.text = r->id}, {.text = quality_action_name(r->action)},
                           {.text = detail}, {.i = now}};
    int64_t id[1];
    rc = store_row_i64(d, Q_QUALITY_EVENT_ADD, ev, 6, id, 1);
    if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
    char *audit = arena_printf(a, "{\"project_id\":%lld,\"worker_id\":%lld,\"rule\":\"%s\",\"action\":\"%s\",%s",
                               (long long)p->id, (long long)worker_id, r->id, quality_action_name(r->action),
                               detail + 1);
    return store_audit_append(d, now, 0, "quality.rule", p->name, audit);
}

static db_rc run_rules(db *d, arena *a, const struct project *p, const struct quality_config *cfg, int64_t worker_id,
                       int64_t now)
{
    for (int i = 0; i < cfg->n_rules; i++) {
        const struct quality_rule *r = &cfg->rules[i];
        struct worker_record w;
        db_rc rc = store_worker_record(d, p->id, worker_id, r, &w);
        if (rc != DB_OK) return rc;
        double value = 0;
        if (!quality_rule_fires(r, &w, &value)) continue;
        rc = apply_rule(d, a, p, r, worker_id, value, now);
        if (rc != DB_OK) return rc;
    }
    return DB_OK;
}

db_rc quality_after_gold_submit(db *d, arena *a, const struct project *p, const struct quality_config *cfg,
                                json_t *schema, const struct assignment *as, json_t *answer, int64_t now)
{
    enum project_kind kind;
    json_t *own = schema ? NULL : json_loads(p->schema_json, 0, NULL), *expected = json_loads(as->gold_answer_json, 0, NULL);
    if (!schema) schema = own;
    struct gold_result g;
    bool ok = kind_parse(p->kind, &kind) && schema && expected &&
              gold_score(kind, schema, expected, answer, &(struct gold_params){.iou_threshold = cfg->iou_threshold}, &g);
    json_decref(own);
    json_decref(expected);
    if (!ok) return DB_ERROR;
    db_rc rc;
    if (g.scorable) {
        int64_t ppm = to_ppm(g.score);
        rc = store_exec_args(d, Q_ASSIGNMENT_SET_GOLD_SCORE, (struct sql_arg[]){{.i = as->id}, {.i = ppm}}, 2, NULL);
        if (rc != DB_OK) return rc;
        if (as->gold == 1) {
            struct sql_arg q[] = {{.i = p->id}, {.i = as->worker_id}, {.i = ppm}, {.i = now}};
            rc = store_exec_args(d, Q_WORKER_QUALITY_GOLD, q, 4, NULL);
            if (rc != DB_OK) return rc;
        }
    }
    if (as->gold == 2) return decide_qualification(d, a, p, cfg, as, now); /* its pay: pay_on_submit (FW-8) */
    return run_rules(d, a, p, cfg, as->worker_id, now);
}

/* schema and data: the project's schema and the task's data parsed, read-only (the schema may be shared with
 * other threads); NULL reads and parses them here. */
static db_rc task_result(db *d, arena *a, const struct project *p, const struct quality_config *cfg, json_t *schema,
                         json_t *data, int64_t task_id, int64_t now)
{
    struct result_answer *ans;
    int n;
    db_rc rc = store_task_answers_for_result(d, a, task_id, &ans, &n);
    if (rc != DB_OK) return rc;
    enum project_kind kind;
    if (!kind_parse(p->kind, &kind)) return DB_ERROR;
    json_t *own = schema ? NULL : json_loads(p->schema_json, 0, NULL);
    if (!schema) schema = own;
    if (data) {
        json_incref(data);
    } else {
        json_t *task;
        static const char *const cols[] = {"-:id", "-:external_id", "j:data", "-:predictions", NULL};
        rc = store_rows_json(d, Q_TASK_GET, (struct sql_arg[]){{.i = task_id}}, 1, cols, &task);
        if (rc != DB_OK) {
            json_decref(own);
            return rc;
        }
        data = json_incref(json_object_get(json_array_get(task, 0), "data"));
        json_decref(task);
    }
    struct consensus_vote *votes = arena_alloc(a, sizeof *votes * (size_t)(n ? n : 1));
    json_t **parsed = arena_alloc(a, sizeof *parsed * (size_t)(n ? n : 1));
    if (!schema || !votes || !parsed) {
        json_decref(own);
        json_decref(data);
        return DB_ERROR;
    }
    int m = 0;
    for (int i = 0; i < n; i++) {
        parsed[m] = json_loads(ans[i].answer_json, 0, NULL);
        if (!parsed[m]) continue;
        votes[m] = (struct consensus_vote){.answer = parsed[m],
                                           .accuracy = consensus_accuracy(ans[i].gold_answered,
                                                                          (double)ans[i].gold_score_ppm_sum / 1e6),
                                           .weight = (double)ans[i].weight_ppm / 1e6};
        m++;
    }
    struct consensus res;
    bool ok = consensus_compute(kind, schema, data, votes, (size_t)m, cfg->method, cfg->iou_threshold, &res);
    for (int i = 0; i < m; i++) json_decref(parsed[i]);
    json_decref(own);
    json_decref(data);
    if (!ok) return DB_ERROR;

    int64_t st[6]; /* overlap, submitted, leased, gold, confidence ppm, final */
    rc = store_row_i64(d, Q_TASK_STATE, (struct sql_arg[]){{.i = task_id}}, 1, st, 6);
    if (rc != DB_ROW) {
        json_decref(res.result);
        return rc == DB_DONE ? DB_ERROR : rc;
    }
    int64_t overlap = quality_next_overlap(cfg, st[0], st[1], res.result ? res.confidence : 0);
    if (overlap != st[0]) {
        rc = store_exec_args(d, Q_TASK_SET_OVERLAP, (struct sql_arg[]){{.i = task_id}, {.i = overlap}}, 2, NULL);
        if (rc != DB_OK) {
            json_decref(res.result);
            return rc;
        }
    }
    bool final = st[1] >= overlap && res.result;
    char *rj = res.result ? json_dumps(res.result, JSON_COMPACT) : NULL;
    json_decref(res.result);
    rc = store_task_result_set(d, task_id, rj, res.method, rj ? to_ppm(res.confidence) : -1, final, now, NULL);
    free(rj);
    if (rc != DB_OK) return rc;
    if (final && cfg->review == REVIEW_LOW_CONFIDENCE && res.confidence < cfg->review_below)
        rc = store_exec_args(d, Q_TASK_PENDING_REVIEW_ALL, (struct sql_arg[]){{.i = task_id}}, 1, NULL);
    if (rc == DB_OK && final) rc = callback_enqueue(d, a, p, task_id, now);
    return rc;
}

db_rc quality_task_result(db *d, arena *a, const struct project *p, const struct quality_config *cfg, int64_t task_id,
                          int64_t now)
{
    return task_result(d, a, p, cfg, NULL, NULL, task_id, now);
}

db_rc quality_after_submit(db *d, arena *a, const struct project *p, const struct quality_config *cfg, json_t *schema,
                           json_t *data, const struct assignment *as, int64_t now)
{
    int64_t q[4] = {0, 0, 1000000, 0};
    db_rc rc = store_row_i64(d, Q_WORKER_QUALITY_GET, (struct sql_arg[]){{.i = p->id}, {.i = as->worker_id}}, 2, q, 4);
    if (rc != DB_ROW && rc != DB_DONE) return rc;
    if (q[3] >= 1 || quality_sample_for_review(cfg, as->id)) { /* tier 1: everything is reviewed */
        rc = store_exec_args(d, Q_ASSIGNMENT_SET_REVIEW_STATE, (struct sql_arg[]){{.i = as->id}, {.text = "pending"}}, 2,
                             NULL);
        if (rc != DB_OK) return rc;
    }
    rc = task_result(d, a, p, cfg, schema, data, as->task_id, now);
    if (rc != DB_OK) return rc;
    return run_rules(d, a, p, cfg, as->worker_id, now);
}
