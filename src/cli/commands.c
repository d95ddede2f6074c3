/* Administrative subcommands (see commands.h). */
#include "cli/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/pay_flow.h"
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
    /* the demo requester's escrow covers the demo project's work (FW-1): 100 USD */
    struct ledger_leg legs[] = {{"external", 0, -100000000}, {"escrow", c->owner, 100000000}};
    struct ledger_post deposit = {.key = "deposit:demo", .cause = "deposit", .cause_id = c->owner, .currency = "USD",
                                  .memo = "demo escrow", .legs = legs, .n_legs = 2};
    int64_t tx;
    bool replayed;
    TX_CHECK(store_ledger_post(d, &deposit, now, &tx, &replayed));
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

/* ---- ledger verify ---- */

struct ledger_verify_ctx {
    json_t *unbalanced, *mismatch, *negative, *pay, *transit;
};

static tx_rc ledger_verify_tx(db *d, void *vctx)
{
    struct ledger_verify_ctx *c = vctx;
    static const char *const ucols[] = {"i:tx_id", "i:sum", NULL};
    static const char *const mcols[] = {"i:account_id", "s:kind", "i:owner_id", "s:currency", "i:balance", "i:entries", NULL};
    static const char *const ncols[] = {"i:account_id", "s:kind", "i:owner_id", "s:currency", "i:balance", NULL};
    static const char *const pcols[] = {"i:assignment_id", "s:pay_state", "i:submissions", "i:approvals", "i:rejections", NULL};
    TX_CHECK(store_rows_json(d, Q_LEDGER_UNBALANCED, NULL, 0, ucols, &c->unbalanced));
    TX_CHECK(store_rows_json(d, Q_LEDGER_BALANCE_MISMATCH, NULL, 0, mcols, &c->mismatch));
    TX_CHECK(store_rows_json(d, Q_LEDGER_NEGATIVE, NULL, 0, ncols, &c->negative));
    TX_CHECK(store_rows_json(d, Q_LEDGER_PAY_MISMATCH, NULL, 0, pcols, &c->pay));
    static const char *const tcols[] = {"i:worker_id", "s:currency", "i:balance", "i:open", NULL};
    TX_CHECK(store_rows_json(d, Q_LEDGER_TRANSIT_MISMATCH, NULL, 0, tcols, &c->transit));
    return TX_COMMIT;
}

int cli_ledger_verify(db *d)
{
    struct ledger_verify_ctx c = {0};
    if (store_run(d, false, ledger_verify_tx, &c) != STORE_OK) {
        fprintf(stderr, "fairlabel: %s\n", db_errmsg(d));
        return 2;
    }
    int problems = 0;
    size_t i;
    json_t *r;
    json_array_foreach(c.unbalanced, i, r) {
        printf("transaction %lld does not balance: its entries sum to %lld\n",
               (long long)json_integer_value(json_object_get(r, "tx_id")),
               (long long)json_integer_value(json_object_get(r, "sum")));
        problems++;
    }
    json_array_foreach(c.mismatch, i, r) {
        printf("account %lld (%s of %lld, %s) holds %lld but its entries sum to %lld\n",
               (long long)json_integer_value(json_object_get(r, "account_id")),
               json_string_value(json_object_get(r, "kind")), (long long)json_integer_value(json_object_get(r, "owner_id")),
               json_string_value(json_object_get(r, "currency")), (long long)json_integer_value(json_object_get(r, "balance")),
               (long long)json_integer_value(json_object_get(r, "entries")));
        problems++;
    }
    json_array_foreach(c.negative, i, r) {
        printf("account %lld (%s of %lld, %s) is negative: %lld\n",
               (long long)json_integer_value(json_object_get(r, "account_id")),
               json_string_value(json_object_get(r, "kind")), (long long)json_integer_value(json_object_get(r, "owner_id")),
               json_string_value(json_object_get(r, "currency")), (long long)json_integer_value(json_object_get(r, "balance")));
        problems++;
    }
    int64_t paid = 0;
    json_array_foreach(c.pay, i, r) {
        const char *state = json_string_value(json_object_get(r, "pay_state"));
        json_int_t s = json_integer_value(json_object_get(r, "submissions")),
                   a = json_integer_value(json_object_get(r, "approvals")),
                   j = json_integer_value(json_object_get(r, "rejections"));
        bool ok = (!strcmp(state, "owed") && s == 0 && a == 0 && j == 0) || /* a liability, not yet paid */
                  /* held (FW-4): a rejection waiting for a human; the reward stays pending */
                  (s == 1 && (((!strcmp(state, "pending") || !strcmp(state, "held")) && a == 0 && j == 0) ||
                              (!strcmp(state, "approved") && a == 1 && j == 0) ||
                              (!strcmp(state, "rejected") && a == 0 && j == 1)));
        if (!ok) {
            printf("answer %lld is %s but has %lld submission, %lld approval and %lld rejection transactions\n",
                   (long long)json_integer_value(json_object_get(r, "assignment_id")), state, (long long)s, (long long)a,
                   (long long)j);
            problems++;
        }
        paid += !strcmp(state, "approved");
    }
    json_array_foreach(c.transit, i, r) {
        printf("worker %lld has %lld %s in transit but %lld in open payouts\n",
               (long long)json_integer_value(json_object_get(r, "worker_id")),
               (long long)json_integer_value(json_object_get(r, "balance")),
               json_string_value(json_object_get(r, "currency")), (long long)json_integer_value(json_object_get(r, "open")));
        problems++;
    }
    json_decref(c.transit);
    json_decref(c.unbalanced);
    json_decref(c.mismatch);
    json_decref(c.negative);
    json_decref(c.pay);
    if (problems) {
        printf("ledger BROKEN: %d problem%s\n", problems, problems == 1 ? "" : "s");
        return 1;
    }
    printf("ledger OK: every transaction balances, balances match their entries, no account but external is "
           "negative, each of %lld approved answers was paid exactly once, and money in transit matches open payouts\n",
           (long long)paid);
    return 0;
}

/* ---- escrow deposit ---- */

struct deposit_cli_ctx {
    const char *email, *currency, *reference;
    int64_t amount, tx_id, balance;
    bool replayed, not_requester;
    arena *a;
};

static tx_rc deposit_cli_tx(db *d, void *vctx)
{
    struct deposit_cli_ctx *c = vctx;
    struct user u;
    const char *hash;
    db_rc rc = store_user_by_email(d, c->a, c->email, &u, &hash);
    TX_CHECK(rc);
    if (rc == DB_DONE || strcmp(u.role, "requester")) {
        c->not_requester = true;
        return TX_ROLLBACK;
    }
    char key[300];
    snprintf(key, sizeof key, "deposit:%s", c->reference);
    struct ledger_leg legs[] = {{"external", 0, -c->amount}, {"escrow", u.id, c->amount}};
    struct ledger_post post = {.key = key, .cause = "deposit", .cause_id = u.id, .currency = c->currency,
                               .memo = c->reference, .legs = legs, .n_legs = 2};
    TX_CHECK(store_ledger_post(d, &post, clock_now_ms(), &c->tx_id, &c->replayed));
    if (!c->replayed) { /* money in: what is owed from before is paid first */
        struct pay_config pay;
        pay_config_from_env(&pay);
        int settled;
        TX_CHECK(pay_settle_owed(d, &pay, u.id, c->currency, clock_now_ms(), &settled));
    }
    TX_CHECK(store_ledger_balance(d, "escrow", u.id, c->currency, &c->balance));
    return TX_COMMIT;
}

int cli_escrow_deposit(db *d, const char *email, int64_t amount_micros, const char *currency, const char *reference)
{
    struct deposit_cli_ctx c = {.email = email, .currency = currency, .reference = reference, .amount = amount_micros,
                                .a = arena_new(4096)};
    store_rc rc = store_run(d, true, deposit_cli_tx, &c);
    arena_free(c.a);
    if (c.not_requester) {
        fprintf(stderr, "fairlabel: %s is not a requester\n", email);
        return 1;
    }
    if (rc != STORE_OK) {
        fprintf(stderr, "fairlabel: %s\n", db_errmsg(d));
        return 1;
    }
    printf("%s %lld micro-%s for %s (transaction %lld); escrow now %lld\n", c.replayed ? "already recorded:" : "deposited",
           (long long)amount_micros, currency, email, (long long)c.tx_id, (long long)c.balance);
    return 0;
}
