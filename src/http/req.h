/* One HTTP request as handlers see it: the route that matched, the caller, the body, and an arena
 * freed when the reply is done. Handlers reply exactly once through reply.h. */
#ifndef FL_REQ_H
#define FL_REQ_H
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "http/errors.h"
#include "store/store.h"
#include "util/arena.h"

enum {
    ROLE_ADMIN = 1 << 0,
    ROLE_REQUESTER = 1 << 1,
    ROLE_REVIEWER = 1 << 2,
    ROLE_SUPPORT = 1 << 3,
    ROLE_WORKER = 1 << 4,
};
#define ROLES_PUBLIC 0u
#define ROLES_SIGNED_IN (ROLE_ADMIN | ROLE_REQUESTER | ROLE_REVIEWER | ROLE_SUPPORT | ROLE_WORKER)

unsigned role_bit(const char *role);

struct server_config {
    const char *db_url, *listen, *data_dir;
    int threads, hash_threads;
    int login_max_failures, login_max_failures_ip;
    int64_t login_window_ms, session_ttl_ms;
    unsigned char secret_key[32]; /* util/secret_key.h */
    int64_t callback_unit_ms;     /* retry backoff unit; 1000 in production, smaller in tests */
    int64_t fee_bps, worker_fee_bps; /* api/pay_flow.h */
    bool test_clock;              /* FAIRLABEL_TEST_CLOCK=1: an admin may move the clock (tests only) */
};

typedef struct req req;
typedef void (*route_handler)(req *r);

struct route {
    const char *method;
    const char *pattern; /* "{id}" matches a decimal id, "{name}" one path segment, "{path}" the rest */
    route_handler handler;
    unsigned roles;      /* ROLES_PUBLIC or a mask of ROLE_* */
    size_t max_body;
};

struct req {
    struct evhttp_request *ev;
    const struct server_config *cfg;
    db *db;
    arena *a;
    const struct route *route;
    enum evhttp_cmd_type method;
    const char *path;
    int64_t id;        /* the {id} of the path, when the pattern has one */
    const char *param; /* the string placeholder of the path ({media_id}, {path}) */
    struct evkeyvalq query;
    const char *body;
    size_t body_len;
    /* the caller */
    bool authed, via_cookie;
    struct user user;
    unsigned role;
    const char *token_hash; /* session token hash, for logout */
    const char *csrf_hash;  /* the session's CSRF token hash (cookie sessions) */
    /* bookkeeping */
    char id_text[32];
    const char *client_addr;
    uint64_t started_ns;
    int status;
    struct event_base *base;
    bool replied, pending, gone;
};

/* Tri-state for helpers that may already have replied (Taler style). */
typedef enum { RES_OK, RES_REPLIED } res;

/* Parses the JSON body into *out (freed with the arena); replies 400/415 itself on failure. */
res req_json_body(req *r, json_t **out);
/* req_json_body, then a JSON object with no keys but those in keys (NULL-terminated); replies 422 naming the
 * field otherwise. */
res req_json_object(req *r, const char *const *keys, json_t **out);
/* The body of a human decision, {FIELD: a | b, note} (or {note} when field is NULL): the note is required
 * and not blank, since the person affected reads it and it is audited. Replies 422 naming the field itself. */
res req_decision_body(req *r, const char *field, const char *a, const char *b, const char **choice, const char **note);
const char *req_query(req *r, const char *name);
/* Reads ?after_id= and ?limit= (1..max, default dflt); replies 400 itself when malformed. */
res req_page(req *r, int64_t *after, int *limit, int dflt, int max);
/* ?name=ID when given: a positive integer into *out (left alone when absent); 400 BAD_QUERY otherwise. */
res req_query_id(req *r, const char *name, int64_t *out);
const char *req_header(req *r, const char *name);
/* Ends a request: access log and arena. */
void req_finish(req *r);
/* A handler that replies later (after pool work, or streaming) sets r->pending; it then calls
 * req_pending_end once, after its reply or when the peer is gone. Shutdown waits for these. */
void req_pending_end(req *r);
/* For work finished off the loop: req_defer before handing r away; req_resume when back on the
 * loop returns false when the client disconnected meanwhile (r is then finished: do not touch it). */
void req_defer(req *r);
bool req_resume(req *r);
/* Runs work(arg) on the worker pool, then done(arg) back on this loop; done starts with req_resume
 * and ends with req_pending_end. When the pool's queue is full it replies 503 itself. */
void req_offload(req *r, void (*work)(void *), void (*done)(void *), void *arg);

#endif
