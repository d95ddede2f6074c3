/* Unit tests for core/mail.h: addresses, header injection, encoded words, the base64 body; the composed
 * message is also parsed by Python's email package when /usr/bin/python3 is there (an independent reader). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/mail.h"

static const struct mail_message base = {
    .from = "notices@fairlabel.example", .from_name = "Équipe fairlabel", .to = "amina@example.org",
    .subject = "Préavis", .body = "a\nb", .message_id = "42.outbox@fairlabel.example", .language = "fr",
    .date_ms = 1790000000000LL,
};

static void test_addresses(void **state)
{
    (void)state;
    assert_true(mail_address_ok("amina@example.org"));
    assert_true(mail_address_ok("a.b+tag@mail.example.co.ke"));
    assert_false(mail_address_ok("amina@localhost")); /* one label */
    assert_false(mail_address_ok("amina@@example.org"));
    assert_false(mail_address_ok("@example.org"));
    assert_false(mail_address_ok("a..b@example.org"));
    assert_false(mail_address_ok(".a@example.org"));
    assert_false(mail_address_ok("a@example-.org"));
    assert_false(mail_address_ok("a@-example.org"));
    assert_false(mail_address_ok("a b@example.org"));
    assert_false(mail_address_ok("a@example.org\r\nBcc: x@evil.example"));
    assert_false(mail_address_ok(NULL));
}

static void test_message(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 16);
    const char *field;
    assert_true(mail_compose(&base, &b, &field));
    assert_non_null(strstr(b.data, "From: =?UTF-8?B?w4lxdWlwZSBmYWlybGFiZWw=?= <notices@fairlabel.example>\r\n"));
    assert_non_null(strstr(b.data, "\r\nTo: <amina@example.org>\r\n"));
    assert_non_null(strstr(b.data, "\r\nSubject: =?UTF-8?B?UHLDqWF2aXM=?=\r\n"));
    assert_non_null(strstr(b.data, "\r\nDate: Mon, 21 Sep 2026 14:13:20 +0000\r\n"));
    assert_non_null(strstr(b.data, "\r\nMessage-ID: <42.outbox@fairlabel.example>\r\n"));
    assert_non_null(strstr(b.data, "\r\nContent-Language: fr\r\n"));
    /* LF became CRLF before encoding */
    assert_non_null(strstr(b.data, "\r\n\r\nYQ0KYg==\r\n"));
    for (const char *p = b.data; (p = strchr(p, '\n')); p++) assert_true(p[-1] == '\r'); /* CRLF only */
    buf_free(&b);
}

static void test_long_subject_and_body_wrap(void **state)
{
    (void)state;
    struct mail_message m = base;
    m.subject = "Votre région passe en fermeture progressive : préavis de 30 jours, paiement intégral sous 14 jours";
    char body[4000];
    memset(body, 'x', sizeof body - 1);
    body[sizeof body - 1] = 0;
    m.body = body;
    buf b;
    buf_init(&b, 1 << 16);
    const char *field;
    assert_true(mail_compose(&m, &b, &field));
    /* every line within 78 characters */
    size_t col = 0;
    for (const char *p = b.data; *p; p++) {
        if (*p == '\n') col = 0;
        else assert_true(++col <= 78);
    }
    assert_non_null(strstr(b.data, "?=\r\n =?UTF-8?B?")); /* folded into several encoded words */
    buf_free(&b);
}

static void test_refusals(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 16);
    const char *field;
    struct mail_message m = base;
    m.subject = "Hello\r\nBcc: everyone@example.org";
    assert_false(mail_compose(&m, &b, &field));
    assert_string_equal(field, "subject");
    m = base;
    m.from_name = "x\ny";
    assert_false(mail_compose(&m, &b, &field));
    assert_string_equal(field, "from_name");
    m = base;
    m.to = "not an address";
    assert_false(mail_compose(&m, &b, &field));
    assert_string_equal(field, "to");
    m = base;
    m.body = "\xc3\x28"; /* invalid UTF-8 */
    assert_false(mail_compose(&m, &b, &field));
    assert_string_equal(field, "body");
    m = base;
    m.message_id = "<x@y>";
    assert_false(mail_compose(&m, &b, &field));
    assert_string_equal(field, "message_id");
    assert_int_equal(b.len, 0); /* nothing written on a refusal */
    buf tiny;
    buf_init(&tiny, 64);
    assert_false(mail_compose(&base, &tiny, &field));
    assert_string_equal(field, "size");
    assert_int_equal(tiny.len, 0);
    buf_free(&tiny);
    buf_free(&b);
}

/* Python's email package reads back the same subject, sender name and body. */
static void test_independent_reader(void **state)
{
    (void)state;
    if (access("/usr/bin/python3", X_OK)) skip();
    buf b;
    buf_init(&b, 1 << 16);
    const char *field;
    struct mail_message m = base;
    m.body = "Bonjour Amina,\nvotre préavis commence aujourd'hui.\n";
    assert_true(mail_compose(&m, &b, &field));
    char path[] = "/tmp/fl-mail-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b.data, b.len), (ssize_t)b.len);
    close(fd);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import email,email.policy,sys;"
             "m=email.message_from_binary_file(open('%s','rb'),policy=email.policy.default);"
             "sys.stdout.write(m['subject']+'|'+m['from'].addresses[0].display_name+'|'+m.get_content())\"",
             path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[512] = {0};
    size_t n = fread(out, 1, sizeof out - 1, p);
    assert_int_equal(pclose(p), 0);
    unlink(path);
    out[n] = 0;
    /* MIME text is canonical CRLF; the reader hands it back as sent */
    assert_string_equal(out, "Préavis|Équipe fairlabel|Bonjour Amina,\r\nvotre préavis commence aujourd'hui.\r\n");
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addresses),
        cmocka_unit_test(test_message),
        cmocka_unit_test(test_long_subject_and_body_wrap),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_independent_reader),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
