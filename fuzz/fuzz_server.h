/* The real fairlabel server, in the harness's process: started once on a fresh temporary SQLite
 * database seeded with the demo users and project, then driven over a loopback socket, so fuzzed
 * bodies reach the real handlers through evhttp, routing, authentication and store_run. */
#ifndef FL_FUZZ_SERVER_H
#define FL_FUZZ_SERVER_H
#include <stddef.h>

#include "http/req.h"

/* Starts the server (first call only) and signs in every demo role; aborts when it cannot. */
void fz_server_start(void);
/* The bearer token of the demo user with that ROLE_* bit. */
const char *fz_token(unsigned role);
/* Sends one request and waits for the whole reply (the connection closes after it); returns the
 * HTTP status. Aborts when no well-formed reply arrives within FZ_REPLY_TIMEOUT_S: a handler that
 * never answers is a bug. token and content_type may be NULL. The reply body (NUL-terminated,
 * truncated to cap) goes to reply when given. */
#define FZ_REPLY_TIMEOUT_S 30
int fz_request(const char *method, const char *target, const char *token, const char *content_type,
               const void *body, size_t len, char *reply, size_t cap);

#endif
