/* Unit tests for core/region.h: the transitions that exist and what each needs (FW-15). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/region.h"

#define DAY REGION_DAY_MS
static const int64_t NOW = 1790000000000LL;

static bool names(const struct region_problem *p, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(p[i].field, field)) return true;
    return false;
}

static void test_transitions(void **state)
{
    (void)state;
    assert_true(region_transition_exists(REGION_OPEN, REGION_SIGNUPS_PAUSED));
    assert_true(region_transition_exists(REGION_OPEN, REGION_WINDING_DOWN));
    assert_false(region_transition_exists(REGION_OPEN, REGION_CLOSED)); /* no shortcut */
    assert_false(region_transition_exists(REGION_SIGNUPS_PAUSED, REGION_CLOSED));
    assert_true(region_transition_exists(REGION_WINDING_DOWN, REGION_CLOSED));
    assert_true(region_transition_exists(REGION_WINDING_DOWN, REGION_OPEN));
    assert_true(region_transition_exists(REGION_CLOSED, REGION_OPEN));
    assert_false(region_transition_exists(REGION_CLOSED, REGION_WINDING_DOWN));
    assert_false(region_transition_exists(REGION_OPEN, REGION_OPEN));
    assert_true(region_transition_restricts(REGION_OPEN, REGION_SIGNUPS_PAUSED));
    assert_false(region_transition_restricts(REGION_CLOSED, REGION_OPEN));
    enum region_state s;
    assert_true(region_state_parse("winding_down", &s));
    assert_int_equal(s, REGION_WINDING_DOWN);
    assert_false(region_state_parse("gone", &s));
    assert_false(region_state_parse(NULL, &s));
    enum region_basis b;
    assert_true(region_basis_parse("payment_rail", &b));
    assert_int_equal(b, REGION_BASIS_PAYMENT_RAIL);
    assert_false(region_basis_parse("", &b));
    assert_string_equal(region_state_name(REGION_SIGNUPS_PAUSED), "signups_paused");
}

/* March 2024: closing a country at once, without reason, basis, approver or notice, is refused on every count. */
static void test_everything_missing_is_named(void **state)
{
    (void)state;
    struct region_change c = {.from = REGION_OPEN, .to = REGION_WINDING_DOWN, .reason = "  ", .proposed_by = 7,
                              .approved_by = 7, .effective_at_ms = NOW};
    struct region_problem p[8];
    size_t n = region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8);
    assert_int_equal(n, 5);
    assert_true(names(p, n, "/reason"));
    assert_true(names(p, n, "/legal_basis"));
    assert_true(names(p, n, "/legal_reference"));
    assert_true(names(p, n, "/approved_by")); /* the proposer cannot approve their own change */
    assert_true(names(p, n, "/effective_at"));
    /* only the first max are written; the count is all of them */
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 2), 5);
    c.to = REGION_CLOSED;
    n = region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8);
    assert_int_equal(n, 1);
    assert_string_equal(p[0].field, "/to");
}

static void test_notice_period(void **state)
{
    (void)state;
    struct region_change c = {.from = REGION_OPEN, .to = REGION_WINDING_DOWN, .reason = "Payment rail ends",
                              .basis = REGION_BASIS_PAYMENT_RAIL, .basis_reference = "Rail notice 2026-11",
                              .proposed_by = 1, .approved_by = 2, .effective_at_ms = NOW + 30 * DAY};
    struct region_problem p[8];
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 0);
    /* one millisecond short of 30 days */
    c.effective_at_ms = NOW + 30 * DAY - 1;
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 1);
    assert_string_equal(p[0].field, "/effective_at");
    /* a proposal is checked against now; its approval a day later against the approval: the notice shrank */
    c.effective_at_ms = NOW + 30 * DAY;
    assert_int_equal(region_change_check(&c, REGION_CHECK_PROPOSAL, NOW, p, 8), 0);
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW + DAY, p, 8), 1);
    /* an emergency may shorten it only with its reason, and never into the past */
    c.effective_at_ms = NOW + 2 * DAY;
    c.emergency = true;
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 1);
    assert_string_equal(p[0].field, "/emergency_reason");
    c.emergency_reason = "Sanctions listing in force immediately";
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 0);
    c.effective_at_ms = NOW - 1;
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 1);
    /* an emergency flag on a change without a notice period is a mistake, named */
    struct region_change pause = {.from = REGION_OPEN, .to = REGION_SIGNUPS_PAUSED, .reason = "r",
                                  .basis = REGION_BASIS_LOCAL_LAW, .basis_reference = "Act 12", .proposed_by = 1,
                                  .approved_by = 2, .emergency = true, .emergency_reason = "x"};
    assert_int_equal(region_change_check(&pause, REGION_CHECK_APPROVAL, NOW, p, 8), 1);
    assert_string_equal(p[0].field, "/emergency");
}

static void test_reopening_needs_no_basis_but_two_people(void **state)
{
    (void)state;
    struct region_change c = {.from = REGION_CLOSED, .to = REGION_OPEN, .reason = "Rail restored", .proposed_by = 1};
    struct region_problem p[8];
    assert_int_equal(region_change_check(&c, REGION_CHECK_PROPOSAL, NOW, p, 8), 0);
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 1);
    assert_string_equal(p[0].field, "/approved_by");
    c.approved_by = 3;
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 0);
}

static void test_closing_waits_for_the_effective_date(void **state)
{
    (void)state;
    struct region_change c = {.from = REGION_WINDING_DOWN, .to = REGION_CLOSED, .reason = "r",
                              .basis = REGION_BASIS_SANCTIONS, .basis_reference = "List 5", .proposed_by = 1,
                              .approved_by = 2, .effective_at_ms = NOW + DAY};
    struct region_problem p[8];
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW, p, 8), 1);
    assert_int_equal(region_change_check(&c, REGION_CHECK_APPROVAL, NOW + DAY, p, 8), 0);
}

static void test_what_the_state_allows(void **state)
{
    (void)state;
    assert_true(region_signups_allowed(REGION_OPEN));
    assert_false(region_signups_allowed(REGION_SIGNUPS_PAUSED));
    assert_false(region_signups_allowed(REGION_WINDING_DOWN));
    assert_true(region_new_work_allowed(REGION_SIGNUPS_PAUSED, 0, NOW));
    assert_true(region_new_work_allowed(REGION_WINDING_DOWN, NOW + 1, NOW));
    assert_false(region_new_work_allowed(REGION_WINDING_DOWN, NOW, NOW));
    assert_false(region_new_work_allowed(REGION_CLOSED, 0, NOW));
    assert_int_equal(region_payout_deadline_ms(NOW), NOW + 14 * DAY);
    /* approval by day 7 leaves a week for the daily payout run and the batches */
    assert_int_equal(region_review_deadline_ms(NOW), NOW + 7 * DAY);
    assert_true(region_review_deadline_ms(NOW) < region_payout_deadline_ms(NOW));
}

static void test_time_parse(void **state)
{
    (void)state;
    int64_t ms;
    assert_true(region_time_parse("2024-03-01", &ms));
    assert_int_equal(ms, 1709251200000LL);
    assert_true(region_time_parse("2024-03-01T12:30:05Z", &ms));
    assert_int_equal(ms, 1709251200000LL + 45005000LL);
    assert_true(region_time_parse("2024-03-01T12:30:05.250Z", &ms));
    assert_int_equal(ms, 1709251200000LL + 45005250LL);
    assert_false(region_time_parse("2024-02-30", &ms));
    assert_false(region_time_parse("2024-03-01T12:30:05", &ms)); /* no zone: refused, never guessed */
    assert_false(region_time_parse("2024-03-01T24:00:00Z", &ms));
    assert_false(region_time_parse("2024-3-1", &ms));
    assert_false(region_time_parse("2024-03-01Z", &ms));
    assert_false(region_time_parse(NULL, &ms));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transitions),
        cmocka_unit_test(test_everything_missing_is_named),
        cmocka_unit_test(test_notice_period),
        cmocka_unit_test(test_reopening_needs_no_basis_but_two_people),
        cmocka_unit_test(test_closing_waits_for_the_effective_date),
        cmocka_unit_test(test_what_the_state_allows),
        cmocka_unit_test(test_time_parse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
