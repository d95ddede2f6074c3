/* Delivers the email outbox: takes due messages (several servers may share the queue), composes each
 * (core/mail.h), sends it by SMTP (util/smtp.h) and records sent, or a retry 30 s later doubling each time,
 * until 24 hours after it was queued; then failed. */
#include "http/mail_sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mail.h"
#include "http/poller.h"
#include "store/store.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/smtp.h"

enum { BATCH = 8, LOCK_MS = 180000, POLL_MS = 250, MESSAGE_MAX = 64 * 1024 };
#define FIRST_RETRY_MS 30000LL
#define GIVE_UP_MS (24LL * 3600 * 1000)

static struct poller poller;
static const struct server_config *config;
static struct smtp_config smtp;

struct message {
    int64_t id, attempts, queued_at;
    char *to, *language, *subject, *body, *token;
};

struct take_ctx {
    int64_t now;
    int n;
    struct message m[BATCH];
};

static void message_free(struct message *m)
{
    free(m->to), free(m->language), free(m->subject), free(m->body), free(m->token);
}

static tx_rc due_tx(db *d, void *vctx)
{
    struct take_ctx *c = vctx;
    int64_t one[1];
    db_rc rc = store_row_i64(d, Q_MAIL_DUE, (struct sql_arg[]){{.i = c->now}}, 1, one, 1);
    TX_CHECK(rc);
    c->n = rc == DB_ROW;
    return TX_COMMIT;
}

static tx_rc take_tx(db *d, void *vctx)
{
    struct take_ctx *c = vctx;
    db_stmt *s = db_q(d, Q_MAIL_TAKE);
    db_bind_i64(s, 1, c->now);
    db_bind_i64(s, 2, LOCK_MS);
    db_bind_i64(s, 3, BATCH);
    db_rc rc;
    c->n = 0;
    while ((rc = db_step(s)) == DB_ROW && c->n < BATCH) {
        struct message *m = &c->m[c->n++];
        m->id = db_col_i64(s, 0);
        m->to = strdup(db_col_text(s, 1));
        m->language = strdup(db_col_text(s, 2));
        m->subject = strdup(db_col_text(s, 3));
        m->body = strdup(db_col_text(s, 4));
        m->token = strdup(db_col_text(s, 5));
        m->attempts = db_col_i64(s, 6);
        m->queued_at = db_col_i64(s, 7);
    }
    if (rc == DB_ROW) db_reset(s);
    if (rc != DB_DONE && rc != DB_ROW) {
        for (int i = 0; i < c->n; i++) message_free(&c->m[i]);
        c->n = 0;
        return tx_from_db(rc);
    }
    return TX_COMMIT;
}

struct done_ctx {
    int64_t id, next_at, now;
    const char *state, *error;
};

static tx_rc done_tx(db *d, void *vctx)
{
    struct done_ctx *c = vctx;
    struct sql_arg a[] = {{.i = c->id}, {.text = c->state}, {.i = c->next_at}, {.text = c->error, .null = !c->error},
                          {.i = c->now}};
    TX_CHECK(store_exec_args(d, Q_MAIL_DONE, a, 5, NULL));
    return TX_COMMIT;
}

/* The delay before retry number `attempt` (1, 2, …): 30 s doubling. */
static int64_t retry_delay_ms(int64_t attempt)
{
    return attempt > 20 ? GIVE_UP_MS : FIRST_RETRY_MS << (attempt - 1);
}

static void deliver(db *d, struct message *m)
{
    char err[512] = "", message_id[200];
    snprintf(message_id, sizeof message_id, "%lld.%s@fairlabel", (long long)m->id, m->token);
    struct mail_message mm = {.from = smtp.from, .from_name = "fairlabel", .to = m->to, .subject = m->subject,
                              .body = m->body, .message_id = message_id, .language = m->language,
                              .date_ms = clock_now_ms()};
    buf out;
    buf_init(&out, MESSAGE_MAX);
    const char *field = NULL;
    bool permanent = false;
    int rc = -1;
    if (!mail_compose(&mm, &out, &field)) {
        snprintf(err, sizeof err, "cannot compose the message: invalid %s", field ? field : "message");
        permanent = true; /* retrying the same text cannot help */
    } else {
        rc = smtp_send(&smtp, m->to, out.data, out.len, err, sizeof err);
    }
    buf_free(&out);
    int64_t now = clock_now_ms();
    struct done_ctx c = {.id = m->id, .now = now, .next_at = now, .state = "sent"};
    if (rc) {
        c.error = err;
        c.next_at = now + retry_delay_ms(m->attempts + 1);
        c.state = permanent || c.next_at - m->queued_at > GIVE_UP_MS ? "failed" : "queued";
    }
    if (store_run(d, true, done_tx, &c) != STORE_OK)
        log_msg("mail: could not record message %lld: %s", (long long)m->id, db_errmsg(d));
}

static void tick(db *d, void *ctx)
{
    (void)ctx;
    struct take_ctx c = {.now = clock_now_ms()};
    if (store_run(d, false, due_tx, &c) != STORE_OK || !c.n) return;
    if (store_run(d, true, take_tx, &c) != STORE_OK) return;
    for (int i = 0; i < c.n; i++) {
        deliver(d, &c.m[i]);
        message_free(&c.m[i]);
    }
}

int mail_sender_start(const struct server_config *cfg)
{
    config = cfg;
    if (!smtp_config_from_env(&smtp)) {
        log_msg("mail: FAIRLABEL_SMTP_URL is not set; email notices stay queued in the outbox");
        return 0;
    }
    if (!mail_address_ok(smtp.from)) {
        log_msg("mail: FAIRLABEL_MAIL_FROM is not a plain address: %s", smtp.from);
        return -1;
    }
    poller = (struct poller){.db_url = cfg->db_url, .period_ms = POLL_MS, .tick = tick};
    if (poller_start(&poller)) {
        log_msg("mail: cannot start the sender thread");
        return -1;
    }
    return 0;
}

void mail_sender_stop(void)
{
    poller_stop(&poller);
}
