/* Unit tests for core/due_process.h: appeal windows, hold lapses, ticket escalation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/due_process.h"

#define DAY DUE_DAY_MS
static const int64_t T = 1790000000000LL;

static void test_appeals(void **state)
{
    (void)state;
    assert_true(due_appeal_open(T, T + 30 * DAY));
    assert_false(due_appeal_open(T, T + 30 * DAY + 1));
    assert_int_equal(due_appeal_due_ms(T), T + 14 * DAY);
    assert_false(due_appeal_overdue(T, T + 14 * DAY));
    assert_true(due_appeal_overdue(T, T + 14 * DAY + 1));
    assert_false(due_appeal_decider_ok(7, 7)); /* the same human may not decide the appeal */
    assert_false(due_appeal_decider_ok(7, 0)); /* nor nobody (an automated resolution is not a decision) */
    assert_true(due_appeal_decider_ok(7, 8));
    assert_true(due_appeal_decider_ok(0, 8)); /* an automated decision: any human decides the appeal */
}

static void test_holds_lapse_unless_confirmed(void **state)
{
    (void)state;
    assert_false(due_hold_lapsed(T, 0, T + 7 * DAY - 1));
    assert_true(due_hold_lapsed(T, 0, T + 7 * DAY));
    assert_false(due_hold_lapsed(T, 42, T + 70 * DAY));
}

static void test_ticket_escalation(void **state)
{
    (void)state;
    int64_t h = 3600000;
    assert_false(due_ticket_escalates(T, 0, T + 72 * h));
    assert_true(due_ticket_escalates(T, 0, T + 72 * h + 1));
    assert_false(due_ticket_escalates(T, T + 71 * h, T + 100 * h));
    assert_true(due_ticket_escalates(T, T + 73 * h, T + 100 * h)); /* answered late: counted as missed */
}

static void test_kinds(void **state)
{
    (void)state;
    enum due_decision_kind k;
    assert_true(due_decision_kind_parse("qualification_removal", &k));
    assert_int_equal(k, DUE_QUALIFICATION_REMOVAL);
    assert_false(due_decision_kind_parse("ban", &k));
    assert_string_equal(due_decision_kind_name(DUE_PAY_REFUSAL), "pay_refusal");
    assert_false(due_needs_human_approval(DUE_REJECTION)); /* a rejection is itself a human's review */
    assert_true(due_needs_human_approval(DUE_DEACTIVATION));
    /* a risk score's lower tier: a kind of its own, in effect only with a human */
    assert_true(due_decision_kind_parse("review_tier", &k));
    assert_int_equal(k, DUE_REVIEW_TIER);
    assert_string_equal(due_decision_kind_name(DUE_REVIEW_TIER), "review_tier");
    assert_true(due_needs_human_approval(DUE_REVIEW_TIER));
    assert_string_equal(due_decision_kind_name((enum due_decision_kind)(DUE_REVIEW_TIER + 1)), "");
}

static void test_restrictions(void **state)
{
    (void)state;
    enum due_restriction_kind k;
    assert_true(due_restriction_kind_parse("suspension", &k));
    assert_int_equal(k, DUE_SUSPEND);
    assert_false(due_restriction_kind_parse("ban", &k));
    assert_string_equal(due_restriction_kind_name(DUE_DEACTIVATE), "deactivation");
    assert_int_equal(due_restriction_decision(DUE_DEACTIVATE), DUE_DEACTIVATION);
    assert_int_equal(due_restriction_decision(DUE_SUSPEND), DUE_HOLD);
    assert_int_equal(due_restriction_decision(DUE_RESTRICT), DUE_HOLD);
    assert_false(due_restriction_approver_ok(5, 5, false)); /* two humans */
    assert_true(due_restriction_approver_ok(5, 6, false));
    assert_true(due_restriction_approver_ok(5, 5, true));   /* an emergency hold, which lapses unconfirmed */
    assert_false(due_restriction_approver_ok(5, 0, true));  /* never nobody */
}

static void test_terms(void **state)
{
    (void)state;
    assert_true(due_terms_notice_ok(T, T + 30 * DAY, false));
    assert_false(due_terms_notice_ok(T, T + 30 * DAY - 1, false));
    assert_true(due_terms_notice_ok(T, T, true));
    assert_false(due_terms_notice_ok(T, T - 1, true));
    assert_false(due_terms_apply(T, true, false, T - 1));  /* not before the notice ends */
    assert_false(due_terms_apply(T, false, false, T + DAY)); /* nor without acknowledgement */
    assert_true(due_terms_apply(T, true, false, T));
    assert_true(due_terms_apply(T, false, true, T));        /* an emergency applies without */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_appeals),
        cmocka_unit_test(test_holds_lapse_unless_confirmed),
        cmocka_unit_test(test_ticket_escalation),
        cmocka_unit_test(test_kinds),
        cmocka_unit_test(test_restrictions),
        cmocka_unit_test(test_terms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
