/* Admin user management: create accounts of any role, list them. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "api/api.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/clock.h"
#include "util/tokens.h"

json_t *user_json(const struct user *u)
{
    return json_pack("{s:I, s:s, s:s, s:s, s:s, s:o}", "id", (json_int_t)u->id, "email", u->email,
                     "display_name", u->display_name, "role", u->role, "country", u->country, "created_at",
                     json_time(u->created_at));
}

struct account_job {
    req *r;
    struct user_create c;
    char *password;
    char pw_hash[PASSWORD_HASH_MAX];
    int hashed;
};

static void account_hash(void *arg)
{
    struct account_job *j = arg;
    j->hashed = password_hash(j->password, j->pw_hash);
    sodium_memzero(j->password, strlen(j->password));
}

static void account_store(void *arg)
{
    struct account_job *j = arg;
    req *r = j->r;
    if (!req_resume(r)) return;
    if (j->hashed) {
        reply_error(r, ERR_SERVER_BUSY, NULL, "too many password hashes at once; retry shortly");
        req_pending_end(r);
        return;
    }
    store_rc rc = store_user_create(r->db, &j->c);
    if (j->c.taken) {
        reply_error(r, ERR_EMAIL_TAKEN, "/email", "an account with this email already exists");
    } else if (rc != STORE_OK) {
        reply_store_failure(r, rc);
    } else {
        j->c.u.id = j->c.id;
        reply_json(r, 201, user_json(&j->c.u));
    }
    req_pending_end(r);
}

void account_create(req *r, bool by_admin)
{
    json_t *body;
    if (req_json_body(r, &body) != RES_OK) return;
    struct account_job *j = arena_alloc(r->a, sizeof *j);
    j->r = r;
    j->c = (struct user_create){.actor_id = by_admin ? r->user.id : -1,
                                .action = by_admin ? "user.create" : "user.register",
                                .via = by_admin ? "api" : r->client_addr, .password_hash = j->pw_hash};
    const char *password;
    if (!account_fields(r, body, by_admin, &j->c.u, &password)) return;
    j->password = arena_strdup(r->a, password);
    req_offload(r, account_hash, account_store, j);
}

void users_create(req *r)
{
    account_create(r, true);
}

struct list_ctx {
    arena *a;
    const char *role;
    int64_t after;
    int limit, n;
    struct user *items;
};

static tx_rc list_tx(db *d, void *vctx)
{
    struct list_ctx *c = vctx;
    TX_CHECK(store_user_list(d, c->a, c->role, c->after, c->limit, &c->items, &c->n));
    return TX_COMMIT;
}

void users_list(req *r)
{
    struct list_ctx c = {.a = r->a, .role = req_query(r, "role")};
    if (req_page(r, &c.after, &c.limit, 100, 1000) != RES_OK) return;
    if (c.role && !role_name_valid(c.role)) {
        reply_error(r, ERR_BAD_QUERY, "role", "role must be one of " ROLE_NAMES);
        return;
    }
    store_rc rc = store_run(r->db, false, list_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < c.n; i++) json_array_append_new(items, user_json(&c.items[i]));
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}
