/* HTTP server (see server.h): accept on one socket shared by all threads, dispatch through the
 * route table, check roles and CSRF, run the handler, log one access line. */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/thread.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "core/validate.h"
#include "http/reply.h"
#include "http/callback_sender.h"
#include "http/mail_sender.h"
#include "http/routes.h"
#include "store/group_commit.h"
#include "util/clock.h"
#include "util/env.h"
#include "util/log.h"
#include "util/tokens.h"
#include "util/workpool.h"

#define URI_MAX 4096
#define HEADERS_MAX (16 * 1024)
#define SHUTDOWN_GRACE_MS 10000
#define SWEEP_MS 250            /* how often request deadlines are checked */
#define UNROUTED_BODY_MAX 65536 /* body limit before the route is known (an odd request line) */
#define CONN_FDS_MAX (1u << 20)  /* sockets above this number are not watched (only the I/O timeout) */
#define REFUSED_GRACE_NS 1000000000u /* a connection over its address's limit may send one request for its 429 */
#define CHUNK_SIZE_SATURATED (UINT64_C(1) << 60)
#define CONN_EXEMPT_MAX 16

/* Request-reading limits (docs/security.md), read once from the environment at start. */
static int64_t header_timeout_s, io_timeout_s, body_min_rate;
/* Open connections per client address (FAIRLABEL_MAX_CONNS_PER_IP, 0: no limit), and the networks exempt
 * from it (FAIRLABEL_MAX_CONNS_EXEMPT: a proxy on this host connects from 127.0.0.1). */
static int64_t conns_per_ip;
static struct { uint32_t net, mask; } conn_exempt[CONN_EXEMPT_MAX];
static int conn_exempt_n;

/* A chunked body as libevent reads it: chunk-size lines (strtoll base 16: blanks, a sign, "0x", hex digits,
 * then the end or a space) and chunk data. Only the sizes matter, to refuse the body as soon as they pass
 * the route's limit; anything libevent would reject (or the last chunk) ends the tracking. */
enum chunk_state { CHUNK_OFF, CHUNK_LEAD, CHUNK_DIGITS, CHUNK_TAIL, CHUNK_DATA };

/* What a connection is doing, seen from the bytes that arrive (libevent's read timeout restarts at every
 * byte, so a trickle would hold the connection forever). One per accepted connection, freed by the sweep
 * once libevent has freed the connection: we hold a reference on its bufferevent until then. */
enum conn_phase { CONN_IDLE, CONN_FIRSTLINE, CONN_HEADERS, CONN_BODY };
struct conn_watch {
    struct bufferevent *bev;
    int fd; /* its socket, once known */
    struct conn_watch *next;
    enum conn_phase phase;
    bool killed;
    bool refused;  /* over its address's connection limit: its first request gets 429, then the close */
    bool counted;  /* holds one of its address's connection slots */
    bool accept_pending; /* conn_accepted has yet to run: the sweep must not free this */
    bool te_seen;  /* a Transfer-Encoding header was read (libevent uses the first) */
    enum chunk_state chunk;
    bool chunk_line; /* the current chunk-size line has a byte */
    uint32_t peer;   /* the client's IPv4 address, in network order, when counted */
    uint64_t accepted_ns;
    uint64_t chunk_size, chunk_total; /* the size being read or the data left of the chunk; the sum */
    uint64_t started_ns, body_ns; /* the request's first byte; the end of its header block */
    uint64_t body_bytes;
    size_t line_len, col;  /* bytes of the request line; of the current header line */
    size_t body_max;       /* the route's limit */
    size_t path_off;       /* where the path starts in line once it is split, or 0 */
    int64_t content_length; /* -1: none announced */
    struct worker *w;
    char hdr[40]; /* the start of the current header line without blanks, for Content-Length and Transfer-Encoding */
    char line[300]; /* the request line, enough for "METHOD /path" of any route */
};

struct worker {
    pthread_t thread;
    int index;
    const struct server_config *cfg;
    struct event_base *base;
    struct evhttp *http;
    struct evhttp_bound_socket *bound;
    db *db;
    uint64_t seq;
    int pending; /* requests whose handler replies later (hashing, streaming exports) */
    uint64_t stop_deadline_ns;
    struct event *stop_ev;
    struct event *sweep_ev;
    struct conn_watch *conns;
    int failed;
};

static char instance_id[9];
static size_t max_route_body;

/* "INSTANCE-LOOP-SEQ" in hex, as snprintf("%s-%x-%llx") would write it, without a printf per request. */
static void request_id(char out[32], unsigned loop, uint64_t seq)
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (const char *s = instance_id; *s;) *p++ = *s++;
    char tmp[16];
    int n = 0;
    *p++ = '-';
    do tmp[n++] = hex[loop & 15]; while ((loop >>= 4) && n < 8);
    while (n) *p++ = tmp[--n];
    *p++ = '-';
    do tmp[n++] = hex[seq & 15]; while ((seq >>= 4) && n < 16);
    while (n) *p++ = tmp[--n];
    *p = '\0';
}

static const char *method_name(enum evhttp_cmd_type m)
{
    switch (m) {
    case EVHTTP_REQ_GET: return "GET";
    case EVHTTP_REQ_POST: return "POST";
    case EVHTTP_REQ_HEAD: return "HEAD";
    case EVHTTP_REQ_PUT: return "PUT";
    case EVHTTP_REQ_DELETE: return "DELETE";
    case EVHTTP_REQ_OPTIONS: return "OPTIONS";
    case EVHTTP_REQ_PATCH: return "PATCH";
    default: return "OTHER";
    }
}

res req_json_body(req *r, json_t **out)
{
    const char *ct = req_header(r, "Content-Type");
    if (ct && strncasecmp(ct, "application/json", 16) != 0) {
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL, "send the body as application/json (got %.64s)", ct);
        return RES_REPLIED;
    }
    if (r->body_len == 0) {
        reply_error(r, ERR_BAD_JSON, "", "the request body is empty; a JSON object is expected");
        return RES_REPLIED;
    }
    json_error_t e;
    json_t *j = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &e);
    if (!j) {
        reply_error(r, ERR_BAD_JSON, "", "invalid JSON at line %d column %d: %s", e.line, e.column, e.text);
        return RES_REPLIED;
    }
    arena_defer(r->a, (void (*)(void *))json_decref, j);
    *out = j;
    return RES_OK;
}

res req_json_object(req *r, const char *const *keys, json_t **out)
{
    if (req_json_body(r, out) != RES_OK) return RES_REPLIED;
    struct verr e;
    if (!json_is_object(*out)) {
        reply_error(r, ERR_INVALID_FIELD, "", "the body must be a JSON object");
        return RES_REPLIED;
    }
    if (!json_only_keys(*out, keys, "", &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return RES_REPLIED;
    }
    return RES_OK;
}

res req_decision_body(req *r, const char *field, const char *a, const char *b, const char **choice, const char **note)
{
    const char *const keys[] = {"note", field, NULL};
    json_t *body;
    if (req_json_object(r, keys, &body) != RES_OK) return RES_REPLIED;
    struct verr e;
    if ((field && !json_req_string(body, field, 1, 16, choice, &e)) || !json_req_string(body, "note", 1, 2000, note, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return RES_REPLIED;
    }
    if (field && strcmp(*choice, a) && strcmp(*choice, b)) {
        reply_error(r, ERR_INVALID_FIELD, arena_printf(r->a, "/%s", field), "/%s must be %s or %s", field, a, b);
        return RES_REPLIED;
    }
    if (text_blank(*note)) {
        reply_error(r, ERR_INVALID_FIELD, "/note", "/note must say why (it is shown to the person affected and audited)");
        return RES_REPLIED;
    }
    return RES_OK;
}

res req_page(req *r, int64_t *after, int *limit, int dflt, int max)
{
    const char *a = req_query(r, "after_id"), *l = req_query(r, "limit");
    char *end;
    *after = 0;
    *limit = dflt;
    if (a) {
        long long v = strtoll(a, &end, 10);
        if (*a == '\0' || *end || v < 0) {
            reply_error(r, ERR_BAD_QUERY, "after_id", "after_id must be a non-negative integer");
            return RES_REPLIED;
        }
        *after = v;
    }
    if (l) {
        long v = strtol(l, &end, 10);
        if (*l == '\0' || *end || v < 1 || v > max) {
            reply_error(r, ERR_BAD_QUERY, "limit", "limit must be an integer from 1 to %d", max);
            return RES_REPLIED;
        }
        *limit = (int)v;
    }
    return RES_OK;
}

res req_query_id(req *r, const char *name, int64_t *out)
{
    const char *v = req_query(r, name);
    if (!v) return RES_OK;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (!*v || *end || x < 1) {
        reply_error(r, ERR_BAD_QUERY, name, "%s must be a positive integer", name);
        return RES_REPLIED;
    }
    *out = x;
    return RES_OK;
}

const char *req_query(req *r, const char *name)
{
    return evhttp_find_header(&r->query, name);
}

const char *req_header(req *r, const char *name)
{
    return evhttp_find_header(evhttp_request_get_input_headers(r->ev), name);
}

void req_finish(req *r)
{
    uint64_t us = log_access_enabled ? (clock_mono_ns() - r->started_ns) / 1000 : 0;
    if (log_access_enabled)
        log_msg("%s %s %s %d %llu.%03llums", r->id_text, method_name(r->method), r->path, r->status,
                (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    evhttp_clear_headers(&r->query);
    arena_free(r->a);
}

static struct conn_watch *conn_request_read(struct bufferevent *bev);

static void dispatch(struct evhttp_request *ev, void *arg)
{
    struct worker *w = arg;
    struct conn_watch *cw = conn_request_read(evhttp_connection_get_bufferevent(evhttp_request_get_connection(ev)));
    arena *a = arena_new(8192);
    req *r = a ? arena_alloc(a, sizeof *r) : NULL;
    if (!r) {
        evhttp_send_error(ev, 503, "out of memory");
        arena_free(a);
        return;
    }
    r->a = a;
    r->ev = ev;
    r->cfg = w->cfg;
    r->db = w->db;
    r->base = w->base;
    r->started_ns = log_access_enabled ? clock_mono_ns() : 0; /* only the access log reads it */
    r->method = evhttp_request_get_command(ev);
    r->query.tqh_first = NULL; /* TAILQ_INIT */
    r->query.tqh_last = &r->query.tqh_first;
    request_id(r->id_text, w->index, ++w->seq);
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(ev), &addr, &port);
    r->client_addr = addr ? arena_strdup(a, addr) : "unknown";

    const char *uri = evhttp_request_get_uri(ev);
    r->path = "-";
    if (cw && cw->refused) {
        evhttp_add_header(evhttp_request_get_output_headers(ev), "Connection", "close");
        reply_error(r, ERR_TOO_MANY_CONNECTIONS, NULL, "this address has %lld connections open, the most allowed",
                    (long long)conns_per_ip);
        goto done;
    }
    if (strlen(uri) > URI_MAX) {
        reply_error(r, ERR_URI_TOO_LONG, NULL, "the URI is longer than %d bytes", URI_MAX);
        goto done;
    }
    const struct evhttp_uri *u = evhttp_request_get_evhttp_uri(ev);
    const char *path = u ? evhttp_uri_get_path(u) : NULL;
    r->path = arena_strdup(a, path && *path ? path : "/");
    if (u && evhttp_uri_get_query(u) && evhttp_parse_query_str(evhttp_uri_get_query(u), &r->query) != 0) {
        reply_error(r, ERR_BAD_QUERY, NULL, "the query string is malformed");
        goto done;
    }

    int path_known;
    char param[256];
    r->route = route_find(method_name(r->method), r->path, &r->id, &r->param, param, sizeof param, &path_known);
    if (r->param) r->param = arena_strdup(a, r->param);
    if (!r->route) {
        if (path_known)
            reply_error(r, ERR_METHOD_NOT_ALLOWED, NULL, "%s is not allowed on %s", method_name(r->method), r->path);
        else
            reply_error(r, ERR_NOT_FOUND, NULL, "no resource at %s", r->path);
        goto done;
    }

    struct evbuffer *in = evhttp_request_get_input_buffer(ev);
    r->body_len = evbuffer_get_length(in);
    if (r->body_len > r->route->max_body) {
        reply_error(r, ERR_BODY_TOO_LARGE, NULL, "this route accepts at most %zu bytes", r->route->max_body);
        goto done;
    }
    if (r->body_len) {
        /* Made contiguous in place (no copy); it lives as long as the request. Not NUL-terminated. */
        r->body = (const char *)evbuffer_pullup(in, -1);
        if (!r->body) {
            reply_error(r, ERR_SERVER_BUSY, NULL, "out of memory");
            goto done;
        }
    }

    if (r->route->roles != ROLES_PUBLIC) {
        if (auth_identify(r) == RES_REPLIED) goto done;
        if (!r->authed) {
            reply_error(r, ERR_AUTH_REQUIRED, NULL, "this route needs a signed-in user");
            goto done;
        }
        if (!(r->route->roles & r->role)) {
            reply_error(r, ERR_ROLE_FORBIDDEN, NULL, "the %s role may not use %s %s", r->user.role,
                        r->route->method, r->route->pattern);
            goto done;
        }
    }
    if (r->authed && r->via_cookie && r->method != EVHTTP_REQ_GET && r->method != EVHTTP_REQ_HEAD &&
        !auth_csrf_ok(r)) {
        reply_error(r, ERR_CSRF_TOKEN_INVALID, NULL, "send the X-CSRF-Token header given at sign-in");
        goto done;
    }
    r->route->handler(r);
    if (r->pending) {
        w->pending++;
        return;
    }
    if (!r->replied) reply_error(r, ERR_INTERNAL, NULL, "the handler sent no reply");
done:
    req_finish(r);
}

static _Thread_local struct worker *current_worker;

void req_pending_end(req *r)
{
    if (current_worker) current_worker->pending--;
    req_finish(r);
}

static void deferred_peer_gone(struct evhttp_connection *conn, void *arg)
{
    (void)conn;
    ((req *)arg)->gone = true;
}

void req_defer(req *r)
{
    r->pending = true;
    evhttp_connection_set_closecb(evhttp_request_get_connection(r->ev), deferred_peer_gone, r);
}

bool req_resume(req *r)
{
    if (r->gone) {
        req_pending_end(r);
        return false;
    }
    evhttp_connection_set_closecb(evhttp_request_get_connection(r->ev), NULL, NULL);
    return true;
}

void req_offload(req *r, void (*work)(void *), void (*done)(void *), void *arg)
{
    req_defer(r);
    if (workpool_submit(r->base, work, done, arg) == 0) return;
    req_resume(r);
    r->pending = false;
    reply_error(r, ERR_SERVER_BUSY, NULL, "the server is busy hashing passwords; retry shortly");
}

static void stop_check(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct worker *w = arg;
    if (w->bound) {
        evhttp_del_accept_socket(w->http, w->bound);
        w->bound = NULL;
    }
    if (w->pending <= 0 || clock_mono_ns() > w->stop_deadline_ns) {
        event_base_loopbreak(w->base);
        return;
    }
    struct timeval tv = {0, 50000};
    event_add(w->stop_ev, &tv);
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    current_worker = w;
    char name[16];
    snprintf(name, sizeof name, "fl-loop-%d", w->index);
    pthread_setname_np(pthread_self(), name); /* tells the loops apart in top -H, perf and /proc */
    event_base_dispatch(w->base);
    evhttp_free(w->http); /* closes the remaining (idle keep-alive) connections */
    w->http = NULL;
    return NULL;
}

/* One listening socket per loop, all bound to the same address with SO_REUSEPORT so that the kernel spreads new
 * connections over the loops. With one shared socket the loop that wakes first accepts every pending
 * connection, and a burst of clients (a load generator, a proxy's pool) could all land on one loop while the
 * other idles. Since SO_REUSEPORT would also let a second server of the same user share the port silently,
 * the port is first taken without it (a port in use fails as before; port 0 picks a free one), released,
 * and then bound by the group. Fills fds[0..n) and bound_text; 0 on success. */
static int listen_sockets(const char *listen_addr, int *fds, int n, char *bound_text, size_t len)
{
    char host[256];
    snprintf(host, sizeof host, "%s", listen_addr);
    char *colon = strrchr(host, ':');
    if (!colon) {
        log_msg("fairlabel: --listen wants ADDR:PORT, got %s", listen_addr);
        return -1;
    }
    *colon = '\0';
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        log_msg("fairlabel: cannot parse listen address %s (IPv4 ADDR:PORT)", listen_addr);
        return -1;
    }
    int one = 1;
    for (int i = -1; i < n; i++) { /* -1: the probe */
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (fd >= 0 && i >= 0) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 1024)) {
            log_msg("fairlabel: cannot listen on %s: %s", listen_addr, strerror(errno));
            if (fd >= 0) close(fd);
            for (int j = 0; j < i; j++) close(fds[j]);
            return -1;
        }
        socklen_t sl = sizeof sin;
        getsockname(fd, (struct sockaddr *)&sin, &sl);
        if (i < 0) close(fd);
        else fds[i] = fd;
    }
    snprintf(bound_text, len, "%s:%d", host, ntohs(sin.sin_port));
    return 0;
}

/* ---- hostile clients: request deadlines, and each route's body limit applied before the body is read ---- */

/* evhttp passes its connection to the bufferevent's callbacks; NULL once evhttp has freed the connection. */
static struct evhttp_connection *conn_of(struct bufferevent *bev)
{
    void *arg = NULL;
    bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
    return arg;
}

/* The request line is in: give libevent this route's body limit, so that a larger Content-Length is refused
 * with 413 (and the connection closed) as soon as the headers end, before any of the body is read, and a
 * chunked body is cut off when it passes the limit. */
static void conn_route_limit(struct conn_watch *cw, bool truncated)
{
    size_t limit = UNROUTED_BODY_MAX;
    char *sp = memchr(cw->line, ' ', cw->line_len);
    if (sp && !truncated) {
        *sp = '\0';
        char *path = sp + 1;
        cw->path_off = (size_t)(path - cw->line);
        if (!strncasecmp(path, "http://", 7) && strchr(path + 7, '/')) path = strchr(path + 7, '/');
        path[strcspn(path, " ?#")] = '\0';
        int64_t id;
        const char *param;
        char pbuf[256];
        int known;
        const struct route *rt = route_find(cw->line, path, &id, &param, pbuf, sizeof pbuf, &known);
        if (rt) limit = rt->max_body;
    }
    cw->body_max = limit;
    struct evhttp_connection *evcon = conn_of(cw->bev);
    if (evcon) evhttp_connection_set_max_body_size(evcon, (ev_ssize_t)limit);
}

/* A body over the route's limit, announced by Content-Length or by chunk sizes: answer 413 before reading it,
 * and close. libevent would refuse it too (its limit is set) but with an HTML page; this sends the problem+json
 * every other error uses, straight to the socket (nothing else is being written: the request has not been
 * dispatched), and shuts the socket down so that libevent reads the end of file and frees the connection.
 * The check runs on the bytes before libevent parses them, so libevent never gets to send its own page. */
static void conn_refuse_body(struct conn_watch *cw, const char *announced)
{
    const struct err_info *ei = err_info(ERR_BODY_TOO_LARGE);
    char id[32], detail[160];
    request_id(id, (unsigned)cw->w->index, ++cw->w->seq);
    snprintf(detail, sizeof detail, "this route accepts at most %zu bytes; %s", cw->body_max, announced);
    char type[64];
    snprintf(type, sizeof type, "https://fairlabel.org/errors/%d", ei->code);
    json_t *p = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "type", type, "code", ei->code, "name", ei->name,
                          "title", ei->title, "detail", detail, "request_id", id);
    char *body = p ? json_dumps(p, JSON_COMPACT) : NULL;
    json_decref(p);
    char head[256];
    int hn = snprintf(head, sizeof head,
                      "HTTP/1.1 %d Payload Too Large\r\nContent-Type: application/problem+json\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      ei->status, body ? strlen(body) : 0);
    int fd = bufferevent_getfd(cw->bev);
    if (send(fd, head, (size_t)hn, MSG_NOSIGNAL | MSG_MORE) == hn && body) send(fd, body, strlen(body), MSG_NOSIGNAL);
    free(body);
    shutdown(fd, SHUT_RDWR);
    cw->killed = true;
    if (log_access_enabled)
        log_msg("%s %.16s %s %d refused before the body", id, cw->line, cw->path_off ? cw->line + cw->path_off : "-",
                ei->status);
}

/* Header lines are kept without blanks: "Transfer-Encoding:  chunked" is read as "transfer-encoding:chunked". */
static bool hdr_is(const struct conn_watch *cw, const char *name_value)
{
    return cw->col < sizeof cw->hdr - 1 && !strcasecmp(cw->hdr, name_value);
}

/* Follows one byte of a request through its line and header block (evhttp parses them again: this only
 * finds the route, the body's framing and where the header block ends). */
static void conn_byte(struct conn_watch *cw, char c)
{
    if (c == '\r') return;
    if (cw->phase == CONN_FIRSTLINE) {
        if (c != '\n') {
            if (cw->line_len + 1 < sizeof cw->line) cw->line[cw->line_len] = c;
            cw->line_len++;
            return;
        }
        if (cw->line_len == 0) return; /* blank lines before a request */
        bool truncated = cw->line_len >= sizeof cw->line;
        if (truncated) cw->line_len = sizeof cw->line - 1;
        cw->line[cw->line_len] = '\0';
        conn_route_limit(cw, truncated);
        cw->phase = CONN_HEADERS;
        cw->col = 0;
        return;
    }
    if (c != '\n') {
        if (c == ' ' || c == '\t') {
            if (cw->col == 0) { /* a folded line: not one we look at */
                cw->col = sizeof cw->hdr;
                cw->hdr[0] = '\0';
            }
            return;
        }
        if (cw->col < sizeof cw->hdr - 1) cw->hdr[cw->col] = c;
        cw->col++;
    } else if (cw->col) {
        cw->hdr[cw->col < sizeof cw->hdr - 1 ? cw->col : sizeof cw->hdr - 1] = '\0';
        if (!strncasecmp(cw->hdr, "content-length:", 15)) {
            cw->content_length = strtoll(cw->hdr + 15, NULL, 10);
        } else if (!cw->te_seen && !strncasecmp(cw->hdr, "transfer-encoding:", 18)) {
            cw->te_seen = true;
            if (hdr_is(cw, "transfer-encoding:chunked")) cw->chunk = CHUNK_LEAD;
        }
        cw->col = 0;
    } else { /* the blank line: the header block is complete */
        cw->phase = CONN_BODY;
        cw->body_ns = clock_mono_ns();
        char announced[64];
        if (cw->chunk == CHUNK_OFF && cw->content_length > 0 && (uint64_t)cw->content_length > cw->body_max) {
            snprintf(announced, sizeof announced, "Content-Length is %lld", (long long)cw->content_length);
            conn_refuse_body(cw, announced);
        }
    }
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* The end of a chunk-size line: refuse the body once the sizes pass the route's limit (as libevent would,
 * before the chunk's data), follow the data, or stop at the last chunk (its trailer is libevent's). */
static void chunk_line_end(struct conn_watch *cw)
{
    if (!cw->chunk_line) return; /* the blank line after a chunk's data */
    if (cw->chunk != CHUNK_DIGITS && cw->chunk != CHUNK_TAIL) {
        cw->chunk = CHUNK_OFF; /* no digits: libevent takes it as the last chunk or refuses it with 400 */
        return;
    }
    if (cw->chunk_size > cw->body_max - cw->chunk_total) {
        char announced[64];
        snprintf(announced, sizeof announced, "the chunks announce %llu bytes or more",
                 (unsigned long long)(cw->chunk_total + cw->chunk_size));
        cw->chunk = CHUNK_OFF;
        conn_refuse_body(cw, announced);
        return;
    }
    cw->chunk_total += cw->chunk_size;
    cw->chunk = cw->chunk_size ? CHUNK_DATA : CHUNK_OFF;
}

/* Follows bytes of a chunked body; returns how many of the k at p it used (all unless it stopped). */
static size_t chunk_feed(struct conn_watch *cw, const char *p, size_t k)
{
    size_t j = 0;
    while (j < k && cw->chunk != CHUNK_OFF && !cw->killed) {
        if (cw->chunk == CHUNK_DATA) {
            size_t take = cw->chunk_size < k - j ? (size_t)cw->chunk_size : k - j;
            j += take;
            cw->chunk_size -= take;
            if (!cw->chunk_size) {
                cw->chunk = CHUNK_LEAD;
                cw->chunk_line = false;
            }
            continue;
        }
        char c = p[j++];
        if (c == '\r') continue;
        if (c == '\n') {
            chunk_line_end(cw);
            if (cw->chunk == CHUNK_LEAD) cw->chunk_line = false;
            continue;
        }
        int d = hex_digit(c);
        if (!cw->chunk_line) cw->chunk_size = 0;
        cw->chunk_line = true;
        if (cw->chunk == CHUNK_LEAD) {
            if (d >= 0) cw->chunk = CHUNK_DIGITS;
            else if (c != ' ' && c != '\t' && c != '+') cw->chunk = CHUNK_OFF; /* a sign or junk: 400 or 0 */
        }
        if (cw->chunk == CHUNK_DIGITS) {
            if (d >= 0) cw->chunk_size = cw->chunk_size >= CHUNK_SIZE_SATURATED ? cw->chunk_size : cw->chunk_size * 16 + (uint64_t)d;
            else if (c == ' ') cw->chunk = CHUNK_TAIL;
            else if ((c == 'x' || c == 'X') && cw->chunk_size == 0) continue; /* "0x" */
            else cw->chunk = CHUNK_OFF;
        }
    }
    return j;
}

static bool in_head(const struct conn_watch *cw) { return cw->phase != CONN_BODY && !cw->killed; }
static bool in_chunks(const struct conn_watch *cw) { return cw->chunk != CHUNK_OFF && !cw->killed; }

static size_t head_feed(struct conn_watch *cw, const char *p, size_t k)
{
    size_t j = 0;
    while (j < k && in_head(cw)) conn_byte(cw, p[j++]);
    return j;
}

/* Gives the bytes [from, from + n) of buf to step, span by span, while keep(cw) holds; returns how many step
 * used. */
static size_t conn_walk(struct conn_watch *cw, struct evbuffer *buf, size_t from, size_t n,
                        size_t (*step)(struct conn_watch *, const char *, size_t),
                        bool (*keep)(const struct conn_watch *))
{
    size_t used = 0;
    while (used < n && keep(cw)) {
        struct evbuffer_ptr pos;
        struct evbuffer_iovec v[4];
        if (evbuffer_ptr_set(buf, &pos, from + used, EVBUFFER_PTR_SET)) break;
        int nv = evbuffer_peek(buf, (ev_ssize_t)(n - used), &pos, v, 4);
        size_t before = used;
        for (int i = 0; i < nv && i < 4 && used < n && keep(cw); i++)
            used += step(cw, v[i].iov_base, v[i].iov_len < n - used ? v[i].iov_len : n - used);
        if (used == before) break;
    }
    return used;
}

/* Bytes [from, from + n) of buf arrived on the connection. */
static void conn_feed(struct conn_watch *cw, struct evbuffer *buf, size_t from, size_t n)
{
    if (cw->phase == CONN_IDLE) {
        cw->phase = CONN_FIRSTLINE;
        cw->started_ns = clock_mono_ns();
        cw->line_len = 0;
        cw->path_off = 0;
        cw->body_bytes = 0;
        cw->content_length = -1;
        cw->body_max = UNROUTED_BODY_MAX;
        cw->te_seen = false;
        cw->chunk = CHUNK_OFF;
        cw->chunk_line = false;
        cw->chunk_total = 0;
    }
    size_t head = conn_walk(cw, buf, from, n, head_feed, in_head);
    /* A chunked body is followed until its sizes are known to fit (the count below is for the deadline). */
    conn_walk(cw, buf, from + head, n - head, chunk_feed, in_chunks);
    cw->body_bytes += n - head;
}

/* Connections by socket, to find a request's watch when it is dispatched (sockets are process-wide small
 * integers; a slot is set by the connection's first bytes and cleared before the socket closes). */
static _Atomic(struct conn_watch *) *conn_by_fd;
static size_t conn_by_fd_len;

/* Open connections per client address, shared by the loops (touched only at accept and at the free). */
#define IP_BUCKETS 1024
struct ip_count {
    uint32_t addr;
    int64_t open;
    struct ip_count *next;
};
static struct ip_count *ip_counts[IP_BUCKETS];
static pthread_mutex_t ip_mu = PTHREAD_MUTEX_INITIALIZER;

static struct ip_count **ip_find(uint32_t addr)
{
    struct ip_count **p = &ip_counts[(addr * 2654435761u) >> 22];
    while (*p && (*p)->addr != addr) p = &(*p)->next;
    return p;
}

/* Takes one of addr's connection slots; false when it has none left. */
static bool ip_take(uint32_t addr)
{
    pthread_mutex_lock(&ip_mu);
    struct ip_count **p = ip_find(addr);
    if (!*p && (*p = calloc(1, sizeof **p))) (*p)->addr = addr;
    bool ok = *p && (*p)->open < conns_per_ip; /* out of memory: refused, as the accept would fail too */
    if (ok) (*p)->open++;
    pthread_mutex_unlock(&ip_mu);
    return ok;
}

static void ip_release(uint32_t addr)
{
    pthread_mutex_lock(&ip_mu);
    struct ip_count **p = ip_find(addr), *c = *p;
    if (c && --c->open <= 0) {
        *p = c->next;
        free(c);
    }
    pthread_mutex_unlock(&ip_mu);
}

static bool ip_exempt(uint32_t addr)
{
    for (int i = 0; i < conn_exempt_n; i++)
        if ((ntohl(addr) & conn_exempt[i].mask) == conn_exempt[i].net) return true;
    return false;
}

/* FAIRLABEL_MAX_CONNS_EXEMPT: comma-separated IPv4 networks (127.0.0.1, 10.0.0.0/8), or "none". */
static int conn_exempt_parse(const char *list)
{
    conn_exempt_n = 0;
    char buf[512];
    snprintf(buf, sizeof buf, "%s", list);
    if (!strcmp(buf, "none") || !*buf) return 0;
    for (char *save = NULL, *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        char *slash = strchr(tok, '/');
        long bits = 32;
        if (slash) {
            *slash = '\0';
            char *end;
            bits = strtol(slash + 1, &end, 10);
            if (*end || end == slash + 1 || bits < 0 || bits > 32) return -1;
        }
        struct in_addr a;
        if (inet_pton(AF_INET, tok, &a) != 1 || conn_exempt_n == CONN_EXEMPT_MAX) return -1;
        uint32_t mask = bits ? UINT32_MAX << (32 - bits) : 0;
        conn_exempt[conn_exempt_n].mask = mask;
        conn_exempt[conn_exempt_n++].net = ntohl(a.s_addr) & mask;
    }
    return 0;
}

/* Runs once evhttp has given a new connection its socket (just after conn_new, before any of its bytes):
 * registers the socket and counts the connection against its address. Over the limit, the connection is
 * marked refused: its first request is answered 429 TOO_MANY_CONNECTIONS and the connection closed, and the
 * sweep closes it after REFUSED_GRACE_NS if no request comes. Answering a request (rather than writing at
 * once and closing) lets the client read the reply instead of a reset. */
static void conn_accepted(evutil_socket_t unused, short what, void *arg)
{
    (void)unused;
    (void)what;
    struct conn_watch *cw = arg;
    cw->accept_pending = false;
    int fd = bufferevent_getfd(cw->bev);
    if (fd < 0 || !conn_of(cw->bev)) return;
    if (cw->fd < 0 && (size_t)fd < conn_by_fd_len) {
        cw->fd = fd;
        atomic_store(&conn_by_fd[fd], cw);
    }
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    if (conns_per_ip <= 0 || getpeername(fd, (struct sockaddr *)&sin, &sl) || sin.sin_family != AF_INET ||
        ip_exempt(sin.sin_addr.s_addr))
        return;
    if (ip_take(sin.sin_addr.s_addr)) {
        cw->counted = true;
        cw->peer = sin.sin_addr.s_addr;
    } else {
        cw->refused = true;
    }
}

static void conn_input(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    struct conn_watch *cw = arg;
    size_t len = evbuffer_get_length(buf);
    if (!info->n_added || cw->killed || len < info->n_added) return;
    if (cw->fd < 0) {
        int fd = bufferevent_getfd(cw->bev);
        if (fd < 0 || (size_t)fd >= conn_by_fd_len) return; /* unwatched: the I/O timeout still applies */
        cw->fd = fd;
        atomic_store(&conn_by_fd[fd], cw);
    }
    /* Runs as the bytes are appended, before evhttp parses (and drains) them. */
    conn_feed(cw, buf, len - info->n_added, info->n_added);
}

/* The request on bev was read in full and goes to its handler: the next byte starts a new one. Returns the
 * connection's watch, or NULL when it has none. */
static struct conn_watch *conn_request_read(struct bufferevent *bev)
{
    int fd = bev ? bufferevent_getfd(bev) : -1;
    struct conn_watch *cw = fd >= 0 && (size_t)fd < conn_by_fd_len ? atomic_load(&conn_by_fd[fd]) : NULL;
    if (!cw || cw->bev != bev) return NULL;
    cw->phase = CONN_IDLE;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    if (n) conn_feed(cw, in, 0, n); /* a pipelined request already read */
    return cw;
}

/* A request still being read past its deadline: the header block within FAIRLABEL_HEADER_TIMEOUT_S of its
 * first byte; the body within FAIRLABEL_IO_TIMEOUT_S plus its size at FAIRLABEL_BODY_MIN_RATE bytes/s. */
static bool conn_overdue(const struct conn_watch *cw, uint64_t now)
{
    if (cw->phase == CONN_IDLE || !(bufferevent_get_enabled(cw->bev) & EV_READ)) return false;
    if (cw->phase != CONN_BODY) return now - cw->started_ns > (uint64_t)header_timeout_s * 1000000000u;
    return now - cw->body_ns > (uint64_t)io_timeout_s * 1000000000u + cw->body_bytes * 1000000000u / (uint64_t)body_min_rate;
}

static void conn_sweep(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    struct worker *w = arg;
    uint64_t now = clock_mono_ns();
    for (struct conn_watch **p = &w->conns; *p;) {
        struct conn_watch *cw = *p;
        if (!conn_of(cw->bev) && !cw->accept_pending) { /* evhttp freed the connection; ours is the last reference */
            *p = cw->next;
            if (cw->fd >= 0) atomic_store(&conn_by_fd[cw->fd], NULL);
            if (cw->counted) ip_release(cw->peer);
            bufferevent_decref(cw->bev);
            free(cw);
            continue;
        }
        if (!cw->killed && (conn_overdue(cw, now) || (cw->refused && now - cw->accepted_ns > REFUSED_GRACE_NS))) {
            /* evhttp reads the end of file and frees the connection in its own time */
            cw->killed = true;
            shutdown(bufferevent_getfd(cw->bev), SHUT_RDWR);
        }
        p = &cw->next;
    }
}

/* evhttp's hook for a new connection's bufferevent: the same one evhttp makes, watched. */
static struct bufferevent *conn_new(struct event_base *base, void *arg)
{
    struct worker *w = arg;
    struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
    struct conn_watch *cw = bev ? calloc(1, sizeof *cw) : NULL;
    if (!cw) return bev; /* unwatched, still bounded by the I/O timeout */
    cw->bev = bev;
    cw->fd = -1;
    cw->w = w;
    cw->accepted_ns = clock_mono_ns();
    cw->accept_pending = true;
    if (event_base_once(base, -1, EV_TIMEOUT, conn_accepted, cw, NULL)) { /* runs before the socket is read */
        free(cw);
        return bev;
    }
    bufferevent_incref(bev);
    evbuffer_add_cb(bufferevent_get_input(bev), conn_input, cw);
    cw->next = w->conns;
    w->conns = cw;
    return bev;
}

/* Lets the server hold as many connections as the hard limit on open files allows (2,000 keep-alive
 * clients and more); the soft limit is often 1,024. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl)) return;
    if (rl.rlim_cur < rl.rlim_max) {
        struct rlimit want = {rl.rlim_max, rl.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &want)) log_msg("fairlabel: cannot raise the open-file limit: %s", strerror(errno));
        else rl = want;
    }
    size_t n = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > CONN_FDS_MAX ? CONN_FDS_MAX : (size_t)rl.rlim_cur;
    conn_by_fd = calloc(n, sizeof *conn_by_fd);
    conn_by_fd_len = conn_by_fd ? n : 0;
}

/* Takes listen_fd (closed on failure). */
static int worker_setup(struct worker *w, int listen_fd)
{
    char err[512];
    if (db_open(w->cfg->db_url, &w->db, err, sizeof err)) {
        log_msg("fairlabel: %s", err);
        close(listen_fd);
        return -1;
    }
    /* The changelist folds the enable/disable pairs evhttp makes around each request (read off while the
     * handler runs, write on for the reply, then back) into one epoll_ctl per loop turn instead of one each. */
    struct event_config *ec = event_config_new();
    if (ec) event_config_set_flag(ec, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
    w->base = ec ? event_base_new_with_config(ec) : NULL;
    if (ec) event_config_free(ec);
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (!w->http) {
        close(listen_fd);
        return -1;
    }
    evhttp_set_max_headers_size(w->http, HEADERS_MAX);
    evhttp_set_max_body_size(w->http, (ev_ssize_t)max_route_body);
    evhttp_set_timeout(w->http, (int)io_timeout_s);
    evhttp_set_bevcb(w->http, conn_new, w);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(w->http, dispatch, w);
    w->bound = evhttp_accept_socket_with_handle(w->http, listen_fd); /* closed with the listener */
    if (!w->bound) close(listen_fd);
    w->stop_ev = evtimer_new(w->base, stop_check, w);
    w->sweep_ev = event_new(w->base, -1, EV_PERSIST, conn_sweep, w);
    struct timeval sweep_tv = {0, SWEEP_MS * 1000};
    if (!w->sweep_ev || event_add(w->sweep_ev, &sweep_tv)) return -1;
    return w->bound && w->stop_ev ? 0 : -1;
}

static void worker_teardown(struct worker *w)
{
    if (w->http) evhttp_free(w->http);
    while (w->conns) {
        struct conn_watch *cw = w->conns;
        w->conns = cw->next;
        if (cw->fd >= 0) atomic_store(&conn_by_fd[cw->fd], NULL);
        if (cw->counted) ip_release(cw->peer);
        bufferevent_decref(cw->bev);
        free(cw);
    }
    if (w->sweep_ev) event_free(w->sweep_ev);
    if (w->stop_ev) event_free(w->stop_ev);
    if (w->base) event_base_free(w->base);
    db_close(w->db);
}

int server_run(const struct server_config *cfg)
{
    unsigned char rnd[4];
    char tmp[TOKEN_TEXT_MAX];
    token_new("", tmp);
    memcpy(rnd, tmp, sizeof rnd);
    snprintf(instance_id, sizeof instance_id, "%02x%02x%02x", rnd[0], rnd[1], rnd[2]);
    for (size_t i = 0; i < route_count; i++)
        if (route_table[i].max_body > max_route_body) max_route_body = route_table[i].max_body;

    header_timeout_s = env_i64("FAIRLABEL_HEADER_TIMEOUT_S", 10, 1, 3600);
    io_timeout_s = env_i64("FAIRLABEL_IO_TIMEOUT_S", 30, 1, 3600);
    body_min_rate = env_i64("FAIRLABEL_BODY_MIN_RATE", 1024, 1, INT64_C(1) << 30);
    conns_per_ip = env_i64("FAIRLABEL_MAX_CONNS_PER_IP", 1024, 0, 1 << 24);
    const char *exempt = getenv("FAIRLABEL_MAX_CONNS_EXEMPT");
    if (conn_exempt_parse(exempt ? exempt : "127.0.0.1")) {
        log_msg("fairlabel: FAIRLABEL_MAX_CONNS_EXEMPT=%s is not a list of IPv4 networks (127.0.0.1, 10.0.0.0/8) "
                "or none", exempt);
        return 1;
    }
    raise_fd_limit();

    if (evthread_use_pthreads()) return 1;
    int n = cfg->threads > 0 ? cfg->threads : 2;
    char bound[300];
    int *fds = calloc((size_t)n, sizeof *fds);
    if (!fds || listen_sockets(cfg->listen, fds, n, bound, sizeof bound)) {
        free(fds);
        return 1;
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct worker *ws = calloc((size_t)n, sizeof *ws);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        if (ws) {
            ws[i].index = i;
            ws[i].cfg = cfg;
        }
        if (!ws || worker_setup(&ws[i], fds[i])) {
            if (!ws) close(fds[i]);
            for (int j = 0; ws && j <= i; j++) worker_teardown(&ws[j]);
            for (int j = i + 1; j < n; j++) close(fds[j]);
            free(ws);
            free(fds);
            return 1;
        }
    }
    free(fds);
    if (workpool_start(cfg->hash_threads > 0 ? cfg->hash_threads : 2, 1024)) {
        log_msg("fairlabel: cannot start the hashing threads");
        return 1;
    }
    if (callback_sender_start(cfg)) {
        log_msg("fairlabel: cannot start the callback sender");
        return 1;
    }
    if (mail_sender_start(cfg)) return 1;
    for (int i = 0; i < n; i++) pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]);
    log_msg("fairlabel: listening on http://%s", bound);

    int sig = 0;
    sigwait(&sigs, &sig);
    log_msg("fairlabel: %s received, finishing in-flight requests", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    uint64_t deadline = clock_mono_ns() + (uint64_t)SHUTDOWN_GRACE_MS * 1000000u;
    for (int i = 0; i < n; i++) {
        ws[i].stop_deadline_ns = deadline;
        event_active(ws[i].stop_ev, EV_TIMEOUT, 0);
    }
    for (int i = 0; i < n; i++) pthread_join(ws[i].thread, NULL);
    group_commit_stop(); /* commits what is still queued (its replies are gone with the loops), closes its db */
    mail_sender_stop();
    callback_sender_stop();
    workpool_stop();
    for (int i = 0; i < n; i++) worker_teardown(&ws[i]);
    free(ws);
    log_msg("fairlabel: stopped");
    return rc;
}
