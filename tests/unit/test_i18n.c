/* Unit tests for core/i18n.h: the en and fr catalogs have the same keys and placeholders, rendering, the
 * fallback to en, and values with CR or LF refused in subjects. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/i18n.h"

/* The sorted, de-duplicated placeholder names of tmpl, joined by commas. */
static void placeholders(const char *tmpl, char *out, size_t n)
{
    char names[32][I18N_NAME_MAX + 1];
    int k = 0;
    const char *p = tmpl, *name;
    size_t len;
    while (i18n_next_placeholder(&p, &name, &len)) {
        assert_true(k < 32);
        memcpy(names[k], name, len);
        names[k][len] = 0;
        bool dup = false;
        for (int i = 0; i < k; i++) dup |= !strcmp(names[i], names[k]);
        if (!dup) k++;
    }
    qsort(names, (size_t)k, sizeof names[0], (int (*)(const void *, const void *))strcmp);
    out[0] = 0;
    for (int i = 0; i < k; i++) {
        strncat(out, names[i], n - strlen(out) - 1);
        strncat(out, ",", n - strlen(out) - 1);
    }
}

static void test_catalog_parity(void **state)
{
    (void)state;
    size_t ne, nf;
    const struct i18n_msg *en = i18n_catalog("en", &ne), *fr = i18n_catalog("fr", &nf);
    assert_non_null(en);
    assert_non_null(fr);
    assert_int_equal(ne, nf);
    for (size_t i = 0; i < ne; i++) {
        for (size_t j = 0; j < i; j++) assert_string_not_equal(en[i].id, en[j].id);
        const struct i18n_msg *f = NULL;
        for (size_t j = 0; j < nf; j++)
            if (!strcmp(fr[j].id, en[i].id)) f = &fr[j];
        if (!f) fail_msg("fr lacks %s", en[i].id);
        char a[512], b[512];
        placeholders(en[i].subject, a, sizeof a);
        placeholders(f->subject, b, sizeof b);
        if (strcmp(a, b)) fail_msg("%s subject: en {%s} fr {%s}", en[i].id, a, b);
        placeholders(en[i].body, a, sizeof a);
        placeholders(f->body, b, sizeof b);
        if (strcmp(a, b)) fail_msg("%s body: en {%s} fr {%s}", en[i].id, a, b);
        assert_null(strpbrk(en[i].subject, "\r\n"));
        assert_null(strpbrk(f->subject, "\r\n"));
        assert_true(strlen(en[i].subject) > 0 && strlen(en[i].body) > 0);
    }
    /* what exists now and what issue 6 uses */
    static const char *const ids[] = {"topup_paid", "payout_failed", "rejection_held", "rejection_upheld",
                                      "rejection_overturned", "requester_flagged", "region_notice", "region_closed",
                                      "ticket_reply", "contact_link", "decision_made", "appeal_decided",
                                      "terms_changed", NULL};
    for (int i = 0; ids[i]; i++) {
        assert_non_null(i18n_find("en", ids[i]));
        assert_non_null(i18n_find("fr", ids[i]));
        assert_ptr_not_equal(i18n_find("en", ids[i]), i18n_find("fr", ids[i]));
    }
}

static void test_languages_and_fallback(void **state)
{
    (void)state;
    assert_true(i18n_language_ok("en"));
    assert_true(i18n_language_ok("fr"));
    assert_false(i18n_language_ok("de"));
    assert_false(i18n_language_ok("EN"));
    assert_false(i18n_language_ok(""));
    assert_false(i18n_language_ok(NULL));
    size_t n;
    assert_null(i18n_catalog("de", &n));
    assert_int_equal(n, 0);
    /* an unknown language reads en; an unknown id is NULL everywhere */
    assert_ptr_equal(i18n_find("de", "payout_failed"), i18n_find("en", "payout_failed"));
    assert_null(i18n_find("fr", "no_such_template"));
    assert_null(i18n_find("en", NULL));
}

static void test_render(void **state)
{
    (void)state;
    json_t *vars = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "country", "Kenya", "effective_date", "2026-12-31",
                             "change", "stop offering work", "reason", "payment rail\r\nunavailable", "legal_basis",
                             "rail: M-Pesa B2C closed", "link", "https://fairlabel.example/worker");
    const struct i18n_msg *fr = i18n_find("fr", "region_notice");
    buf s, b;
    buf_init(&s, I18N_SUBJECT_MAX);
    buf_init(&b, I18N_BODY_MAX);
    char bad[I18N_NAME_MAX + 1] = "";
    assert_int_equal(i18n_render(fr->subject, vars, true, &s, bad), I18N_OK);
    assert_string_equal(s.data, "Préavis : le service change en Kenya le 2026-12-31");
    assert_int_equal(i18n_render(fr->body, vars, false, &b, bad), I18N_OK);
    assert_non_null(strstr(b.data, "Motif : payment rail\nunavailable\n")); /* CRLF in a body value becomes LF */
    assert_non_null(strstr(b.data, "https://fairlabel.example/worker"));
    assert_null(strchr(b.data, '\r'));
    assert_null(strchr(b.data, '{'));

    /* a value with CR or LF is refused in a subject, and out is left as it was */
    buf_reset(&s);
    buf_adds(&s, "kept");
    json_object_set_new(vars, "country", json_string("Kenya\r\nBcc: x@evil.example"));
    assert_int_equal(i18n_render(fr->subject, vars, true, &s, bad), I18N_BAD_VALUE);
    assert_string_equal(bad, "country");
    assert_string_equal(s.data, "kept");
    json_object_set_new(vars, "country", json_string("Kenya\n"));
    assert_int_equal(i18n_render(fr->subject, vars, true, &s, bad), I18N_BAD_VALUE);
    json_object_set_new(vars, "country", json_string("Ken\rya"));
    assert_int_equal(i18n_render(fr->subject, vars, true, &s, bad), I18N_BAD_VALUE);

    /* a missing value, or one neither a string nor an integer */
    json_object_del(vars, "country");
    assert_int_equal(i18n_render(fr->subject, vars, true, &s, bad), I18N_MISSING_VAR);
    assert_string_equal(bad, "country");
    json_object_set_new(vars, "country", json_real(1.5));
    assert_int_equal(i18n_render(fr->subject, vars, true, &s, bad), I18N_MISSING_VAR);
    assert_int_equal(i18n_render(fr->subject, NULL, true, &s, bad), I18N_MISSING_VAR);
    assert_string_equal(s.data, "kept");

    /* integers, literal braces, values are not re-expanded */
    buf_reset(&s);
    json_t *v2 = json_pack("{s:I, s:s}", "n", (json_int_t)-42, "x", "{n}");
    assert_int_equal(i18n_render("a {n} b {x} {} {N} {not closed", v2, true, &s, bad), I18N_OK);
    assert_string_equal(s.data, "a -42 b {n} {} {N} {not closed");

    /* the maximum is kept */
    buf small;
    buf_init(&small, 8);
    json_t *v3 = json_pack("{s:s}", "x", "abc");
    assert_int_equal(i18n_render("{x}{x}{x}", v3, true, &small, bad), I18N_TOO_LONG);
    assert_true(small.len == 0);
    buf_free(&small);
    json_decref(v3);
    json_decref(v2);
    json_decref(vars);
    buf_free(&s);
    buf_free(&b);
}

static void test_every_template_renders(void **state)
{
    (void)state;
    static const char *const langs[] = {"en", "fr"};
    for (int l = 0; l < 2; l++) {
        size_t n;
        const struct i18n_msg *c = i18n_catalog(langs[l], &n);
        for (size_t i = 0; i < n; i++) {
            json_t *vars = json_object();
            const char *p = c[i].body, *name;
            size_t len;
            char key[I18N_NAME_MAX + 1];
            while (i18n_next_placeholder(&p, &name, &len)) {
                memcpy(key, name, len);
                key[len] = 0;
                json_object_set_new(vars, key, json_string("v"));
            }
            for (p = c[i].subject; i18n_next_placeholder(&p, &name, &len);) {
                memcpy(key, name, len);
                key[len] = 0;
                json_object_set_new(vars, key, json_string("v"));
            }
            buf s, b;
            buf_init(&s, I18N_SUBJECT_MAX);
            buf_init(&b, I18N_BODY_MAX);
            assert_int_equal(i18n_render(c[i].subject, vars, true, &s, NULL), I18N_OK);
            assert_int_equal(i18n_render(c[i].body, vars, false, &b, NULL), I18N_OK);
            buf_free(&s);
            buf_free(&b);
            json_decref(vars);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_catalog_parity),
        cmocka_unit_test(test_languages_and_fallback),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_every_template_renders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
