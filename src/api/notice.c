/* notice_send and mail_enqueue_to: render a catalog template in the recipient's language, write the inbox row
 * and the outbox row (the sender thread, http/mail_sender.c, delivers it); and the user's language setting. */
#include "api/notice.h"

#include <string.h>

#include "api/api.h"
#include "api/notify.h"
#include "core/i18n.h"
#include "core/mail.h"
#include "http/reply.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tokens.h"

struct rendered {
    buf subject, body;
};

static void rendered_free(struct rendered *m)
{
    buf_free(&m->subject);
    buf_free(&m->body);
}

/* Renders template_id in lang into m; DB_ERROR (logged) for an unknown template or a bad value. */
static db_rc render(const char *lang, const char *template_id, json_t *vars, struct rendered *m)
{
    buf_init(&m->subject, I18N_SUBJECT_MAX);
    buf_init(&m->body, I18N_BODY_MAX);
    const struct i18n_msg *t = i18n_find(lang, template_id);
    if (!t) {
        log_msg("notice: no template %s", template_id ? template_id : "(null)");
        return DB_ERROR;
    }
    char bad[I18N_NAME_MAX + 1] = "";
    i18n_rc rc = i18n_render(t->subject, vars, true, &m->subject, bad);
    if (rc == I18N_OK) rc = i18n_render(t->body, vars, false, &m->body, bad);
    if (rc == I18N_OK && m->subject.data && m->body.data) return DB_OK;
    log_msg("notice: template %s: %s {%s}", template_id,
            rc == I18N_MISSING_VAR ? "no value for" : rc == I18N_BAD_VALUE ? "CR or LF in the value of" : "too long at",
            bad);
    return DB_ERROR;
}

static db_rc outbox_add(db *d, int64_t user_id, const char *to, const char *lang, const char *template_id,
                        const struct rendered *m, int64_t now)
{
    char token[TOKEN_TEXT_MAX];
    token_new("", token);
    struct sql_arg a[] = {{.i = user_id, .null = user_id <= 0}, {.text = to}, {.text = lang}, {.text = template_id},
                          {.text = m->subject.data}, {.text = m->body.data}, {.text = token}, {.i = now}};
    return store_exec_args(d, Q_MAIL_OUTBOX_INSERT, a, 8, NULL);
}

db_rc notice_send(db *d, int64_t user_id, const char *kind, const char *template_id, json_t *vars, const char *link,
                  int64_t now)
{
    db_stmt *s = db_q(d, Q_USER_MAIL_TARGET);
    db_bind_i64(s, 1, user_id);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) {
        if (rc == DB_DONE) log_msg("notice: no user %lld", (long long)user_id);
        return rc == DB_DONE ? DB_ERROR : rc;
    }
    char email[MAIL_ADDRESS_MAX + 1], lang[8];
    snprintf(email, sizeof email, "%s", db_col_text(s, 0));
    snprintf(lang, sizeof lang, "%s", db_col_text(s, 1));
    db_reset(s);
    if (!i18n_language_ok(lang)) strcpy(lang, I18N_DEFAULT);
    struct rendered m;
    rc = render(lang, template_id, vars, &m);
    if (rc == DB_OK) rc = notify_user(d, user_id, kind, m.subject.data, m.body.data, link, now);
    /* an account whose address mail cannot carry still gets the inbox notice */
    if (rc == DB_OK && mail_address_ok(email)) rc = outbox_add(d, user_id, email, lang, template_id, &m, now);
    rendered_free(&m);
    return rc;
}

db_rc mail_enqueue_to(db *d, const char *to_email, const char *language, const char *template_id, json_t *vars,
                      int64_t now)
{
    if (!mail_address_ok(to_email)) return DB_ERROR;
    const char *lang = i18n_language_ok(language) ? language : I18N_DEFAULT;
    struct rendered m;
    db_rc rc = render(lang, template_id, vars, &m);
    if (rc == DB_OK) rc = outbox_add(d, 0, to_email, lang, template_id, &m, now);
    rendered_free(&m);
    return rc;
}

/* ---- the caller's language ---- */

struct language_ctx {
    int64_t user_id;
    char language[8];
};

static tx_rc language_get_tx(db *d, void *vctx)
{
    struct language_ctx *c = vctx;
    db_stmt *s = db_q(d, Q_USER_MAIL_TARGET);
    db_bind_i64(s, 1, c->user_id);
    db_rc rc = db_step(s);
    if (rc == DB_ROW) snprintf(c->language, sizeof c->language, "%s", db_col_text(s, 1));
    db_reset(s);
    return rc == DB_ROW || rc == DB_DONE ? TX_COMMIT : tx_from_db(rc);
}

const char *notice_user_language(db *d, int64_t user_id)
{
    struct language_ctx c = {.user_id = user_id};
    if (store_run(d, false, language_get_tx, &c) != STORE_OK || !i18n_language_ok(c.language)) return I18N_DEFAULT;
    return !strcmp(c.language, "fr") ? "fr" : "en";
}

static tx_rc language_set_tx(db *d, void *vctx)
{
    struct language_ctx *c = vctx;
    TX_CHECK(store_exec_args(d, Q_USER_LANGUAGE_SET, (struct sql_arg[]){{.i = c->user_id}, {.text = c->language}}, 2,
                             NULL));
    return TX_COMMIT;
}

/* PUT /api/v1/me/language {"language": "en"|"fr"}: the language of the caller's notices and pages. */
void me_language_put(req *r)
{
    json_t *body;
    static const char *const keys[] = {"language", NULL};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    const char *lang = json_string_value(json_object_get(body, "language"));
    if (!i18n_language_ok(lang)) {
        reply_error(r, ERR_INVALID_FIELD, "/language", "/language must be \"en\" or \"fr\"");
        return;
    }
    struct language_ctx c = {.user_id = r->user.id};
    snprintf(c.language, sizeof c.language, "%s", lang);
    store_rc rc = store_run(r->db, true, language_set_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 200, json_pack("{s:s}", "language", c.language));
}
