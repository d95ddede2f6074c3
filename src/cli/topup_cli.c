/* The top-up job on demand: the same runs the server's background job makes once a week (api/topup.c). */
#include "cli/topup_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/topup.h"
#include "cli/cli_db.h"
#include "store/store.h"
#include "util/clock.h"

static const char usage[] =
    "usage: fairlabel topup run [--project N] [--db URL] [--data-dir DIR]\n"
    "  --project N       only this project (default: every project due this week)\n"
    "  --db URL          sqlite:PATH or postgres://... (env FAIRLABEL_DB;\n"
    "                    default sqlite:DATA_DIR/fairlabel.db)\n"
    "  --data-dir DIR    data folder (env FAIRLABEL_DATA_DIR; default ./data)\n";

int cli_topup_run(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"project", required_argument, NULL, 'p'}, {"db", required_argument, NULL, 'd'},
        {"data-dir", required_argument, NULL, 'D'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
    };
    const char *url = NULL, *dir = NULL;
    long long project = 0;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'p':
            project = strtoll(optarg, &end, 10);
            if (*end || project <= 0) {
                fprintf(stderr, "fairlabel: --project must be a project id\n%s", usage);
                return 2;
            }
            break;
        case 'd': url = optarg; break;
        case 'D': dir = optarg; break;
        case 'h': fputs(usage, stdout); return 0;
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fairlabel: unexpected argument '%s'\n%s", argv[optind], usage);
        return 2;
    }
    db *d = cli_db_open(url, dir);
    if (!d) return 1;
    struct pay_config pay;
    pay_config_from_env(&pay);
    json_t *runs = json_array();
    int rc = topup_run_due(d, &pay, project, clock_now_ms(), runs);
    size_t i;
    json_t *r;
    json_array_foreach(runs, i, r) {
        char *line = json_dumps(r, JSON_COMPACT | JSON_SORT_KEYS);
        if (line) puts(line);
        free(line);
    }
    if (!json_array_size(runs)) puts("no project is due for a top-up run this week");
    json_decref(runs);
    db_close(d);
    if (rc) fprintf(stderr, "fairlabel: a top-up run failed (see the log above)\n");
    return rc ? 1 : 0;
}
