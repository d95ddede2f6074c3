/* Result callbacks: the per-project signing secret, the signature header, which addresses a
 * callback may reach, and the retry schedule. Pure: no I/O. */
#ifndef FL_CALLBACK_H
#define FL_CALLBACK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CALLBACK_KEY_BYTES 32
#define CALLBACK_HEX 65 /* 64 hex digits and a NUL */
#define CALLBACK_GIVE_UP_MS (24 * 3600 * 1000LL)

/* The project's secret: hex HMAC-SHA256 under the server key of "fairlabel callback v1 <project id>".
 * Derived, so the database never holds it; servers sharing a database must share the key. */
void callback_secret(const unsigned char key[CALLBACK_KEY_BYTES], int64_t project_id, char out[CALLBACK_HEX]);

/* The X-Fairlabel-Signature header value "t=<ms>,v1=<hex>" where hex is HMAC-SHA256 keyed with the
 * secret's text of "<ms>.<body>" (the receiver recomputes it and rejects stale t). */
void callback_signature(const char *secret, int64_t t_ms, const char *body, size_t len, char *out, size_t cap);

/* false for loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, unspecified, multicast and
 * other reserved addresses, including IPv4 mapped into IPv6. */
bool callback_address_public(const struct sockaddr *sa);
/* Checks a URL's shape: http or https, a host, at most 2,000 bytes, no user info. When the host is
 * a literal IP address, also that it is public (unless allow_private). NULL when fine, else why. */
const char *callback_url_problem(const char *url, bool allow_private);

/* Delay before attempt n+1 after n failed attempts: 5 s doubling to an hour, times unit_ms / 1000
 * (tests shrink it). */
int64_t callback_backoff_ms(int64_t attempts, int64_t unit_ms);

#endif
