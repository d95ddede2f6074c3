/* The region policy state machine (FW-15, FW-16, FW-25): the states of a country, which transitions exist, and
 * what a transition needs before it may be approved. Pure: the caller stores and audits. */
#ifndef FL_REGION_H
#define FL_REGION_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGION_DAY_MS 86400000LL
#define REGION_NOTICE_MS (30 * REGION_DAY_MS) /* notice before winding down takes effect (FW-15) */
#define REGION_PAYOUT_MS (14 * REGION_DAY_MS) /* everything is paid out within this after the effect */
/* answers still pending review are approved by then (unless held), so a daily payout run meets REGION_PAYOUT_MS */
#define REGION_REVIEW_MS (7 * REGION_DAY_MS)

enum region_state { REGION_OPEN, REGION_SIGNUPS_PAUSED, REGION_WINDING_DOWN, REGION_CLOSED };
enum region_basis { REGION_BASIS_NONE, REGION_BASIS_SANCTIONS, REGION_BASIS_LOCAL_LAW, REGION_BASIS_PAYMENT_RAIL };

const char *region_state_name(enum region_state s);   /* "open", "signups_paused", "winding_down", "closed" */
bool region_state_parse(const char *s, enum region_state *out);
const char *region_basis_name(enum region_basis b);   /* "", "sanctions", "local_law", "payment_rail" */
bool region_basis_parse(const char *s, enum region_basis *out);

/* The transitions that exist: open → signups_paused | winding_down; signups_paused → open | winding_down;
 * winding_down → open (called off) | closed (at effective_at); closed → open. Nothing else: in particular no
 * open → closed shortcut (FW-15). */
bool region_transition_exists(enum region_state from, enum region_state to);
/* Restricting: the change takes something away from workers of the country (pausing sign-ups, winding down,
 * closing); it needs a legal basis. Reopening does not. */
bool region_transition_restricts(enum region_state from, enum region_state to);

/* A proposed change. Strings may be NULL (= missing); blank counts as missing. */
struct region_change {
    enum region_state from, to;
    const char *reason;
    enum region_basis basis;
    const char *basis_reference;   /* the sanctions list entry, the law, the rail's notice */
    int64_t proposed_by;           /* admin ids; approved_by 0 while not approved */
    int64_t approved_by;
    int64_t effective_at_ms;       /* winding_down: when work stops; 0 otherwise */
    bool emergency;                /* winding_down with less than REGION_NOTICE_MS of notice */
    const char *emergency_reason;
};

/* What is wrong, by request field ("/reason", "/legal_basis", …): static strings. */
struct region_problem {
    const char *field;
    const char *detail;
};

enum region_check { REGION_CHECK_PROPOSAL, REGION_CHECK_APPROVAL };

/* Every problem of the change, up to max written to out; returns how many there are in all (so a 422 can name
 * each missing field at once). At REGION_CHECK_APPROVAL the approver must be set and differ from the proposer,
 * and notice_at_ms is when the notices go out (the approval); at REGION_CHECK_PROPOSAL notice_at_ms is the
 * earliest they could (now). Winding down needs effective_at ≥ notice_at + 30 days, or an emergency with its
 * reason and effective_at ≥ notice_at. A transition to closed is the scheduled end of winding down: it needs
 * notice_at ≥ effective_at of the winding-down change, given as c->effective_at_ms. */
size_t region_change_check(const struct region_change *c, enum region_check mode, int64_t notice_at_ms,
                           struct region_problem *out, size_t max);

/* What the state means for workers of the country at now. */
bool region_signups_allowed(enum region_state s);
/* New tasks: open and signups_paused yes; winding_down until effective_at; closed no. Open leases may always
 * be submitted until they expire; earnings, payouts, export, tickets and appeals never depend on the state. */
bool region_new_work_allowed(enum region_state s, int64_t effective_at_ms, int64_t now_ms);
/* The date by which every pending and available cent of the country's workers is paid out. */
int64_t region_payout_deadline_ms(int64_t effective_at_ms);
/* The time by which the country's answers still pending review are auto-approved (held ones wait for their hold). */
int64_t region_review_deadline_ms(int64_t effective_at_ms);

/* An effective date as the API takes it: "YYYY-MM-DD" (midnight UTC) or "YYYY-MM-DDTHH:MM:SS[.mmm]Z" (the form
 * replies use). False for anything else, an impossible date included. */
bool region_time_parse(const char *s, int64_t *ms);

#endif
