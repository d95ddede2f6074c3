/* Liveness (the process answers) and readiness (the database answers). */
#include "api/api.h"
#include "http/reply.h"

void health_live(req *r)
{
    reply_json(r, 200, json_pack("{s:s}", "status", "ok"));
}

static tx_rc ping(db *d, void *ctx)
{
    (void)ctx;
    TX_CHECK(db_run(db_q(d, Q_PING)));
    return TX_COMMIT;
}

void health_ready(req *r)
{
    if (store_run(r->db, false, ping, NULL) != STORE_OK) {
        reply_error(r, ERR_DB_UNAVAILABLE, NULL, "the database does not answer");
        return;
    }
    reply_json(r, 200, json_pack("{s:s}", "status", "ready"));
}
