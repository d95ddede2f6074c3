/* Per-account risk score (FW-25): signals about one account, the published rules that weigh them, and what a
 * score may lead to. A score never suspends anyone: the strongest outcome is a lower-risk task tier, and a
 * shared IP address alone scores nothing. Pure: the caller gathers the signals. */
#ifndef FL_RISK_H
#define FL_RISK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What is known about one account over the look-back window. */
struct risk_signals {
    int gold_answers, gold_correct;       /* recent scored gold answers */
    int answers;                          /* recent answers with a measured active time */
    int64_t median_active_ms;             /* of those answers */
    int64_t norm_active_ms;               /* the median of the projects they were in (0: unknown) */
    int device_accounts;                  /* accounts seen with this account's device fingerprint, itself included */
    int free_text_answers, copied_answers; /* free text identical to another account's answer on the same task */
    int login_countries_7d;               /* distinct countries of logins in the last 7 days */
    int ip_accounts;                      /* accounts seen on this account's IP address: recorded, weighs nothing */
};

enum risk_rule_id { RISK_GOLD, RISK_FAST, RISK_DEVICE, RISK_COPY, RISK_COUNTRY_HOP, RISK_SHARED_IP, RISK_RULES };

/* One published rule (FW-26: the public page lists them from this table). */
struct risk_rule {
    const char *id;        /* "gold_accuracy" … */
    const char *reads;     /* what it reads */
    const char *threshold; /* its threshold, in words */
    int points;            /* what it adds to the score when it fires */
};
extern const struct risk_rule risk_rules[RISK_RULES];

enum risk_action {
    RISK_ACTION_NONE,
    RISK_ACTION_STEP_UP,    /* re-qualification or email re-verification */
    RISK_ACTION_LOWER_TIER, /* lower-risk tasks (every answer reviewed) until the score falls */
};
#define RISK_STEP_UP_AT 40
#define RISK_LOWER_TIER_AT 70

struct risk_result {
    int score;              /* 0..100 */
    unsigned fired;         /* bit (1u << enum risk_rule_id) per rule that fired */
    enum risk_action action;
};

void risk_score(const struct risk_signals *s, struct risk_result *out);
const char *risk_action_name(enum risk_action a); /* "none", "step_up", "lower_tier" */
/* The ids of the fired rules, comma-separated in table order ("" when none), truncated to fit cap (≥ 1). */
void risk_fired_names(unsigned fired, char *buf, size_t cap);
/* Whether rule id is in such a list. */
bool risk_fired_has(const char *names, enum risk_rule_id id);

#endif
