/* Delivers result callbacks: takes due rows from the queue (several servers may share it), POSTs
 * each with libcurl under a signature, records the outcome, and schedules retries with backoff until
 * 24 hours after the result was queued. Between deliveries it runs the periodic jobs (api/jobs.h). */
#include "http/callback_sender.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/jobs.h"
#include "core/callback.h"
#include "http/job_lock.h"
#include "http/poller.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

/* One row per periodic job (api/jobs.h). */
static const struct job periodic_jobs[] = {
    {"auto_approve", job_auto_approve},
    {"active_medians", job_active_medians},
    {"topups", job_topups},
    {"weekly_payouts", job_weekly_payouts},
    {"requester_flags", job_requester_flags},
    {"hold_lapse", job_hold_lapse},
    {"region_close", job_region_close},
    {"region_review_deadline", job_region_review_deadline},
    {"region_payouts", job_region_payouts},
    {"ticket_escalation", job_ticket_escalation},
    {"restriction_lapse", job_restriction_lapse},
    {"appeals_overdue", job_appeals_overdue},
    {"risk_scores", job_risk_scores},
    {"wage_changes", job_wage_changes},
    {NULL, NULL},
};

enum { BATCH = 8, LOCK_MS = 120000, CONNECT_TIMEOUT_MS = 5000, TIMEOUT_MS = 15000 };

static struct poller poller;
static const struct server_config *config;

struct delivery {
    int64_t id, project_id, attempts, created_at;
    bool allow_private;
    char *url, *body;
};

struct take_ctx {
    int64_t now;
    int n;
    struct delivery d[BATCH];
};

static tx_rc take_tx(db *d, void *vctx)
{
    struct take_ctx *c = vctx;
    db_stmt *s = db_q(d, Q_CALLBACK_TAKE);
    db_bind_i64(s, 1, c->now);
    db_bind_i64(s, 2, LOCK_MS);
    db_bind_i64(s, 3, BATCH);
    db_rc rc;
    c->n = 0;
    while ((rc = db_step(s)) == DB_ROW && c->n < BATCH) {
        struct delivery *x = &c->d[c->n++];
        x->id = db_col_i64(s, 0);
        x->project_id = db_col_i64(s, 1);
        x->url = strdup(db_col_text(s, 3));
        x->allow_private = db_col_i64(s, 4) != 0;
        x->body = strdup(db_col_text(s, 5));
        x->attempts = db_col_i64(s, 6);
        x->created_at = db_col_i64(s, 7);
    }
    if (rc == DB_ROW) db_reset(s);
    if (rc != DB_DONE && rc != DB_ROW) {
        for (int i = 0; i < c->n; i++) free(c->d[i].url), free(c->d[i].body);
        c->n = 0;
        return tx_from_db(rc);
    }
    return TX_COMMIT;
}

struct done_ctx {
    int64_t id, next_at, status, now;
    const char *state, *error;
};

static tx_rc done_tx(db *d, void *vctx)
{
    struct done_ctx *c = vctx;
    struct sql_arg a[] = {{.i = c->id}, {.text = c->state}, {.i = c->next_at}, {.i = c->status, .null = c->status <= 0},
                          {.text = c->error, .null = !c->error}, {.i = c->now}};
    TX_CHECK(store_exec_args(d, Q_CALLBACK_DONE, a, 6, NULL));
    return TX_COMMIT;
}

/* Refuses connections to non-public addresses, whatever the name resolved to (no DNS rebinding). */
static curl_socket_t open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    const struct delivery *x = clientp;
    if (!x->allow_private && !callback_address_public(&addr->addr)) return CURL_SOCKET_BAD;
    return socket(addr->family, addr->socktype, addr->protocol);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
    (void)p, (void)ctx;
    return size * n;
}

/* HTTP status, or 0 with err set when no reply came. */
static long post(const struct delivery *x, char *err, size_t errlen)
{
    char secret[CALLBACK_HEX], sig[128], hdr[200], id[64];
    callback_secret(config->secret_key, x->project_id, secret);
    callback_signature(secret, clock_now_ms(), x->body, strlen(x->body), sig, sizeof sig);
    snprintf(hdr, sizeof hdr, "X-Fairlabel-Signature: %s", sig);
    snprintf(id, sizeof id, "X-Fairlabel-Delivery: %lld", (long long)x->id);
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "out of memory");
        return 0;
    }
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Content-Type: application/json");
    headers = curl_slist_append(headers, hdr);
    headers = curl_slist_append(headers, id);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, x->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)CONNECT_TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)TIMEOUT_MS);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, x->body);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "fairlabel/" FAIRLABEL_VERSION);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETFUNCTION, open_socket);
    curl_easy_setopt(h, CURLOPT_OPENSOCKETDATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    if (rc == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    else if (rc == CURLE_COULDNT_CONNECT && !x->allow_private)
        snprintf(err, errlen, "could not connect (private and loopback addresses are refused): %s",
                 *errbuf ? errbuf : curl_easy_strerror(rc));
    else snprintf(err, errlen, "%s", *errbuf ? errbuf : curl_easy_strerror(rc));
    curl_slist_free_all(headers);
    curl_easy_cleanup(h);
    return status;
}

static void deliver(db *d, struct delivery *x)
{
    char err[CURL_ERROR_SIZE + 100] = "";
    long status = post(x, err, sizeof err);
    int64_t now = clock_now_ms();
    struct done_ctx c = {.id = x->id, .status = status, .now = now, .next_at = now};
    if (status >= 200 && status < 300) {
        c.state = "delivered";
    } else {
        if (status) snprintf(err, sizeof err, "the receiver answered HTTP %ld", status);
        c.error = err;
        c.next_at = now + callback_backoff_ms(x->attempts + 1, config->callback_unit_ms);
        /* 24 hours, scaled like the backoff so tests can see the end of it */
        c.state = c.next_at - x->created_at > CALLBACK_GIVE_UP_MS / 1000 * config->callback_unit_ms ? "failed" : "pending";
    }
    if (store_run(d, true, done_tx, &c) != STORE_OK)
        log_msg("callbacks: could not record delivery %lld: %s", (long long)x->id, db_errmsg(d));
}

static void tick(db *d, void *ctx)
{
    (void)ctx;
    /* with several servers on one database, only the holder of the jobs lock runs them (docs/scaling.md) */
    if (job_lock_take(d))
        for (const struct job *j = periodic_jobs; j->name; j++)
            if (j->run(d, config, clock_now_ms())) log_msg("job %s failed: %s", j->name, db_errmsg(d));
    struct take_ctx c = {.now = clock_now_ms()};
    if (store_run(d, true, take_tx, &c) != STORE_OK) return;
    for (int i = 0; i < c.n; i++) {
        deliver(d, &c.d[i]);
        free(c.d[i].url);
        free(c.d[i].body);
    }
}

int callback_sender_start(const struct server_config *cfg)
{
    config = cfg;
    if (curl_global_init(CURL_GLOBAL_DEFAULT)) return -1;
    int64_t poll_ms = cfg->callback_unit_ms < 1000 ? cfg->callback_unit_ms : 1000;
    poller = (struct poller){.db_url = cfg->db_url, .period_ms = poll_ms < 20 ? 20 : poll_ms, .tick = tick};
    return poller_start(&poller);
}

void callback_sender_stop(void)
{
    if (!poller.running) return;
    poller_stop(&poller);
    curl_global_cleanup();
}
