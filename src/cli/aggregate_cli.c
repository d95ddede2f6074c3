/* `fairlabel aggregate` and its CSV loading (see aggregate_cli.h). */
#include "cli/aggregate_cli.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/agreement.h"

/* Input files are read whole; this keeps a mistaken path from eating the machine. */
#define MAX_FILE_BYTES ((size_t)2 << 30)

__attribute__((format(printf, 3, 4))) static void errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* The whole file, NUL-terminated (the CSV parser writes one NUL past the last field). */
static char *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    for (;;) {
        if (!b) {
            fclose(f);
            errf(err, errlen, "%s: out of memory", path);
            return NULL;
        }
        n += fread(b + n, 1, cap - n, f);
        if (n < cap) break;
        if (cap >= MAX_FILE_BYTES) {
            free(b);
            fclose(f);
            errf(err, errlen, "%s: larger than %zu bytes", path, MAX_FILE_BYTES);
            return NULL;
        }
        cap *= 2;
        char *nb = realloc(b, cap + 1);
        if (!nb) free(b);
        b = nb;
    }
    if (ferror(f)) {
        errf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        free(b);
        fclose(f);
        return NULL;
    }
    fclose(f);
    b[n] = 0;
    *len = n;
    return b;
}

/* ---- CSV (RFC 4180) -------------------------------------------------------------------------- */

struct csv {
    const char *path;
    char *buf;
    size_t len, pos, line; /* line: the physical line at pos, 1-based */
    char **field;
    size_t n_field, cap_field;
};

/* The next record's fields, unescaped in place in buf (a field never grows, so it fits). Returns 1, 0 at
 * the end, -1 with a message. *line gets the line the record starts on. Blank lines are skipped. */
static int csv_next(struct csv *c, size_t *line, char *err, size_t errlen)
{
    char *b = c->buf;
    while (c->pos < c->len && (b[c->pos] == '\n' || b[c->pos] == '\r')) {
        if (b[c->pos] == '\r' && c->pos + 1 < c->len && b[c->pos + 1] == '\n') c->pos++;
        c->pos++, c->line++;
    }
    if (c->pos >= c->len) return 0;
    *line = c->line;
    c->n_field = 0;
    for (;;) {
        char *out = b + c->pos, *start = out;
        if (b[c->pos] == '"') {
            size_t qline = c->line;
            c->pos++;
            for (;;) {
                if (c->pos >= c->len) {
                    errf(err, errlen, "%s:%zu: column %zu: a quoted field is not closed", c->path, qline,
                         c->n_field + 1);
                    return -1;
                }
                char ch = b[c->pos];
                if (ch == '"') {
                    if (c->pos + 1 < c->len && b[c->pos + 1] == '"') {
                        *out++ = '"';
                        c->pos += 2;
                        continue;
                    }
                    c->pos++;
                    break;
                }
                if (ch == '\n' || (ch == '\r' && !(c->pos + 1 < c->len && b[c->pos + 1] == '\n'))) c->line++;
                *out++ = ch;
                c->pos++;
            }
            if (c->pos < c->len && b[c->pos] != ',' && b[c->pos] != '\n' && b[c->pos] != '\r') {
                errf(err, errlen, "%s:%zu: column %zu: text after the closing quote", c->path, c->line,
                     c->n_field + 1);
                return -1;
            }
        } else {
            while (c->pos < c->len && b[c->pos] != ',' && b[c->pos] != '\n' && b[c->pos] != '\r') c->pos++;
            out = b + c->pos;
        }
        char term = c->pos < c->len ? b[c->pos] : 0;
        *out = 0; /* may overwrite term, read above */
        if (c->n_field == c->cap_field) {
            size_t nc = c->cap_field ? c->cap_field * 2 : 16;
            char **nf = realloc(c->field, nc * sizeof *nf);
            if (!nf) {
                errf(err, errlen, "%s: out of memory", c->path);
                return -1;
            }
            c->field = nf, c->cap_field = nc;
        }
        c->field[c->n_field++] = start;
        if (term == ',') {
            c->pos++;
            continue;
        }
        if (term == '\r') {
            c->pos++;
            if (c->pos < c->len && b[c->pos] == '\n') c->pos++;
            c->line++;
        } else if (term == '\n') {
            c->pos++;
            c->line++;
        }
        return 1;
    }
}

static void trim(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    while (a < n && (s[a] == ' ' || s[a] == '\t')) a++;
    memmove(s, s + a, n - a);
    s[n - a] = 0;
}

/* The index of the first header field equal (case-insensitively) to one of names, tried in order. */
static long find_column(struct csv *c, const char *const *names)
{
    for (; *names; names++)
        for (size_t f = 0; f < c->n_field; f++)
            if (!strcasecmp(c->field[f], *names)) return (long)f;
    return -1;
}

static const char *const item_columns[] = {"question", "item", "id", "task", "q", "item_id", "task_id", NULL};
static const char *const worker_columns[] = {"worker", "annotator", "worker_id", "annotator_id", NULL};
static const char *const label_columns[] = {"answer", "label", NULL};
static const char *const truth_columns[] = {"truth", "label", "answer", "gold", NULL};

#define ITEM_NAMES "question, item, id, task or q"

/* Opens path and reads its header; the leading UTF-8 BOM is skipped. */
static bool csv_open(struct csv *c, const char *path, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    c->line = 1;
    c->buf = read_file(path, &c->len, err, errlen);
    if (!c->buf) return false;
    if (c->len >= 3 && !memcmp(c->buf, "\xEF\xBB\xBF", 3)) c->pos = 3;
    size_t line;
    int r = csv_next(c, &line, err, errlen);
    if (r == 0) errf(err, errlen, "%s:1: the file is empty (a header line is needed)", path);
    if (r != 1) {
        free(c->buf), free(c->field);
        c->buf = NULL, c->field = NULL;
        return false;
    }
    for (size_t f = 0; f < c->n_field; f++) trim(c->field[f]);
    return true;
}

/* False, or true with a message when the record lacks one of the columns cols[k] (named names[k]). */
static bool missing_column(const struct csv *c, const long *cols, const char *const *names, size_t n,
                           const char *path, size_t line, char *err, size_t errlen)
{
    size_t first = n;
    for (size_t k = 0; k < n; k++)
        if ((size_t)cols[k] >= c->n_field && (first == n || cols[k] < cols[first])) first = k;
    if (first == n) return false;
    errf(err, errlen, "%s:%zu: column '%s' is missing (the row has %zu field%s)", path, line, names[first],
         c->n_field, c->n_field == 1 ? "" : "s");
    return true;
}

/* ---- string → index ------------------------------------------------------------------------- */

struct strmap {
    const char **key;
    uint32_t *val;
    size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static void strmap_free(struct strmap *m)
{
    if (!m) return;
    free(m->key);
    free(m->val);
    free(m);
}

static bool strmap_grow(struct strmap *m)
{
    size_t nc = m->cap ? m->cap * 2 : 1024;
    const char **nk = calloc(nc, sizeof *nk);
    uint32_t *nv = malloc(nc * sizeof *nv);
    if (!nk || !nv) {
        free(nk), free(nv);
        return false;
    }
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->key[i]) continue;
        size_t h = (size_t)hash_str(m->key[i]) & (nc - 1);
        while (nk[h]) h = (h + 1) & (nc - 1);
        nk[h] = m->key[i], nv[h] = m->val[i];
    }
    free(m->key), free(m->val);
    m->key = nk, m->val = nv, m->cap = nc;
    return true;
}

/* The value of key, or UINT32_MAX when absent. */
static uint32_t strmap_get(const struct strmap *m, const char *key)
{
    if (!m || !m->cap) return UINT32_MAX;
    size_t h = (size_t)hash_str(key) & (m->cap - 1);
    for (; m->key[h]; h = (h + 1) & (m->cap - 1))
        if (!strcmp(m->key[h], key)) return m->val[h];
    return UINT32_MAX;
}

/* The value of key, adding it with value m->n when new (*added set); UINT32_MAX when out of memory. */
static uint32_t strmap_put(struct strmap *m, const char *key, bool *added)
{
    *added = false;
    if ((m->n + 1) * 2 > m->cap && !strmap_grow(m)) return UINT32_MAX;
    size_t h = (size_t)hash_str(key) & (m->cap - 1);
    for (; m->key[h]; h = (h + 1) & (m->cap - 1))
        if (!strcmp(m->key[h], key)) return m->val[h];
    if (m->n >= UINT32_MAX - 1) return UINT32_MAX;
    m->key[h] = key;
    m->val[h] = (uint32_t)m->n++;
    *added = true;
    return m->val[h];
}

/* ---- loading ---------------------------------------------------------------------------------- */

void cli_agg_dataset_free(struct agg_dataset *d)
{
    if (!d) return;
    free(d->answers);
    free(d->answer_line);
    free(d->items);
    free(d->workers);
    free(d->labels);
    free(d->buf);
    strmap_free(d->item_map);
    memset(d, 0, sizeof *d);
}

/* Appends name to a growable array of names. */
static bool push_name(char ***arr, size_t n, char *name)
{
    if ((n & (n - 1)) == 0) { /* n is 0 or a power of two: grow */
        char **na = realloc(*arr, (n ? 2 * n : 1) * sizeof *na);
        if (!na) return false;
        *arr = na;
    }
    (*arr)[n] = name;
    return true;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

bool cli_agg_load_answers(const char *path, struct agg_dataset *d, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    d->path = path;
    struct csv c;
    if (!csv_open(&c, path, err, errlen)) return false;
    d->buf = c.buf;
    struct strmap *items = calloc(1, sizeof *items), workers = {0}, labels = {0};
    size_t cap = 0;
    uint32_t *remap = NULL;
    d->item_map = items;
    long ci = find_column(&c, item_columns), cw = find_column(&c, worker_columns), cl = find_column(&c, label_columns);
    if (!items) goto oom;
    if (ci < 0 || cw < 0 || cl < 0) {
        errf(err, errlen, "%s:1: no %s column in the header (expected %s)", path,
             ci < 0 ? "item" : cw < 0 ? "worker" : "label",
             ci < 0 ? ITEM_NAMES : cw < 0 ? "worker, annotator, worker_id or annotator_id" : "answer or label");
        goto fail;
    }
    const char *names[3] = {c.field[ci], c.field[cw], c.field[cl]};
    long cols[3] = {ci, cw, cl};
    d->label_column = names[2];
    size_t line;
    int r;
    while ((r = csv_next(&c, &line, err, errlen)) == 1) {
        if (missing_column(&c, cols, names, 3, path, line, err, errlen)) goto fail;
        if (d->n_answers == cap) {
            size_t nc = cap ? cap * 2 : 1024;
            struct agg_answer *na = realloc(d->answers, nc * sizeof *na);
            if (!na) goto oom;
            d->answers = na;
            size_t *nl = realloc(d->answer_line, nc * sizeof *nl);
            if (!nl) goto oom;
            d->answer_line = nl;
            cap = nc;
        }
        bool added;
        uint32_t it = strmap_put(items, c.field[ci], &added);
        if (it == UINT32_MAX || (added && !push_name(&d->items, d->n_items++, c.field[ci]))) goto oom;
        uint32_t wk = strmap_put(&workers, c.field[cw], &added);
        if (wk == UINT32_MAX || (added && !push_name(&d->workers, d->n_workers++, c.field[cw]))) goto oom;
        uint32_t lb = strmap_put(&labels, c.field[cl], &added);
        if (lb == UINT32_MAX || (added && !push_name(&d->labels, d->n_labels++, c.field[cl]))) goto oom;
        d->answers[d->n_answers] = (struct agg_answer){it, wk, lb};
        d->answer_line[d->n_answers++] = line;
    }
    if (r < 0) goto fail;
    /* Number labels in sorted order. */
    if (d->n_labels) {
        remap = malloc(d->n_labels * sizeof *remap);
        if (!remap) goto oom;
        qsort(d->labels, d->n_labels, sizeof *d->labels, cmp_str);
        for (size_t l = 0; l < d->n_labels; l++) remap[strmap_get(&labels, d->labels[l])] = (uint32_t)l;
        for (size_t j = 0; j < d->n_answers; j++) d->answers[j].label = remap[d->answers[j].label];
    }
    free(remap);
    free(c.field);
    free(workers.key), free(workers.val), free(labels.key), free(labels.val);
    return true;
oom:
    errf(err, errlen, "%s: out of memory", path);
fail:
    free(remap);
    free(c.field);
    free(workers.key), free(workers.val), free(labels.key), free(labels.val);
    cli_agg_dataset_free(d);
    return false;
}

void cli_agg_truth_free(struct agg_truth *t)
{
    if (!t) return;
    free(t->by_item);
    free(t->line);
    free(t->buf);
    memset(t, 0, sizeof *t);
}

bool cli_agg_load_truth(const char *path, const struct agg_dataset *d, struct agg_truth *t, char *err,
                        size_t errlen)
{
    memset(t, 0, sizeof *t);
    t->path = path;
    struct csv c;
    if (!csv_open(&c, path, err, errlen)) return false;
    t->buf = c.buf;
    long ci = find_column(&c, item_columns), ct = find_column(&c, truth_columns);
    if (ci < 0 || ct < 0) {
        errf(err, errlen, "%s:1: no %s column in the header (expected %s)", path, ci < 0 ? "item" : "truth",
             ci < 0 ? ITEM_NAMES : "truth, label, answer or gold");
        goto fail;
    }
    t->truth_column = c.field[ct];
    const char *names[2] = {c.field[ci], c.field[ct]};
    long cols[2] = {ci, ct};
    t->by_item = calloc(d->n_items ? d->n_items : 1, sizeof *t->by_item);
    t->line = calloc(d->n_items ? d->n_items : 1, sizeof *t->line);
    if (!t->by_item || !t->line) {
        errf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    size_t line;
    int r;
    while ((r = csv_next(&c, &line, err, errlen)) == 1) {
        if (missing_column(&c, cols, names, 2, path, line, err, errlen)) goto fail;
        t->n_rows++;
        uint32_t it = strmap_get(d->item_map, c.field[ci]);
        if (it == UINT32_MAX) {
            t->n_unanswered++;
            continue;
        }
        t->by_item[it] = c.field[ct]; /* a later row for the same item replaces an earlier one */
        t->line[it] = line;
    }
    if (r < 0) goto fail;
    free(c.field);
    return true;
fail:
    free(c.field);
    cli_agg_truth_free(t);
    return false;
}

/* ---- the command ------------------------------------------------------------------------------ */

static const char usage_aggregate[] =
    "usage: fairlabel aggregate --method METHOD --answers FILE [--truth FILE] [--out FILE]\n"
    "                           [--workers-out FILE] [--max-iter N] [--tol X] [--smoothing A]\n"
    "  --method METHOD   mv (majority vote), ds (Dawid-Skene), onecoin (one-coin Dawid-Skene), glad,\n"
    "                    mace; mean or median for numeric answers\n"
    "  --answers FILE    CSV with a header line and one row per answer: the item (column question,\n"
    "                    item, id, task or q), the worker (worker, annotator, worker_id or\n"
    "                    annotator_id) and the label (answer or label); header names are matched\n"
    "                    case-insensitively, other columns are ignored. RFC 4180 quoting; LF, CRLF or\n"
    "                    CR line ends. A repeated row counts as another vote. Labels are compared as\n"
    "                    strings and numbered in sorted (byte) order; ties go to the first of them\n"
    "  --truth FILE      CSV of true labels: the item column and truth, label, answer or gold. Prints\n"
    "                    accuracy on the items that have both answers and a truth (with two labels also\n"
    "                    F1, the positive class being \"1\", \"yes\", \"true\" or \"positive\" when one of\n"
    "                    the labels is that, else the second label in sorted order); mean and median\n"
    "                    print MAE and RMSE\n"
    "  --out FILE        writes item,label,confidence per item (confidence: the posterior probability of\n"
    "                    the label; for mv its share of the votes); mean and median write\n"
    "                    item,value,answers\n"
    "  --workers-out FILE  writes worker,answers,quality,agreement per worker (quality: the method's\n"
    "                    estimated accuracy; agreement: share of pairs with other workers' answers on\n"
    "                    the same items that match); mean and median: worker,answers,mean_abs_error\n"
    "  --max-iter N      EM iterations at most (default 100; 0 stops at the majority-vote start)\n"
    "  --tol X           stop when the objective per answer improves by less than X (default 1e-5)\n"
    "  --smoothing A     Dirichlet pseudo-count added to confusion counts (ds, onecoin; default 0:\n"
    "                    probabilities are clipped at 1e-10 instead)\n"
    "Prints method, answers, items, workers, classes, iterations, agreement (Krippendorff's alpha, and\n"
    "Fleiss' kappa for labels), then evaluated, accuracy and f1 (or mae and rmse) with --truth.\n"
    "Exit status: 0 done, 1 out of memory or a file not writable, 2 bad usage or input.\n";

static bool parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return false;
    *out = v;
    return true;
}

static bool parse_double(const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    while (*end == ' ' || *end == '\t') end++;
    if (errno == ERANGE || end == s || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* Writes s as one CSV field, quoted when it has to be. */
static void csv_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* The positive class of a two-label task (see the usage text). */
static size_t positive_class(const struct agg_dataset *d)
{
    static const char *const names[] = {"1", "yes", "true", "positive"};
    for (size_t n = 0; n < sizeof names / sizeof *names; n++)
        for (size_t l = 0; l < 2; l++)
            if (!strcasecmp(d->labels[l], names[n])) return l;
    return 1;
}

static void print_agreement_nominal(const struct agg_dataset *d)
{
    double alpha, kappa;
    if (agree_alpha_nominal(d->answers, d->n_answers, d->n_items, d->n_labels, &alpha) == AGG_OK)
        printf("alpha_nominal: %.4f\n", alpha);
    if (agree_fleiss_kappa(d->answers, d->n_answers, d->n_items, d->n_labels, &kappa) == AGG_OK)
        printf("fleiss_kappa: %.4f\n", kappa);
}

static FILE *open_out(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) fprintf(stderr, "fairlabel: cannot write %s: %s\n", path, strerror(errno));
    return f;
}

static int close_out(FILE *f, const char *path)
{
    if (ferror(f) | fclose(f)) {
        fprintf(stderr, "fairlabel: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

static int run_categorical(enum agg_method m, const struct agg_dataset *d, const struct agg_params *prm,
                           const struct agg_truth *t, const char *out_path, const char *workers_path)
{
    struct agg_result r;
    enum agg_status st = agg_categorical(m, d->answers, d->n_answers, d->n_items, d->n_workers,
                                         d->n_labels ? d->n_labels : 1, prm, &r);
    if (st) {
        fprintf(stderr, "fairlabel: %s\n", st == AGG_ENOMEM ? "out of memory" : "aggregation failed: bad input");
        return st == AGG_ENOMEM ? 1 : 2;
    }
    printf("method: %s\nanswers: %zu\nitems: %zu\nworkers: %zu\nclasses: %zu\n", agg_method_name(m), d->n_answers,
           d->n_items, d->n_workers, d->n_labels);
    printf("iterations: %d\n", r.iterations);
    print_agreement_nominal(d);
    if (t) {
        size_t evaluated = 0, correct = 0, tp = 0, fp = 0, fn = 0, pos = d->n_labels == 2 ? positive_class(d) : 0;
        for (size_t i = 0; i < d->n_items; i++) {
            if (!t->by_item[i] || r.label[i] == AGG_NO_LABEL) continue;
            evaluated++;
            bool ok = !strcmp(d->labels[r.label[i]], t->by_item[i]);
            correct += ok;
            if (d->n_labels == 2) {
                bool pred_pos = (size_t)r.label[i] == pos, true_pos = !strcmp(t->by_item[i], d->labels[pos]);
                tp += pred_pos && true_pos, fp += pred_pos && !true_pos, fn += !pred_pos && true_pos;
            }
        }
        printf("truth_rows: %zu (%zu for items without answers)\n", t->n_rows, t->n_unanswered);
        printf("evaluated: %zu\n", evaluated);
        if (evaluated) printf("accuracy: %.4f (%zu/%zu)\n", (double)correct / (double)evaluated, correct, evaluated);
        if (evaluated && d->n_labels == 2)
            printf("f1: %.4f (positive class \"%s\")\n", tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0.0,
                   d->labels[pos]);
    }
    int rc = 0;
    FILE *f;
    if (out_path && (f = open_out(out_path))) {
        fputs("item,label,confidence\n", f);
        for (size_t i = 0; i < d->n_items; i++) {
            if (r.label[i] == AGG_NO_LABEL) continue;
            csv_field(f, d->items[i]);
            fputc(',', f);
            csv_field(f, d->labels[r.label[i]]);
            fprintf(f, ",%.6f\n", r.confidence[i]);
        }
        rc |= close_out(f, out_path);
    } else if (out_path) {
        rc = 1;
    }
    if (workers_path && (f = open_out(workers_path))) {
        struct agree_worker *aw = calloc(d->n_workers ? d->n_workers : 1, sizeof *aw);
        double *n = calloc(d->n_workers ? d->n_workers : 1, sizeof *n);
        if (aw && n && agree_workers(d->answers, d->n_answers, d->n_items, d->n_workers, d->n_labels, aw) == AGG_OK) {
            for (size_t j = 0; j < d->n_answers; j++) n[d->answers[j].worker] += 1;
            fputs("worker,answers,quality,agreement\n", f);
            for (size_t w = 0; w < d->n_workers; w++) {
                csv_field(f, d->workers[w]);
                fprintf(f, ",%.0f,%.6f,", n[w], r.worker_quality[w]);
                if (!isnan(aw[w].agreement)) fprintf(f, "%.6f", aw[w].agreement);
                fputc('\n', f);
            }
        } else {
            fprintf(stderr, "fairlabel: out of memory\n");
            rc = 1;
        }
        free(aw), free(n);
        rc |= close_out(f, workers_path);
    } else if (workers_path) {
        rc = 1;
    }
    agg_result_free(&r);
    return rc;
}

static int run_numeric(enum agg_numeric_method m, const struct agg_dataset *d, const struct agg_truth *t,
                       const char *out_path, const char *workers_path)
{
    struct agg_numeric_answer *na = malloc((d->n_answers ? d->n_answers : 1) * sizeof *na);
    if (!na) {
        fprintf(stderr, "fairlabel: out of memory\n");
        return 1;
    }
    for (size_t j = 0; j < d->n_answers; j++) {
        const char *s = d->labels[d->answers[j].label];
        na[j] = (struct agg_numeric_answer){d->answers[j].item, d->answers[j].worker, 0};
        if (!parse_double(s, &na[j].value)) {
            fprintf(stderr, "fairlabel: %s:%zu: column '%s': '%s' is not a number\n", d->path, d->answer_line[j],
                    d->label_column, s);
            free(na);
            return 2;
        }
    }
    /* Every item of the dataset has answers; check all truth values before printing anything. */
    double *truth = t ? malloc((d->n_items ? d->n_items : 1) * sizeof *truth) : NULL;
    if (t && !truth) {
        fprintf(stderr, "fairlabel: out of memory\n");
        free(na);
        return 1;
    }
    for (size_t i = 0; t && i < d->n_items; i++)
        if (t->by_item[i] && !parse_double(t->by_item[i], &truth[i])) {
            fprintf(stderr, "fairlabel: %s:%zu: column '%s': '%s' is not a number\n", t->path, t->line[i],
                    t->truth_column, t->by_item[i]);
            free(na), free(truth);
            return 2;
        }
    struct agg_numeric_result r;
    enum agg_status st = agg_numeric(m, na, d->n_answers, d->n_items, d->n_workers, &r);
    if (st) {
        fprintf(stderr, "fairlabel: out of memory\n");
        free(na), free(truth);
        return 1;
    }
    int rc = 0;
    printf("method: %s\nanswers: %zu\nitems: %zu\nworkers: %zu\n", m == AGG_MEAN ? "mean" : "median", d->n_answers,
           d->n_items, d->n_workers);
    printf("iterations: 0\n");
    double alpha;
    if (agree_alpha_interval(na, d->n_answers, d->n_items, &alpha) == AGG_OK) printf("alpha_interval: %.4f\n", alpha);
    if (t) {
        size_t evaluated = 0;
        double abs_sum = 0, sq_sum = 0;
        for (size_t i = 0; i < d->n_items; i++) {
            if (!t->by_item[i] || !r.count[i]) continue;
            double v = truth[i];
            evaluated++;
            abs_sum += fabs(r.value[i] - v);
            sq_sum += (r.value[i] - v) * (r.value[i] - v);
        }
        printf("truth_rows: %zu (%zu for items without answers)\n", t->n_rows, t->n_unanswered);
        printf("evaluated: %zu\n", evaluated);
        if (evaluated) {
            printf("mae: %.4f\n", abs_sum / (double)evaluated);
            printf("rmse: %.4f\n", sqrt(sq_sum / (double)evaluated));
        }
    }
    FILE *f;
    if (out_path && (f = open_out(out_path))) {
        fputs("item,value,answers\n", f);
        for (size_t i = 0; i < d->n_items; i++) {
            if (!r.count[i]) continue;
            csv_field(f, d->items[i]);
            fprintf(f, ",%.17g,%u\n", r.value[i], (unsigned)r.count[i]);
        }
        rc |= close_out(f, out_path);
    } else if (out_path) {
        rc = 1;
    }
    if (workers_path && (f = open_out(workers_path))) {
        double *n = calloc(d->n_workers ? d->n_workers : 1, sizeof *n);
        if (n) {
            for (size_t j = 0; j < d->n_answers; j++) n[d->answers[j].worker] += 1;
            fputs("worker,answers,mean_abs_error\n", f);
            for (size_t w = 0; w < d->n_workers; w++) {
                csv_field(f, d->workers[w]);
                fprintf(f, ",%.0f,%.6f\n", n[w], r.worker_error[w]);
            }
        } else {
            rc = 1;
        }
        free(n);
        rc |= close_out(f, workers_path);
    } else if (workers_path) {
        rc = 1;
    }
    agg_numeric_result_free(&r);
    free(na), free(truth);
    return rc;
}

int cli_aggregate(int argc, char **argv)
{
    enum { O_METHOD = 1, O_ANSWERS, O_TRUTH, O_OUT, O_WORKERS, O_MAXITER, O_TOL, O_SMOOTH, O_HELP };
    static const struct option longopts[] = {
        {"method", required_argument, NULL, O_METHOD},   {"answers", required_argument, NULL, O_ANSWERS},
        {"truth", required_argument, NULL, O_TRUTH},     {"out", required_argument, NULL, O_OUT},
        {"workers-out", required_argument, NULL, O_WORKERS}, {"max-iter", required_argument, NULL, O_MAXITER},
        {"tol", required_argument, NULL, O_TOL},         {"smoothing", required_argument, NULL, O_SMOOTH},
        {"help", no_argument, NULL, O_HELP},             {NULL, 0, NULL, 0},
    };
    const char *method = NULL, *answers = NULL, *truth = NULL, *out = NULL, *workers_out = NULL;
    struct agg_params prm;
    agg_params_default(&prm);
    optind = 1;
    int c;
    long v;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_METHOD: method = optarg; break;
        case O_ANSWERS: answers = optarg; break;
        case O_TRUTH: truth = optarg; break;
        case O_OUT: out = optarg; break;
        case O_WORKERS: workers_out = optarg; break;
        case O_MAXITER:
            if (!parse_long(optarg, 0, 1000000, &v)) {
                fprintf(stderr, "fairlabel: --max-iter: '%s' is not an integer from 0 to 1000000\n", optarg);
                return 2;
            }
            prm.max_iter = (int)v;
            break;
        case O_TOL:
            if (!parse_double(optarg, &prm.tol) || prm.tol < 0) {
                fprintf(stderr, "fairlabel: --tol: '%s' is not a number of at least 0\n", optarg);
                return 2;
            }
            break;
        case O_SMOOTH:
            if (!parse_double(optarg, &prm.smoothing) || prm.smoothing < 0) {
                fprintf(stderr, "fairlabel: --smoothing: '%s' is not a number of at least 0\n", optarg);
                return 2;
            }
            break;
        case O_HELP: fputs(usage_aggregate, stdout); return 0;
        default: fputs(usage_aggregate, stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "fairlabel: unexpected argument '%s'\n%s", argv[optind], usage_aggregate);
        return 2;
    }
    if (!method || !answers) {
        fprintf(stderr, "fairlabel: --method and --answers are required\n%s", usage_aggregate);
        return 2;
    }
    enum agg_method m = AGG_MV;
    bool numeric = !strcmp(method, "mean") || !strcmp(method, "median");
    if (!numeric && !agg_method_parse(method, &m)) {
        fprintf(stderr, "fairlabel: --method: '%s' is not one of mv, ds, onecoin, glad, mace, mean, median\n", method);
        return 2;
    }
    char err[1024];
    struct agg_dataset d;
    struct agg_truth t;
    if (!cli_agg_load_answers(answers, &d, err, sizeof err)) {
        fprintf(stderr, "fairlabel: %s\n", err);
        return strstr(err, "out of memory") ? 1 : 2;
    }
    if (truth && !cli_agg_load_truth(truth, &d, &t, err, sizeof err)) {
        fprintf(stderr, "fairlabel: %s\n", err);
        cli_agg_dataset_free(&d);
        return strstr(err, "out of memory") ? 1 : 2;
    }
    int rc = numeric ? run_numeric(!strcmp(method, "mean") ? AGG_MEAN : AGG_MEDIAN, &d, truth ? &t : NULL, out,
                                   workers_out)
                     : run_categorical(m, &d, &prm, truth ? &t : NULL, out, workers_out);
    if (truth) cli_agg_truth_free(&t);
    cli_agg_dataset_free(&d);
    return rc;
}
