/* Message catalogs (en, fr) of the notices sent in the inbox and by email, and their rendering: a template's
 * {placeholders} are filled from a JSON object of values. Plural-free. Pure. */
#ifndef FL_I18N_H
#define FL_I18N_H
#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "util/buf.h"

#define I18N_DEFAULT "en"
#define I18N_SUBJECT_MAX 400
#define I18N_BODY_MAX 16384
#define I18N_NAME_MAX 32 /* longest placeholder name */

struct i18n_msg {
    const char *id, *subject, *body;
};

/* "en" or "fr". */
bool i18n_language_ok(const char *lang);

/* The catalog of lang (en, fr) in source order, n its length; NULL for another language. */
const struct i18n_msg *i18n_catalog(const char *lang, size_t *n);

/* Template id in lang, else in en (a key missing in fr falls back to en); NULL when neither has it. */
const struct i18n_msg *i18n_find(const char *lang, const char *id);

/* Steps *p to the next {placeholder} ({ then 1..32 of [a-z0-9_] then }); other braces are literal text.
 * True with *name and *len naming it and *p past it; false at the end. */
bool i18n_next_placeholder(const char **p, const char **name, size_t *len);

typedef enum { I18N_OK, I18N_MISSING_VAR, I18N_BAD_VALUE, I18N_TOO_LONG } i18n_rc;

/* Appends tmpl with each placeholder replaced by vars' member of that name (a string, or an integer
 * written in decimal). In a subject (one_line) a value with CR or LF is refused, which keeps values from
 * adding header lines; in a body CRLF and CR become LF. On failure out is as it was and bad (if not NULL)
 * holds the placeholder's name. */
i18n_rc i18n_render(const char *tmpl, json_t *vars, bool one_line, buf *out, char bad[I18N_NAME_MAX + 1]);

#endif
