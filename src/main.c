/* fairlabel: the command line (serve, migrate, user add, demo, audit verify, routes, errors-doc). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/pay_flow.h"
#include "api/payouts.h"
#include "cli/cli_db.h"
#include "cli/aggregate_cli.h"
#include "cli/commands.h"
#include "cli/db_check.h"
#include "cli/topup_cli.h"
#include "cli/payouts_cli.h"
#include "cli/report_cli.h"
#include "core/country.h"
#include "http/errors.h"
#include "http/routes.h"
#include "http/server.h"
#include "store/store.h"
#include "util/log.h"
#include "util/secret_key.h"
#include "util/tokens.h"

static const char usage_main[] =
    "fairlabel " FAIRLABEL_VERSION " - open, self-hosted data labelling with fair work built in\n"
    "\n"
    "usage: fairlabel COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  serve         run the HTTP server\n"
    "  migrate       apply database migrations\n"
    "  user add      create a user of any role\n"
    "  demo          seed demo users and a demo project\n"
    "  audit verify  check the audit log's hash chain\n"
    "  db check      the database's integrity check (SQLite integrity_check; PostgreSQL reads every table)\n"
    "  escrow deposit  record money paid into a requester's escrow\n"
    "  payouts batch|confirm  write a payout batch's bank or mobile-money file; read its confirmation\n"
    "  report pay    the quarterly pay report (FW-10) as JSON, CSV or HTML\n"
    "  report fairwork  the quarterly fairwork self-assessment (FW-27) as JSON, CSV or HTML\n"
    "  ledger verify check the ledger's invariants (balanced, no negatives, each answer paid once)\n"
    "  topup run     run this week's top-ups to the floor at the median active time (FW-6) now\n"
    "  routes        print the route table as JSON\n"
    "  errors-doc    print the error code reference (docs/errors.md)\n"
    "  aggregate     infer labels from crowd answers in a CSV file (majority vote, Dawid-Skene, ...)\n"
    "\n"
    "Run 'fairlabel COMMAND --help' for a command's options. '--version' prints the version.\n";

static const char usage_db[] =
    "  --db URL          sqlite:PATH or postgres://... (env FAIRLABEL_DB;\n"
    "                    default sqlite:DATA_DIR/fairlabel.db)\n"
    "  --data-dir DIR    data folder (env FAIRLABEL_DATA_DIR; default ./data)\n";

struct opts {
    const char *db, *listen, *data_dir, *email, *role, *country, *name, *password, *amount, *currency, *reference;
    int threads;
};

static const char *env_or(const char *name, const char *dflt)
{
    const char *v = getenv(name);
    return v && *v ? v : dflt;
}

static int env_int(const char *name, int dflt)
{
    const char *v = getenv(name);
    return v && *v ? atoi(v) : dflt;
}

/* Parses the options common to every command; returns 0, 1 for --help, -1 on a bad option. */
static int parse_opts(int argc, char **argv, struct opts *o, const char *usage)
{
    enum { O_DB = 1, O_LISTEN, O_THREADS, O_DATA, O_EMAIL, O_ROLE, O_COUNTRY, O_NAME, O_PASSWORD, O_HELP, O_AMOUNT,
           O_CURRENCY, O_REFERENCE };
    static const struct option longopts[] = {
        {"db", required_argument, NULL, O_DB},         {"listen", required_argument, NULL, O_LISTEN},
        {"threads", required_argument, NULL, O_THREADS}, {"data-dir", required_argument, NULL, O_DATA},
        {"email", required_argument, NULL, O_EMAIL},   {"role", required_argument, NULL, O_ROLE},
        {"country", required_argument, NULL, O_COUNTRY}, {"name", required_argument, NULL, O_NAME},
        {"password", required_argument, NULL, O_PASSWORD}, {"help", no_argument, NULL, O_HELP},
        {"amount", required_argument, NULL, O_AMOUNT}, {"currency", required_argument, NULL, O_CURRENCY},
        {"reference", required_argument, NULL, O_REFERENCE},
        {NULL, 0, NULL, 0},
    };
    o->db = env_or("FAIRLABEL_DB", NULL);
    o->listen = env_or("FAIRLABEL_LISTEN", "127.0.0.1:8080");
    o->data_dir = env_or("FAIRLABEL_DATA_DIR", "./data");
    o->threads = env_int("FAIRLABEL_THREADS", 0);
    o->password = env_or("FAIRLABEL_PASSWORD", NULL);
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_DB: o->db = optarg; break;
        case O_LISTEN: o->listen = optarg; break;
        case O_THREADS: o->threads = atoi(optarg); break;
        case O_DATA: o->data_dir = optarg; break;
        case O_EMAIL: o->email = optarg; break;
        case O_ROLE: o->role = optarg; break;
        case O_COUNTRY: o->country = optarg; break;
        case O_NAME: o->name = optarg; break;
        case O_AMOUNT: o->amount = optarg; break;
        case O_CURRENCY: o->currency = optarg; break;
        case O_REFERENCE: o->reference = optarg; break;
        case O_PASSWORD: o->password = optarg; break;
        case O_HELP: fputs(usage, stdout); return 1;
        default: fputs(usage, stderr); return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fairlabel: unexpected argument '%s'\n%s", argv[optind], usage);
        return -1;
    }
    if (!o->db) {
        static char url[4200];
        snprintf(url, sizeof url, "sqlite:%s/fairlabel.db", o->data_dir);
        o->db = url;
    }
    if (o->threads <= 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o->threads = n > 0 ? (int)n : 2;
    }
    return 0;
}

static int cmd_serve(int argc, char **argv)
{
    char usage[1024];
    snprintf(usage, sizeof usage,
             "usage: fairlabel serve [--db URL] [--listen ADDR:PORT] [--threads N] [--data-dir DIR]\n"
             "%s"
             "  --listen ADDR:PORT  address to serve on (env FAIRLABEL_LISTEN; default 127.0.0.1:8080;\n"
             "                      port 0 picks a free one)\n"
             "  --threads N       event-loop threads, one database connection each (env FAIRLABEL_THREADS;\n"
             "                    default: the number of cores)\n",
             usage_db);
    struct opts o = {0};
    int p = parse_opts(argc, argv, &o, usage);
    if (p) return p > 0 ? 0 : 2;
    db *d = cli_db_open(o.db, NULL);
    if (!d) return 1;
    db_close(d);
    struct server_config cfg = {
        .db_url = o.db, .listen = o.listen, .data_dir = o.data_dir, .threads = o.threads,
        .hash_threads = env_int("FAIRLABEL_MAX_HASHES", 4),
        .login_max_failures = env_int("FAIRLABEL_LOGIN_MAX_FAILURES", 5),
        .login_max_failures_ip = env_int("FAIRLABEL_LOGIN_MAX_FAILURES_IP", 50),
        .login_window_ms = (int64_t)env_int("FAIRLABEL_LOGIN_WINDOW", 900) * 1000,
        .session_ttl_ms = (int64_t)env_int("FAIRLABEL_SESSION_TTL", 7 * 86400) * 1000,
        .callback_unit_ms = env_int("FAIRLABEL_CALLBACK_UNIT_MS", 1000),
    };
    struct pay_config pay;
    pay_config_from_env(&pay);
    cfg.fee_bps = pay.fee_bps;
    cfg.worker_fee_bps = pay.worker_fee_bps;
    cfg.test_clock = !strcmp(env_or("FAIRLABEL_TEST_CLOCK", "0"), "1");
    char err[512];
    if (!payout_min_config_ok(err, sizeof err)) { /* FW-9 caps the payout minimum */
        fprintf(stderr, "fairlabel: %s\n", err);
        return 1;
    }
    if (secret_key_load(o.data_dir, cfg.secret_key, err, sizeof err)) {
        fprintf(stderr, "fairlabel: %s\n", err);
        return 1;
    }
    log_access_enabled = strcmp(env_or("FAIRLABEL_LOG", "on"), "off") != 0;
    return server_run(&cfg);
}

static int cmd_simple(int argc, char **argv, const char *usage_line, int (*fn)(db *d))
{
    char usage[1024];
    snprintf(usage, sizeof usage, "%s%s", usage_line, usage_db);
    struct opts o = {0};
    int p = parse_opts(argc, argv, &o, usage);
    if (p) return p > 0 ? 0 : 2;
    db *d = cli_db_open(o.db, NULL);
    if (!d) return 1;
    int rc = fn ? fn(d) : 0;
    if (!fn) {
        int64_t v = 0;
        store_schema_version(d, &v);
        printf("database is at schema version %lld\n", (long long)v);
    }
    db_close(d);
    return rc;
}

static int cmd_escrow_deposit(int argc, char **argv)
{
    char usage[1200];
    snprintf(usage, sizeof usage,
             "usage: fairlabel escrow deposit --email E --amount MICROS --currency CUR --reference REF\n"
             "%s"
             "  --email E         the requester whose escrow receives the money\n"
             "  --amount MICROS   in micro-units (1 USD = 1000000)\n"
             "  --currency CUR    ISO 4217 code\n"
             "  --reference REF   the payment's reference; the same reference is recorded once\n",
             usage_db);
    struct opts o = {0};
    int p = parse_opts(argc, argv, &o, usage);
    if (p) return p > 0 ? 0 : 2;
    char *end = NULL;
    long long amount = o.amount ? strtoll(o.amount, &end, 10) : 0;
    if (!o.email || !o.amount || !o.currency || !o.reference || *end || amount <= 0 || !currency_code_valid(o.currency)) {
        fprintf(stderr, "fairlabel: --email, --amount (a positive integer of micro-units), --currency (ISO 4217) and "
                        "--reference are required\n%s", usage);
        return 2;
    }
    db *d = cli_db_open(o.db, NULL);
    if (!d) return 1;
    int rc = cli_escrow_deposit(d, o.email, amount, o.currency, o.reference);
    db_close(d);
    return rc;
}

static int cmd_user_add(int argc, char **argv)
{
    char usage[1200];
    snprintf(usage, sizeof usage,
             "usage: fairlabel user add --email E --role R --country CC [--name N] [--password P]\n"
             "%s"
             "  --role R          admin, requester, reviewer, support or worker\n"
             "  --country CC      ISO 3166 alpha-2 country code\n"
             "  --password P      or env FAIRLABEL_PASSWORD, or one line on standard input\n",
             usage_db);
    struct opts o = {0};
    int p = parse_opts(argc, argv, &o, usage);
    if (p) return p > 0 ? 0 : 2;
    if (!o.email || !o.role || !o.country) {
        fprintf(stderr, "fairlabel: --email, --role and --country are required\n%s", usage);
        return 2;
    }
    char line[1100];
    if (!o.password) {
        if (isatty(STDIN_FILENO)) fprintf(stderr, "password: ");
        if (!fgets(line, sizeof line, stdin)) {
            fprintf(stderr, "fairlabel: no password given\n");
            return 2;
        }
        line[strcspn(line, "\r\n")] = '\0';
        o.password = line;
    }
    db *d = cli_db_open(o.db, NULL);
    if (!d) return 1;
    int rc = cli_user_add(d, o.email, o.role, o.country, o.name, o.password);
    db_close(d);
    return rc;
}

int main(int argc, char **argv)
{
    if (tokens_init(env_int("FAIRLABEL_MAX_HASHES", 4))) {
        fprintf(stderr, "fairlabel: libsodium failed to initialise\n");
        return 1;
    }
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        fputs(usage_main, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("fairlabel %s\n", FAIRLABEL_VERSION);
        return 0;
    }
    if (!strcmp(cmd, "serve")) return cmd_serve(argc - 1, argv + 1);
    if (!strcmp(cmd, "migrate"))
        return cmd_simple(argc - 1, argv + 1, "usage: fairlabel migrate [--db URL] [--data-dir DIR]\n", NULL);
    if (!strcmp(cmd, "demo"))
        return cmd_simple(argc - 1, argv + 1, "usage: fairlabel demo [--db URL] [--data-dir DIR]\n", cli_demo);
    if (!strcmp(cmd, "user") && argc > 2 && !strcmp(argv[2], "add")) return cmd_user_add(argc - 2, argv + 2);
    if (!strcmp(cmd, "audit") && argc > 2 && !strcmp(argv[2], "verify"))
        return cmd_simple(argc - 2, argv + 2, "usage: fairlabel audit verify [--db URL] [--data-dir DIR]\n",
                          cli_audit_verify);
    if (!strcmp(cmd, "db") && argc > 2 && !strcmp(argv[2], "check"))
        return cmd_simple(argc - 2, argv + 2, "usage: fairlabel db check [--db URL] [--data-dir DIR]\n", cli_db_check);
    if (!strcmp(cmd, "aggregate")) return cli_aggregate(argc - 1, argv + 1);
    if (!strcmp(cmd, "payouts")) return cli_payouts(argc - 1, argv + 1);
    if (!strcmp(cmd, "report") && argc > 2) return cli_report(argc - 2, argv + 2);
    if (!strcmp(cmd, "ledger") && argc > 2 && !strcmp(argv[2], "verify"))
        return cmd_simple(argc - 2, argv + 2, "usage: fairlabel ledger verify [--db URL] [--data-dir DIR]\n",
                          cli_ledger_verify);
    if (!strcmp(cmd, "escrow") && argc > 2 && !strcmp(argv[2], "deposit")) return cmd_escrow_deposit(argc - 2, argv + 2);
    if (!strcmp(cmd, "topup") && argc > 2 && !strcmp(argv[2], "run")) return cli_topup_run(argc - 2, argv + 2);
    if (!strcmp(cmd, "routes")) {
        routes_write_json(stdout);
        return 0;
    }
    if (!strcmp(cmd, "errors-doc")) {
        errors_write_doc(stdout);
        return 0;
    }
    fprintf(stderr, "fairlabel: unknown command '%s'\n%s", cmd, usage_main);
    return 2;
}
