/* The public transparency page (FW-26): every automated rule that affects workers, with the parameters this
 * server runs with, and the change log of those rules. */
#include <string.h>

#include "api/api.h"
#include "api/holds.h"
#include "api/payouts.h"
#include "api/reports.h"
#include "api/wage_tables.h"
#include "core/pay_report.h"
#include "core/quality.h"
#include "core/risk.h"
#include "core/rule_registry.h"
#include "http/reply.h"

/* The value this server runs with for a parameter that lives outside core, or is configured. */
static int64_t configured(const char *name, int64_t dflt)
{
    if (!strcmp(name, "platform_floor_usd_micros_per_hour")) return wage_platform_floor_usd_micros();
    if (!strcmp(name, "payout_min_usd_micros")) return payout_min_usd_micros();
    if (!strcmp(name, "hold_share_percent")) return HOLD_SHARE_PERCENT;
    if (!strcmp(name, "hold_daily_max")) return HOLD_DAILY_MAX;
    if (!strcmp(name, "window_days")) return REQUESTER_WINDOW_MS / 86400000LL;
    if (!strcmp(name, "rejection_floor_percent")) return REQUESTER_REJECT_FLOOR_PPM / 10000;
    if (!strcmp(name, "min_decisions")) return REQUESTER_MIN_DECISIONS;
    if (!strcmp(name, "min_paid_answers")) return REQUESTER_MIN_PAID_ANSWERS;
    return dflt;
}

static json_t *rule_json(const struct registry_rule *rr)
{
    json_t *params = json_array();
    for (int p = 0; p < RULE_MAX_PARAMS && rr->params[p].name; p++) {
        const struct rule_param *pa = &rr->params[p];
        /* hold lapse of FW-4 is HOLD_LAPSE_MS; FW-19's shares the name but not the value */
        int64_t v = !strcmp(rr->id, "rejection_hold_lapse") ? HOLD_LAPSE_MS / 86400000LL : configured(pa->name, pa->value);
        json_array_append_new(params, json_pack("{s:s, s:I, s:s}", "name", pa->name, "value", (json_int_t)v, "unit",
                                                pa->unit));
    }
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o}", "id", rr->id, "source", rr->source, "name", rr->name,
                          "reads", rr->reads, "thresholds", rr->thresholds, "can_do", rr->can_do, "parameters", params);
    if (rr->expands == RULE_EXPANDS_QUALITY) {
        json_object_set_new(o, "members", quality_rule_registry());
    } else if (rr->expands == RULE_EXPANDS_RISK) {
        json_t *m = json_array();
        for (int i = 0; i < RISK_RULES; i++)
            json_array_append_new(m, json_pack("{s:s, s:s, s:s, s:i}", "id", risk_rules[i].id, "reads",
                                               risk_rules[i].reads, "threshold", risk_rules[i].threshold, "points",
                                               risk_rules[i].points));
        json_object_set_new(o, "members", m);
    }
    return o;
}

static tx_rc changes_tx(db *d, void *vctx)
{
    json_t **rows = vctx;
    static const char *const cols[] = {"i:id", "s:rule_id", "s:change", "t:changed_at", "s:changed_by_name",
                                       "i:announcement_id", NULL};
    json_decref(*rows);
    *rows = NULL;
    TX_CHECK(store_rows_json(d, Q_RULE_CHANGES_LIST, NULL, 0, cols, rows));
    return TX_COMMIT;
}

/* GET /api/v1/transparency (public). */
void transparency_get(req *r)
{
    json_t *changes = NULL;
    store_rc rc = store_run(r->db, false, changes_tx, &changes);
    if (rc != STORE_OK) {
        json_decref(changes);
        reply_store_failure(r, rc);
        return;
    }
    json_t *rules = json_array();
    for (size_t i = 0; i < rule_registry_len; i++) json_array_append_new(rules, rule_json(&rule_registry[i]));
    reply_json(r, 200, json_pack("{s:o, s:o, s:s}", "rules", rules, "changes", changes, "note",
                                 "Every automated rule that affects workers, with the parameters this server runs "
                                 "with. No rule suspends or bans an account: that takes a human (FW-19)."));
}
