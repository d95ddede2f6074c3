/* Tokens and passwords (see tokens.h). */
#include "util/tokens.h"

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

static sem_t hash_slots;
static int hash_slots_ready;

int tokens_init(int max_concurrent_hashes)
{
    if (sodium_init() < 0) return -1;
    if (!hash_slots_ready) {
        if (sem_init(&hash_slots, 0, (unsigned)(max_concurrent_hashes > 0 ? max_concurrent_hashes : 2)))
            return -1;
        hash_slots_ready = 1;
    }
    return 0;
}

void token_new(const char *prefix, char out[TOKEN_TEXT_MAX])
{
    unsigned char raw[TOKEN_BYTES];
    randombytes_buf(raw, sizeof raw);
    size_t pl = strlen(prefix);
    memcpy(out, prefix, pl);
    sodium_bin2base64(out + pl, TOKEN_TEXT_MAX - pl, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void token_hash(const char *token, char out[TOKEN_HASH_HEX])
{
    unsigned char h[32];
    crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
    sodium_bin2hex(out, TOKEN_HASH_HEX, h, sizeof h);
}

bool token_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && sodium_memcmp(a, b, n) == 0;
}

/* Waits up to two seconds for a hashing slot: argon2id takes 64 MiB each, so a login flood
 * must queue or be refused rather than exhaust memory. */
static int slot_take(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 2;
    while (sem_timedwait(&hash_slots, &ts) != 0)
        if (errno != EINTR) return -2;
    return 0;
}

int password_hash(const char *pw, char out[PASSWORD_HASH_MAX])
{
    if (slot_take()) return -2;
    int rc = crypto_pwhash_str_alg(out, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                   crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13);
    sem_post(&hash_slots);
    return rc == 0 ? 0 : -1;
}

int password_verify(const char *stored, const char *pw)
{
    if (slot_take()) return -2;
    int rc = crypto_pwhash_str_verify(stored, pw, strlen(pw));
    sem_post(&hash_slots);
    return rc == 0;
}

static char dummy_hash[PASSWORD_HASH_MAX];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_init(void)
{
    char pw[TOKEN_TEXT_MAX];
    token_new("", pw);
    if (crypto_pwhash_str_alg(dummy_hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13))
        dummy_hash[0] = '\0'; /* out of memory: verification then fails fast */
}

int password_verify_dummy(const char *pw)
{
    pthread_once(&dummy_once, dummy_init);
    int rc = password_verify(dummy_hash, pw);
    return rc == -2 ? -2 : 0;
}
