/* Input validation (see validate.h). */
#include "core/validate.h"

#include <stdio.h>
#include <string.h>

#include "core/country.h"
#include "core/schema.h"

static bool fail(struct verr *e, const char *field, const char *fmt, const char *arg)
{
    snprintf(e->field, sizeof e->field, "%s", field);
    snprintf(e->detail, sizeof e->detail, fmt, arg);
    return false;
}

static bool failf(struct verr *e, const char *field_prefix, const char *name, const char *detail)
{
    snprintf(e->field, sizeof e->field, "%s/%s", field_prefix, name);
    snprintf(e->detail, sizeof e->detail, "%s %s", name, detail);
    return false;
}

bool role_name_valid(const char *r)
{
    static const char *const roles[] = {"admin", "requester", "reviewer", "support", "worker"};
    for (size_t i = 0; r && i < sizeof roles / sizeof *roles; i++)
        if (!strcmp(r, roles[i])) return true;
    return false;
}

bool text_blank(const char *s)
{
    return !s || strspn(s, " \t\r\n") == strlen(s);
}

size_t utf8_length(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80) n++;
    return n;
}

bool email_normalize(char *email)
{
    size_t len = strlen(email);
    if (len < 3 || len > 254) return false;
    const char *at = strchr(email, '@');
    if (!at || at == email || strchr(at + 1, '@') || !strchr(at + 1, '.') || at[1] == '.' ||
        email[len - 1] == '.')
        return false;
    for (const char *p = email; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == ',' || c == ';' || c == '"') return false;
    }
    for (char *p = email; *p; p++)
        if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
    return true;
}

bool json_req_string(json_t *obj, const char *name, size_t min_chars, size_t max_chars, const char **out,
                     struct verr *e)
{
    json_t *v = json_object_get(obj, name);
    if (!v) return failf(e, "", name, "is required");
    if (!json_is_string(v)) return failf(e, "", name, "must be a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v)) return failf(e, "", name, "must not contain NUL characters");
    size_t n = utf8_length(s);
    char msg[96];
    if (n < min_chars) {
        snprintf(msg, sizeof msg, "must have at least %zu characters", min_chars);
        return failf(e, "", name, msg);
    }
    if (n > max_chars) {
        snprintf(msg, sizeof msg, "must have at most %zu characters", max_chars);
        return failf(e, "", name, msg);
    }
    *out = s;
    return true;
}

bool json_opt_string(json_t *obj, const char *name, size_t max_chars, const char *dflt, const char **out,
                     struct verr *e)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return true;
    }
    return json_req_string(obj, name, 0, max_chars, out, e);
}

bool json_req_int(json_t *obj, const char *name, int64_t min, int64_t max, int64_t *out, struct verr *e)
{
    json_t *v = json_object_get(obj, name);
    if (!v) return failf(e, "", name, "is required");
    if (!json_is_integer(v)) return failf(e, "", name, "must be an integer");
    json_int_t i = json_integer_value(v);
    if (i < min || i > max) {
        char msg[96];
        snprintf(msg, sizeof msg, "must be between %lld and %lld", (long long)min, (long long)max);
        return failf(e, "", name, msg);
    }
    *out = i;
    return true;
}

bool json_opt_int(json_t *obj, const char *name, int64_t min, int64_t max, int64_t dflt, int64_t *out,
                  struct verr *e)
{
    json_t *v = json_object_get(obj, name);
    if (!v || json_is_null(v)) {
        *out = dflt;
        return true;
    }
    return json_req_int(obj, name, min, max, out, e);
}

bool json_only_keys(json_t *obj, const char *const *allowed, const char *prefix, struct verr *e)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; *a && !ok; a++) ok = !strcmp(*a, key);
        if (!ok) return failf(e, prefix, key, "is not a known field");
    }
    return true;
}

bool validate_project_input(json_t *body, struct project_input *p, struct verr *e)
{
    static const char *const keys[] = {"name", "instructions", "kind", "schema", "labels", "reward_micros",
                                       "currency", "estimated_seconds", "overlap", "lease_seconds", "quality", NULL};
    const char *kind;
    if (!json_is_object(body)) return fail(e, "", "the body must be a JSON object%s", "");
    if (!json_only_keys(body, keys, "", e)) return false;
    if (!json_req_string(body, "name", 1, 200, &p->name, e)) return false;
    if (!json_opt_string(body, "instructions", 20000, "", &p->instructions, e)) return false;
    if (!json_req_string(body, "kind", 1, 64, &kind, e)) return false;
    if (!kind_parse(kind, &p->kind))
        return fail(e, "/kind", "kind must be one of " KIND_NAMES " (got \"%.64s\")", kind);
    json_t *schema = json_object_get(body, "schema"), *labels = json_object_get(body, "labels");
    if (labels && p->kind != KIND_TEXT_CLASSIFICATION)
        return fail(e, "/labels", "labels is only for text_classification; put the %s schema in \"schema\"", kind);
    if (labels && schema) return fail(e, "/labels", "give either labels or schema, not both%s", "");
    if (labels) {
        /* The foundation's form: top-level labels. Errors keep pointing at /labels. */
        json_t *wrapped = json_pack("{sO}", "labels", labels);
        json_t *norm = schema_check(p->kind, wrapped, e);
        json_decref(wrapped);
        if (!norm) {
            if (!strncmp(e->field, "/schema/labels", 14)) {
                /* "/schema/labels…" → "/labels…": drop the "/schema" prefix in place. */
                memmove(e->field, e->field + 7, strlen(e->field + 7) + 1);
            }
            return false;
        }
        json_object_set_new(body, "schema", norm);
    } else {
        if (!schema && p->kind == KIND_TEXT_CLASSIFICATION)
            return fail(e, "/labels", "labels is required (or a schema, see docs/kinds.md)%s", "");
        if (!schema) return fail(e, "/schema", "schema is required for %s (see docs/kinds.md)", kind);
        json_t *norm = schema_check(p->kind, schema, e);
        if (!norm) return false;
        json_object_set_new(body, "schema", norm);
    }
    p->schema = json_object_get(body, "schema");
    if (!json_req_int(body, "reward_micros", 0, 1000000000000LL, &p->reward_micros, e)) return false;
    if (!json_req_string(body, "currency", 3, 3, &p->currency, e)) return false;
    if (!currency_code_valid(p->currency))
        return fail(e, "/currency", "currency must be an ISO 4217 code such as USD (got \"%.8s\")", p->currency);
    if (!json_req_int(body, "estimated_seconds", 1, 86400, &p->estimated_seconds, e)) return false;
    if (!json_req_int(body, "overlap", 1, 15, &p->overlap, e)) return false;
    if (!json_opt_int(body, "lease_seconds", 2, 86400, 600, &p->lease_seconds, e)) return false;
    return true;
}

char *project_schema_json(const struct project_input *p)
{
    return json_dumps(p->schema, JSON_COMPACT);
}

bool task_line_parse(const char *line, size_t len, json_t **root, struct verr *e)
{
    json_error_t jerr;
    *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!*root) return fail(e, "", "not valid JSON: %s", jerr.text);
    if (!json_is_object(*root)) return fail(e, "", "each line must be a JSON object%s", "");
    return true;
}

bool task_line_check(enum project_kind kind, json_t *schema, json_t *root, struct task_line *t, struct verr *e)
{
    static const char *const keys[] = {"data", "external_id", "predictions", "gold", "priority", NULL};
    memset(t, 0, sizeof *t);
    if (!json_only_keys(root, keys, "", e)) return false;
    json_t *d = json_object_get(root, "data");
    if (!d) return fail(e, "/data", "data is required%s", "");
    if (!task_data_check(kind, schema, d, e)) return false;
    json_t *x = json_object_get(root, "external_id");
    if (x && !json_is_null(x)) {
        if (!json_is_string(x) || json_string_length(x) < 1 || json_string_length(x) > 200 ||
            strlen(json_string_value(x)) != json_string_length(x))
            return fail(e, "/external_id", "external_id must be a string of 1 to 200 bytes%s", "");
        t->external_id = json_string_value(x);
    }
    json_t *pred = json_object_get(root, "predictions");
    t->predictions = pred && !json_is_null(pred) ? pred : NULL;
    if (t->predictions && !answer_check(kind, schema, d, t->predictions, "/predictions", e)) return false;
    if (!json_opt_int(root, "priority", -1000, 1000, 0, &t->priority, e)) return false;
    json_t *g = json_object_get(root, "gold");
    if (g && !json_is_null(g)) {
        static const char *const gkeys[] = {"answer", "explanation", "qualification", NULL};
        if (!json_is_object(g)) return fail(e, "/gold", "gold must be an object {answer, explanation, qualification}%s", "");
        if (!json_only_keys(g, gkeys, "/gold", e)) return false;
        json_t *ans = json_object_get(g, "answer");
        if (!json_is_object(ans)) return fail(e, "/gold/answer", "/gold/answer must be the expected answer (an object)%s", "");
        if (!answer_check(kind, schema, d, ans, "/gold/answer", e)) return false;
        if (!json_opt_string(g, "explanation", 2000, NULL, &t->gold_explanation, e)) {
            snprintf(e->field, sizeof e->field, "/gold/explanation");
            return false;
        }
        json_t *q = json_object_get(g, "qualification");
        if (q && !json_is_boolean(q)) return fail(e, "/gold/qualification", "/gold/qualification must be true or false%s", "");
        t->gold_answer = ans;
        t->gold = json_is_true(q) ? 2 : 1;
    }
    t->data = d;
    return true;
}
