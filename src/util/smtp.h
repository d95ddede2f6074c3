/* Sends one composed email message over SMTP with libcurl (the caller did curl_global_init). */
#ifndef FL_SMTP_H
#define FL_SMTP_H
#include <stdbool.h>
#include <stddef.h>

struct smtp_config {
    const char *url;      /* smtp://host:port (STARTTLS required when a user is set) or smtps://host:port */
    const char *user;     /* may be NULL */
    const char *password; /* may be NULL */
    const char *from;     /* the envelope and header sender address */
};

#define SMTP_DEFAULT_FROM "notices@fairlabel.invalid"

/* From FAIRLABEL_SMTP_URL, FAIRLABEL_SMTP_USER, FAIRLABEL_SMTP_PASSWORD and FAIRLABEL_MAIL_FROM (default
 * SMTP_DEFAULT_FROM). False when FAIRLABEL_SMTP_URL is unset or empty: mail is not configured. */
bool smtp_config_from_env(struct smtp_config *c);

/* Delivers msg (len bytes, CRLF lines) to one recipient. 0 when the server accepted it; -1 with err set (the
 * server's refusal or the transport error). */
int smtp_send(const struct smtp_config *c, const char *to, const char *msg, size_t len, char *err, size_t errlen);

#endif
