/* Requester API keys: created once (the key is shown only then), listed, revoked. Only hashes are
 * stored. */
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/tokens.h"

struct key_ctx {
    arena *a;
    int64_t user_id, id, now;
    const char *name, *prefix, *hash;
    struct api_key *items;
    int n;
    bool missing;
};

static tx_rc create_tx(db *d, void *vctx)
{
    struct key_ctx *c = vctx;
    TX_CHECK(store_apikey_insert(d, c->user_id, c->name, c->prefix, c->hash, c->now, &c->id));
    char detail[64];
    snprintf(detail, sizeof detail, "{\"key_id\":%lld}", (long long)c->id);
    TX_CHECK(store_audit_append(d, c->now, c->user_id, "apikey.create", c->prefix, detail));
    return TX_COMMIT;
}

void apikeys_create(req *r)
{
    json_t *body;
    static const char *const keys[] = {"name", NULL};
    struct verr e;
    struct key_ctx c = {.user_id = r->user.id, .now = clock_now_ms()};
    if (req_json_object(r, keys, &body) != RES_OK) return;
    if (!json_req_string(body, "name", 1, 100, &c.name, &e)) {
        reply_error(r, ERR_INVALID_FIELD, e.field, "%s", e.detail);
        return;
    }
    char key[TOKEN_TEXT_MAX], hash[TOKEN_HASH_HEX];
    token_new("flk_", key);
    token_hash(key, hash);
    c.hash = hash;
    c.prefix = arena_strndup(r->a, key, 12);
    store_rc rc = store_run(r->db, true, create_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)c.id, "name", c.name, "key", key,
                                 "prefix", c.prefix, "created_at", json_time(c.now)));
}

static tx_rc list_tx(db *d, void *vctx)
{
    struct key_ctx *c = vctx;
    TX_CHECK(store_apikey_list(d, c->a, c->user_id, &c->items, &c->n));
    return TX_COMMIT;
}

void apikeys_list(req *r)
{
    struct key_ctx c = {.a = r->a, .user_id = r->user.id};
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < c.n; i++) {
        const struct api_key *k = &c.items[i];
        json_array_append_new(items, json_pack("{s:I, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)k->id, "name",
                                               k->name, "prefix", k->prefix, "created_at", json_time(k->created_at),
                                               "last_used_at", json_time_or_null(k->last_used_at), "revoked_at",
                                               json_time_or_null(k->revoked_at)));
    }
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}

static tx_rc revoke_tx(db *d, void *vctx)
{
    struct key_ctx *c = vctx;
    db_rc rc = store_apikey_revoke(d, c->id, c->user_id, c->now);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->missing = true;
        return TX_ROLLBACK;
    }
    char detail[64];
    snprintf(detail, sizeof detail, "{\"key_id\":%lld}", (long long)c->id);
    TX_CHECK(store_audit_append(d, c->now, c->user_id, "apikey.revoke", "api_key", detail));
    return TX_COMMIT;
}

void apikeys_revoke(req *r)
{
    struct key_ctx c = {.user_id = r->user.id, .id = r->id, .now = clock_now_ms()};
    store_rc rc = store_run(r->db, true, revoke_tx, &c);
    if (c.missing) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no API key %lld", (long long)r->id);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_empty(r, 204);
}
