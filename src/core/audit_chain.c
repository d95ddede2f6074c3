/* Audit hash chain (see audit_chain.h). */
#include "core/audit_chain.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* Each field as a netstring ("5:hello,"), so no two different rows share an encoding. */
static void feed(crypto_hash_sha256_state *st, const char *s)
{
    char len[24];
    size_t n = strlen(s);
    snprintf(len, sizeof len, "%zu:", n);
    crypto_hash_sha256_update(st, (const unsigned char *)len, strlen(len));
    crypto_hash_sha256_update(st, (const unsigned char *)s, n);
    crypto_hash_sha256_update(st, (const unsigned char *)",", 1);
}

void audit_chain_hash(const char *prev_hash, int64_t id, int64_t at, int64_t actor_id, const char *action,
                      const char *target, const char *detail, char out[AUDIT_HASH_HEX])
{
    char num[64];
    crypto_hash_sha256_state st;
    crypto_hash_sha256_init(&st);
    feed(&st, prev_hash);
    snprintf(num, sizeof num, "%lld", (long long)id);
    feed(&st, num);
    snprintf(num, sizeof num, "%lld", (long long)at);
    feed(&st, num);
    snprintf(num, sizeof num, "%lld", (long long)actor_id);
    feed(&st, num);
    feed(&st, action);
    feed(&st, target);
    feed(&st, detail);
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_final(&st, h);
    sodium_bin2hex(out, AUDIT_HASH_HEX, h, sizeof h);
}
