/* Unit tests for tokens, token hashes and password hashing (util/tokens.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/tokens.h"

static bool is_b64url(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static bool is_lower_hex(const char *s, size_t n)
{
    if (strlen(s) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static int setup(void **state)
{
    (void)state;
    return tokens_init(2);
}

static void check_token(const char *prefix, const char *t)
{
    size_t pl = strlen(prefix);
    assert_int_equal(strlen(t), pl + 43);
    assert_memory_equal(t, prefix, pl);
    for (size_t i = pl; t[i]; i++)
        if (!is_b64url(t[i])) fail_msg("token %s: character %zu is not base64url", t, i);
}

static void test_token_new(void **state)
{
    (void)state;
    char a[TOKEN_TEXT_MAX], b[TOKEN_TEXT_MAX], k[TOKEN_TEXT_MAX];
    token_new("", a);
    token_new("", b);
    token_new("flk_", k);
    check_token("", a);
    check_token("", b);
    check_token("flk_", k);
    assert_string_not_equal(a, b);
    assert_string_not_equal(a, k + 4);

    /* Many tokens: all distinct, and every base64url character shows up somewhere. */
    enum { N = 200 };
    static char many[N][TOKEN_TEXT_MAX];
    bool seen[256] = {false};
    for (int i = 0; i < N; i++) {
        token_new("s_", many[i]);
        check_token("s_", many[i]);
        for (const char *p = many[i] + 2; *p; p++) seen[(unsigned char)*p] = true;
        for (int j = 0; j < i; j++) assert_string_not_equal(many[i], many[j]);
    }
    int distinct = 0;
    for (int c = 0; c < 256; c++) distinct += seen[c];
    assert_true(distinct > 60); /* 64 symbols; 8400 draws miss one with negligible probability */

    /* The longest prefix that fits. */
    char longp[TOKEN_TEXT_MAX];
    const char *prefix20 = "abcdefghijklmnopqrst";
    token_new(prefix20, longp);
    check_token(prefix20, longp);
}

static void test_token_hash(void **state)
{
    (void)state;
    char h1[TOKEN_HASH_HEX], h2[TOKEN_HASH_HEX], h3[TOKEN_HASH_HEX];
    token_hash("abc", h1);
    /* BLAKE2b with a 32-byte digest, no key: hashlib.blake2b(b"abc", digest_size=32) */
    assert_string_equal(h1, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319");

    char t[TOKEN_TEXT_MAX];
    token_new("", t);
    token_hash(t, h1);
    token_hash(t, h2);
    assert_true(is_lower_hex(h1, 64));
    assert_string_equal(h1, h2);
    t[0] = t[0] == 'A' ? 'B' : 'A';
    token_hash(t, h3);
    assert_true(is_lower_hex(h3, 64));
    assert_string_not_equal(h1, h3);

    token_hash("", h1);
    assert_true(is_lower_hex(h1, 64));
}

static void test_token_equal(void **state)
{
    (void)state;
    char a[TOKEN_TEXT_MAX], b[TOKEN_TEXT_MAX];
    token_new("", a);
    memcpy(b, a, sizeof a);
    assert_true(token_equal(a, b));
    assert_true(token_equal(a, a));
    assert_true(token_equal("", ""));
    b[42] = b[42] == 'x' ? 'y' : 'x';
    assert_false(token_equal(a, b));
    assert_false(token_equal("abc", "abcd")); /* prefix of the other */
    assert_false(token_equal("abcd", "abc"));
    assert_false(token_equal("", "a"));
    assert_false(token_equal("abc", "abC"));
}

static void test_password_round_trip(void **state)
{
    (void)state;
    char h[PASSWORD_HASH_MAX], h2[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash("correct horse battery staple", h), 0);
    assert_true(strlen(h) > 0 && strlen(h) < PASSWORD_HASH_MAX);
    assert_true(!strncmp(h, "$argon2id$", 10));
    assert_int_equal(password_verify(h, "correct horse battery staple"), 1);
    assert_int_equal(password_verify(h, "correct horse battery stapl"), 0);
    assert_int_equal(password_verify(h, "Correct horse battery staple"), 0);
    assert_int_equal(password_verify(h, ""), 0);

    /* Salted: the same password hashes differently, and each hash verifies. */
    assert_int_equal(password_hash("correct horse battery staple", h2), 0);
    assert_string_not_equal(h, h2);
    assert_int_equal(password_verify(h2, "correct horse battery staple"), 1);

    /* Non-ASCII passwords. */
    assert_int_equal(password_hash("pässwörd-✓", h), 0);
    assert_int_equal(password_verify(h, "pässwörd-✓"), 1);
    assert_int_equal(password_verify(h, "passwort-✓"), 0);
}

static void test_password_verify_garbage(void **state)
{
    (void)state;
    /* A stored value that is not a hash never matches. */
    assert_int_equal(password_verify("", ""), 0);
    assert_int_equal(password_verify("not a hash", "not a hash"), 0);
    assert_int_equal(password_verify("$argon2id$v=19$m=65536,t=2,p=1$xx$yy", "x"), 0);
}

static void test_password_verify_dummy(void **state)
{
    (void)state;
    assert_int_equal(password_verify_dummy("anything"), 0);
    assert_int_equal(password_verify_dummy(""), 0);
    assert_int_equal(password_verify_dummy("anything"), 0);
}

static void test_tokens_init_again(void **state)
{
    (void)state;
    /* A second init is harmless and hashing still works afterwards. */
    assert_int_equal(tokens_init(2), 0);
    char h[PASSWORD_HASH_MAX];
    assert_int_equal(password_hash("x", h), 0);
    assert_int_equal(password_verify(h, "x"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_new),
        cmocka_unit_test(test_token_hash),
        cmocka_unit_test(test_token_equal),
        cmocka_unit_test(test_password_round_trip),
        cmocka_unit_test(test_password_verify_garbage),
        cmocka_unit_test(test_password_verify_dummy),
        cmocka_unit_test(test_tokens_init_again),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
