/* The in-process server the route harnesses drive (fuzz_server.h). */
#include "fuzz/fuzz_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli/cli_db.h"
#include "cli/commands.h"
#include "http/server.h"
#include "util/log.h"
#include "util/tokens.h"

#define REPLY_MAX ((size_t)4 << 20)

static const struct {
    unsigned role;
    const char *email;
} demo_logins[] = {
    {ROLE_ADMIN, "admin@example.org"},         {ROLE_REQUESTER, "requester@example.org"},
    {ROLE_REVIEWER, "reviewer@example.org"},   {ROLE_SUPPORT, "support@example.org"},
    {ROLE_WORKER, "worker@example.org"},
};
#define N_LOGINS (sizeof demo_logins / sizeof *demo_logins)

static char data_dir[64], db_url[128], listen_addr[64];
static struct sockaddr_in server_addr;
static struct server_config cfg;
static char tokens[N_LOGINS][TOKEN_TEXT_MAX];
static bool started;

static void remove_data_dir(void)
{
    static const char *const names[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm", "fuzz.db-journal"};
    char path[128];
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        snprintf(path, sizeof path, "%s/%s", data_dir, names[i]);
        unlink(path);
    }
    rmdir(data_dir);
}

static void *server_main(void *arg)
{
    (void)arg;
    if (server_run(&cfg)) {
        fprintf(stderr, "fuzz: the server did not start\n");
        abort();
    }
    return NULL;
}

/* A free loopback port: bound, read back and released (the server binds it a moment later). */
static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sin;
    if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof sin) || getsockname(fd, (struct sockaddr *)&sin, &len))
        abort();
    close(fd);
    return ntohs(sin.sin_port);
}

static bool send_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t k = send(fd, c, n, MSG_NOSIGNAL);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) return false;
        c += k;
        n -= (size_t)k;
    }
    return true;
}

/* One request on a fresh connection; -1 when the server is not reachable (only while starting). */
static int request(const char *method, const char *target, const char *token, const char *content_type,
                   const void *body, size_t len, char *reply, size_t cap, bool may_fail)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = {FZ_REPLY_TIMEOUT_S, 0};
    if (fd < 0) abort();
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1; /* head and body go in two writes: without this, Nagle holds the body back 40 ms */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&server_addr, sizeof server_addr)) {
        close(fd);
        if (may_fail) return -1;
        fprintf(stderr, "fuzz: cannot connect to the server: %s\n", strerror(errno));
        abort();
    }
    char head[8192];
    int hn = snprintf(head, sizeof head,
                      "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\nContent-Length: %zu\r\n%s%s%s%s%s%s\r\n",
                      method, target, listen_addr, len, token ? "Authorization: Bearer " : "", token ? token : "",
                      token ? "\r\n" : "", content_type ? "Content-Type: " : "", content_type ? content_type : "",
                      content_type ? "\r\n" : "");
    if (hn < 0 || (size_t)hn >= sizeof head) abort();
    /* The server may answer (413, 401…) and close before reading the whole body: read the reply anyway. */
    if (send_all(fd, head, (size_t)hn) && len) send_all(fd, body, len);
    char *buf = malloc(REPLY_MAX + 1);
    size_t got = 0;
    if (!buf) abort();
    for (;;) {
        char chunk[65536];
        ssize_t k = recv(fd, chunk, sizeof chunk, 0);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            fprintf(stderr, "fuzz: no reply to %s %s within %d s (%s)\n", method, target, FZ_REPLY_TIMEOUT_S,
                    strerror(errno));
            abort();
        }
        if (k == 0) break;
        size_t take = (size_t)k < REPLY_MAX - got ? (size_t)k : REPLY_MAX - got;
        memcpy(buf + got, chunk, take);
        got += take;
    }
    close(fd);
    buf[got] = '\0';
    int status = 0;
    if (got < 12 || strncmp(buf, "HTTP/1.", 7) || sscanf(buf + 9, "%3d", &status) != 1 || status < 100 ||
        status > 599) {
        free(buf);
        if (may_fail) return -1;
        fprintf(stderr, "fuzz: %s %s got no well-formed HTTP reply (%zu bytes)\n", method, target, got);
        abort();
    }
    if (reply && cap) {
        const char *b = strstr(buf, "\r\n\r\n");
        snprintf(reply, cap, "%s", b ? b + 4 : "");
    }
    free(buf);
    return status;
}

int fz_request(const char *method, const char *target, const char *token, const char *content_type,
               const void *body, size_t len, char *reply, size_t cap)
{
    return request(method, target, token, content_type, body, len, reply, cap, false);
}

const char *fz_token(unsigned role)
{
    for (size_t i = 0; i < N_LOGINS; i++)
        if (demo_logins[i].role == role) return tokens[i];
    return NULL;
}

static void sign_in(size_t i)
{
    char body[256], reply[4096];
    snprintf(body, sizeof body, "{\"email\":\"%s\",\"password\":\"fairlabel-demo\"}", demo_logins[i].email);
    int status = fz_request("POST", "/api/v1/auth/login", NULL, "application/json", body, strlen(body), reply,
                            sizeof reply);
    json_t *j = json_loads(reply, 0, NULL);
    const char *t = json_string_value(json_object_get(j, "token"));
    if (status != 200 || !t || strlen(t) >= TOKEN_TEXT_MAX) {
        fprintf(stderr, "fuzz: signing in %s: %d %s\n", demo_logins[i].email, status, reply);
        abort();
    }
    snprintf(tokens[i], sizeof tokens[i], "%s", t);
    json_decref(j);
}

void fz_server_start(void)
{
    if (started) return;
    started = true;
    if (tokens_init(2)) abort();
    /* In memory when /dev/shm exists: every write fsyncs (synchronous=FULL), which a disk makes slow. */
    snprintf(data_dir, sizeof data_dir, "%s", access("/dev/shm", W_OK) ? "/tmp/fairlabel-fuzz.XXXXXX"
                                                                       : "/dev/shm/fairlabel-fuzz.XXXXXX");
    if (!mkdtemp(data_dir)) abort();
    atexit(remove_data_dir);
    snprintf(db_url, sizeof db_url, "sqlite:%s/fuzz.db", data_dir);
    db *d = cli_db_open(db_url, data_dir);
    if (!d) abort();
    /* The demo's users (every role) and its published project with 20 tasks and funded escrow. */
    int rc = cli_demo(d);
    db_close(d);
    if (rc) abort();

    int port = free_port();
    snprintf(listen_addr, sizeof listen_addr, "127.0.0.1:%d", port);
    server_addr = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                       .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cfg = (struct server_config){
        .db_url = db_url, .listen = listen_addr, .data_dir = data_dir, .threads = 1, .hash_threads = 2,
        .login_max_failures = 5, .login_max_failures_ip = 1000000, .login_window_ms = 900000,
        .session_ttl_ms = 7 * 86400000LL, .callback_unit_ms = 1000, .fee_bps = 1000, .worker_fee_bps = 0,
    };
    randombytes_buf(cfg.secret_key, sizeof cfg.secret_key);
    log_access_enabled = false;
    pthread_t t;
    if (pthread_create(&t, NULL, server_main, NULL)) abort();
    pthread_detach(t);
    /* Polls until it answers, with a deadline. */
    int status = -1;
    for (int i = 0; i < 200 && status != 200; i++) {
        status = request("GET", "/healthz", NULL, NULL, NULL, 0, NULL, 0, true);
        if (status != 200) usleep(50000);
    }
    if (status != 200) {
        fprintf(stderr, "fuzz: the server did not answer /healthz within 10 s\n");
        abort();
    }
    for (size_t i = 0; i < N_LOGINS; i++) sign_in(i);
    /* The worker holds a lease, so the assignment routes have an assignment to act on. */
    char reply[4096];
    fz_request("POST", "/api/v1/projects/1/claim", fz_token(ROLE_WORKER), "application/json", "{}", 2, reply,
               sizeof reply);
}
