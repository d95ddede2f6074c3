/* Task import: an NDJSON body, every line checked against the project's kind before anything is
 * written, then inserted in one transaction; all or nothing. Each line is parsed once: pass 1 keeps the
 * checked tasks as rows, pass 2 inserts the rows. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/media.h"
#include "api/project_access.h"
#include "core/import_formats.h"
#include "core/schema.h"
#include "core/validate.h"
#include "http/reply.h"
#include "util/buf.h"
#include "util/clock.h"

#define IMPORT_LINE_MAX (1024 * 1024)
#define IMPORT_ERRORS_MAX 100

struct line_iter {
    const char *p, *end;
    int64_t number;
};

/* Next non-blank line (without its \r\n); false at the end. */
static bool next_line(struct line_iter *it, const char **line, size_t *len)
{
    while (it->p < it->end) {
        const char *nl = memchr(it->p, '\n', (size_t)(it->end - it->p));
        const char *stop = nl ? nl : it->end;
        const char *s = it->p;
        it->p = nl ? nl + 1 : it->end;
        it->number++;
        size_t n = (size_t)(stop - s);
        if (n && s[n - 1] == '\r') n--;
        bool blank = true;
        for (size_t i = 0; i < n && blank; i++) blank = s[i] == ' ' || s[i] == '\t';
        if (blank) continue;
        *line = s;
        *len = n;
        return true;
    }
    return false;
}

/* A task checked in pass 1, kept for pass 2. The text members are (pointer, length) spans, into the body
 * when the line holds them exactly as json_dumps(JSON_COMPACT) would write them, else into the arena. */
struct import_row {
    const char *data, *predictions, *external_id; /* predictions and external_id NULL when absent */
    uint32_t data_len, predictions_len, external_id_len;
    uint32_t record; /* the line (or n-th task) it came from */
    int16_t priority;
    uint8_t gold, nmedia;
    struct import_extra *extra; /* NULL unless gold or media */
};

struct import_extra {
    const char *gold_answer, *gold_explanation; /* NUL-terminated, in the arena */
    const char *media[12];                      /* the media ids the data names */
};

struct import_ctx {
    req *r;
    struct project p;
    enum project_kind kind;
    json_t *schema;
    json_t *media;  /* media id → {kind, width, height, points} or null (unknown / not yours) */
    json_t *errors; /* pass 1: the first IMPORT_ERRORS_MAX bad lines */
    int64_t imported, imported_gold, now, bad_line, good, bad;
    int64_t required, available; /* ERR_ESCROW_SHORT */
    err_id err;
    enum import_format { IMPORT_NDJSON, IMPORT_CSV, IMPORT_LABEL_STUDIO, IMPORT_COCO, IMPORT_KITTI } format;
    struct kitti_frame *frames; /* IMPORT_KITTI: the frames of the uploaded ZIP, sorted by name */
    size_t nframes;
    int64_t record;   /* the record being handled: NDJSON line, or the n-th task of another format */
    const char *line; /* NDJSON: the text of that line (line_len bytes); NULL for other formats */
    size_t line_len;
    db_rc dbrc;       /* a database failure inside a per-task callback */
    struct import_row *rows; /* pass 1's checked tasks (malloc'd), nrows of cap */
    size_t nrows, rows_cap;
    bool one_by_one; /* pass 2 inserts a row a statement, to name the line of a repeated external_id */
};

/* A KITTI object-data frame: velodyne/NAME.bin, with label_2/NAME.txt and image_2/NAME.png if present. */
struct kitti_frame {
    const char *name;
    struct upload_item cloud, image;
    bool has_image;
    char *label; /* malloc'd, NUL-terminated; NULL without a label file */
    size_t label_len;
};

static void add_error(struct import_ctx *c, int64_t line, const char *field, const char *detail)
{
    if (++c->bad <= IMPORT_ERRORS_MAX)
        json_array_append_new(c->errors, json_pack("{s:I, s:s, s:s}", "line", (json_int_t)line, "field", field,
                                                   "detail", detail));
}

/* The media references in a task's data: the objects holding a "media_id". */
static size_t media_refs(enum project_kind k, json_t *data, json_t **refs, size_t max)
{
    size_t n = 0;
    json_t *img = json_object_get(data, "image");
    if (k != KIND_LIDAR_CUBOIDS && json_object_get(img, "media_id") && n < max) refs[n++] = img;
    json_t *pc = json_object_get(data, "pointcloud");
    if (k == KIND_LIDAR_CUBOIDS && json_object_get(pc, "media_id") && n < max) refs[n++] = pc;
    json_t *imgs = json_object_get(data, "images");
    for (size_t i = 0; k == KIND_LIDAR_CUBOIDS && i < json_array_size(imgs) && n < max; i++)
        if (json_object_get(json_array_get(imgs, i), "media_id")) refs[n++] = json_array_get(imgs, i);
    return n;
}

/* Inside a transaction: checks that every media the data names was uploaded by this requester and
 * is of the right kind, and writes the stored size into the reference (width/height, points). */
static bool media_fill(db *d, struct import_ctx *c, json_t *root, struct verr *e, db_rc *dbrc)
{
    json_t *refs[12];
    size_t n = media_refs(c->kind, json_object_get(root, "data"), refs, 12);
    for (size_t i = 0; i < n; i++) {
        const char *id = json_string_value(json_object_get(refs[i], "media_id"));
        if (!id || !media_id_valid(id)) continue; /* task_line_check names the bad field */
        json_t *info = json_object_get(c->media, id);
        if (!info) {
            struct media_info m;
            db_rc rc = store_media_info(d, c->r->a, id, &m);
            if (rc == DB_ROW) rc = store_media_owned(d, id, c->r->user.id) == DB_ROW ? DB_ROW : DB_DONE;
            if (rc != DB_ROW && rc != DB_DONE) {
                *dbrc = rc;
                return false;
            }
            info = rc == DB_ROW ? json_pack("{s:s, s:I, s:I, s:I}", "kind", m.kind, "width", (json_int_t)m.width,
                                            "height", (json_int_t)m.height, "points", (json_int_t)m.points)
                                : json_null();
            json_object_set_new(c->media, id, info);
        }
        bool want_cloud = refs[i] == json_object_get(json_object_get(root, "data"), "pointcloud");
        const char *kind = json_string_value(json_object_get(info, "kind"));
        if (!kind || strcmp(kind, want_cloud ? "pointcloud" : "image")) {
            snprintf(e->field, sizeof e->field, "%s", want_cloud ? "/data/pointcloud/media_id" : "/data/image/media_id");
            snprintf(e->detail, sizeof e->detail, "media %.64s is not %s you uploaded", id,
                     want_cloud ? "a point cloud" : "an image");
            return false;
        }
        if (want_cloud) {
            json_object_set(refs[i], "points", json_object_get(info, "points"));
        } else {
            json_object_set(refs[i], "width", json_object_get(info, "width"));
            json_object_set(refs[i], "height", json_object_get(info, "height"));
        }
    }
    return true;
}

/* Inside a transaction: checks one task line (media filled in first). A database failure sets
 * c->dbrc. */
static bool check_task(db *d, struct import_ctx *c, json_t *root, struct task_line *t, struct verr *e)
{
    db_rc dbrc = DB_OK;
    bool ok = media_fill(d, c, root, e, &dbrc) && task_line_check(c->kind, c->schema, root, t, e);
    if (dbrc != DB_OK) c->dbrc = dbrc;
    return ok;
}

/* One task of the upload: 0 accepted, 1 rejected (e says why), -1 stop (c->dbrc or c->err set). */
typedef int (*task_fn)(db *d, struct import_ctx *c, json_t *root, struct verr *e);

struct each_ctx {
    db *d;
    struct import_ctx *c;
    task_fn fn;
};

static int each_trampoline(void *vctx, json_t *line, struct verr *e)
{
    struct each_ctx *x = vctx;
    x->c->record++;
    return x->fn(x->d, x->c, line, e);
}

struct kitti_each {
    db *d;
    struct import_ctx *c;
    task_fn fn;
    const struct kitti_frame *f;
};

/* The task data of a frame: its point cloud and camera image (sizes filled in by media_fill). */
static json_t *kitti_data(const struct kitti_frame *f)
{
    json_t *data = json_pack("{s:{s:s}}", "pointcloud", "media_id", f->cloud.id);
    if (f->has_image) json_object_set_new(data, "images", json_pack("[{s:s}]", "media_id", f->image.id));
    return data;
}

static int kitti_line(void *vctx, json_t *line, struct verr *e)
{
    struct kitti_each *k = vctx;
    json_object_set_new(line, "data", kitti_data(k->f));
    return k->fn(k->d, k->c, line, e);
}

static int each_kitti_frame(db *d, struct import_ctx *c, task_fn fn)
{
    struct imp_options o = {.kind = c->kind, .schema = c->schema, .max_bytes = 1 << 20};
    for (size_t i = 0; i < c->nframes; i++) {
        const struct kitti_frame *f = &c->frames[i];
        struct kitti_each k = {d, c, fn, f};
        struct verr e;
        c->record = (int64_t)i + 1;
        int rc;
        if (f->label) {
            struct imp_report rep = {0};
            long n = imp_kitti(f->name, f->label, f->label_len, &o, kitti_line, &k, &rep);
            if (c->dbrc != DB_OK || c->err) return -1;
            for (size_t x = 0; x < rep.n_stored; x++)
                add_error(c, c->record, arena_printf(c->r->a, "label_2/%s.txt %s", f->name, rep.errors[x].field),
                          rep.errors[x].detail);
            if (n > 0) c->good += n;
            continue;
        }
        json_t *line = json_pack("{s:s}", "external_id", f->name);
        rc = kitti_line(&k, line, &e);
        json_decref(line);
        if (rc < 0) return -1;
        if (rc == 0)
            c->good++;
        else
            add_error(c, c->record, e.field, e.detail);
    }
    return 0;
}

/* A JSON value as compact text in the arena (the form tasks have always been stored in). */
static const char *dump_arena(struct import_ctx *c, json_t *v, uint32_t *len)
{
    char *s = json_dumps(v, JSON_COMPACT);
    if (!s) return NULL;
    size_t n = strlen(s);
    char *copy = n <= UINT32_MAX ? arena_strndup(c->r->a, s, n) : NULL;
    free(s);
    *len = (uint32_t)n;
    return copy;
}

/* The text of member name as stored: the line's own bytes when they are what json_dumps writes (data the
 * media check did not touch), else v dumped. */
static const char *member_text(struct import_ctx *c, const char *name, json_t *v, bool untouched, uint32_t *len)
{
    size_t n = 0;
    const char *p = c->line && untouched ? imp_compact_member(c->line, c->line_len, name, &n) : NULL;
    if (p) {
        *len = (uint32_t)n;
        return p;
    }
    return dump_arena(c, v, len);
}

/* Room for one more kept task; NULL when out of memory. */
static struct import_row *row_new(struct import_ctx *c)
{
    if (c->nrows == c->rows_cap) {
        size_t cap = c->rows_cap ? c->rows_cap * 2 : 1024;
        struct import_row *rows = realloc(c->rows, cap * sizeof *rows);
        if (!rows) return NULL;
        c->rows = rows;
        c->rows_cap = cap;
    }
    return &c->rows[c->nrows];
}

/* Keeps a line of the fast path (imp_simple_line) for pass 2. False when out of memory. */
static bool keep_simple(struct import_ctx *c, const struct imp_simple_task *st)
{
    struct import_row *w = row_new(c);
    if (!w) return false;
    *w = (struct import_row){.record = (uint32_t)c->record, .priority = (int16_t)st->priority, .data = st->data,
                             .data_len = (uint32_t)st->data_len, .external_id = st->external_id,
                             .external_id_len = (uint32_t)st->external_id_len};
    c->nrows++;
    return true;
}

/* Keeps a checked task for pass 2. False when out of memory. */
static bool keep_row(struct import_ctx *c, const struct task_line *t)
{
    struct import_row *w = row_new(c);
    if (!w) return false;
    *w = (struct import_row){.record = (uint32_t)c->record, .priority = (int16_t)t->priority, .gold = (uint8_t)t->gold};
    json_t *refs[12];
    size_t nrefs = media_refs(c->kind, t->data, refs, 12); /* media_fill wrote sizes into these */
    if (!(w->data = member_text(c, "data", t->data, nrefs == 0, &w->data_len))) return false;
    if (t->predictions && !(w->predictions = member_text(c, "predictions", t->predictions, true, &w->predictions_len)))
        return false;
    if (t->external_id) {
        size_t n = 0;
        const char *q = c->line ? imp_compact_member(c->line, c->line_len, "external_id", &n) : NULL;
        /* "…" without escapes is the string itself */
        if (q && n >= 2 && *q == '"' && !memchr(q, '\\', n)) {
            w->external_id = q + 1;
            w->external_id_len = (uint32_t)(n - 2);
        } else {
            w->external_id = arena_strdup(c->r->a, t->external_id);
            w->external_id_len = (uint32_t)strlen(t->external_id);
            if (!w->external_id) return false;
        }
    }
    if (t->gold || nrefs) {
        struct import_extra *x = arena_alloc(c->r->a, sizeof *x);
        if (!x) return false;
        uint32_t n;
        if (t->gold_answer && !(x->gold_answer = dump_arena(c, t->gold_answer, &n))) return false;
        if (t->gold_explanation && !(x->gold_explanation = arena_strdup(c->r->a, t->gold_explanation))) return false;
        for (size_t i = 0; i < nrefs; i++)
            if (!(x->media[i] = arena_strdup(c->r->a, json_string_value(json_object_get(refs[i], "media_id")))))
                return false;
        w->nmedia = (uint8_t)nrefs;
        w->extra = x;
    }
    c->nrows++;
    return true;
}

/* Pass 1 for one task: checked, and kept while every task so far was good. */
static int check_one(db *d, struct import_ctx *c, json_t *root, struct verr *e)
{
    struct task_line t;
    if (!check_task(d, c, root, &t, e)) return c->dbrc != DB_OK ? -1 : 1;
    if (c->bad) return 0; /* nothing will be imported: keep nothing */
    if (!keep_row(c, &t)) {
        c->dbrc = DB_ERROR;
        return -1;
    }
    return 0;
}

/* Runs fn over every task of the body in its format. Records the rejected ones (at most
 * IMPORT_ERRORS_MAX listed) in c->errors and counts c->good / c->bad. -1 when fn stopped. */
static int each_task(db *d, struct import_ctx *c, task_fn fn)
{
    req *r = c->r;
    c->record = 0;
    if (c->format == IMPORT_KITTI) return each_kitti_frame(d, c, fn);
    if (c->format != IMPORT_NDJSON) {
        struct imp_options o = {.kind = c->kind, .schema = c->schema, .max_bytes = r->body_len + 1};
        struct imp_report *rep = calloc(1, sizeof *rep);
        if (!rep) return -1;
        struct each_ctx x = {d, c, fn};
        long n = c->format == IMPORT_CSV ? imp_csv(r->body, r->body_len, &o, each_trampoline, &x, rep)
                 : c->format == IMPORT_COCO ? imp_coco(r->body, r->body_len, &o, each_trampoline, &x, rep)
                 : imp_label_studio(r->body, r->body_len, &o, each_trampoline, &x, rep);
        int stopped = c->dbrc != DB_OK || c->err;
        for (size_t i = 0; i < rep->n_stored; i++) {
            const struct imp_error *ie = &rep->errors[i];
            add_error(c, (int64_t)(ie->line ? ie->line : ie->record), ie->field, ie->detail);
        }
        c->bad = (int64_t)rep->n_errors;
        c->good = n > 0 ? n : 0;
        free(rep);
        return stopped ? -1 : 0;
    }
    struct line_iter it = {r->body, r->body ? r->body + r->body_len : NULL, 0};
    const char *line;
    size_t len;
    while (next_line(&it, &line, &len)) {
        struct verr e;
        json_t *root = NULL;
        c->record = it.number;
        c->line = line;
        c->line_len = len;
        int rc = 1;
        struct imp_simple_task st;
        if (len > IMPORT_LINE_MAX) {
            snprintf(e.field, sizeof e.field, "%s", "");
            snprintf(e.detail, sizeof e.detail, "the line is longer than %d bytes", IMPORT_LINE_MAX);
        } else if (imp_simple_line(line, len, c->kind, &st)) { /* valid, and stored as it stands */
            rc = c->bad || keep_simple(c, &st) ? 0 : -1;
            if (rc < 0) c->dbrc = DB_ERROR;
        } else if (task_line_parse(line, len, &root, &e)) {
            rc = fn(d, c, root, &e);
        }
        json_decref(root);
        if (rc < 0) return -1;
        if (rc == 0)
            c->good++;
        else
            add_error(c, it.number, e.field, e.detail);
    }
    c->line = NULL;
    return 0;
}

/* Appends a kept row's spans to scratch, each with a NUL (the store binds C strings); off receives their
 * offsets, as the buffer may move until all are in. False when out of memory. */
static bool row_spans(buf *scratch, const struct import_row *w, size_t off[3])
{
    const char *p[3] = {w->data, w->predictions, w->external_id};
    uint32_t n[3] = {w->data_len, w->predictions_len, w->external_id_len};
    for (int i = 0; i < 3; i++) {
        off[i] = scratch->len;
        if (buf_add(scratch, p[i] ? p[i] : "", n[i]) || buf_add(scratch, "", 1)) return false;
    }
    return true;
}

/* The task of a kept row whose spans row_spans put at off in scratch. */
static struct task_row row_task(const struct import_ctx *c, const struct import_row *w, const buf *scratch,
                                const size_t off[3])
{
    const struct import_extra *x = w->extra;
    return (struct task_row){.project_id = c->p.id, .overlap = c->p.overlap, .gold = w->gold, .priority = w->priority,
                             .data_json = scratch->data + off[0],
                             .predictions_json = w->predictions ? scratch->data + off[1] : NULL,
                             .external_id = w->external_id ? scratch->data + off[2] : NULL,
                             .gold_answer_json = x ? x->gold_answer : NULL,
                             .gold_explanation = x ? x->gold_explanation : NULL};
}

/* Inserts the kept rows at idx[0..n) (none naming media), in one statement when n is a full batch. */
static db_rc insert_rows(db *d, struct import_ctx *c, const size_t *idx, size_t n, buf *scratch)
{
    struct task_row t[TASK_INSERT_BATCH];
    size_t off[TASK_INSERT_BATCH][3];
    buf_reset(scratch);
    for (size_t k = 0; k < n; k++)
        if (!row_spans(scratch, &c->rows[idx[k]], off[k])) return DB_ERROR;
    for (size_t k = 0; k < n; k++) t[k] = row_task(c, &c->rows[idx[k]], scratch, off[k]);
    return store_task_insert_batch(d, t, n, c->now);
}

/* A kept row naming media: inserted alone for its id, then its task_media rows. */
static db_rc insert_media_row(db *d, struct import_ctx *c, size_t i, buf *scratch)
{
    const struct import_row *w = &c->rows[i];
    size_t off[3];
    buf_reset(scratch);
    if (!row_spans(scratch, w, off)) return DB_ERROR;
    struct task_row t = row_task(c, w, scratch, off);
    int64_t task_id = 0;
    db_rc rc = store_task_insert(d, &t, c->now, &task_id);
    for (size_t k = 0; k < w->nmedia && rc == DB_OK; k++) rc = store_task_media_add(d, task_id, w->extra->media[k]);
    return rc;
}

/* Pass 2's inserts, in line order: TASK_INSERT_BATCH rows a statement (one at a time when c->one_by_one).
 * On DB_CONSTRAINT *bad is the row that failed, or SIZE_MAX when a batch failed as a whole. */
static db_rc insert_all(db *d, struct import_ctx *c, size_t *bad)
{
    size_t idx[TASK_INSERT_BATCH], n = 0, cap = c->one_by_one ? 1 : TASK_INSERT_BATCH;
    buf scratch;
    buf_init(&scratch, SIZE_MAX); /* one batch's texts: bounded by the request's body */
    db_rc rc = DB_OK;
    for (size_t i = 0; i <= c->nrows && rc == DB_OK; i++) {
        bool media = i < c->nrows && c->rows[i].nmedia;
        if (i < c->nrows && !media) idx[n++] = i;
        if (n && (n == cap || media || i == c->nrows)) {
            rc = insert_rows(d, c, idx, n, &scratch);
            *bad = n == 1 ? idx[0] : SIZE_MAX;
            n = 0;
        }
        if (media && rc == DB_OK) {
            rc = insert_media_row(d, c, i, &scratch);
            *bad = i;
        }
    }
    buf_free(&scratch);
    return rc;
}

/* Pass 1, in one read transaction: every line checked, every bad one reported (up to a cap). */
static tx_rc check_tx(db *d, void *vctx)
{
    struct import_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, ACCESS_OWNER, false, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    json_decref(c->schema);
    c->schema = json_loads(c->p.schema_json, 0, NULL);
    if (!kind_parse(c->p.kind, &c->kind) || !c->schema) return TX_FAIL;
    json_array_clear(c->errors);
    c->good = c->bad = 0;
    c->nrows = 0;
    c->dbrc = DB_OK;
    if (each_task(d, c, check_one) < 0) TX_CHECK(c->dbrc == DB_OK ? DB_ERROR : c->dbrc);
    return TX_COMMIT;
}

static tx_rc import_tx(db *d, void *vctx)
{
    struct import_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = project_load(d, r->a, &r->user, r->role, r->id, ACCESS_OWNER, true, &c->p);
    TX_CHECK(rc);
    if (rc == DB_DONE) {
        c->err = ERR_NOT_FOUND;
        return TX_ROLLBACK;
    }
    c->imported = c->imported_gold = 0;
    c->dbrc = DB_OK;
    json_array_clear(c->errors);
    for (size_t i = 0; i < c->nframes; i++) { /* a KITTI upload brings its own media */
        struct upload_item *items[2] = {&c->frames[i].cloud, c->frames[i].has_image ? &c->frames[i].image : NULL};
        for (int k = 0; k < 2 && items[k]; k++) {
            struct media_info old;
            rc = store_media_info(d, r->a, items[k]->id, &old);
            TX_CHECK(rc);
            if (rc == DB_DONE)
                TX_CHECK(store_media_insert(d, &items[k]->m, items[k]->bytes, items[k]->len, items[k]->browser,
                                            items[k]->browser_len, c->now));
            TX_CHECK(store_media_owner_add(d, items[k]->id, r->user.id, c->now));
        }
    }
    /* The project's kind and schema never change and media are never deleted, so pass 1's checks hold. */
    size_t bad = SIZE_MAX;
    rc = insert_all(d, c, &bad);
    if (rc == DB_CONSTRAINT) { /* a repeated external_id: name its line, going one by one if need be */
        c->err = ERR_EXTERNAL_ID_TAKEN;
        c->bad_line = bad == SIZE_MAX ? 0 : c->rows[bad].record;
        return TX_ROLLBACK;
    }
    TX_CHECK(rc);
    for (size_t i = 0; i < c->nrows; i++) c->imported_gold += c->rows[i].gold != 0;
    c->imported = (int64_t)c->nrows;
    TX_CHECK(store_project_add_tasks(d, c->p.id, c->imported - c->imported_gold, c->now)); /* gold is not work */
    if (!strcmp(c->p.status, "published")) {
        tx_rc t = project_escrow_check(d, r, &c->p, &c->err, &c->required, &c->available);
        if (t != TX_COMMIT) return t;
    }
    char *detail = arena_printf(r->a, "{\"project_id\":%lld,\"tasks\":%lld}", (long long)c->p.id,
                                (long long)c->imported);
    TX_CHECK(store_audit_append(d, c->now, r->user.id, "tasks.import", c->p.name, detail));
    return TX_COMMIT;
}

static void import_run(struct import_ctx *c);

static int frame_cmp(const void *a, const void *b)
{
    return strcmp(((const struct kitti_frame *)a)->name, ((const struct kitti_frame *)b)->name);
}

/* "dir/velodyne/000001.bin" with part "velodyne" and ext ".bin" → "000001" (in the arena), else NULL. */
static const char *frame_of(arena *a, const char *path, const char *part, const char *ext)
{
    size_t pl = strlen(part), el = strlen(ext), n = strlen(path);
    const char *slash = strrchr(path, '/');
    const char *base = slash ? slash + 1 : path;
    if ((size_t)(base - path) < pl + 1 || strncmp(base - pl - 1, part, pl) || (base - pl - 1 > path && base[-pl - 2] != '/'))
        return NULL;
    size_t bl = n - (size_t)(base - path);
    if (bl <= el || strcmp(base + bl - el, ext)) return NULL;
    return arena_strndup(a, base, bl - el);
}

static void frame_error(struct import_ctx *c, const char *path, const char *detail)
{
    add_error(c, 0, path, detail);
}

/* On a pool thread: reads the ZIP's frames and checks every point cloud and image. */
static void kitti_prepare(void *arg)
{
    struct import_ctx *c = arg;
    req *r = c->r;
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(r->body, r->body_len, 0, &zerr);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr) : NULL;
    if (!za) {
        frame_error(c, "", zip_error_strerror(&zerr));
        if (src) zip_source_free(src);
        zip_error_fini(&zerr);
        return;
    }
    zip_int64_t entries = zip_get_num_entries(za, 0);
    if (entries < 0 || entries > ZIP_MAX_ENTRIES) {
        frame_error(c, "", "the archive holds more than 10000 entries");
        zip_close(za);
        return;
    }
    c->frames = calloc((size_t)entries + 1, sizeof *c->frames);
    zip_uint64_t total = 0;
    for (int pass = 0; pass < 2 && c->frames; pass++) { /* clouds first, then the labels and images of those frames */
        for (zip_int64_t i = 0; i < entries; i++) {
            zip_stat_t st;
            if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE))
                continue;
            const char *frame = pass == 0 ? frame_of(r->a, st.name, "velodyne", ".bin") : NULL;
            const char *label = pass == 1 ? frame_of(r->a, st.name, "label_2", ".txt") : NULL;
            const char *image = pass == 1 ? frame_of(r->a, st.name, "image_2", ".png") : NULL;
            if (!frame && !label && !image) continue;
            if (st.size > ZIP_MAX_FILE || (total += st.size) > ZIP_MAX_TOTAL) {
                frame_error(c, st.name, "too large: at most 128 MiB a file and 1 GiB in all");
                continue;
            }
            struct kitti_frame *f = NULL;
            if (frame) {
                f = &c->frames[c->nframes++];
                f->name = frame;
            } else {
                struct kitti_frame key = {.name = label ? label : image};
                f = bsearch(&key, c->frames, c->nframes, sizeof *c->frames, frame_cmp);
                if (!f) {
                    frame_error(c, st.name, "has no velodyne/<frame>.bin beside it");
                    continue;
                }
            }
            char err[256];
            unsigned char *bytes = media_zip_read(za, (zip_uint64_t)i, st.size, err, sizeof err);
            if (!bytes) {
                frame_error(c, st.name, err);
                continue;
            }
            if (label) {
                f->label = malloc(st.size + 1);
                if (f->label) {
                    memcpy(f->label, bytes, st.size);
                    f->label[st.size] = '\0';
                }
                free(bytes);
                if (!f->label) continue;
                f->label_len = st.size;
                continue;
            }
            struct upload_item *it = frame ? &f->cloud : &f->image;
            it->owned = bytes;
            it->bytes = bytes;
            it->len = st.size;
            it->path = arena_printf(r->a, "%s%s", f->name, frame ? ".bin" : ".png");
            if (!media_inspect_item(it, NULL, r->a, err, sizeof err))
                frame_error(c, st.name, err);
            else if (image)
                f->has_image = true;
        }
        if (pass == 0) qsort(c->frames, c->nframes, sizeof *c->frames, frame_cmp);
    }
    if (c->nframes == 0 && c->bad == 0) frame_error(c, "", "the archive holds no velodyne/<frame>.bin");
    zip_close(za);
}

static void kitti_free(void *arg)
{
    struct import_ctx *c = arg;
    for (size_t i = 0; c->frames && i < c->nframes; i++) {
        free(c->frames[i].cloud.owned);
        free(c->frames[i].cloud.browser);
        free(c->frames[i].image.owned);
        free(c->frames[i].image.browser);
        free(c->frames[i].label);
    }
    free(c->frames);
}

/* Back on the loop: unreadable files end the import; otherwise the frames' media go into the media
 * cache (they are stored with the tasks) and the import runs as for any format. */
static void kitti_continue(void *arg)
{
    struct import_ctx *c = arg;
    req *r = c->r;
    if (!req_resume(r)) return;
    if (c->bad) {
        json_t *first = json_array_get(c->errors, 0);
        reply_error_with(r, ERR_IMPORT_INVALID, json_string_value(json_object_get(first, "field")),
                         arena_printf(r->a, "%lld files of the archive are unusable (first: %s); nothing was imported",
                                      (long long)c->bad, json_string_value(json_object_get(first, "detail"))),
                         json_pack("{s:O, s:I}", "errors", c->errors, "error_count", (json_int_t)c->bad));
        req_pending_end(r);
        return;
    }
    for (size_t i = 0; i < c->nframes; i++) {
        const struct kitti_frame *f = &c->frames[i];
        json_object_set_new(c->media, f->cloud.id, json_pack("{s:s, s:I}", "kind", "pointcloud", "points",
                                                             (json_int_t)f->cloud.m.points));
        if (f->has_image)
            json_object_set_new(c->media, f->image.id, json_pack("{s:s, s:I, s:I}", "kind", "image", "width",
                                                                 (json_int_t)f->image.m.width, "height",
                                                                 (json_int_t)f->image.m.height));
    }
    import_run(c);
    req_pending_end(r);
}

static void rows_free(void *arg)
{
    free(((struct import_ctx *)arg)->rows);
}

void tasks_import(req *r)
{
    const char *ct = req_header(r, "Content-Type"), *format = req_query(r, "format");
    enum import_format f;
    if (ct && (!strncasecmp(ct, "application/x-ndjson", 20) || !strncasecmp(ct, "application/jsonl", 17)) && !format)
        f = IMPORT_NDJSON;
    else if (ct && !strncasecmp(ct, "text/csv", 8) && (!format || !strcmp(format, "csv")))
        f = IMPORT_CSV;
    else if (ct && !strncasecmp(ct, "application/json", 16) && format && !strcmp(format, "label_studio"))
        f = IMPORT_LABEL_STUDIO;
    else if (ct && !strncasecmp(ct, "application/json", 16) && format && !strcmp(format, "coco"))
        f = IMPORT_COCO;
    else if (ct && !strncasecmp(ct, "application/zip", 15) && format && !strcmp(format, "kitti"))
        f = IMPORT_KITTI;
    else {
        reply_error(r, ERR_UNSUPPORTED_MEDIA_TYPE, NULL,
                    "send tasks as application/x-ndjson (one JSON object per line), text/csv, or application/json "
                    "with ?format=label_studio or ?format=coco, or application/zip with ?format=kitti");
        return;
    }
    struct import_ctx *c = arena_alloc(r->a, sizeof *c);
    *c = (struct import_ctx){.r = r, .now = clock_now_ms(), .media = json_object(), .errors = json_array(), .format = f};
    arena_defer(r->a, (void (*)(void *))json_decref, c->media);
    arena_defer(r->a, (void (*)(void *))json_decref, c->errors);
    arena_defer(r->a, rows_free, c);
    if (f == IMPORT_KITTI) {
        arena_defer(r->a, kitti_free, c);
        req_offload(r, kitti_prepare, kitti_continue, c);
        return;
    }
    import_run(c);
}

/* Both passes and the reply. */
static void import_run(struct import_ctx *c)
{
    req *r = c->r;
    store_rc rc = store_run(r->db, false, check_tx, c);
    arena_defer(r->a, (void (*)(void *))json_decref, c->schema);
    if (c->err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    if (c->bad || c->good == 0) {
        json_t *errors = json_incref(c->errors);
        if (!c->bad)
            json_array_append_new(errors, json_pack("{s:i, s:s, s:s}", "line", 0, "field", "", "detail",
                                                    "the body holds no task lines"));
        json_t *first = json_array_get(errors, 0);
        reply_error_with(r, ERR_IMPORT_INVALID,
                         arena_printf(r->a, "line %lld", (long long)json_integer_value(json_object_get(first, "line"))),
                         arena_printf(r->a, "%lld of %lld lines are invalid; nothing was imported", (long long)c->bad,
                                      (long long)(c->bad + c->good)),
                         json_pack("{s:o, s:I}", "errors", errors, "error_count", (json_int_t)(c->bad ? c->bad : 1)));
        return;
    }
    /* Pass 2: insert in one transaction. */
    rc = store_run(r->db, true, import_tx, c);
    if (c->err == ERR_EXTERNAL_ID_TAKEN && c->bad_line == 0) { /* a batch of rows failed: again, one by one */
        c->err = 0;
        c->one_by_one = true;
        rc = store_run(r->db, true, import_tx, c);
    }
    if (c->err == ERR_NOT_FOUND) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no project %lld", (long long)r->id);
        return;
    }
    if (c->err == ERR_ESCROW_SHORT) {
        reply_escrow_short(r, c->p.currency, c->required, c->available);
        return;
    }
    if (c->err == ERR_EXTERNAL_ID_TAKEN) {
        json_t *errs = json_pack("[{s:I, s:s, s:s}]", "line", (json_int_t)c->bad_line, "field", "/external_id",
                                 "detail", "external_id is already used in this project");
        reply_error_with(r, ERR_IMPORT_INVALID, arena_printf(r->a, "line %lld", (long long)c->bad_line),
                         "a task repeats an external_id; nothing was imported",
                         json_pack("{s:o, s:i}", "errors", errs, "error_count", 1));
        return;
    }
    if (rc != STORE_OK) {
        reply_store_failure(r, rc);
        return;
    }
    reply_json(r, 201, json_pack("{s:I, s:I, s:I}", "imported", (json_int_t)c->imported, "gold",
                                 (json_int_t)c->imported_gold, "task_count",
                                 (json_int_t)(c->p.task_count + c->imported - c->imported_gold)));
}
