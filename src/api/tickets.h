/* Tickets (FW-17): what the signed-in routes (api/tickets.c) and the login-free contact page (api/contact.c)
 * share: message and attachment parsing, writing a message, reading a ticket with its thread, and telling the
 * other side about a reply. */
#ifndef FL_TICKETS_H
#define FL_TICKETS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "http/req.h"

#define TICKET_ATTACHMENT_MAX (2 * 1024 * 1024) /* decoded bytes per attachment */
#define TICKET_ATTACHMENTS_MAX 5                /* per message */
#define TICKET_BODY_MAX_CHARS 10000
#define TICKET_SUBJECT_MAX_CHARS 200
#define TICKET_LINK_TTL_MS (24 * 3600000LL) /* the contact page's one-time link */

/* pay, task, account, region, safety (safety or harassment), other */
bool ticket_category_valid(const char *s);

struct ticket_attachment {
    const char *name, *content_type;
    unsigned char *bytes; /* in the request's arena */
    size_t len;
    char sha256[65];
};
struct ticket_message_in {
    const char *body;
    struct ticket_attachment att[TICKET_ATTACHMENTS_MAX];
    int n_att;
};

/* Reads obj[body_key] (the text, 1..10,000 characters) and obj.attachments ([{name, content_type,
 * data_base64}], at most 5 of at most 2 MiB each) into *m. Replies itself (422, or 413 for size) on bad input. */
res ticket_message_parse(req *r, json_t *obj, const char *body_key, struct ticket_message_in *m);

/* Writes a message and its attachments to ticket_id in the caller's transaction. author_id 0: the contact
 * page's person (no account). */
db_rc ticket_message_add(db *d, int64_t ticket_id, int64_t author_id, bool staff, const struct ticket_message_in *m,
                         int64_t now);

/* The ticket with its thread (messages, attachments' metadata) and its first-response clock. staff_view adds
 * the contact address. DB_ROW, DB_DONE when there is no such ticket. */
db_rc ticket_load(db *d, int64_t id, bool staff_view, int64_t now, json_t **out);

/* One ticket row (TICKET_GET's columns) as JSON, with due_at / response_ms_left / overdue computed for now. */
extern const char *const ticket_cols[];
void ticket_add_clock(json_t *t, int64_t now);

/* Replies with an attachment's bytes when it belongs to a ticket accepted by allow (NULL: any); 404 otherwise. */
void ticket_attachment_reply(req *r, int64_t attachment_id, bool (*allow)(req *r, int64_t ticket_id, void *ctx),
                             void *ctx);

/* api/contact.c: a fresh one-time link for a contact-page ticket, emailed to its address with template_id
 * (vars get {link} and {hours} added), replacing any earlier link. In the caller's transaction. */
db_rc contact_send_link(db *d, req *r, int64_t ticket_id, const char *email, const char *language,
                        const char *template_id, json_t *vars, int64_t now);
/* Where emailed links point: FAIRLABEL_PUBLIC_URL (no trailing slash), else http://LISTEN-ADDRESS. */
const char *contact_base_url(const struct server_config *cfg);

#endif
