/* The en and fr message catalogs (i18n_en.def, i18n_fr.def) and template rendering. */
#include "core/i18n.h"

#include <stdio.h>
#include <string.h>

#define MSG(id, subject, body) {id, subject, body},
static const struct i18n_msg catalog_en[] = {
#include "core/i18n_en.def"
};
static const struct i18n_msg catalog_fr[] = {
#include "core/i18n_fr.def"
};
#undef MSG

bool i18n_language_ok(const char *lang)
{
    return lang && (!strcmp(lang, "en") || !strcmp(lang, "fr"));
}

const struct i18n_msg *i18n_catalog(const char *lang, size_t *n)
{
    if (lang && !strcmp(lang, "en")) {
        *n = sizeof catalog_en / sizeof catalog_en[0];
        return catalog_en;
    }
    if (lang && !strcmp(lang, "fr")) {
        *n = sizeof catalog_fr / sizeof catalog_fr[0];
        return catalog_fr;
    }
    *n = 0;
    return NULL;
}

static const struct i18n_msg *find_in(const char *lang, const char *id)
{
    size_t n;
    const struct i18n_msg *c = i18n_catalog(lang, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(c[i].id, id)) return &c[i];
    return NULL;
}

const struct i18n_msg *i18n_find(const char *lang, const char *id)
{
    if (!id) return NULL;
    const struct i18n_msg *m = i18n_language_ok(lang) ? find_in(lang, id) : NULL;
    return m ? m : find_in(I18N_DEFAULT, id);
}

static bool name_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool i18n_next_placeholder(const char **p, const char **name, size_t *len)
{
    for (const char *s = *p; (s = strchr(s, '{')); s++) {
        size_t n = 0;
        while (name_char(s[1 + n])) n++;
        if (n >= 1 && n <= I18N_NAME_MAX && s[1 + n] == '}') {
            *name = s + 1;
            *len = n;
            *p = s + n + 2;
            return true;
        }
    }
    *p += strlen(*p);
    return false;
}

/* The value of a placeholder as text in tmp, or NULL when it is missing or not a string or integer. */
static const char *value_text(json_t *vars, const char *name, size_t len, char *tmp, size_t tmplen)
{
    char key[I18N_NAME_MAX + 1];
    memcpy(key, name, len);
    key[len] = 0;
    json_t *v = json_object_get(vars, key);
    if (json_is_string(v)) return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(tmp, tmplen, "%lld", (long long)json_integer_value(v));
        return tmp;
    }
    return NULL;
}

static int add_value(buf *out, const char *v, bool one_line)
{
    if (one_line) return strpbrk(v, "\r\n") ? 1 : buf_adds(out, v);
    for (const char *s = v; *s; s++) {
        if (*s == '\r') {
            if (s[1] == '\n') s++;
            if (buf_add(out, "\n", 1)) return -1;
        } else if (buf_add(out, s, 1)) return -1;
    }
    return 0;
}

i18n_rc i18n_render(const char *tmpl, json_t *vars, bool one_line, buf *out, char bad[I18N_NAME_MAX + 1])
{
    size_t start = out->len;
    const char *p = tmpl, *name;
    size_t len;
    i18n_rc rc = I18N_OK;
    for (;;) {
        const char *from = p;
        bool more = i18n_next_placeholder(&p, &name, &len);
        size_t lit = more ? (size_t)(name - 1 - from) : (size_t)(p - from);
        if (buf_add(out, from, lit)) {
            rc = I18N_TOO_LONG;
            break;
        }
        if (!more) break;
        char tmp[32];
        const char *v = value_text(vars, name, len, tmp, sizeof tmp);
        int r = v ? add_value(out, v, one_line) : 0;
        if (!v || r) {
            if (bad) {
                memcpy(bad, name, len);
                bad[len] = 0;
            }
            rc = !v ? I18N_MISSING_VAR : r > 0 ? I18N_BAD_VALUE : I18N_TOO_LONG;
            break;
        }
    }
    if (rc != I18N_OK) {
        out->len = start;
        if (out->data) out->data[start] = 0;
    }
    return rc;
}
