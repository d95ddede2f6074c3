/* HTTP server (see server.h): accept on one socket shared by all threads, dispatch through the
 * route table, check roles and CSRF, run the handler, log one access line. */
#include "http/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
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
#include <sys/socket.h>
#include <unistd.h>

#include "api/api.h"
#include "core/validate.h"
#include "http/reply.h"
#include "http/callback_sender.h"
#include "http/mail_sender.h"
#include "http/routes.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/tokens.h"
#include "util/workpool.h"

#define URI_MAX 4096
#define HEADERS_MAX (16 * 1024)
#define IO_TIMEOUT_S 30
#define SHUTDOWN_GRACE_MS 10000

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

static void dispatch(struct evhttp_request *ev, void *arg)
{
    struct worker *w = arg;
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
    evhttp_set_timeout(w->http, IO_TIMEOUT_S);
    evhttp_set_allowed_methods(w->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                            EVHTTP_REQ_DELETE | EVHTTP_REQ_PATCH | EVHTTP_REQ_OPTIONS);
    evhttp_set_gencb(w->http, dispatch, w);
    w->fd = dup(listen_fd);
    w->bound = evhttp_accept_socket_with_handle(w->http, w->fd);
    w->stop_ev = evtimer_new(w->base, stop_check, w);
    return w->bound && w->stop_ev ? 0 : -1;
}

static void worker_teardown(struct worker *w)
{
    if (w->http) evhttp_free(w->http);
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
    mail_sender_stop();
    callback_sender_stop();
    workpool_stop();
    for (int i = 0; i < n; i++) worker_teardown(&ws[i]);
    free(ws);
    close(fd);
    log_msg("fairlabel: stopped");
    return rc;
}
