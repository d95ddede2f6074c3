/* The one route table: {method, pattern, handler, roles, max body}. Keep it sorted by pattern,
 * then method (a unit test checks order and duplicates). */
#include "http/routes.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define KiB ((size_t)1024)
#define MiB (1024 * KiB)
#define ADM ROLE_ADMIN
#define REQ ROLE_REQUESTER
#define WRK ROLE_WORKER
#define REV ROLE_REVIEWER
#define SUP ROLE_SUPPORT

const struct route route_table[] = {
    {"GET", "/", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/admin", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/announcements", announcements_list, WRK | ADM, 0},
    {"POST", "/api/v1/announcements", announcements_create, ADM, 64 * KiB},
    {"GET", "/api/v1/announcements/{id}", announcements_get, WRK | ADM, 0},
    {"POST", "/api/v1/announcements/{id}/comments", announcements_comment, WRK | ADM, 16 * KiB},
    {"GET", "/api/v1/api-keys", apikeys_list, REQ, 0},
    {"POST", "/api/v1/api-keys", apikeys_create, REQ, 4 * KiB},
    {"DELETE", "/api/v1/api-keys/{id}", apikeys_revoke, REQ, 0},
    {"GET", "/api/v1/appeals", appeals_list, ADM, 0},
    {"POST", "/api/v1/appeals/{id}/decide", appeals_decide, ADM, 8 * KiB},
    {"POST", "/api/v1/assignments/{id}/heartbeat", assignments_heartbeat, WRK, 4 * KiB},
    {"GET", "/api/v1/assignments/{id}/history", assignments_history, WRK | REQ | REV | ADM, 0},
    {"POST", "/api/v1/assignments/{id}/release", assignments_release, WRK, 4 * KiB},
    {"POST", "/api/v1/assignments/{id}/review", review_decide, REQ | REV | ADM, 256 * KiB},
    {"POST", "/api/v1/assignments/{id}/submit", assignments_submit, WRK, 256 * KiB},
    {"GET", "/api/v1/audit", audit_list, ADM, 0},
    {"POST", "/api/v1/auth/login", auth_login, ROLES_PUBLIC, 4 * KiB},
    {"POST", "/api/v1/auth/logout", auth_logout, ROLES_SIGNED_IN, 4 * KiB},
    {"POST", "/api/v1/auth/register", auth_register, ROLES_PUBLIC, 4 * KiB},
    {"POST", "/api/v1/contact", contact_create, ROLES_PUBLIC, 15 * MiB},
    {"GET", "/api/v1/contact/attachments/{id}", contact_attachment_get, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/contact/ticket", contact_ticket_get, ROLES_PUBLIC, 0},
    {"POST", "/api/v1/contact/ticket/messages", contact_ticket_message, ROLES_PUBLIC, 15 * MiB},
    {"POST", "/api/v1/contact/verify", contact_verify, ROLES_PUBLIC, 4 * KiB},
    {"GET", "/api/v1/decisions", decisions_list, ADM, 0},
    {"POST", "/api/v1/decisions/{id}/appeal", decisions_appeal, WRK, 16 * KiB},
    {"POST", "/api/v1/email-verification/confirm", email_verification_confirm, ROLES_PUBLIC, 4 * KiB},
    {"POST", "/api/v1/escrow/deposits", escrow_deposit, ADM, 4 * KiB},
    {"POST", "/api/v1/escrow/webhook", escrow_webhook, ROLES_PUBLIC, 64 * KiB},
    {"GET", "/api/v1/group-commit", group_commit_report, ADM, 0},
    {"GET", "/api/v1/mail/outbox", mail_outbox_list, ADM, 0},
    {"POST", "/api/v1/mail/outbox/{id}/retry", mail_outbox_retry, ADM, 4 * KiB},
    {"GET", "/api/v1/me", me_get, ROLES_SIGNED_IN, 0},
    {"GET", "/api/v1/me/decisions", me_decisions, WRK, 0},
    {"GET", "/api/v1/me/earnings", me_earnings, WRK, 0},
    {"POST", "/api/v1/me/email-verification", me_email_verification_resend, WRK, 4 * KiB},
    {"GET", "/api/v1/me/escrow", me_escrow, REQ, 0},
    {"GET", "/api/v1/me/export", me_export, WRK, 0},
    {"PUT", "/api/v1/me/language", me_language_put, ROLES_SIGNED_IN, 4 * KiB},
    {"GET", "/api/v1/me/notifications", me_notifications, ROLES_SIGNED_IN, 0},
    {"POST", "/api/v1/me/notifications/{id}/read", me_notification_read, ROLES_SIGNED_IN, 4 * KiB},
    {"PUT", "/api/v1/me/payout-method", me_payout_method_put, WRK, 4 * KiB},
    {"PUT", "/api/v1/me/payout-schedule", me_payout_schedule_put, WRK, 4 * KiB},
    {"GET", "/api/v1/me/payouts", me_payouts_list, WRK, 0},
    {"POST", "/api/v1/me/payouts", me_payouts_create, WRK, 4 * KiB},
    {"GET", "/api/v1/me/quality", me_quality, WRK, 0},
    {"GET", "/api/v1/me/reviews", me_reviews, WRK, 0},
    {"GET", "/api/v1/me/risk", me_risk, WRK, 0},
    {"POST", "/api/v1/media", media_upload, REQ, 128 * MiB},
    {"GET", "/api/v1/media/{media_id}", media_get, REQ | WRK | REV, 0},
    {"GET", "/api/v1/media/{media_id}/points", media_points, REQ | WRK | REV, 0},
    {"POST", "/api/v1/pay-check", pay_check, REQ | ADM, 4 * KiB},
    {"GET", "/api/v1/payout-batches", payout_batches_list, ADM, 0},
    {"POST", "/api/v1/payout-batches", payout_batches_create, ADM, 4 * KiB},
    {"POST", "/api/v1/payout-batches/{id}/confirmation", payout_batches_confirmation, ADM, 4 * MiB},
    {"GET", "/api/v1/payout-batches/{id}/file", payout_batches_file, ADM, 0},
    {"POST", "/api/v1/payout-batches/{id}/sent", payout_batches_sent, ADM, 4 * KiB},
    {"GET", "/api/v1/payouts", payouts_list, ADM, 0},
    {"POST", "/api/v1/payouts/{id}/confirm", payouts_confirm, ADM, 4 * KiB},
    {"POST", "/api/v1/payouts/{id}/fail", payouts_fail, ADM, 4 * KiB},
    {"GET", "/api/v1/projects", projects_list, REQ | ADM | WRK | REV, 0},
    {"POST", "/api/v1/projects", projects_create, REQ, 64 * KiB},
    {"GET", "/api/v1/projects/{id}", projects_get, REQ | ADM | WRK | REV, 0},
    {"POST", "/api/v1/projects/{id}/aggregate", projects_aggregate, REQ | ADM, 4 * KiB},
    {"GET", "/api/v1/projects/{id}/agreement", projects_agreement, REQ | ADM, 0},
    {"POST", "/api/v1/projects/{id}/bonuses", projects_bonus, REQ, 4 * KiB},
    {"PUT", "/api/v1/projects/{id}/callback", projects_callback_put, REQ | ADM, 8 * KiB},
    {"POST", "/api/v1/projects/{id}/claim", assignments_claim, WRK, 4 * KiB},
    {"GET", "/api/v1/projects/{id}/export", projects_export, REQ | ADM, 0},
    {"POST", "/api/v1/projects/{id}/pause", projects_pause, REQ, 4 * KiB},
    {"GET", "/api/v1/projects/{id}/pay-check", projects_pay_check, REQ | ADM, 0},
    {"GET", "/api/v1/projects/{id}/progress", projects_progress, REQ | ADM, 0},
    {"POST", "/api/v1/projects/{id}/publish", projects_publish, REQ, 4 * KiB},
    {"POST", "/api/v1/projects/{id}/qualification/retake", projects_qualification_retake, REQ | ADM, 4 * KiB},
    {"PUT", "/api/v1/projects/{id}/quality", projects_quality_put, REQ, 64 * KiB},
    {"GET", "/api/v1/projects/{id}/quality-events", projects_quality_events, REQ | ADM, 0},
    {"GET", "/api/v1/projects/{id}/results", projects_results, REQ | ADM | REV, 0},
    {"GET", "/api/v1/projects/{id}/review/next", review_next, REQ | ADM | REV, 0},
    {"GET", "/api/v1/projects/{id}/reviewers", projects_reviewer_list, REQ | ADM, 0},
    {"POST", "/api/v1/projects/{id}/reviewers", projects_reviewer_add, REQ, 4 * KiB},
    {"POST", "/api/v1/projects/{id}/tasks", tasks_import, REQ, 64 * MiB},
    {"GET", "/api/v1/projects/{id}/topups", projects_topups, REQ | ADM, 0},
    {"GET", "/api/v1/projects/{id}/workers", projects_workers, REQ | ADM, 0},
    {"POST", "/api/v1/quality-events/{id}/decide", quality_events_decide, REQ | ADM, 4 * KiB},
    {"GET", "/api/v1/quality-rules", quality_rules, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/region-changes", region_changes_list, ADM, 0},
    {"POST", "/api/v1/region-changes", region_changes_create, ADM, 16 * KiB},
    {"POST", "/api/v1/region-changes/{id}/approve", region_changes_approve, ADM, 4 * KiB},
    {"POST", "/api/v1/region-changes/{id}/reject", region_changes_reject, ADM, 4 * KiB},
    {"GET", "/api/v1/region-payouts", region_payouts_list, ADM, 0},
    {"GET", "/api/v1/regions", regions_list, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/regions/history", regions_history, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/rejection-holds", rejection_holds_list, ADM, 0},
    {"POST", "/api/v1/rejection-holds/{id}/decide", rejection_holds_decide, ADM, 4 * KiB},
    {"GET", "/api/v1/reports/fairwork", reports_fairwork, ADM, 0},
    {"GET", "/api/v1/reports/pay", reports_pay, ADM, 0},
    {"GET", "/api/v1/requester-flags", requester_flags_list, ADM, 0},
    {"POST", "/api/v1/requester-flags/{id}/clear", requester_flags_clear, ADM, 4 * KiB},
    {"GET", "/api/v1/requesters/metrics", requesters_metrics, ROLES_SIGNED_IN, 0},
    {"GET", "/api/v1/restrictions", restrictions_list, ADM, 0},
    {"POST", "/api/v1/restrictions/{id}/approve", restrictions_approve, ADM, 4 * KiB},
    {"POST", "/api/v1/restrictions/{id}/confirm", restrictions_confirm, ADM, 4 * KiB},
    {"GET", "/api/v1/risk/rules", risk_rules_list, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/support/tickets", support_tickets, SUP | ADM, 0},
    {"GET", "/api/v1/tasks/{id}/callbacks", tasks_callbacks, REQ | ADM, 0},
    {"POST", "/api/v1/tasks/{id}/callbacks/resend", tasks_callbacks_resend, REQ | ADM, 4 * KiB},
    {"GET", "/api/v1/terms", terms_mine, ROLES_SIGNED_IN, 0},
    {"POST", "/api/v1/terms", terms_publish, ADM, 512 * KiB},
    {"POST", "/api/v1/terms/{id}/acknowledge", terms_acknowledge, ROLES_SIGNED_IN, 4 * KiB},
    {"POST", "/api/v1/test/clock", test_clock_advance, ADM, 4 * KiB},
    {"GET", "/api/v1/ticket-attachments/{id}", ticket_attachments_get, ROLES_SIGNED_IN, 0},
    {"GET", "/api/v1/tickets", tickets_list, ROLES_SIGNED_IN, 0},
    {"POST", "/api/v1/tickets", tickets_create, ROLES_SIGNED_IN, 15 * MiB},
    {"GET", "/api/v1/tickets/{id}", tickets_get, ROLES_SIGNED_IN, 0},
    {"POST", "/api/v1/tickets/{id}/assign", tickets_assign, SUP | ADM, 4 * KiB},
    {"POST", "/api/v1/tickets/{id}/messages", tickets_message, ROLES_SIGNED_IN, 15 * MiB},
    {"POST", "/api/v1/tickets/{id}/state", tickets_state, ROLES_SIGNED_IN, 4 * KiB},
    {"POST", "/api/v1/topups/run", topups_run, ADM, 4 * KiB},
    {"GET", "/api/v1/transparency", transparency_get, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/users", users_list, ADM, 0},
    {"POST", "/api/v1/users", users_create, ADM, 4 * KiB},
    {"POST", "/api/v1/users/{id}/restrictions", users_restrictions_create, ADM, 16 * KiB},
    {"GET", "/api/v1/users/{id}/risk", users_risk_get, ADM, 0},
    {"PUT", "/api/v1/users/{id}/skills", users_skill_set, ADM, 4 * KiB},
    {"GET", "/api/v1/wage-benchmarks", wage_benchmarks, ROLES_PUBLIC, 0},
    {"POST", "/api/v1/wage-benchmarks", wage_benchmark_put, ADM, 8 * KiB},
    {"GET", "/api/v1/wage-benchmarks/history", wage_history, ROLES_PUBLIC, 0},
    {"GET", "/api/v1/wage-changes", wage_changes_list, ROLES_PUBLIC, 0},
    {"POST", "/api/v1/wage-changes/{id}/withdraw", wage_changes_withdraw, ADM, 4 * KiB},
    {"POST", "/api/v1/wage-countries", wage_country_put, ADM, 8 * KiB},
    {"GET", "/contact", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/healthz", health_live, ROLES_PUBLIC, 0},
    {"GET", "/login", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/readyz", health_ready, ROLES_PUBLIC, 0},
    {"GET", "/regions", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/register", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/requester", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/reviewer", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/static/{path}", static_serve, ROLES_PUBLIC, 0},
    {"GET", "/support", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/transparency", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/verify-email", page_serve, ROLES_PUBLIC, 0},
    {"GET", "/worker", page_serve, ROLES_PUBLIC, 0},
};
const size_t route_count = sizeof route_table / sizeof route_table[0];

/* Matches one pattern against a path; fills the placeholder's value. */
static int match(const char *pat, const char *path, int64_t *id, const char **param, char *pbuf, size_t plen)
{
    while (*pat && *path) {
        if (*pat == '{') {
            /* "{path}" (last in a pattern) takes the rest of the path, slashes included. */
            const char *end = !strncmp(pat, "{path}", 6) ? NULL : strchr(path, '/');
            size_t n = end ? (size_t)(end - path) : strlen(path);
            if (n == 0 || n >= plen) return 0;
            if (!strncmp(pat, "{id}", 4)) {
                if (n > 18) return 0;
                for (size_t i = 0; i < n; i++)
                    if (path[i] < '0' || path[i] > '9') return 0;
                *id = strtoll(path, NULL, 10);
            } else {
                memcpy(pbuf, path, n);
                pbuf[n] = '\0';
                *param = pbuf;
            }
            pat = strchr(pat, '}') + 1;
            path += n;
            continue;
        }
        if (*pat++ != *path++) return 0;
    }
    return *pat == '\0' && *path == '\0';
}

const struct route *route_find(const char *method, const char *path, int64_t *id, const char **param,
                               char *param_buf, size_t param_len, int *path_known)
{
    *path_known = 0;
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &route_table[i];
        if (!match(rt->pattern, path, id, param, param_buf, param_len)) continue;
        if (!strcmp(rt->method, method) || (!strcmp(method, "HEAD") && !strcmp(rt->method, "GET"))) return rt;
        *path_known = 1;
    }
    return NULL;
}

static const char *const role_names[] = {"admin", "requester", "reviewer", "support", "worker"};

unsigned role_bit(const char *role)
{
    for (unsigned i = 0; role && i < 5; i++)
        if (!strcmp(role, role_names[i])) return 1u << i;
    return 0;
}

void routes_write_json(FILE *out)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < route_count; i++) {
        const struct route *rt = &route_table[i];
        json_t *roles = json_array();
        for (unsigned b = 0; b < 5; b++)
            if (rt->roles & (1u << b)) json_array_append_new(roles, json_string(role_names[b]));
        if (rt->roles == ROLES_PUBLIC) json_array_append_new(roles, json_string("public"));
        json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:I}", "method", rt->method, "pattern",
                                             rt->pattern, "roles", roles, "max_body", (json_int_t)rt->max_body));
    }
    json_dumpf(arr, out, JSON_INDENT(1));
    fputc('\n', out);
    json_decref(arr);
}
