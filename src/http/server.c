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

/* Request-reading limits (docs/security.md), read once from the environment at start. */
static int64_t header_timeout_s, io_timeout_s, body_min_rate;

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
    uint64_t started_ns, body_ns; /* the request's first byte; the end of its header block */
    uint64_t body_bytes;
    size_t line_len, col;  /* bytes of the request line; of the current header line */
    size_t body_max;       /* the route's limit */
    size_t path_off;       /* where the path starts in line once it is split, or 0 */
    int64_t content_length; /* -1: none announced */
    struct worker *w;
    char hdr[24];          /* the start of the current header line, to find Content-Length */
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
    int fd;
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
    uint64_t us = (clock_mono_ns() - r->started_ns) / 1000;
    if (log_access_enabled)
        log_msg("%s %s %s %d %llu.%03llums", r->id_text, method_name(r->method), r->path, r->status,
                (unsigned long long)(us / 1000), (unsigned long long)(us % 1000));
    evhttp_clear_headers(&r->query);
    arena_free(r->a);
}

static void conn_request_read(struct bufferevent *bev);

static void dispatch(struct evhttp_request *ev, void *arg)
{
    struct worker *w = arg;
    conn_request_read(evhttp_connection_get_bufferevent(evhttp_request_get_connection(ev)));
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
    r->started_ns = clock_mono_ns();
    r->method = evhttp_request_get_command(ev);
    r->query.tqh_first = NULL; /* TAILQ_INIT */
    r->query.tqh_last = &r->query.tqh_first;
    snprintf(r->id_text, sizeof r->id_text, "%s-%x-%llx", instance_id, w->index, (unsigned long long)++w->seq);
    char *addr = NULL;
    ev_uint16_t port = 0;
    evhttp_connection_get_peer(evhttp_request_get_connection(ev), &addr, &port);
    r->client_addr = addr ? arena_strdup(a, addr) : "unknown";

    const char *uri = evhttp_request_get_uri(ev);
    r->path = "-";
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
    event_base_dispatch(w->base);
    evhttp_free(w->http); /* closes the remaining (idle keep-alive) connections */
    w->http = NULL;
    return NULL;
}

static int listen_socket(const char *listen_addr, char *bound_text, size_t n)
{
    char host[256];
    snprintf(host, sizeof host, "%s", listen_addr);
    char *colon = strrchr(host, ':');
    if (!colon) {
        log_msg("fairlabel: --listen wants ADDR:PORT, got %s", listen_addr);
        return -1;
    }
    *colon = '\0';
    int port = atoi(colon + 1);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
        log_msg("fairlabel: cannot parse listen address %s (IPv4 ADDR:PORT)", listen_addr);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) || listen(fd, 1024)) {
        log_msg("fairlabel: cannot listen on %s: %s", listen_addr, strerror(errno));
        if (fd >= 0) close(fd);
        return -1;
    }
    socklen_t len = sizeof sin;
    getsockname(fd, (struct sockaddr *)&sin, &len);
    snprintf(bound_text, n, "%s:%d", host, ntohs(sin.sin_port));
    return fd;
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

/* Content-Length above the route's limit: answer 413 before reading the body, and close. libevent would refuse
 * it too (its limit is set) but with an HTML page; this sends the problem+json every other error uses, straight
 * to the socket (nothing else is being written: the request's headers just ended), and shuts the socket down so
 * that libevent reads the end of file and frees the connection. */
static void conn_refuse_body(struct conn_watch *cw)
{
    const struct err_info *ei = err_info(ERR_BODY_TOO_LARGE);
    char id[40], detail[128];
    snprintf(id, sizeof id, "%s-%x-%llx", instance_id, cw->w->index, (unsigned long long)++cw->w->seq);
    snprintf(detail, sizeof detail, "this route accepts at most %zu bytes; Content-Length is %lld", cw->body_max,
             (long long)cw->content_length);
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

/* Follows one byte of a request through its line and header block (evhttp parses them again: this only
 * finds the route and where the header block ends). */
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
        if (cw->col < sizeof cw->hdr - 1) cw->hdr[cw->col] = c;
        cw->col++;
    } else if (cw->col) {
        cw->hdr[cw->col < sizeof cw->hdr - 1 ? cw->col : sizeof cw->hdr - 1] = '\0';
        if (!strncasecmp(cw->hdr, "content-length:", 15)) cw->content_length = strtoll(cw->hdr + 15, NULL, 10);
        cw->col = 0;
    } else { /* the blank line: the header block is complete */
        cw->phase = CONN_BODY;
        cw->body_ns = clock_mono_ns();
        if (cw->content_length > 0 && (uint64_t)cw->content_length > cw->body_max) conn_refuse_body(cw);
    }
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
    }
    while (n && cw->phase != CONN_BODY && !cw->killed) {
        struct evbuffer_ptr pos;
        struct evbuffer_iovec v[4];
        if (evbuffer_ptr_set(buf, &pos, from, EVBUFFER_PTR_SET)) return;
        int nv = evbuffer_peek(buf, (ev_ssize_t)n, &pos, v, 4);
        if (nv <= 0) return;
        for (int i = 0; i < nv && i < 4 && n && cw->phase != CONN_BODY; i++) {
            const char *p = v[i].iov_base;
            size_t k = v[i].iov_len < n ? v[i].iov_len : n, j = 0;
            while (j < k && cw->phase != CONN_BODY && !cw->killed) conn_byte(cw, p[j++]);
            from += j;
            n -= j;
        }
    }
    cw->body_bytes += n;
}

/* Connections by socket, to find a request's watch when it is dispatched (sockets are process-wide small
 * integers; a slot is set by the connection's first bytes and cleared before the socket closes). */
static _Atomic(struct conn_watch *) *conn_by_fd;
static size_t conn_by_fd_len;

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

/* The request on bev was read in full and goes to its handler: the next byte starts a new one. */
static void conn_request_read(struct bufferevent *bev)
{
    int fd = bev ? bufferevent_getfd(bev) : -1;
    struct conn_watch *cw = fd >= 0 && (size_t)fd < conn_by_fd_len ? atomic_load(&conn_by_fd[fd]) : NULL;
    if (!cw || cw->bev != bev) return;
    cw->phase = CONN_IDLE;
    struct evbuffer *in = bufferevent_get_input(bev);
    size_t n = evbuffer_get_length(in);
    if (n) conn_feed(cw, in, 0, n); /* a pipelined request already read */
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
        if (!conn_of(cw->bev)) { /* evhttp freed the connection; ours was the last reference */
            *p = cw->next;
            if (cw->fd >= 0) atomic_store(&conn_by_fd[cw->fd], NULL);
            bufferevent_decref(cw->bev);
            free(cw);
            continue;
        }
        if (!cw->killed && conn_overdue(cw, now)) {
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

static int worker_setup(struct worker *w, int listen_fd)
{
    char err[512];
    if (db_open(w->cfg->db_url, &w->db, err, sizeof err)) {
        log_msg("fairlabel: %s", err);
        return -1;
    }
    w->base = event_base_new();
    w->http = w->base ? evhttp_new(w->base) : NULL;
    if (!w->http) return -1;
    evhttp_set_max_headers_size(w->http, HEADERS_MAX);
    evhttp_set_max_body_size(w->http, (ev_ssize_t)max_route_body);
    evhttp_set_timeout(w->http, (int)io_timeout_s);
    evhttp_set_bevcb(w->http, conn_new, w);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(w->http, dispatch, w);
    w->fd = dup(listen_fd);
    w->bound = evhttp_accept_socket_with_handle(w->http, w->fd);
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
    raise_fd_limit();

    if (evthread_use_pthreads()) return 1;
    char bound[300];
    int fd = listen_socket(cfg->listen, bound, sizeof bound);
    if (fd < 0) return 1;

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    int n = cfg->threads > 0 ? cfg->threads : 2;
    struct worker *ws = calloc((size_t)n, sizeof *ws);
    int rc = 0;
    for (int i = 0; i < n; i++) {
        ws[i].index = i;
        ws[i].cfg = cfg;
        if (worker_setup(&ws[i], fd)) {
            for (int j = 0; j <= i; j++) worker_teardown(&ws[j]);
            free(ws);
            close(fd);
            return 1;
        }
    }
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
    close(fd);
    log_msg("fairlabel: stopped");
    return rc;
}
