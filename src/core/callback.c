/* Signing and address checks for result callbacks. */
#include "core/callback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static void hmac_hex(const unsigned char *key, size_t key_len, const void *msg1, size_t n1, const void *msg2,
                     size_t n2, char out[CALLBACK_HEX])
{
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, key, key_len);
    crypto_auth_hmacsha256_update(&st, msg1, n1);
    if (n2) crypto_auth_hmacsha256_update(&st, msg2, n2);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(out, CALLBACK_HEX, mac, sizeof mac);
}

void callback_secret(const unsigned char key[CALLBACK_KEY_BYTES], int64_t project_id, char out[CALLBACK_HEX])
{
    char msg[64];
    int n = snprintf(msg, sizeof msg, "fairlabel callback v1 %lld", (long long)project_id);
    hmac_hex(key, CALLBACK_KEY_BYTES, msg, (size_t)n, NULL, 0, out);
}

void callback_signature(const char *secret, int64_t t_ms, const char *body, size_t len, char *out, size_t cap)
{
    char prefix[32], hex[CALLBACK_HEX];
    int n = snprintf(prefix, sizeof prefix, "%lld.", (long long)t_ms);
    crypto_auth_hmacsha256_state st;
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)secret, strlen(secret));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)prefix, (size_t)n);
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)body, len);
    crypto_auth_hmacsha256_final(&st, mac);
    sodium_bin2hex(hex, sizeof hex, mac, sizeof mac);
    snprintf(out, cap, "t=%lld,v1=%s", (long long)t_ms, hex);
}

static bool v4_public(uint32_t a) /* host order */
{
    unsigned b0 = a >> 24, b1 = (a >> 16) & 255;
    if (b0 == 0 || b0 == 10 || b0 == 127 || b0 >= 224) return false;      /* this, private, loopback, multicast+ */
    if (b0 == 100 && b1 >= 64 && b1 < 128) return false;                   /* CGNAT 100.64/10 */
    if (b0 == 169 && b1 == 254) return false;                              /* link-local */
    if (b0 == 172 && b1 >= 16 && b1 < 32) return false;                    /* 172.16/12 */
    if (b0 == 192 && b1 == 168) return false;                              /* 192.168/16 */
    if (b0 == 192 && b1 == 0 && ((a >> 8) & 255) == 0) return false;       /* 192.0.0/24 */
    if (b0 == 198 && (b1 == 18 || b1 == 19)) return false;                 /* benchmarking */
    return true;
}

bool callback_address_public(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET) return v4_public(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
    if (sa->sa_family != AF_INET6) return false;
    const unsigned char *b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(b, mapped, 12)) return v4_public((uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 | (uint32_t)b[14] << 8 | b[15]);
    static const unsigned char zero[15] = {0};
    if (!memcmp(b, zero, 15) && (b[15] == 0 || b[15] == 1)) return false; /* :: and ::1 */
    if ((b[0] & 0xfe) == 0xfc) return false;                             /* fc00::/7 unique local */
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return false;             /* fe80::/10 link-local */
    if (b[0] == 0xff) return false;                                      /* multicast */
    return true;
}

const char *callback_url_problem(const char *url, bool allow_private)
{
    size_t n = strlen(url);
    if (n == 0 || n > 2000) return "the URL must have 1 to 2000 bytes";
    const char *host = !strncmp(url, "https://", 8) ? url + 8 : !strncmp(url, "http://", 7) ? url + 7 : NULL;
    if (!host) return "the URL must start with https:// or http://";
    for (const char *p = url; *p; p++)
        if ((unsigned char)*p <= ' ' || *p == 0x7f) return "the URL may not contain spaces or control characters";
    size_t hl = strcspn(host, "/?#");
    if (memchr(host, '@', hl)) return "the URL may not carry a user name or password";
    if (hl == 0) return "the URL has no host";
    char h[256];
    const char *start = host;
    size_t len = hl;
    if (*host == '[') { /* [v6]:port */
        const char *end = memchr(host, ']', hl);
        if (!end) return "the URL's IPv6 host is not closed with ]";
        start = host + 1;
        len = (size_t)(end - start);
    } else {
        const char *colon = memchr(host, ':', hl);
        if (colon) len = (size_t)(colon - host);
    }
    if (len == 0 || len >= sizeof h) return "the URL's host is empty or too long";
    memcpy(h, start, len);
    h[len] = '\0';
    if (allow_private) return NULL;
    if (!strcasecmp(h, "localhost") || (len > 10 && !strcasecmp(h + len - 10, ".localhost")))
        return "the URL points at this machine (loopback); an admin must allow private addresses for this project";
    struct sockaddr_in v4 = {.sin_family = AF_INET};
    struct sockaddr_in6 v6 = {.sin6_family = AF_INET6};
    if ((inet_pton(AF_INET, h, &v4.sin_addr) == 1 && !callback_address_public((struct sockaddr *)&v4)) ||
        (inet_pton(AF_INET6, h, &v6.sin6_addr) == 1 && !callback_address_public((struct sockaddr *)&v6)))
        return "the URL points at a loopback, private or reserved address; an admin must allow private addresses "
               "for this project";
    return NULL;
}

int64_t callback_backoff_ms(int64_t attempts, int64_t unit_ms)
{
    int64_t s = 5;
    for (int64_t i = 1; i < attempts && s < 3600; i++) s *= 2;
    if (s > 3600) s = 3600;
    return s * unit_ms;
}
