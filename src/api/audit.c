/* The audit log, read by admins page by page. */
#include "api/api.h"
#include "http/reply.h"

struct page_ctx {
    arena *a;
    int64_t after;
    int limit, n;
    struct audit_entry *items;
};

static tx_rc page_tx(db *d, void *vctx)
{
    struct page_ctx *c = vctx;
    TX_CHECK(store_audit_page(d, c->a, c->after, c->limit, &c->items, &c->n));
    return TX_COMMIT;
}

void audit_list(req *r)
{
    struct page_ctx c = {.a = r->a};
    if (req_page(r, &c.after, &c.limit, 100, 500) != RES_OK) return;
    store_rc rc = store_run(r->db, false, page_tx, &c);
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    json_t *items = json_array();
    for (int i = 0; i < c.n; i++) {
        const struct audit_entry *e = &c.items[i];
        json_t *detail = json_loads(e->detail, 0, NULL);
        json_array_append_new(items,
            json_pack("{s:I, s:o, s:o, s:s, s:s, s:o, s:s, s:s}", "id", (json_int_t)e->id, "at", json_time(e->at),
                      "actor_id", e->actor_id ? json_integer(e->actor_id) : json_null(), "action", e->action,
                      "target", e->target, "detail", detail ? detail : json_string(e->detail), "prev_hash",
                      e->prev_hash, "hash", e->hash));
    }
    reply_json(r, 200, json_pack("{s:o}", "items", items));
}
