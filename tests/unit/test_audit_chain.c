/* Unit tests for the audit log's hash chain (core/audit_chain.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/audit_chain.h"

struct fields {
    const char *prev;
    int64_t id, at, actor;
    const char *action, *target, *detail;
};

static const struct fields base = {
    AUDIT_GENESIS, 1, 1700000000000LL, 0, "test.action", "the-target", "{\"k\":1}",
};

static void hash_of(const struct fields *f, char out[AUDIT_HASH_HEX])
{
    memset(out, 'Z', AUDIT_HASH_HEX);
    audit_chain_hash(f->prev, f->id, f->at, f->actor, f->action, f->target, f->detail, out);
}

static bool is_lower_hex64(const char *s)
{
    if (strlen(s) != 64) return false;
    for (size_t i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return false;
    return true;
}

static void test_format_and_known_value(void **state)
{
    (void)state;
    char h[AUDIT_HASH_HEX];
    hash_of(&base, h);
    assert_true(is_lower_hex64(h));
    /* python3: fields as netstrings, e.g. "64:000…0,1:1,13:1700000000000,1:0,11:test.action,10:the-target,7:{\"k\":1}," */
    assert_string_equal(h, "0471c1ff11865edd797843c2bd67948e27772853949c075a8557cc3075469514");

    audit_chain_hash("prev", 1, 2, 3, "action", "target", "detail", h);
    /* hashlib.sha256(b"4:prev,1:1,1:2,1:3,6:action,6:target,6:detail,") */
    assert_string_equal(h, "429ae371fb440aa0f575c1891286eb674f482b6fe922696aeaa2b5787212a784");

    assert_int_equal(strlen(AUDIT_GENESIS), 64);
}

static void test_deterministic(void **state)
{
    (void)state;
    char a[AUDIT_HASH_HEX], b[AUDIT_HASH_HEX];
    hash_of(&base, a);
    hash_of(&base, b);
    assert_string_equal(a, b);

    /* a chain of three, recomputed, gives the same links */
    char l1[AUDIT_HASH_HEX], l2[AUDIT_HASH_HEX], l3[AUDIT_HASH_HEX], r3[AUDIT_HASH_HEX];
    audit_chain_hash(AUDIT_GENESIS, 1, 10, 0, "a", "t", "", l1);
    audit_chain_hash(l1, 2, 11, 5, "b", "t", "{}", l2);
    audit_chain_hash(l2, 3, 12, 5, "c", "t", "{}", l3);
    audit_chain_hash(l2, 3, 12, 5, "c", "t", "{}", r3);
    assert_string_equal(l3, r3);
    assert_string_not_equal(l1, l2);
    assert_string_not_equal(l2, l3);
}

static void expect_change(const struct fields *f, const char *what)
{
    char a[AUDIT_HASH_HEX], b[AUDIT_HASH_HEX];
    hash_of(&base, a);
    hash_of(f, b);
    assert_true(is_lower_hex64(b));
    if (!strcmp(a, b)) fail_msg("changing %s left the hash unchanged", what);
}

static void test_each_field_matters(void **state)
{
    (void)state;
    struct fields f;
    char other_prev[65];
    memcpy(other_prev, AUDIT_GENESIS, sizeof other_prev);
    other_prev[63] = '1';

    f = base; f.prev = other_prev; expect_change(&f, "prev_hash");
    f = base; f.id = 2; expect_change(&f, "id");
    f = base; f.id = -1; expect_change(&f, "id (negative)");
    f = base; f.at = base.at + 1; expect_change(&f, "at");
    f = base; f.actor = 1; expect_change(&f, "actor_id");
    f = base; f.action = "test.actioN"; expect_change(&f, "action");
    f = base; f.action = ""; expect_change(&f, "action (empty)");
    f = base; f.target = "the-target2"; expect_change(&f, "target");
    f = base; f.detail = "{\"k\":2}"; expect_change(&f, "detail");
    f = base; f.detail = ""; expect_change(&f, "detail (empty)");
    f = base; f.detail = "{\"k\":1} "; expect_change(&f, "detail (trailing space)");
}

static void test_fields_do_not_run_together(void **state)
{
    (void)state;
    /* The separators keep neighbouring fields apart: moving text across a boundary changes the hash. */
    char a[AUDIT_HASH_HEX], b[AUDIT_HASH_HEX];
    audit_chain_hash(AUDIT_GENESIS, 1, 2, 3, "ab", "c", "d", a);
    audit_chain_hash(AUDIT_GENESIS, 1, 2, 3, "a", "bc", "d", b);
    assert_string_not_equal(a, b);
    audit_chain_hash(AUDIT_GENESIS, 1, 2, 3, "a", "b", "cd", a);
    audit_chain_hash(AUDIT_GENESIS, 1, 2, 3, "a", "bc", "d", b);
    assert_string_not_equal(a, b);
    audit_chain_hash(AUDIT_GENESIS, 12, 3, 4, "a", "b", "c", a);
    audit_chain_hash(AUDIT_GENESIS, 1, 23, 4, "a", "b", "c", b);
    assert_string_not_equal(a, b);
    /* a newline inside a field cannot fake a boundary (the netstring lengths differ) */
    audit_chain_hash(AUDIT_GENESIS, 1, 2, 3, "a", "My project\nfoo", "{\"x\":1}", a);
    audit_chain_hash(AUDIT_GENESIS, 1, 2, 3, "a", "My project", "foo\n{\"x\":1}", b);
    assert_string_not_equal(a, b);
    /* swapping two numeric fields */
    audit_chain_hash(AUDIT_GENESIS, 1, 2, 3, "a", "b", "c", a);
    audit_chain_hash(AUDIT_GENESIS, 2, 1, 3, "a", "b", "c", b);
    assert_string_not_equal(a, b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_and_known_value),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_each_field_matters),
        cmocka_unit_test(test_fields_do_not_run_together),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
