/* loadgen: a small closed-loop HTTP/1.1 load generator on libevent bufferevents.
 *
 * Modes
 *   claim-submit  each connection (with its own worker bearer token) loops
 *                 POST /api/v1/projects/{id}/claim, then
 *                 POST /api/v1/assignments/{aid}/submit with the lease token from the
 *                 claim reply, the answer {"label":"<label>"} and an Idempotency-Key header.
 *   get           each connection loops GET <path> (optionally with a bearer token).
 *
 * Every connection is keep-alive and has exactly one request in flight (closed loop).
 * Requests that complete inside the measuring window [warmup, warmup + duration]
 * are counted; their latency (send of the first byte to the last byte of the reply)
 * is recorded and p50/p90/p99/max are printed. The last line of the output is a
 * machine-readable "RESULT key=value ..." line.
 *
 * Build: cc -O2 bench/loadgen.c $(pkg-config --cflags --libs libevent) -o build/bench-loadgen
 * (add -lpthread on old toolchains).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum mode { MODE_CLAIM_SUBMIT, MODE_GET };
enum kind { K_CLAIM = 0, K_SUBMIT = 1, K_GET = 2, K_COUNT = 3 };
static const char *kind_name[K_COUNT] = {"claim", "submit", "get"};

enum pstate { PS_STATUS, PS_HEADERS, PS_BODY_LEN, PS_CHUNK_SIZE, PS_CHUNK_DATA, PS_CHUNK_CRLF,
              PS_TRAILER, PS_BODY_EOF };

/* ---- options ---------------------------------------------------------------------------- */
static enum mode g_mode = MODE_CLAIM_SUBMIT;
static char g_host[256] = "127.0.0.1";
static int g_port = 0;
static int g_conns = 64;
static int g_threads = 1;
static double g_duration = 10.0;
static double g_warmup = 1.0;
static long g_project = 0;
static const char *g_path = "/";
static const char *g_label = "positive";
static const char *g_tokens_file = NULL;
static int g_verbose = 0;
static char **g_tokens = NULL;
static int g_ntokens = 0;
static struct sockaddr_in g_addr;
/* --ports: connection i talks to server i mod g_nports (several servers on one database) */
enum { MAX_PORTS = 16 };
static struct sockaddr_in g_addrs[MAX_PORTS];
static int g_nports = 0;

static uint64_t g_t0;                 /* start, ns (CLOCK_MONOTONIC) */
static uint64_t g_win_start, g_win_end;

static pthread_mutex_t g_log_mu = PTHREAD_MUTEX_INITIALIZER;
static int g_logged_bad = 0;          /* non-2xx replies shown on stderr so far */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("loadgen: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(2);
}

/* ---- per-thread statistics ---------------------------------------------------------------- */
struct lat {
    uint64_t *v;
    size_t n, cap;
};

static void lat_add(struct lat *l, uint64_t ns) {
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 65536;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        if (!l->v) die("out of memory");
    }
    l->v[l->n++] = ns;
}

struct stats {
    uint64_t ok[K_COUNT];       /* 2xx replies in the window */
    uint64_t bad[K_COUNT];      /* non-2xx replies in the window */
    uint64_t empty_claims;      /* 204 on claim (counted in ok[K_CLAIM] too) */
    uint64_t cycles;            /* successful submits in the window */
    uint64_t conn_errors;       /* connection closed/failed with a request in flight (any time) */
    uint64_t parse_errors;
    uint64_t claim_body_bytes;  /* over all 200 claim replies (any time) */
    uint64_t claim_bodies;
    struct lat all, by[K_COUNT];
};

struct worker;

struct conn {
    struct worker *w;
    int id;
    const char *token;
    struct bufferevent *bev;
    int connected;
    int in_flight;
    enum kind kind;
    uint64_t t_send;
    unsigned long seq;
    /* reply parser */
    enum pstate ps;
    int status;
    long clen;
    int chunked;
    int want_close;
    long chunk_left;
    struct evbuffer *body; /* only filled for claim replies */
    /* state from the last claim */
    long assignment_id;
    char lease[512];
    struct event *retry_ev;
};

struct worker {
    int idx;
    struct event_base *base;
    struct event *stop_ev;
    struct conn *conns;
    int nconns;
    int stopping;
    struct stats st;
    pthread_t th;
};

static void conn_start(struct conn *c);
static void send_next(struct conn *c);

static void log_bad(struct conn *c, const char *what) {
    pthread_mutex_lock(&g_log_mu);
    if (g_logged_bad < 5 || g_verbose) {
        g_logged_bad++;
        char snippet[301] = "";
        if (c->body) {
            size_t n = evbuffer_get_length(c->body);
            if (n > 300) n = 300;
            evbuffer_copyout(c->body, snippet, n);
            snippet[n] = 0;
        }
        fprintf(stderr, "loadgen: %s %s -> %d %s\n", kind_name[c->kind], what, c->status, snippet);
    }
    pthread_mutex_unlock(&g_log_mu);
}

/* ---- requests ----------------------------------------------------------------------------- */
static void send_request(struct conn *c, enum kind k) {
    struct evbuffer *out = bufferevent_get_output(c->bev);
    c->kind = k;
    c->seq++;
    switch (k) {
    case K_CLAIM:
        evbuffer_add_printf(out,
                            "POST /api/v1/projects/%ld/claim HTTP/1.1\r\n"
                            "Host: %s:%d\r\n"
                            "Authorization: Bearer %s\r\n"
                            "Content-Length: 0\r\n"
                            "\r\n",
                            g_project, g_host, g_port, c->token);
        break;
    case K_SUBMIT: {
        char body[1024];
        int blen = snprintf(body, sizeof body, "{\"lease_token\":\"%s\",\"answer\":{\"label\":\"%s\"}}",
                            c->lease, g_label);
        evbuffer_add_printf(out,
                            "POST /api/v1/assignments/%ld/submit HTTP/1.1\r\n"
                            "Host: %s:%d\r\n"
                            "Authorization: Bearer %s\r\n"
                            "Content-Type: application/json\r\n"
                            "Idempotency-Key: lg-%d-%d-%lu-%lu\r\n"
                            "Content-Length: %d\r\n"
                            "\r\n%s",
                            c->assignment_id, g_host, g_port, c->token, c->w->idx, c->id,
                            (unsigned long)g_t0, c->seq, blen, body);
        break;
    }
    case K_GET:
        if (c->token)
            evbuffer_add_printf(out,
                                "GET %s HTTP/1.1\r\nHost: %s:%d\r\nAuthorization: Bearer %s\r\n\r\n",
                                g_path, g_host, g_port, c->token);
        else
            evbuffer_add_printf(out, "GET %s HTTP/1.1\r\nHost: %s:%d\r\n\r\n", g_path, g_host, g_port);
        break;
    default:
        break;
    }
    c->ps = PS_STATUS;
    c->status = 0;
    c->clen = -1;
    c->chunked = 0;
    c->want_close = 0;
    c->chunk_left = 0;
    if (c->body) evbuffer_drain(c->body, evbuffer_get_length(c->body));
    c->in_flight = 1;
    c->t_send = now_ns();
}

static void send_next(struct conn *c) {
    if (c->w->stopping) return;
    if (g_mode == MODE_GET) {
        send_request(c, K_GET);
    } else if (c->assignment_id > 0) {
        send_request(c, K_SUBMIT);
    } else {
        send_request(c, K_CLAIM);
    }
}

/* Pull "assignment_id" and "lease_token" out of a claim reply (flat string search is enough:
 * both keys are unique in the claim object). */
static int parse_claim(struct conn *c) {
    size_t n = evbuffer_get_length(c->body);
    char *s = (char *)evbuffer_pullup(c->body, -1);
    if (!s || n == 0) return -1;
    char *end = s + n;
    char *p = memmem(s, n, "\"assignment_id\"", 15);
    if (!p) return -1;
    p += 15;
    while (p < end && (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    char num[32];
    size_t k = 0;
    while (p < end && k < sizeof num - 1 && ((*p >= '0' && *p <= '9') || *p == '"')) {
        if (*p != '"') num[k++] = *p;
        p++;
    }
    num[k] = 0;
    if (k == 0) return -1;
    long aid = strtol(num, NULL, 10);
    char *q = memmem(s, n, "\"lease_token\"", 13);
    if (!q) return -1;
    q += 13;
    while (q < end && *q != '"') q++;
    if (q >= end) return -1;
    q++;
    k = 0;
    while (q < end && *q != '"' && k < sizeof c->lease - 1) c->lease[k++] = *q++;
    if (q >= end || *q != '"') return -1;
    c->lease[k] = 0;
    c->assignment_id = aid;
    return 0;
}

static void reply_done(struct conn *c) {
    struct stats *st = &c->w->st;
    uint64_t t = now_ns();
    uint64_t lat = t - c->t_send;
    int in_win = t >= g_win_start && t <= g_win_end;
    int ok = c->status >= 200 && c->status < 300;
    c->in_flight = 0;

    if (in_win) {
        if (ok) st->ok[c->kind]++;
        else st->bad[c->kind]++;
        lat_add(&st->all, lat);
        lat_add(&st->by[c->kind], lat);
    }
    if (!ok) log_bad(c, "non-2xx");

    switch (c->kind) {
    case K_CLAIM:
        c->assignment_id = 0;
        if (c->status == 200) {
            size_t n = evbuffer_get_length(c->body);
            st->claim_body_bytes += n;
            st->claim_bodies++;
            if (parse_claim(c) != 0) {
                st->parse_errors++;
                c->assignment_id = 0;
                log_bad(c, "unparsable claim reply");
            }
        } else if (c->status == 204) {
            if (in_win) st->empty_claims++;
        }
        break;
    case K_SUBMIT:
        if (ok && in_win) st->cycles++;
        c->assignment_id = 0; /* success or not, go back to claiming */
        break;
    default:
        break;
    }

    if (c->want_close) {
        /* server asked to close: reconnect */
        bufferevent_free(c->bev);
        c->bev = NULL;
        c->connected = 0;
        conn_start(c);
        return;
    }
    send_next(c);
}

/* Returns 1 when more input is needed, 0 when a reply was completed or the conn was reset. */
static void parse_input(struct conn *c) {
    struct evbuffer *in = bufferevent_get_input(c->bev);
    for (;;) {
        if (!c->in_flight) {
            /* unsolicited bytes: drop */
            evbuffer_drain(in, evbuffer_get_length(in));
            return;
        }
        switch (c->ps) {
        case PS_STATUS: {
            size_t len;
            char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
            if (!line) return;
            int maj, min, code;
            if (sscanf(line, "HTTP/%d.%d %d", &maj, &min, &code) != 3) {
                free(line);
                c->w->st.parse_errors++;
                c->status = 0;
                c->want_close = 1;
                reply_done(c);
                return;
            }
            if (maj == 1 && min == 0) c->want_close = 1; /* until keep-alive is seen */
            c->status = code;
            free(line);
            c->ps = PS_HEADERS;
            break;
        }
        case PS_HEADERS: {
            size_t len;
            char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
            if (!line) return;
            if (len == 0) {
                free(line);
                if (c->status == 204 || c->status == 304 || (c->status >= 100 && c->status < 200)) {
                    if (c->status < 200) { /* interim reply: wait for the real one */
                        c->ps = PS_STATUS;
                        break;
                    }
                    reply_done(c);
                    return;
                }
                if (c->chunked) c->ps = PS_CHUNK_SIZE;
                else if (c->clen >= 0) c->ps = PS_BODY_LEN;
                else { c->ps = PS_BODY_EOF; c->want_close = 1; }
                if (c->ps == PS_BODY_LEN && c->clen == 0) {
                    reply_done(c);
                    return;
                }
                break;
            }
            char *colon = strchr(line, ':');
            if (colon) {
                *colon = 0;
                char *v = colon + 1;
                while (*v == ' ' || *v == '\t') v++;
                if (!strcasecmp(line, "content-length")) c->clen = strtol(v, NULL, 10);
                else if (!strcasecmp(line, "transfer-encoding") && strcasestr(v, "chunked")) c->chunked = 1;
                else if (!strcasecmp(line, "connection")) {
                    if (strcasestr(v, "close")) c->want_close = 1;
                    else if (strcasestr(v, "keep-alive")) c->want_close = 0;
                }
            }
            free(line);
            break;
        }
        case PS_BODY_LEN: {
            size_t avail = evbuffer_get_length(in);
            if (avail == 0) return;
            size_t take = avail < (size_t)c->clen ? avail : (size_t)c->clen;
            if (c->kind == K_CLAIM || c->status >= 300) evbuffer_remove_buffer(in, c->body, take);
            else evbuffer_drain(in, take);
            c->clen -= (long)take;
            if (c->clen == 0) {
                reply_done(c);
                return;
            }
            break;
        }
        case PS_CHUNK_SIZE: {
            size_t len;
            char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
            if (!line) return;
            c->chunk_left = strtol(line, NULL, 16);
            free(line);
            c->ps = c->chunk_left == 0 ? PS_TRAILER : PS_CHUNK_DATA;
            break;
        }
        case PS_CHUNK_DATA: {
            size_t avail = evbuffer_get_length(in);
            if (avail == 0) return;
            size_t take = avail < (size_t)c->chunk_left ? avail : (size_t)c->chunk_left;
            if (c->kind == K_CLAIM || c->status >= 300) evbuffer_remove_buffer(in, c->body, take);
            else evbuffer_drain(in, take);
            c->chunk_left -= (long)take;
            if (c->chunk_left == 0) c->ps = PS_CHUNK_CRLF;
            break;
        }
        case PS_CHUNK_CRLF: {
            size_t len;
            char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
            if (!line) return;
            free(line);
            c->ps = PS_CHUNK_SIZE;
            break;
        }
        case PS_TRAILER: {
            size_t len;
            char *line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF);
            if (!line) return;
            free(line);
            if (len == 0) {
                reply_done(c);
                return;
            }
            break;
        }
        case PS_BODY_EOF: {
            size_t avail = evbuffer_get_length(in);
            if (avail == 0) return;
            if (c->kind == K_CLAIM || c->status >= 300) evbuffer_remove_buffer(in, c->body, avail);
            else evbuffer_drain(in, avail);
            return; /* completed by EOF in event_cb */
        }
        }
    }
}

static void read_cb(struct bufferevent *bev, void *arg) {
    (void)bev;
    parse_input((struct conn *)arg);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    conn_start((struct conn *)arg);
}

static void event_cb(struct bufferevent *bev, short events, void *arg) {
    struct conn *c = arg;
    if (events & BEV_EVENT_CONNECTED) {
        int one = 1;
        setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        c->connected = 1;
        send_next(c);
        return;
    }
    if (events & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (c->in_flight && c->ps == PS_BODY_EOF) {
            c->want_close = 1;
            reply_done(c); /* reconnects */
            return;
        }
        if (c->in_flight || !c->connected) {
            c->w->st.conn_errors++;
            if (c->w->st.conn_errors <= 3 || g_verbose) {
                int err = EVUTIL_SOCKET_ERROR();
                fprintf(stderr, "loadgen: connection %d: %s%s\n", c->id,
                        (events & BEV_EVENT_EOF) ? "closed by peer" : "error: ",
                        (events & BEV_EVENT_EOF) ? "" : evutil_socket_error_to_string(err));
            }
        }
        c->in_flight = 0;
        c->assignment_id = 0;
        bufferevent_free(c->bev);
        c->bev = NULL;
        c->connected = 0;
        if (c->w->stopping) return;
        /* back off a little so a dead server does not make us spin */
        struct timeval tv = {0, 20000};
        evtimer_add(c->retry_ev, &tv);
    }
}

static void conn_start(struct conn *c) {
    if (c->w->stopping) return;
    c->bev = bufferevent_socket_new(c->w->base, -1, BEV_OPT_CLOSE_ON_FREE);
    if (!c->bev) die("bufferevent_socket_new failed");
    bufferevent_setcb(c->bev, read_cb, NULL, event_cb, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
    c->connected = 0;
    c->in_flight = 0;
    struct sockaddr_in *to = g_nports ? &g_addrs[c->id % g_nports] : &g_addr;
    if (bufferevent_socket_connect(c->bev, (struct sockaddr *)to, sizeof *to) < 0) {
        bufferevent_free(c->bev);
        c->bev = NULL;
        c->w->st.conn_errors++;
        struct timeval tv = {0, 20000};
        evtimer_add(c->retry_ev, &tv);
    }
}

static void stop_cb(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    struct worker *w = arg;
    w->stopping = 1;
    event_base_loopbreak(w->base);
}

static void *worker_main(void *arg) {
    struct worker *w = arg;
    for (int i = 0; i < w->nconns; i++) conn_start(&w->conns[i]);
    event_base_dispatch(w->base);
    return NULL;
}

/* ---- reporting ---------------------------------------------------------------------------- */
static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(struct lat *l, double p) {
    if (l->n == 0) return 0.0;
    size_t i = (size_t)(p * (double)(l->n - 1) + 0.5);
    if (i >= l->n) i = l->n - 1;
    return (double)l->v[i] / 1e6;
}

static void lat_merge(struct lat *dst, struct lat *src) {
    for (size_t i = 0; i < src->n; i++) lat_add(dst, src->v[i]);
}

static void print_lat(const char *name, struct lat *l) {
    if (l->n == 0) return;
    qsort(l->v, l->n, sizeof *l->v, cmp_u64);
    uint64_t sum = 0;
    for (size_t i = 0; i < l->n; i++) sum += l->v[i];
    printf("latency %-7s n=%-9zu mean=%.3f ms  p50=%.3f ms  p90=%.3f ms  p99=%.3f ms  max=%.3f ms\n", name,
           l->n, (double)sum / (double)l->n / 1e6, pct_ms(l, 0.50), pct_ms(l, 0.90), pct_ms(l, 0.99),
           (double)l->v[l->n - 1] / 1e6);
}

/* ---- main --------------------------------------------------------------------------------- */
static void usage(void) {
    fprintf(stderr,
            "usage: loadgen --mode claim-submit|get --port P [--ports P1,P2,...] [--host 127.0.0.1]\n"
            "               [--connections C]\n"
            "               [--duration SECONDS] [--warmup SECONDS] [--threads T]\n"
            "               [--tokens FILE] [--project ID] [--label positive] [--path /url] [--verbose]\n"
            "  claim-submit needs --tokens (one worker bearer token per line; connection i uses line\n"
            "  i mod count) and --project; get uses --path and, if --tokens is given, sends a token.\n");
    exit(2);
}

static void load_tokens(const char *file) {
    FILE *f = fopen(file, "r");
    if (!f) die("cannot open %s: %s", file, strerror(errno));
    char line[4096];
    int cap = 0;
    while (fgets(line, sizeof line, f)) {
        size_t n = strcspn(line, "\r\n");
        line[n] = 0;
        if (n == 0) continue;
        if (g_ntokens == cap) {
            cap = cap ? cap * 2 : 64;
            g_tokens = realloc(g_tokens, (size_t)cap * sizeof *g_tokens);
            if (!g_tokens) die("out of memory");
        }
        g_tokens[g_ntokens++] = strdup(line);
    }
    fclose(f);
    if (g_ntokens == 0) die("no tokens in %s", file);
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && (i++, 1))
        if (ARG("--mode")) {
            if (!strcmp(v, "claim-submit")) g_mode = MODE_CLAIM_SUBMIT;
            else if (!strcmp(v, "get")) g_mode = MODE_GET;
            else usage();
        } else if (ARG("--host")) snprintf(g_host, sizeof g_host, "%s", v);
        else if (ARG("--port")) g_port = atoi(v);
        else if (ARG("--ports")) {
            for (const char *p = v; *p && g_nports < MAX_PORTS; p = strchr(p, ',') ? strchr(p, ',') + 1 : "")
                g_addrs[g_nports++].sin_port = htons((uint16_t)atoi(p));
            g_port = ntohs(g_addrs[0].sin_port);
        }
        else if (ARG("--connections") || ARG("-c")) g_conns = atoi(v);
        else if (ARG("--duration") || ARG("-d")) g_duration = atof(v);
        else if (ARG("--warmup")) g_warmup = atof(v);
        else if (ARG("--threads") || ARG("-t")) g_threads = atoi(v);
        else if (ARG("--tokens")) g_tokens_file = v;
        else if (ARG("--project")) g_project = atol(v);
        else if (ARG("--label")) g_label = v;
        else if (ARG("--path")) g_path = v;
        else if (!strcmp(a, "--verbose") || !strcmp(a, "-v")) g_verbose = 1;
        else usage();
#undef ARG
    }
    if (g_port <= 0 || g_port > 65535 || g_conns <= 0 || g_threads <= 0 || g_duration <= 0 || g_warmup < 0)
        usage();
    if (g_mode == MODE_CLAIM_SUBMIT && (!g_tokens_file || g_project <= 0)) usage();
    if (g_tokens_file) load_tokens(g_tokens_file);
    if (g_threads > g_conns) g_threads = g_conns;
    signal(SIGPIPE, SIG_IGN);

    memset(&g_addr, 0, sizeof g_addr);
    g_addr.sin_family = AF_INET;
    g_addr.sin_port = htons((uint16_t)g_port);
    if (inet_pton(AF_INET, g_host, &g_addr.sin_addr) != 1) die("--host must be an IPv4 address");
    for (int i = 0; i < g_nports; i++) {
        if (!g_addrs[i].sin_port) usage();
        g_addrs[i].sin_family = AF_INET;
        g_addrs[i].sin_addr = g_addr.sin_addr;
    }

    struct worker *ws = calloc((size_t)g_threads, sizeof *ws);
    struct conn *cs = calloc((size_t)g_conns, sizeof *cs);
    if (!ws || !cs) die("out of memory");

    g_t0 = now_ns();
    g_win_start = g_t0 + (uint64_t)(g_warmup * 1e9);
    g_win_end = g_win_start + (uint64_t)(g_duration * 1e9);
    double total = g_warmup + g_duration;
    struct timeval stop_tv = {(time_t)total, (suseconds_t)((total - (double)(time_t)total) * 1e6)};

    int per = g_conns / g_threads, extra = g_conns % g_threads, next = 0;
    for (int t = 0; t < g_threads; t++) {
        struct worker *w = &ws[t];
        w->idx = t;
        w->base = event_base_new();
        if (!w->base) die("event_base_new failed");
        w->nconns = per + (t < extra ? 1 : 0);
        w->conns = &cs[next];
        for (int i = 0; i < w->nconns; i++) {
            struct conn *c = &w->conns[i];
            c->w = w;
            c->id = next + i;
            c->token = g_ntokens ? g_tokens[(next + i) % g_ntokens] : NULL;
            c->body = evbuffer_new();
            c->retry_ev = evtimer_new(w->base, retry_cb, c);
        }
        next += w->nconns;
        w->stop_ev = evtimer_new(w->base, stop_cb, w);
        evtimer_add(w->stop_ev, &stop_tv);
    }
    if (g_mode == MODE_CLAIM_SUBMIT && g_ntokens < g_conns)
        fprintf(stderr, "loadgen: warning: %d tokens for %d connections; tokens are shared\n", g_ntokens,
                g_conns);

    for (int t = 0; t < g_threads; t++)
        if (pthread_create(&ws[t].th, NULL, worker_main, &ws[t]) != 0) die("pthread_create failed");
    for (int t = 0; t < g_threads; t++) pthread_join(ws[t].th, NULL);

    /* merge */
    struct stats s;
    memset(&s, 0, sizeof s);
    for (int t = 0; t < g_threads; t++) {
        struct stats *x = &ws[t].st;
        for (int k = 0; k < K_COUNT; k++) {
            s.ok[k] += x->ok[k];
            s.bad[k] += x->bad[k];
            lat_merge(&s.by[k], &x->by[k]);
        }
        lat_merge(&s.all, &x->all);
        s.empty_claims += x->empty_claims;
        s.cycles += x->cycles;
        s.conn_errors += x->conn_errors;
        s.parse_errors += x->parse_errors;
        s.claim_body_bytes += x->claim_body_bytes;
        s.claim_bodies += x->claim_bodies;
    }
    uint64_t reqs = 0, non2xx = 0;
    for (int k = 0; k < K_COUNT; k++) {
        reqs += s.ok[k] + s.bad[k];
        non2xx += s.bad[k];
    }
    double d = g_duration;
    printf("mode=%s host=%s port=%d servers=%d connections=%d threads=%d duration=%.2fs warmup=%.2fs\n",
           g_mode == MODE_GET ? "get" : "claim-submit", g_host, g_port, g_nports ? g_nports : 1, g_conns,
           g_threads, g_duration, g_warmup);
    if (g_mode == MODE_CLAIM_SUBMIT)
        printf("cycles    %-10llu %.1f/s\n", (unsigned long long)s.cycles, (double)s.cycles / d);
    printf("requests  %-10llu %.1f/s  non-2xx=%llu  connection-errors=%llu  parse-errors=%llu\n",
           (unsigned long long)reqs, (double)reqs / d, (unsigned long long)non2xx,
           (unsigned long long)s.conn_errors, (unsigned long long)s.parse_errors);
    if (g_mode == MODE_CLAIM_SUBMIT) {
        printf("claims    ok=%llu (of which 204 empty=%llu) non-2xx=%llu; submits ok=%llu non-2xx=%llu\n",
               (unsigned long long)s.ok[K_CLAIM], (unsigned long long)s.empty_claims,
               (unsigned long long)s.bad[K_CLAIM], (unsigned long long)s.ok[K_SUBMIT],
               (unsigned long long)s.bad[K_SUBMIT]);
        if (s.claim_bodies)
            printf("claim reply body: %.1f bytes on average over %llu replies\n",
                   (double)s.claim_body_bytes / (double)s.claim_bodies, (unsigned long long)s.claim_bodies);
    }
    print_lat("all", &s.all);
    if (g_mode == MODE_CLAIM_SUBMIT) {
        print_lat("claim", &s.by[K_CLAIM]);
        print_lat("submit", &s.by[K_SUBMIT]);
    }
    printf("RESULT mode=%s connections=%d duration=%.2f cycles=%llu cycles_per_s=%.1f requests=%llu "
           "requests_per_s=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f non2xx=%llu conn_errors=%llu "
           "empty_claims=%llu claim_body_avg=%.0f\n",
           g_mode == MODE_GET ? "get" : "claim-submit", g_conns, d, (unsigned long long)s.cycles,
           (double)s.cycles / d, (unsigned long long)reqs, (double)reqs / d, pct_ms(&s.all, 0.50),
           pct_ms(&s.all, 0.90), pct_ms(&s.all, 0.99), (unsigned long long)non2xx,
           (unsigned long long)s.conn_errors, (unsigned long long)s.empty_claims,
           s.claim_bodies ? (double)s.claim_body_bytes / (double)s.claim_bodies : 0.0);

    for (int i = 0; i < g_conns; i++) {
        if (cs[i].bev) bufferevent_free(cs[i].bev);
        if (cs[i].body) evbuffer_free(cs[i].body);
        if (cs[i].retry_ev) event_free(cs[i].retry_ev);
    }
    for (int t = 0; t < g_threads; t++) {
        event_free(ws[t].stop_ev);
        event_base_free(ws[t].base);
    }
    return (reqs == 0) ? 1 : 0;
}
