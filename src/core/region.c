/* The region policy state machine: transitions and what each needs (FW-15). */
#include "core/region.h"

#include <string.h>

#include "core/calendar.h"
#include "core/validate.h"

static const char *const state_names[] = {"open", "signups_paused", "winding_down", "closed"};
static const char *const basis_names[] = {"", "sanctions", "local_law", "payment_rail"};

const char *region_state_name(enum region_state s)
{
    return (unsigned)s < sizeof state_names / sizeof *state_names ? state_names[s] : "";
}

bool region_state_parse(const char *s, enum region_state *out)
{
    for (size_t i = 0; s && i < sizeof state_names / sizeof *state_names; i++)
        if (!strcmp(s, state_names[i])) {
            *out = (enum region_state)i;
            return true;
        }
    return false;
}

const char *region_basis_name(enum region_basis b)
{
    return (unsigned)b < sizeof basis_names / sizeof *basis_names ? basis_names[b] : "";
}

bool region_basis_parse(const char *s, enum region_basis *out)
{
    for (size_t i = 1; s && i < sizeof basis_names / sizeof *basis_names; i++)
        if (!strcmp(s, basis_names[i])) {
            *out = (enum region_basis)i;
            return true;
        }
    return false;
}

bool region_transition_exists(enum region_state from, enum region_state to)
{
    switch (from) {
    case REGION_OPEN: return to == REGION_SIGNUPS_PAUSED || to == REGION_WINDING_DOWN;
    case REGION_SIGNUPS_PAUSED: return to == REGION_OPEN || to == REGION_WINDING_DOWN;
    case REGION_WINDING_DOWN: return to == REGION_OPEN || to == REGION_CLOSED;
    case REGION_CLOSED: return to == REGION_OPEN;
    }
    return false;
}

bool region_transition_restricts(enum region_state from, enum region_state to)
{
    return region_transition_exists(from, to) && to != REGION_OPEN;
}

struct problems {
    struct region_problem *out;
    size_t max, n;
};

static void add(struct problems *p, const char *field, const char *detail)
{
    if (p->n < p->max) p->out[p->n] = (struct region_problem){field, detail};
    p->n++;
}

size_t region_change_check(const struct region_change *c, enum region_check mode, int64_t notice_at_ms,
                           struct region_problem *out, size_t max)
{
    struct problems p = {out, max, 0};
    if (!region_transition_exists(c->from, c->to)) {
        add(&p, "/to", "no such transition from the country's current state (open → signups_paused | winding_down → "
                       "closed → open; winding down cannot be skipped)");
        return p.n;
    }
    if (text_blank(c->reason)) add(&p, "/reason", "a reason is required");
    if (region_transition_restricts(c->from, c->to)) {
        if (c->basis == REGION_BASIS_NONE)
            add(&p, "/legal_basis", "a legal basis is required: sanctions, local_law or payment_rail");
        if (text_blank(c->basis_reference))
            add(&p, "/legal_reference", "the reference of the legal basis is required (the list entry, the law, the "
                                        "payment rail's notice)");
    }
    if (c->proposed_by <= 0) add(&p, "/proposed_by", "the proposing admin is required");
    if (mode == REGION_CHECK_APPROVAL) {
        if (c->approved_by <= 0) add(&p, "/approved_by", "a second admin must approve the change");
        else if (c->approved_by == c->proposed_by)
            add(&p, "/approved_by", "the approving admin must be a different person from the proposer");
    }
    if (c->to == REGION_WINDING_DOWN) {
        if (c->effective_at_ms <= 0) add(&p, "/effective_at", "winding down needs the date work stops");
        else if (c->emergency) {
            if (text_blank(c->emergency_reason))
                add(&p, "/emergency_reason", "an emergency shortening of the notice needs its recorded reason");
            if (c->effective_at_ms < notice_at_ms) add(&p, "/effective_at", "the effective date is in the past");
        } else if (c->effective_at_ms - notice_at_ms < REGION_NOTICE_MS)
            add(&p, "/effective_at", "winding down takes effect at least 30 days after the notices go out");
    } else if (c->emergency)
        add(&p, "/emergency", "only winding down has a notice period to shorten");
    if (c->to == REGION_CLOSED && notice_at_ms < c->effective_at_ms)
        add(&p, "/to", "the country closes only on the effective date of its winding down");
    return p.n;
}

bool region_signups_allowed(enum region_state s) { return s == REGION_OPEN; }

bool region_new_work_allowed(enum region_state s, int64_t effective_at_ms, int64_t now_ms)
{
    switch (s) {
    case REGION_OPEN:
    case REGION_SIGNUPS_PAUSED: return true;
    case REGION_WINDING_DOWN: return now_ms < effective_at_ms;
    case REGION_CLOSED: return false;
    }
    return false;
}

int64_t region_payout_deadline_ms(int64_t effective_at_ms) { return effective_at_ms + REGION_PAYOUT_MS; }

int64_t region_review_deadline_ms(int64_t effective_at_ms) { return effective_at_ms + REGION_REVIEW_MS; }

/* n decimal digits at s into *out. */
static bool digits(const char *s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool region_time_parse(const char *s, int64_t *ms)
{
    int64_t y, mo, d, h = 0, mi = 0, sec = 0, milli = 0;
    if (!s || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) || s[7] != '-' || !digits(s + 8, 2, &d))
        return false;
    const char *p = s + 10;
    if (*p) {
        if (*p != 'T' || !digits(p + 1, 2, &h) || p[3] != ':' || !digits(p + 4, 2, &mi) || p[6] != ':' ||
            !digits(p + 7, 2, &sec))
            return false;
        p += 9;
        if (*p == '.') {
            if (!digits(p + 1, 3, &milli)) return false;
            p += 4;
        }
        if (strcmp(p, "Z")) return false;
    }
    if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || sec > 59) return false;
    int64_t day = calendar_days_from_civil(y, (int)mo, (int)d);
    int64_t back_y;
    int back_m, back_d;
    calendar_civil_from_days(day, &back_y, &back_m, &back_d);
    if (back_y != y || back_m != mo || back_d != d) return false; /* 2026-02-30 */
    *ms = day * REGION_DAY_MS + ((h * 60 + mi) * 60 + sec) * 1000 + milli;
    return true;
}
