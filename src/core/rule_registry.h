/* The registry of every automated rule that affects workers (FW-26): what each reads, its thresholds, what
 * it can do and the fair-work rule it comes from. The public transparency page is generated from it. */
#ifndef FL_RULE_REGISTRY_H
#define FL_RULE_REGISTRY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RULE_MAX_PARAMS 4

/* One parameter with its built-in value; the server replaces the configurable ones with what it runs with. */
struct rule_param {
    const char *name;
    int64_t value;
    const char *unit; /* "days", "ms", "percent", "usd_micros_per_hour", … */
};

enum rule_expands { RULE_EXPANDS_NONE, RULE_EXPANDS_QUALITY, RULE_EXPANDS_RISK };

struct registry_rule {
    const char *id;         /* stable: the change log refers to it */
    const char *source;     /* "FW-2" … */
    const char *name;
    const char *reads;      /* what it reads */
    const char *thresholds; /* its thresholds, in words */
    const char *can_do;     /* what it can do */
    enum rule_expands expands; /* a family whose members are listed from their own table */
    struct rule_param params[RULE_MAX_PARAMS];
};

extern const struct registry_rule rule_registry[];
extern const size_t rule_registry_len;

/* The rule with this id, or NULL. */
const struct registry_rule *rule_registry_find(const char *id);

/* FW-23: an announcement's comment period lasts at least this long unless it records why it is shorter. */
#define ANNOUNCE_COMMENT_MIN_MS (14 * 86400000LL)
bool announce_period_ok(int64_t now_ms, int64_t comment_until_ms, bool reason_recorded);
/* Comments are accepted until comment_until (exclusive). */
bool announce_comments_open(int64_t comment_until_ms, int64_t now_ms);

#endif
