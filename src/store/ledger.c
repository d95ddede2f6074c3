/* The double-entry ledger: balanced, idempotent transactions over (kind, owner, currency) accounts. */
#include <stdio.h>
#include <string.h>

#include "store/store.h"

/* Moves an account's balance, creating the account at 0 first; acct gets its id and new balance. */
static db_rc account_add(db *d, const char *kind, int64_t owner_id, const char *currency, int64_t amount,
                         int64_t acct[2])
{
    struct sql_arg a[] = {{.text = kind}, {.i = owner_id}, {.text = currency}, {.i = amount}};
    db_rc rc;
    if (db_kind_of(d) != DB_SQLITE) { /* the atomic upsert: concurrent writers */
        rc = store_row_i64(d, Q_LEDGER_ACCOUNT_ADD, a, 4, acct, 2);
        return rc == DB_ROW ? DB_OK : rc == DB_DONE ? DB_ERROR : rc;
    }
    rc = store_row_i64(d, Q_LEDGER_ACCOUNT_FIND, a, 3, acct, 2);
    if (rc == DB_ROW) {
        acct[1] += amount;
        return store_exec_args(d, Q_LEDGER_ACCOUNT_MOVE, (struct sql_arg[]){{.i = acct[0]}, {.i = amount}}, 2, NULL);
    }
    if (rc != DB_DONE) return rc;
    rc = store_exec_args(d, Q_LEDGER_ACCOUNT_NEW, a, 4, NULL);
    acct[0] = db_last_insert_id(d);
    acct[1] = amount;
    return rc;
}

db_rc store_ledger_post(db *d, const struct ledger_post *p, int64_t now, int64_t *tx_id, bool *replayed)
{
    int64_t sum = 0;
    for (int i = 0; i < p->n_legs; i++) sum += p->legs[i].amount;
    if (sum != 0 || p->n_legs < 2) return DB_ERROR; /* a caller's bug: never write an unbalanced transaction */
    *replayed = false;
    struct sql_arg tx[] = {{.text = p->key}, {.text = p->cause}, {.i = p->cause_id}, {.text = p->currency},
                           {.text = p->memo ? p->memo : ""}, {.i = p->gross, .null = !p->has_amounts},
                           {.i = p->fee, .null = !p->has_amounts}, {.i = p->net, .null = !p->has_amounts}, {.i = now}};
    int64_t id[1];
    db_rc rc;
    if (db_kind_of(d) == DB_SQLITE) { /* no RETURNING there (queries.def) */
        int64_t inserted = 0;
        rc = store_exec_args(d, Q_LEDGER_TX_INSERT, tx, 9, &inserted);
        if (rc == DB_OK) rc = inserted == 1 ? DB_ROW : DB_DONE;
        id[0] = db_last_insert_id(d);
    } else {
        rc = store_row_i64(d, Q_LEDGER_TX_INSERT, tx, 9, id, 1);
    }
    if (rc == DB_DONE) { /* the key was used: this transaction happened already */
        rc = store_row_i64(d, Q_LEDGER_TX_BY_KEY, (struct sql_arg[]){{.text = p->key}}, 1, id, 1);
        if (rc != DB_ROW) return rc == DB_DONE ? DB_ERROR : rc;
        *tx_id = id[0];
        *replayed = true;
        return DB_OK;
    }
    if (rc != DB_ROW) return rc;
    *tx_id = id[0];
    for (int i = 0; i < p->n_legs; i++) {
        const struct ledger_leg *l = &p->legs[i];
        int64_t acct[2];
        rc = account_add(d, l->kind, l->owner_id, p->currency, l->amount, acct);
        if (rc != DB_OK) return rc;
        if (acct[1] < 0 && strcmp(l->kind, "external")) return DB_CONSTRAINT; /* only external may go negative */
        rc = store_exec_args(d, Q_LEDGER_ENTRY_INSERT, (struct sql_arg[]){{.i = *tx_id}, {.i = acct[0]}, {.i = l->amount}},
                             3, NULL);
        if (rc != DB_OK) return rc;
    }
    char detail[512];
    int off = snprintf(detail, sizeof detail, "{\"tx_id\":%lld,\"currency\":\"%s\",\"legs\":[", (long long)*tx_id,
                       p->currency);
    for (int i = 0; i < p->n_legs && off < (int)sizeof detail - 64; i++)
        off += snprintf(detail + off, sizeof detail - (size_t)off, "%s{\"%s\":%lld,\"owner\":%lld}", i ? "," : "",
                        p->legs[i].kind, (long long)p->legs[i].amount, (long long)p->legs[i].owner_id);
    snprintf(detail + off, sizeof detail - (size_t)off, "]}");
    char target[96];
    snprintf(target, sizeof target, "%s:%lld", p->cause, (long long)p->cause_id);
    return store_audit_append(d, now, p->actor_id, "ledger.tx", target, detail);
}

db_rc store_ledger_balance(db *d, const char *kind, int64_t owner_id, const char *currency, int64_t *balance)
{
    int64_t b[1] = {0};
    db_rc rc = store_row_i64(d, Q_LEDGER_BALANCE, (struct sql_arg[]){{.text = kind}, {.i = owner_id}, {.text = currency}},
                             3, b, 1);
    *balance = rc == DB_ROW ? b[0] : 0;
    return rc == DB_ROW || rc == DB_DONE ? DB_OK : rc;
}
