/* Replies (see reply.h). */
#include "http/reply.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/clock.h"
#include "util/log.h"

/* Sends the request's output buffer (filled by the caller) as the body. */
static void send_reply(req *r, int status)
{
    if (r->replied) {
        log_msg("BUG: second reply for %s %s", r->id_text, r->path);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "X-Request-Id", r->id_text);
    evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
    if (!evhttp_find_header(h, "Cache-Control")) evhttp_add_header(h, "Cache-Control", "no-store");
    r->status = status;
    r->replied = true;
    evhttp_send_reply(r->ev, status, NULL, NULL);
}

void reply_bytes(req *r, int status, const char *content_type, const void *data, size_t len)
{
    if (len) evbuffer_add(evhttp_request_get_output_buffer(r->ev), data, len);
    if (content_type) evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Type", content_type);
    send_reply(r, status);
}

/* Dumps body straight into the reply's buffer (json_dumps would grow a string by doubling, copy it, and the
 * buffer copy it again): most replies fit the first reservation, a larger one takes a second pass at its size. */
static bool dump_into(struct evbuffer *out, const json_t *body)
{
    size_t want = 4096;
    for (int pass = 0; pass < 2; pass++) {
        struct evbuffer_iovec v;
        if (evbuffer_reserve_space(out, (ev_ssize_t)want, &v, 1) < 1) return false;
        size_t n = json_dumpb(body, v.iov_base, v.iov_len, JSON_COMPACT);
        if (n == 0) return false;
        if (n <= v.iov_len) {
            v.iov_len = n;
            return evbuffer_commit_space(out, &v, 1) == 0;
        }
        want = n; /* the uncommitted reservation is dropped by the next one */
    }
    return false;
}

static void reply_json_typed(req *r, int status, json_t *body, const char *type)
{
    struct evbuffer *out = evhttp_request_get_output_buffer(r->ev);
    bool ok = body && dump_into(out, body);
    json_decref(body);
    if (!ok) {
        evbuffer_drain(out, evbuffer_get_length(out));
        reply_bytes(r, 500, "application/problem+json",
                    "{\"code\":9002,\"name\":\"INTERNAL\",\"title\":\"Internal error\"}", 55);
        return;
    }
    evhttp_add_header(evhttp_request_get_output_headers(r->ev), "Content-Type", type);
    send_reply(r, status);
}

void reply_json(req *r, int status, json_t *body)
{
    reply_json_typed(r, status, body, "application/json");
}

void reply_empty(req *r, int status)
{
    send_reply(r, status);
}

void reply_error_with(req *r, err_id e, const char *field, const char *detail, json_t *extra)
{
    const struct err_info *ei = err_info(e);
    json_t *p = json_pack("{s:s, s:i, s:s, s:s, s:s}", "type",
                          arena_printf(r->a, "https://fairlabel.org/errors/%d", ei->code), "code", ei->code,
                          "name", ei->name, "title", ei->title, "detail", detail ? detail : ei->title);
    if (field) json_object_set_new(p, "field", json_string(field));
    json_object_set_new(p, "request_id", json_string(r->id_text));
    if (extra) json_object_update(p, extra);
    json_decref(extra);
    reply_json_typed(r, ei->status, p, "application/problem+json");
}

void reply_error(req *r, err_id e, const char *field, const char *fmt, ...)
{
    char detail[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, sizeof detail, fmt, ap);
    va_end(ap);
    reply_error_with(r, e, field, detail, NULL);
}

void reply_store_failure(req *r, store_rc rc)
{
    if (rc == STORE_BUSY)
        reply_error(r, ERR_SERVER_BUSY, NULL, "the database stayed busy; retry the request");
    else
        reply_error(r, ERR_DB_UNAVAILABLE, NULL, "the database failed; the request changed nothing");
}

json_t *json_time(int64_t ms)
{
    char t[32];
    clock_iso8601(ms, t, sizeof t);
    return json_string(t);
}

json_t *json_time_or_null(int64_t ms)
{
    return ms ? json_time(ms) : json_null();
}
