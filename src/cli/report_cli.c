/* `fairlabel report pay|fairwork`: the quarterly pay report (FW-10) and the fairwork self-assessment (FW-27)
 * from the database, byte for byte what GET /api/v1/reports/pay and /reports/fairwork answer. */
#include "cli/report_cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/fairwork.h"
#include "api/reports.h"
#include "cli/cli_db.h"
#include "store/store.h"

struct report_kind {
    const char *name, *quarter_help, *format_help;
    store_rc (*run)(db *d, const struct pay_quarter *q, json_t **out);
    char *(*render)(const json_t *report, const char *format);
};

static const struct report_kind kinds[] = {
    {"pay", "the quarter, e.g. 2026Q3 (answers approved in it, UTC)", "json (default), csv or html (with inline SVG charts)",
     pay_report_run, pay_report_render},
    {"fairwork", "the quarter, e.g. 2026Q3 (UTC)", "json (default), csv or html", fairwork_report_run,
     fairwork_report_render},
};

static void print_usage(FILE *f, const struct report_kind *k)
{
    fprintf(f,
            "usage: fairlabel report %s --quarter YYYYQN [--format json|csv|html] [--out FILE] [--db URL] [--data-dir DIR]\n"
            "  --quarter YYYYQN  %s\n"
            "  --format F        %s\n"
            "  --out FILE        write there instead of standard output\n"
            "  --db URL          sqlite:PATH or postgres://... (env FAIRLABEL_DB;\n"
            "                    default sqlite:DATA_DIR/fairlabel.db)\n"
            "  --data-dir DIR    data folder (env FAIRLABEL_DATA_DIR; default ./data)\n",
            k->name, k->quarter_help, k->format_help);
}

int cli_report(int argc, char **argv)
{
    const struct report_kind *k = NULL;
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++)
        if (argc > 0 && !strcmp(argv[0], kinds[i].name)) k = &kinds[i];
    if (!k) {
        fputs("usage: fairlabel report pay|fairwork --quarter YYYYQN [--format json|csv|html] [--out FILE]\n", stderr);
        return 2;
    }
    enum { O_QUARTER = 1, O_FORMAT, O_OUT, O_DB, O_DATA, O_HELP };
    static const struct option longopts[] = {
        {"quarter", required_argument, NULL, O_QUARTER}, {"format", required_argument, NULL, O_FORMAT},
        {"out", required_argument, NULL, O_OUT},         {"db", required_argument, NULL, O_DB},
        {"data-dir", required_argument, NULL, O_DATA},   {"help", no_argument, NULL, O_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *quarter = NULL, *format = "json", *out = NULL, *url = NULL, *data_dir = NULL;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_QUARTER: quarter = optarg; break;
        case O_FORMAT: format = optarg; break;
        case O_OUT: out = optarg; break;
        case O_DB: url = optarg; break;
        case O_DATA: data_dir = optarg; break;
        case O_HELP: print_usage(stdout, k); return 0;
        default: print_usage(stderr, k); return 2;
        }
    }
    struct pay_quarter q;
    if (optind < argc || !quarter || !pay_quarter_parse(quarter, &q) ||
        (strcmp(format, "json") && strcmp(format, "csv") && strcmp(format, "html"))) {
        fputs("fairlabel: --quarter YYYYQN (e.g. 2026Q3) is required; --format is json, csv or html\n", stderr);
        print_usage(stderr, k);
        return 2;
    }
    db *d = cli_db_open(url, data_dir);
    if (!d) return 1;
    json_t *report;
    if (k->run(d, &q, &report) != STORE_OK) {
        fprintf(stderr, "fairlabel: cannot read the report: %s\n", db_errmsg(d));
        db_close(d);
        return 1;
    }
    db_close(d);
    char *text = k->render(report, format);
    json_decref(report);
    if (!text) {
        fprintf(stderr, "fairlabel: out of memory\n");
        return 1;
    }
    FILE *f = out ? fopen(out, "wb") : stdout;
    size_t n = strlen(text);
    int rc = 0;
    if (!f || fwrite(text, 1, n, f) != n || (out ? fclose(f) : fflush(f)) != 0) {
        fprintf(stderr, "fairlabel: cannot write %s\n", out ? out : "standard output");
        rc = 1;
    }
    free(text);
    return rc;
}
