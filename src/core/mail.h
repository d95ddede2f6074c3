/* Composes an email message (RFC 5322 + MIME) for the SMTP sender: UTF-8 subject as RFC 2047 encoded words, a
 * text/plain UTF-8 body in base64 with CRLF lines. Refuses header injection (CR or LF in a header field) and
 * addresses that are not a plain local@domain. Pure. */
#ifndef FL_MAIL_H
#define FL_MAIL_H
#include <stdbool.h>
#include <stdint.h>

#include "util/buf.h"

#define MAIL_ADDRESS_MAX 254

struct mail_message {
    const char *from;       /* address only: "notices@fairlabel.example" */
    const char *from_name;  /* display name, may be NULL */
    const char *to;         /* address only */
    const char *subject;    /* UTF-8 */
    const char *body;       /* UTF-8 text; LF or CRLF line ends */
    const char *message_id; /* "<id@host>" without the angle brackets: "42.outbox@fairlabel.example" */
    const char *language;   /* Content-Language, e.g. "fr"; may be NULL */
    int64_t date_ms;        /* the Date header */
};

/* A plain address: 1..64 local characters of [A-Za-z0-9.!#$%&'*+/=?^_`{|}~-], '@', a dotted domain of
 * letters, digits and hyphens; at most MAIL_ADDRESS_MAX bytes. */
bool mail_address_ok(const char *s);

/* Appends the whole message to out, or nothing. False (with *field naming the bad member) on an invalid address, a CR or LF
 * in a header value, invalid UTF-8, or out's maximum reached. */
bool mail_compose(const struct mail_message *m, buf *out, const char **field);

#endif
