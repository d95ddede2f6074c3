/* Administrative subcommands (see commands.h). */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/audit_chain.h"
#include "core/country.h"
#include "core/validate.h"
#include "store/store.h"
#include "util/clock.h"
#include "util/tokens.h"

/* 0 created, 1 existed, -1 error (printed). */
static int user_add(db *d, const char *email, const char *role, const char *country, const char *name,
                    const char *password, int64_t *id)
{
    char norm[256];
    snprintf(norm, sizeof norm, "%s", email ? email : "");
    if (!email_normalize(norm)) {
        fprintf(stderr, "fairlabel: --email: not a valid address\n");
        return -1;
    }
    if (!role_name_valid(role)) {
        fprintf(stderr, "fairlabel: --role must be one of " ROLE_NAMES "\n");
        return -1;
    }
    if (!country_code_valid(country)) {
        fprintf(stderr, "fairlabel: --country must be an ISO 3166 alpha-2 code such as KE\n");
        return -1;
    }
    if (!password || utf8_length(password) < 8 || utf8_length(password) > 256) {
        fprintf(stderr, "fairlabel: the password must have 8 to 256 characters\n");
        return -1;
    }
    char pw_hash[PASSWORD_HASH_MAX];
    if (password_hash(password, pw_hash)) {
        fprintf(stderr, "fairlabel: password hashing failed\n");
        return -1;
    }
    struct user_create c = {.password_hash = pw_hash, .action = "user.create", .via = "cli"};
    c.u = (struct user){.email = norm, .role = role, .country = country, .display_name = name ? name : norm,
                        .created_at = clock_now_ms()};
    store_rc rc = store_user_create(d, &c);
    if (c.taken) return 1;
    if (rc != STORE_OK) {
        fprintf(stderr, "fairlabel: %s\n", db_errmsg(d));
        return -1;
    }
    if (id) *id = c.id;
    return 0;
}

int cli_user_add(db *d, const char *email, const char *role, const char *country, const char *name,
                 const char *password)
{
    int64_t id = 0;
    int rc = user_add(d, email, role, country, name, password, &id);
    if (rc == 1) fprintf(stderr, "fairlabel: a user with email %s already exists\n", email);
    if (rc == 0) printf("created %s user %s (id %lld)\n", role, email, (long long)id);
    return rc == 0 ? 0 : 1;
}

static const struct {
    const char *email, *role, *country, *name;
} demo_users[] = {
    {"admin@example.org", "admin", "DE", "Ada Admin"},
    {"requester@example.org", "requester", "US", "Riley Requester"},
    {"reviewer@example.org", "reviewer", "FR", "Rene Reviewer"},
    {"support@example.org", "support", "KE", "Sam Support"},
    {"worker@example.org", "worker", "KE", "Wanjiru Worker"},
    {"worker2@example.org", "worker", "NG", "Chidi Worker"},
};

static const char *const demo_texts[] = {
    "The battery lasts two full days and charges quickly.",
    "Stopped working after a week. Support never answered.",
    "It does what the box says, nothing more.",
    "Best purchase I made this year, the screen is gorgeous.",
    "The strap broke on the first day.",
    "Delivery was on time; the product is fine.",
    "I love how light it is, I forget I am wearing it.",
    "Overpriced for what you get.",
    "Setup took five minutes and everything synced.",
    "The app crashes every time I open the settings.",
    "Average sound, average build, average price.",
    "Exceeded my expectations in every way.",
    "Returned it: the colours were nothing like the photos.",
    "Works as described.",
    "The customer service team replaced it within a day. Impressive.",
    "Too loud, and the fan never stops.",
    "It is okay for the price.",
    "Fantastic camera, even at night.",
    "The manual is useless and the buttons are confusing.",
    "Neither good nor bad; it is a cable.",
};

struct demo_ctx {
    int64_t owner;
    int64_t project_id;
};

static tx_rc demo_project_tx(db *d, void *vctx)
{
    struct demo_ctx *c = vctx;
    int64_t now = clock_now_ms();
    struct project p = {.owner_id = c->owner, .name = "Demo: review sentiment",
                        .instructions = "Read the product review and choose the sentiment it expresses. "
                                        "Keys 1-3 pick a label, Enter submits.",
                        .kind = "text_classification",
                        .schema_json = "{\"labels\":[\"positive\",\"negative\",\"neutral\"],\"multiple\":false}",
                        .reward_micros = 20000, .currency = "USD", .estimated_seconds = 15, .overlap = 2,
                        .lease_seconds = 600};
    TX_CHECK(store_project_insert(d, &p, now, &c->project_id));
    int n = (int)(sizeof demo_texts / sizeof *demo_texts);
    for (int i = 0; i < n; i++) {
        json_t *data = json_pack("{s:s}", "text", demo_texts[i]);
        char *dj = json_dumps(data, JSON_COMPACT);
        char ext[32];
        snprintf(ext, sizeof ext, "review-%02d", i + 1);
        struct task_row row = {.project_id = c->project_id, .overlap = p.overlap, .external_id = ext, .data_json = dj};
        db_rc rc = store_task_insert(d, &row, now, NULL);
        free(dj);
        json_decref(data);
        TX_CHECK(rc);
    }
    TX_CHECK(store_project_add_tasks(d, c->project_id, n, now));
    TX_CHECK(store_project_set_status(d, c->project_id, "published", now));
    TX_CHECK(store_audit_append(d, now, c->owner, "project.create", p.name, "{\"via\":\"demo\"}"));
    return TX_COMMIT;
}

int cli_demo(db *d)
{
    struct demo_ctx c = {0};
    bool fresh = false;
    for (size_t i = 0; i < sizeof demo_users / sizeof *demo_users; i++) {
        int64_t id = 0;
        int rc = user_add(d, demo_users[i].email, demo_users[i].role, demo_users[i].country, demo_users[i].name,
                          DEMO_PASSWORD, &id);
        if (rc < 0) return 1;
        if (rc == 0 && !strcmp(demo_users[i].role, "requester")) {
            c.owner = id;
            fresh = true;
        }
    }
    if (fresh) {
        if (store_run(d, true, demo_project_tx, &c) != STORE_OK) {
            fprintf(stderr, "fairlabel: demo project: %s\n", db_errmsg(d));
            return 1;
        }
        printf("Created the demo project \"Demo: review sentiment\" (id %lld, 20 tasks, published).\n",
               (long long)c.project_id);
    } else {
        printf("Demo data already present.\n");
    }
    printf("Demo logins (password \"%s\"):\n", DEMO_PASSWORD);
    for (size_t i = 0; i < sizeof demo_users / sizeof *demo_users; i++)
        printf("  %-10s %s\n", demo_users[i].role, demo_users[i].email);
    return 0;
}

struct verify_ctx {
    arena *a;
    int64_t after;
    int n;
    struct audit_entry *items;
    int64_t head_id;
    const char *head_hash;
};

static tx_rc verify_page_tx(db *d, void *vctx)
{
    struct verify_ctx *c = vctx;
    TX_CHECK(store_audit_page(d, c->a, c->after, 1000, &c->items, &c->n));
    return TX_COMMIT;
}

static tx_rc verify_head_tx(db *d, void *vctx)
{
    struct verify_ctx *c = vctx;
    db_stmt *s = db_q(d, Q_AUDIT_HEAD);
    db_rc rc = db_step(s);
    if (rc != DB_ROW) return TX_FAIL;
    c->head_id = db_col_i64(s, 0);
    c->head_hash = arena_strdup(c->a, db_col_text(s, 1));
    return TX_COMMIT;
}

int cli_audit_verify(db *d)
{
    char prev[AUDIT_HASH_HEX] = AUDIT_GENESIS, h[AUDIT_HASH_HEX];
    int64_t prev_id = 0, count = 0;
    for (;;) {
        struct verify_ctx c = {.a = arena_new(1 << 16), .after = prev_id};
        if (store_run(d, false, verify_page_tx, &c) != STORE_OK) {
            fprintf(stderr, "fairlabel: %s\n", db_errmsg(d));
            arena_free(c.a);
            return 2;
        }
        for (int i = 0; i < c.n; i++) {
            const struct audit_entry *e = &c.items[i];
            const char *why = NULL;
            audit_chain_hash(e->prev_hash, e->id, e->at, e->actor_id, e->action, e->target, e->detail, h);
            if (e->id != prev_id + 1) why = "an entry before it is missing";
            else if (strcmp(e->prev_hash, prev)) why = "its prev_hash does not match the entry before it";
            else if (strcmp(h, e->hash)) why = "its contents do not match its hash (edited)";
            if (why) {
                printf("audit chain BROKEN at entry %lld: %s\n", (long long)e->id, why);
                arena_free(c.a);
                return 1;
            }
            snprintf(prev, sizeof prev, "%s", e->hash);
            prev_id = e->id;
            count++;
        }
        int n = c.n;
        arena_free(c.a);
        if (n == 0) break;
    }
    struct verify_ctx c = {.a = arena_new(4096)};
    if (store_run(d, false, verify_head_tx, &c) != STORE_OK) {
        arena_free(c.a);
        return 2;
    }
    if (c.head_id != prev_id || strcmp(c.head_hash, prev)) {
        printf("audit chain BROKEN at the end: the head names entry %lld but the log ends at %lld "
               "(entries were deleted)\n", (long long)c.head_id, (long long)prev_id);
        arena_free(c.a);
        return 1;
    }
    arena_free(c.a);
    printf("audit chain OK: %lld entries\n", (long long)count);
    return 0;
}
