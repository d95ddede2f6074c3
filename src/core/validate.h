/* Validation of untrusted input (pure: no I/O). Each check names the offending field as a JSON
 * pointer and says what is wrong in plain words. */
#ifndef FL_VALIDATE_H
#define FL_VALIDATE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/schema_kind.h"

struct verr {
    char field[128];
    char detail[256];
};

#define ROLE_NAMES "admin, requester, reviewer, support, worker"
bool role_name_valid(const char *role);

/* Lower-cases the email in place when it is a plausible address; false (and unchanged) otherwise. */
bool email_normalize(char *email);
size_t utf8_length(const char *s);
/* NULL, empty, or only spaces, tabs and line breaks: a reason or a note that says nothing. */
bool text_blank(const char *s);

/* Field getters: on failure fill e (field = "/" name) and return false. */
bool json_req_string(json_t *obj, const char *name, size_t min_chars, size_t max_chars, const char **out,
                     struct verr *e);
bool json_opt_string(json_t *obj, const char *name, size_t max_chars, const char *dflt, const char **out,
                     struct verr *e);
bool json_req_int(json_t *obj, const char *name, int64_t min, int64_t max, int64_t *out, struct verr *e);
bool json_opt_int(json_t *obj, const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out,
                  struct verr *e);
/* Rejects members not named in allowed (NULL-terminated). */
bool json_only_keys(json_t *obj, const char *const *allowed, const char *prefix, struct verr *e);

struct project_input {
    const char *name, *instructions, *currency;
    enum project_kind kind;
    json_t *schema; /* the normalised schema, owned by the body it came from */
    int64_t reward_micros, estimated_seconds, overlap, lease_seconds;
};
/* Checks a project body, its kind and schema (a text_classification project may give top-level
 * "labels" instead of a schema). Stores the normalised schema back into body["schema"]. */
bool validate_project_input(json_t *body, struct project_input *p, struct verr *e);
/* The stored schema JSON; the caller frees it. */
char *project_schema_json(const struct project_input *p);

/* NDJSON import: one line parsed (*root, released by the caller, also on failure) … */
#define TASK_LINE_KEYS "data, external_id, predictions, gold, priority"
#define TASK_TEXT_MAX_CHARS 100000
bool task_line_parse(const char *line, size_t len, json_t **root, struct verr *e);
/* … then checked for the project's kind. Everything in t is borrowed from root; absent members are
 * NULL / 0. A line may carry "gold": {"answer": <an answer>, "explanation": "…", "qualification": bool}
 * (gold 1, or 2 for a qualification-test task) and "priority" (-1000…1000, higher first). */
struct task_line {
    json_t *data, *predictions, *gold_answer;
    const char *external_id, *gold_explanation;
    int64_t gold, priority;
};
bool task_line_check(enum project_kind kind, json_t *schema, json_t *root, struct task_line *t, struct verr *e);

#endif
