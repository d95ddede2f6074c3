/* `fairlabel payouts batch --rail R --currency C --out FILE` writes a new batch's bulk-payment file;
 * `fairlabel payouts confirm --batch N --file FILE` reads the provider's confirmation file into the ledger. */
#include "cli/payouts_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/payouts.h"
#include "cli/cli_db.h"
#include "store/store.h"
#include "util/clock.h"

static const char usage[] =
    "usage: fairlabel payouts batch --rail R --currency C --out FILE [--db URL] [--data-dir DIR]\n"
    "       fairlabel payouts confirm --batch N --file FILE [--db URL] [--data-dir DIR]\n"
    "  batch     takes every requested payout of the rail (bank_transfer or mobile_money) and currency into\n"
    "            a new batch and writes its bulk-payment CSV to FILE (also downloadable by admins)\n"
    "  confirm   reads the bank's or provider's confirmation CSV of batch N: each row confirms its payout or\n"
    "            fails it (the money returns to the worker's available balance); all rows or none\n"
    "  --db URL          sqlite:PATH or postgres://... (env FAIRLABEL_DB; default sqlite:DATA_DIR/fairlabel.db)\n"
    "  --data-dir DIR    data folder (env FAIRLABEL_DATA_DIR; default ./data)\n";

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            if (cap >= (64u << 20)) { /* a confirmation file is far smaller */
                free(buf);
                buf = NULL;
                break;
            }
            char *p = realloc(buf, cap * 2);
            if (!p) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    *len = n;
    return buf;
}

int cli_payouts(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "batch") && strcmp(argv[1], "confirm"))) {
        fputs(usage, argc >= 2 && !strcmp(argv[1], "--help") ? stdout : stderr);
        return argc >= 2 && !strcmp(argv[1], "--help") ? 0 : 2;
    }
    bool batch = !strcmp(argv[1], "batch");
    enum { O_DB = 1, O_DATA, O_RAIL, O_CUR, O_OUT, O_BATCH, O_FILE, O_HELP };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, O_DB},       {"data-dir", required_argument, NULL, O_DATA},
        {"rail", required_argument, NULL, O_RAIL},   {"currency", required_argument, NULL, O_CUR},
        {"out", required_argument, NULL, O_OUT},     {"batch", required_argument, NULL, O_BATCH},
        {"file", required_argument, NULL, O_FILE},   {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *dbu = NULL, *data = NULL, *rail = NULL, *cur = NULL, *out = NULL, *batch_id = NULL, *file = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc - 1, argv + 1, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_DB: dbu = optarg; break;
        case O_DATA: data = optarg; break;
        case O_RAIL: rail = optarg; break;
        case O_CUR: cur = optarg; break;
        case O_OUT: out = optarg; break;
        case O_BATCH: batch_id = optarg; break;
        case O_FILE: file = optarg; break;
        case O_HELP: fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    char *end = NULL;
    long long bid = batch_id ? strtoll(batch_id, &end, 10) : 0;
    if (optind < argc - 1 || (batch && (!rail || !cur || !out)) ||
        (!batch && (!batch_id || !file || *end || bid <= 0))) {
        fprintf(stderr, "fairlabel: %s\n%s",
                batch ? "--rail, --currency and --out are required" : "--batch (a batch id) and --file are required",
                usage);
        return 2;
    }
    db *d = cli_db_open(dbu, data);
    if (!d) return 1;
    int rc = 0;
    if (batch) {
        struct payout_batch_result res;
        store_rc s = payout_batch_create(d, rail, cur, 0, clock_now_ms(), &res);
        if (res.err || s != STORE_OK) {
            fprintf(stderr, "fairlabel: %s\n", res.err ? res.detail : db_errmsg(d));
            rc = 1;
        } else {
            FILE *f = fopen(out, "wb");
            if (!f || fwrite(res.file, 1, res.file_len, f) != res.file_len || fclose(f)) {
                fprintf(stderr, "fairlabel: cannot write %s; the batch %lld is recorded, download it with GET "
                                "/api/v1/payout-batches/%lld/file\n", out, (long long)res.batch_id, (long long)res.batch_id);
                rc = 1;
            } else {
                char total[40];
                snprintf(total, sizeof total, "%lld.%02lld", (long long)(res.total_micros / 1000000),
                         (long long)(res.total_micros % 1000000 / 10000));
                printf("batch %lld: %lld payouts, %s %s, sha256 %s, written to %s\n", (long long)res.batch_id,
                       (long long)res.count, total, cur, res.sha256, out);
            }
        }
        free(res.file);
    } else {
        size_t len;
        char *text = read_file(file, &len);
        if (!text) {
            fprintf(stderr, "fairlabel: cannot read %s\n", file);
            rc = 1;
        } else {
            struct payout_confirm_result res;
            store_rc s = payout_confirm_file(d, bid, text, len, 0, clock_now_ms(), &res);
            if (res.err || s != STORE_OK) {
                fprintf(stderr, "fairlabel: %s: %s\n", file, res.err ? res.detail : db_errmsg(d));
                rc = 1;
            } else {
                printf("batch %lld: %d confirmed, %d failed (re-credited), %d already recorded\n", bid, res.confirmed,
                       res.failed, res.unchanged);
            }
            free(text);
        }
    }
    db_close(d);
    return rc;
}
