/* The audit log's hash chain: each entry's hash covers its fields and the previous entry's hash,
 * so an edited, inserted or deleted row breaks every later link. */
#ifndef FL_AUDIT_CHAIN_H
#define FL_AUDIT_CHAIN_H
#include <stdint.h>

#define AUDIT_HASH_HEX 65
#define AUDIT_GENESIS "0000000000000000000000000000000000000000000000000000000000000000"

/* hex(SHA-256 of the netstrings of prev_hash, id, at, actor_id, action, target, detail), numbers in
 * decimal: "64:<prev>,1:7,13:1700000000000,1:0,…" */
void audit_chain_hash(const char *prev_hash, int64_t id, int64_t at, int64_t actor_id, const char *action,
                      const char *target, const char *detail, char out[AUDIT_HASH_HEX]);

#endif
