/* RFC 5322 + MIME message composition for outgoing notices. */
#include "core/mail.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int base64_add(buf *out, const unsigned char *p, size_t n)
{
    char q[4];
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        q[0] = b64[v >> 18 & 63];
        q[1] = b64[v >> 12 & 63];
        q[2] = i + 1 < n ? b64[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? b64[v & 63] : '=';
        if (buf_add(out, q, 4)) return -1;
    }
    return 0;
}

static bool utf8_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1 : (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
        if (n < 0 || (n == 1 && *p < 0xc2)) return false;
        p++;
        for (int i = 0; i < n; i++, p++)
            if ((*p & 0xc0) != 0x80) return false;
    }
    return true;
}

static bool header_safe(const char *s)
{
    return s && !strpbrk(s, "\r\n") && utf8_ok(s);
}

static bool ascii_printable(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e) return false;
    return true;
}

bool mail_address_ok(const char *s)
{
    if (!s) return false;
    size_t len = strlen(s);
    const char *at = strchr(s, '@');
    if (len > MAIL_ADDRESS_MAX || !at || strchr(at + 1, '@') || at == s || at - s > 64) return false;
    for (const char *p = s; p < at; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              strchr(".!#$%&'*+/=?^_`{|}~-", *p)))
            return false;
    if (s[0] == '.' || at[-1] == '.' || strstr(s, "..")) return false;
    const char *d = at + 1;
    size_t label = 0, labels = 0;
    for (const char *p = d;; p++) {
        if (*p == '.' || !*p) {
            if (!label || p[-1] == '-' || label > 63) return false;
            labels++;
            label = 0;
            if (!*p) break;
            continue;
        }
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                  (*p == '-' && label > 0);
        if (!ok) return false;
        label++;
    }
    return labels >= 2;
}

/* An unstructured header value: as is when printable ASCII, else RFC 2047 base64 encoded words of whole UTF-8
 * characters, at most 39 bytes each so every line stays under 78 characters. */
static int encoded_value(buf *out, const char *v)
{
    if (ascii_printable(v)) return buf_adds(out, v);
    const unsigned char *p = (const unsigned char *)v;
    size_t n = strlen(v), i = 0;
    bool first = true;
    while (i < n) {
        size_t j = i;
        while (j < n) {
            size_t c = p[j] < 0x80 ? 1 : p[j] >= 0xf0 ? 4 : p[j] >= 0xe0 ? 3 : 2;
            if (j + c - i > 39) break;
            j += c;
        }
        if (buf_adds(out, first ? "=?UTF-8?B?" : "\r\n =?UTF-8?B?") || base64_add(out, p + i, j - i) ||
            buf_adds(out, "?="))
            return -1;
        first = false;
        i = j;
    }
    return 0;
}

static int body_base64(buf *out, const char *body)
{
    /* normalise line ends to CRLF first, then wrap the base64 at 76 characters */
    buf crlf;
    buf_init(&crlf, out->max);
    int rc = 0;
    for (const char *p = body; *p && !rc; p++) {
        if (*p == '\r' && p[1] == '\n') continue;
        rc = *p == '\n' || *p == '\r' ? buf_add(&crlf, "\r\n", 2) : buf_add(&crlf, p, 1);
    }
    for (size_t i = 0; !rc && i < crlf.len; i += 57)
        rc = base64_add(out, (const unsigned char *)crlf.data + i, crlf.len - i < 57 ? crlf.len - i : 57) ||
             buf_add(out, "\r\n", 2);
    buf_free(&crlf);
    return rc;
}

bool mail_compose(const struct mail_message *m, buf *out, const char **field)
{
    *field = !mail_address_ok(m->from)                         ? "from"
             : !mail_address_ok(m->to)                         ? "to"
             : m->from_name && !header_safe(m->from_name)      ? "from_name"
             : !header_safe(m->subject)                        ? "subject"
             : !m->body || !utf8_ok(m->body)                   ? "body"
             : !header_safe(m->message_id) || !ascii_printable(m->message_id) || strpbrk(m->message_id, "<> ")
                 ? "message_id"
             : m->language && (!header_safe(m->language) || !ascii_printable(m->language)) ? "language"
                                                                                            : NULL;
    if (*field) return false;
    char date[64];
    time_t t = (time_t)(m->date_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    size_t start = out->len;
    int rc = buf_adds(out, "From: ");
    if (!rc && m->from_name) {
        /* a display name is always encoded: it may hold specials like ',' or '"' */
        rc = buf_adds(out, "=?UTF-8?B?") || base64_add(out, (const unsigned char *)m->from_name, strlen(m->from_name)) ||
             buf_adds(out, "?= ");
    }
    rc = rc || buf_printf(out, "<%s>\r\nTo: <%s>\r\nSubject: ", m->from, m->to) || encoded_value(out, m->subject) ||
         buf_printf(out, "\r\nDate: %s\r\nMessage-ID: <%s>\r\nMIME-Version: 1.0\r\n", date, m->message_id) ||
         (m->language && buf_printf(out, "Content-Language: %s\r\n", m->language)) ||
         buf_adds(out, "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n") ||
         body_base64(out, m->body);
    if (rc) {
        *field = "size";
        out->len = start; /* nothing half-written */
        if (out->data) out->data[start] = 0;
    }
    return !rc;
}
