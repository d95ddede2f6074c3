/* Secrets: random tokens (base64url), their stored hashes, and argon2id passwords. */
#ifndef FL_TOKENS_H
#define FL_TOKENS_H
#include <stdbool.h>
#include <stddef.h>

#define TOKEN_BYTES 32
#define TOKEN_TEXT_MAX 64   /* base64url of 32 bytes is 43 chars, plus prefix */
#define TOKEN_HASH_HEX 65   /* 32-byte BLAKE2b as hex + NUL */
#define PASSWORD_HASH_MAX 128

int tokens_init(int max_concurrent_hashes);
/* Writes prefix + base64url(32 random bytes) into out. */
void token_new(const char *prefix, char out[TOKEN_TEXT_MAX]);
/* Hex of a keyed-free BLAKE2b-256 of the token; what the database stores. */
void token_hash(const char *token, char out[TOKEN_HASH_HEX]);
bool token_equal(const char *a, const char *b);
/* argon2id at libsodium's interactive limits. Returns 0, -1 on failure, -2 when too many hashes
 * are already running (the caller answers 503). */
int password_hash(const char *pw, char out[PASSWORD_HASH_MAX]);
/* 1 match, 0 mismatch, -2 busy. */
int password_verify(const char *stored, const char *pw);
/* Spends the same time as password_verify against a hash no password matches; returns 0 or -2. */
int password_verify_dummy(const char *pw);

#endif
