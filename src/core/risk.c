/* The per-account risk score: published rules over account signals (FW-25, FW-26). */
#include "core/risk.h"

#include <stdio.h>
#include <string.h>

const struct risk_rule risk_rules[RISK_RULES] = {
    [RISK_GOLD] = {"gold_accuracy", "the share of the account's last scored gold answers that were right",
                   "below 60% over at least 10 gold answers", 40},
    [RISK_FAST] = {"fast_answers", "the account's median active time against the median of the same projects",
                   "under a quarter of the norm over at least 10 answers", 30},
    [RISK_DEVICE] = {"shared_device", "how many accounts used this account's (client-hashed) device fingerprint",
                     "3 or more accounts on one device", 30},
    [RISK_COPY] = {"copied_answers", "free-text answers identical to another account's answer on the same task",
                   "3 or more, and at least 20% of the account's free-text answers", 40},
    [RISK_COUNTRY_HOP] = {"login_country_change", "the countries of the account's logins over 7 days",
                          "3 or more countries in 7 days", 20},
    [RISK_SHARED_IP] = {"shared_ip", "how many accounts used this account's IP address",
                        "never fires: a shared address (a family, a cyber café, a carrier's NAT) proves nothing", 0},
};

static bool fires(const struct risk_signals *s, enum risk_rule_id id)
{
    switch (id) {
    case RISK_GOLD: return s->gold_answers >= 10 && (int64_t)s->gold_correct * 100 < (int64_t)s->gold_answers * 60;
    case RISK_FAST:
        return s->answers >= 10 && s->norm_active_ms > 0 && s->median_active_ms * 4 < s->norm_active_ms;
    case RISK_DEVICE: return s->device_accounts >= 3;
    case RISK_COPY:
        return s->copied_answers >= 3 && (int64_t)s->copied_answers * 100 >= (int64_t)s->free_text_answers * 20;
    case RISK_COUNTRY_HOP: return s->login_countries_7d >= 3;
    case RISK_SHARED_IP:
    case RISK_RULES: return false;
    }
    return false;
}

void risk_score(const struct risk_signals *s, struct risk_result *out)
{
    out->score = 0;
    out->fired = 0;
    for (int id = 0; id < RISK_RULES; id++)
        if (fires(s, (enum risk_rule_id)id)) {
            out->fired |= 1u << id;
            out->score += risk_rules[id].points;
        }
    if (out->score > 100) out->score = 100;
    out->action = out->score >= RISK_LOWER_TIER_AT ? RISK_ACTION_LOWER_TIER
                  : out->score >= RISK_STEP_UP_AT  ? RISK_ACTION_STEP_UP
                                                   : RISK_ACTION_NONE;
}

const char *risk_action_name(enum risk_action a)
{
    switch (a) {
    case RISK_ACTION_NONE: return "none";
    case RISK_ACTION_STEP_UP: return "step_up";
    case RISK_ACTION_LOWER_TIER: return "lower_tier";
    }
    return "";
}

void risk_fired_names(unsigned fired, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int id = 0; id < RISK_RULES; id++) {
        if (!(fired & (1u << id))) continue;
        int w = snprintf(buf + n, cap - n, "%s%s", n ? "," : "", risk_rules[id].id);
        if (w < 0 || (size_t)w >= cap - n) {
            buf[n] = 0; /* drop a name that does not fit whole */
            return;
        }
        n += (size_t)w;
    }
}

bool risk_fired_has(const char *names, enum risk_rule_id id)
{
    if (id < 0 || id >= RISK_RULES || !names) return false;
    size_t len = strlen(risk_rules[id].id);
    for (const char *p = names; (p = strstr(p, risk_rules[id].id)); p += len)
        if ((p == names || p[-1] == ',') && (p[len] == 0 || p[len] == ',')) return true;
    return false;
}
