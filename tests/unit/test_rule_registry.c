/* Unit tests for core/rule_registry.h: the FW-26 registry is complete and well-formed; FW-23 comment periods. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rule_registry.h"

static void test_registry_well_formed(void **state)
{
    (void)state;
    assert_true(rule_registry_len >= 13);
    for (size_t i = 0; i < rule_registry_len; i++) {
        const struct registry_rule *r = &rule_registry[i];
        assert_non_null(r->id);
        assert_true(strncmp(r->source, "FW-", 3) == 0);
        assert_true(strlen(r->reads) > 10 && strlen(r->thresholds) > 10 && strlen(r->can_do) > 10);
        assert_ptr_equal(rule_registry_find(r->id), r);
        for (size_t j = i + 1; j < rule_registry_len; j++) assert_string_not_equal(r->id, rule_registry[j].id);
        for (int p = 0; p < RULE_MAX_PARAMS && r->params[p].name; p++) assert_non_null(r->params[p].unit);
    }
    assert_null(rule_registry_find("no_such_rule"));
    assert_null(rule_registry_find(NULL));
}

static void test_registry_covers_the_rules(void **state)
{
    (void)state;
    static const char *const ids[] = {"auto_approval",     "rejection_hold",       "rejection_hold_lapse",
                                      "claim_floor",       "weekly_topup",         "weekly_payouts",
                                      "quality_rules",     "risk_score",           "ticket_escalation",
                                      "emergency_hold_lapse", "appeal_overdue",    "region_close",
                                      "requester_flags"};
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) assert_non_null(rule_registry_find(ids[i]));
    assert_int_equal(rule_registry_find("quality_rules")->expands, RULE_EXPANDS_QUALITY);
    assert_int_equal(rule_registry_find("risk_score")->expands, RULE_EXPANDS_RISK);
    assert_int_equal(rule_registry_find("appeal_overdue")->params[0].value, 14);
    assert_int_equal(rule_registry_find("emergency_hold_lapse")->params[0].value, 7);
    assert_int_equal(rule_registry_find("ticket_escalation")->params[0].value, 72);
}

static void test_comment_period(void **state)
{
    (void)state;
    const int64_t now = 1790000000000LL;
    assert_true(announce_period_ok(now, now + ANNOUNCE_COMMENT_MIN_MS, false));
    assert_false(announce_period_ok(now, now + ANNOUNCE_COMMENT_MIN_MS - 1, false));
    assert_true(announce_period_ok(now, now + 86400000LL, true));
    assert_false(announce_period_ok(now, now, true)); /* no period at all */
    assert_true(announce_comments_open(now + 1, now));
    assert_false(announce_comments_open(now, now));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_registry_well_formed),
        cmocka_unit_test(test_registry_covers_the_rules),
        cmocka_unit_test(test_comment_period),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
