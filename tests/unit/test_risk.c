/* Unit tests for core/risk.h: each rule's threshold, the score, and that nothing suspends (FW-25). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/risk.h"

static struct risk_result score(struct risk_signals s)
{
    struct risk_result r;
    risk_score(&s, &r);
    return r;
}

static void test_clean_account_scores_nothing(void **state)
{
    (void)state;
    struct risk_result r = score((struct risk_signals){.gold_answers = 20, .gold_correct = 18, .answers = 50,
                                                       .median_active_ms = 30000, .norm_active_ms = 40000,
                                                       .device_accounts = 1, .login_countries_7d = 1});
    assert_int_equal(r.score, 0);
    assert_int_equal(r.fired, 0);
    assert_int_equal(r.action, RISK_ACTION_NONE);
}

/* A household or cyber café behind one address: 40 accounts on one IP change nothing. */
static void test_shared_ip_alone_changes_nothing(void **state)
{
    (void)state;
    struct risk_result r = score((struct risk_signals){.ip_accounts = 40, .device_accounts = 1});
    assert_int_equal(r.score, 0);
    assert_int_equal(r.action, RISK_ACTION_NONE);
    assert_int_equal(risk_rules[RISK_SHARED_IP].points, 0);
}

static void test_thresholds(void **state)
{
    (void)state;
    /* gold: 5 of 10 right is below 60%; 6 of 10 is not; 5 of 9 is too few answers to judge */
    assert_int_equal(score((struct risk_signals){.gold_answers = 10, .gold_correct = 5}).fired, 1u << RISK_GOLD);
    assert_int_equal(score((struct risk_signals){.gold_answers = 10, .gold_correct = 6}).fired, 0);
    assert_int_equal(score((struct risk_signals){.gold_answers = 9, .gold_correct = 0}).fired, 0);
    /* fast: under a quarter of the norm (9,999 ms against 40,000), not at it */
    assert_int_equal(score((struct risk_signals){.answers = 10, .median_active_ms = 9999, .norm_active_ms = 40000}).fired,
                     1u << RISK_FAST);
    assert_int_equal(score((struct risk_signals){.answers = 10, .median_active_ms = 10000, .norm_active_ms = 40000}).fired, 0);
    assert_int_equal(score((struct risk_signals){.answers = 10, .median_active_ms = 1, .norm_active_ms = 0}).fired, 0);
    assert_int_equal(score((struct risk_signals){.device_accounts = 3}).fired, 1u << RISK_DEVICE);
    assert_int_equal(score((struct risk_signals){.device_accounts = 2}).fired, 0);
    /* copying: 3 of 15 free-text answers is 20% */
    assert_int_equal(score((struct risk_signals){.free_text_answers = 15, .copied_answers = 3}).fired, 1u << RISK_COPY);
    assert_int_equal(score((struct risk_signals){.free_text_answers = 16, .copied_answers = 3}).fired, 0);
    assert_int_equal(score((struct risk_signals){.login_countries_7d = 3}).fired, 1u << RISK_COUNTRY_HOP);
}

static void test_actions_never_suspend(void **state)
{
    (void)state;
    /* one rule: a step-up check at most */
    struct risk_result r = score((struct risk_signals){.gold_answers = 10, .gold_correct = 0});
    assert_int_equal(r.score, 40);
    assert_int_equal(r.action, RISK_ACTION_STEP_UP);
    r = score((struct risk_signals){.device_accounts = 5});
    assert_int_equal(r.score, 30);
    assert_int_equal(r.action, RISK_ACTION_NONE);
    /* everything at once: capped at 100, and still only a lower tier */
    r = score((struct risk_signals){.gold_answers = 10, .answers = 10, .median_active_ms = 1, .norm_active_ms = 100,
                                    .device_accounts = 9, .free_text_answers = 3, .copied_answers = 3,
                                    .login_countries_7d = 4, .ip_accounts = 50});
    assert_int_equal(r.score, 100);
    assert_int_equal(r.action, RISK_ACTION_LOWER_TIER);
    assert_string_equal(risk_action_name(r.action), "lower_tier");
    for (int i = 0; i < RISK_RULES; i++) assert_non_null(risk_rules[i].id);
}

static void test_fired_names(void **state)
{
    (void)state;
    char buf[256];
    risk_fired_names(0, buf, sizeof buf);
    assert_string_equal(buf, "");
    risk_fired_names((1u << RISK_GOLD) | (1u << RISK_DEVICE), buf, sizeof buf);
    assert_string_equal(buf, "gold_accuracy,shared_device");
    assert_true(risk_fired_has(buf, RISK_GOLD));
    assert_true(risk_fired_has(buf, RISK_DEVICE));
    assert_false(risk_fired_has(buf, RISK_FAST));
    assert_false(risk_fired_has("gold_accuracy_x,xshared_device", RISK_GOLD));
    assert_false(risk_fired_has("gold_accuracy_x,xshared_device", RISK_DEVICE));
    /* a name that does not fit whole is dropped, never cut */
    char small[20];
    risk_fired_names((1u << RISK_GOLD) | (1u << RISK_DEVICE), small, sizeof small);
    assert_string_equal(small, "gold_accuracy");
    /* gold and a shared device together reach the lower tier, never more */
    struct risk_result r = score((struct risk_signals){.gold_answers = 10, .gold_correct = 0, .device_accounts = 3});
    assert_int_equal(r.score, 70);
    assert_int_equal(r.action, RISK_ACTION_LOWER_TIER);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_account_scores_nothing),
        cmocka_unit_test(test_shared_ip_alone_changes_nothing),
        cmocka_unit_test(test_thresholds),
        cmocka_unit_test(test_actions_never_suspend),
        cmocka_unit_test(test_fired_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
