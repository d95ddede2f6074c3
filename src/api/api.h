/* Route handlers, one file per resource under src/api/. */
#ifndef FL_API_H
#define FL_API_H
#include "http/req.h"

/* api/health.c */
void health_live(req *r);
void health_ready(req *r);
/* api/auth.c */
void auth_register(req *r);
void auth_login(req *r);
void auth_logout(req *r);
void me_get(req *r);
/* Identifies the caller from the bearer token or session cookie. RES_OK with r->authed set or not;
 * RES_REPLIED after a store failure. */
res auth_identify(req *r);
bool auth_csrf_ok(req *r);
/* Validates the account fields of a sign-up or admin-created user; replies 422 itself on failure. */
bool account_fields(req *r, json_t *body, bool with_role, struct user *u, const char **password);
/* api/apikeys.c */
void apikeys_create(req *r);
void apikeys_list(req *r);
void apikeys_revoke(req *r);
/* api/media.c */
void media_upload(req *r);
void media_get(req *r);
void media_points(req *r);
json_t *media_json(const struct media_info *m);
/* api/projects.c */
void projects_create(req *r);
void projects_list(req *r);
void projects_get(req *r);
void projects_publish(req *r);
void projects_pause(req *r);
void projects_progress(req *r);
void projects_export(req *r);
void projects_reviewer_add(req *r);
void projects_reviewer_list(req *r);
/* api/tasks.c */
void tasks_import(req *r);
/* api/assignments.c */
void assignments_claim(req *r);
void assignments_submit(req *r);
/* GET /api/v1/group-commit (admin): the SQLite group committer's counters (docs/performance.md). */
void group_commit_report(req *r);
void assignments_release(req *r);
void assignments_heartbeat(req *r);
/* api/aggregate.c */
void projects_aggregate(req *r);
void projects_agreement(req *r);
/* api/ledger.c */
void escrow_deposit(req *r);
void me_earnings(req *r);
void me_escrow(req *r);
void test_clock_advance(req *r);
void projects_bonus(req *r);
void escrow_webhook(req *r);
/* api/payouts.c */
void me_payout_method_put(req *r);
void me_payout_schedule_put(req *r);
void me_payouts_create(req *r);
void me_payouts_list(req *r);
void payouts_list(req *r);
void payouts_confirm(req *r);
void payouts_fail(req *r);
void payout_batches_create(req *r);
void payout_batches_list(req *r);
void payout_batches_file(req *r);
void payout_batches_sent(req *r);
void payout_batches_confirmation(req *r);
/* api/wages.c */
void wage_benchmarks(req *r);
void wage_history(req *r);
void wage_benchmark_put(req *r);
void wage_country_put(req *r);
void pay_check(req *r);
void projects_pay_check(req *r);
/* The pay check of a reward at an estimate per country of the wage tables (FW-5); NULL when they do not load. */
json_t *pay_check_json(db *d, int64_t reward_micros, const char *currency, int64_t estimated_seconds,
                       int64_t worker_fee_bps);
/* api/callbacks.c */
void projects_callback_put(req *r);
void tasks_callbacks(req *r);
void tasks_callbacks_resend(req *r);
/* api/quality.c */
void quality_rules(req *r);
void projects_quality_put(req *r);
void projects_results(req *r);
void projects_workers(req *r);
void me_quality(req *r);
void users_skill_set(req *r);
/* risk score (FW-25); api/risk.c */
void risk_rules_list(req *r);
void users_risk_get(req *r);
void me_risk(req *r);
void projects_quality_events(req *r);
void quality_events_decide(req *r);
void projects_qualification_retake(req *r);
/* email re-verification as a risk step-up (FW-25); api/email_verify.c */
void me_email_verification_resend(req *r);
void email_verification_confirm(req *r);
/* api/review.c */
void review_next(req *r);
void review_decide(req *r);
void assignments_history(req *r);
void me_reviews(req *r);
/* api/holds.c (FW-4) */
void rejection_holds_list(req *r);
void rejection_holds_decide(req *r);
/* api/fairwork.c (FW-27) */
void reports_fairwork(req *r);
/* api/reports.c (FW-10, FW-24) */
void reports_pay(req *r);
void requesters_metrics(req *r);
void requester_flags_list(req *r);
void requester_flags_clear(req *r);
/* api/notify.c */
void me_notifications(req *r);
void me_notification_read(req *r);
/* api/notice.c */
void me_language_put(req *r);
/* api/mail_outbox.c */
void mail_outbox_list(req *r);
void mail_outbox_retry(req *r);
/* api/regions.c (FW-15, FW-16) */
void regions_list(req *r);
void regions_history(req *r);
void region_changes_list(req *r);
void region_changes_create(req *r);
void region_changes_approve(req *r);
void region_changes_reject(req *r);
void region_payouts_list(req *r);
/* api/topup.c */
void topups_run(req *r);
void projects_topups(req *r);
/* api/users.c */
/* Validates and creates an account: a self sign-up (worker) or, by an admin, any role. */
void account_create(req *r, bool by_admin);
void users_create(req *r);
void users_list(req *r);
json_t *user_json(const struct user *u);
/* api/decisions.c, appeals.c, terms.c, export_me.c (FW-14, FW-18 to FW-22) */
void users_restrictions_create(req *r);
void restrictions_list(req *r);
void restrictions_approve(req *r);
void restrictions_confirm(req *r);
void me_decisions(req *r);
void decisions_list(req *r);
void decisions_appeal(req *r);
void appeals_list(req *r);
void appeals_decide(req *r);
void terms_publish(req *r);
void terms_mine(req *r);
void terms_acknowledge(req *r);
void me_export(req *r);
/* api/audit.c */
void audit_list(req *r);
/* api/tickets.c, api/contact.c (FW-17) */
void tickets_create(req *r);
void tickets_list(req *r);
void tickets_get(req *r);
void tickets_message(req *r);
void tickets_state(req *r);
void tickets_assign(req *r);
void ticket_attachments_get(req *r);
void support_tickets(req *r);
void contact_create(req *r);
void contact_verify(req *r);
void contact_ticket_get(req *r);
void contact_ticket_message(req *r);
void contact_attachment_get(req *r);
/* api/announcements.c, api/transparency.c (FW-23, FW-26) */
struct announcement_in {
    const char *kind; /* pay_rules, terms, benchmarks, other */
    const char *title, *body;
    const char *rule_id;             /* a rule_registry id: the change also enters the public change log; or NULL */
    const char *source;              /* "admin", "wage_edit", "terms" */
    const char *short_period_reason; /* why the comment period is under 14 days; or NULL */
    int64_t comment_until, applies_at, by;
};
/* Records an announcement (and its change-log row) and sends every worker the announcement_new notice, in the
 * caller's transaction. The caller checked the comment period (announce_period_ok). */
db_rc announcement_publish(db *d, const struct announcement_in *in, int64_t now, int64_t *id_out);
/* The one-call hook of a change that announces itself (a benchmark edit, a terms publication): a 14-day comment
 * period from now; source "terms" for kind "terms", else "wage_edit". */
db_rc announcement_auto(db *d, const char *kind, const char *rule_id, const char *title, const char *body,
                        int64_t applies_at, int64_t by, int64_t now);
void announcements_create(req *r);
void announcements_list(req *r);
void announcements_get(req *r);
void announcements_comment(req *r);
void transparency_get(req *r);
/* api/wage_changes.c (FW-23): scheduled changes to the wage tables */
void wage_changes_list(req *r);
void wage_changes_withdraw(req *r);
/* http/static.c */
void page_serve(req *r);
void static_serve(req *r);

#endif
