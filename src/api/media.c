/* Media: upload (checked by a real decoder or our strict parsers, stored once by SHA-256) and
 * serving with ETag, Range and per-user entitlement. */
#include <event2/buffer.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zip.h>

#include "api/api.h"
#include "api/media.h"
#include "core/image_info.h"
#include "core/pointcloud.h"
#include "core/schema.h"
#include "http/reply.h"
#include "util/clock.h"


struct upload_job {
    req *r;
    const char *name, *content_type;
    bool archive;
    struct upload_item *items;
    size_t n;
    json_t *errors; /* [{path, detail}] of the files that failed; nothing is stored when non-empty */
    int64_t now;
};

static void hex_sha256(const void *p, size_t n, char out[65])
{
    unsigned char h[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(h, p, n);
    sodium_bin2hex(out, 65, h, sizeof h);
}

static bool looks_like_image(const unsigned char *p, size_t n)
{
    return (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8)) || (n >= 3 && !memcmp(p, "\xff\xd8\xff", 3)) ||
           (n >= 12 && !memcmp(p, "RIFF", 4) && !memcmp(p + 8, "WEBP", 4));
}

static bool has_suffix(const char *s, const char *suffix)
{
    size_t n = s ? strlen(s) : 0, k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

/* Which of pc_parse's formats the bytes are, by the same rules it uses. */
static const char *cloud_format(const unsigned char *p, size_t n, const char *name)
{
    if (has_suffix(name, ".pcd.bin")) return "nuscenes_bin";
    if (has_suffix(name, ".bin")) return "kitti_bin";
    for (size_t i = 0; i + 7 <= n && i < 4096; i++)
        if (!memcmp(p + i, "VERSION", 7) || !memcmp(p + i, "FIELDS", 6)) return "pcd";
    return "kitti_bin";
}

bool media_inspect_item(struct upload_item *it, const char *content_type, arena *a, char *err, size_t errlen)
{
    hex_sha256(it->bytes, it->len, it->id);
    it->m.id = it->id;
    it->m.size = (int64_t)it->len;
    if (looks_like_image(it->bytes, it->len) || (content_type && !strncmp(content_type, "image/", 6))) {
        struct img_info info;
        if (!img_inspect(it->bytes, it->len, &info, err, errlen)) return false;
        it->m.kind = "image";
        it->m.format = info.format;
        it->m.content_type = !strcmp(info.format, "png") ? "image/png" : !strcmp(info.format, "jpeg") ? "image/jpeg" : "image/webp";
        it->m.width = info.width;
        it->m.height = info.height;
        it->m.meta_json = arena_printf(a, "{\"width\":%u,\"height\":%u}", (unsigned)info.width, (unsigned)info.height);
        return true;
    }
    struct pc_cloud c;
    if (!pc_parse(it->bytes, it->len, it->path, &c, err, errlen)) return false;
    bool ok = pc_encode(&c, &it->browser, &it->browser_len);
    if (ok) {
        it->m.kind = "pointcloud";
        it->m.format = cloud_format(it->bytes, it->len, it->path);
        it->m.content_type = "application/octet-stream";
        it->m.points = c.count;
        it->m.meta_json = arena_printf(a, "{\"points\":%u,\"has_intensity\":%s,\"min\":[%.9g,%.9g,%.9g],\"max\":[%.9g,%.9g,%.9g]}",
                                       (unsigned)c.count, c.has_intensity ? "true" : "false", c.min[0], c.min[1],
                                       c.min[2], c.max[0], c.max[1], c.max[2]);
    } else {
        snprintf(err, errlen, "the point cloud could not be converted (out of memory)");
    }
    pc_free(&c);
    return ok;
}

static void job_error(struct upload_job *j, const char *path, const char *detail)
{
    if (json_array_size(j->errors) < 100)
        json_array_append_new(j->errors, json_pack("{s:s, s:s}", "path", path ? path : "", "detail", detail));
}

unsigned char *media_zip_read(zip_t *za, zip_uint64_t index, zip_uint64_t size, char *err, size_t errlen)
{
    unsigned char *buf = malloc(size ? size : 1);
    zip_file_t *f = buf ? zip_fopen_index(za, index, 0) : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot open this member: %s", buf ? zip_strerror(za) : "out of memory");
        free(buf);
        return NULL;
    }
    zip_int64_t got = zip_fread(f, buf, size), extra = 0;
    unsigned char probe;
    if (got == (zip_int64_t)size) extra = zip_fread(f, &probe, 1);
    if (got != (zip_int64_t)size || extra != 0) {
        snprintf(err, errlen, "the member is corrupt or larger than its header says (%s)", zip_file_strerror(f));
        zip_fclose(f);
        free(buf);
        return NULL;
    }
    zip_fclose(f);
    return buf;
}

/* A ZIP upload: the files named by manifest.json ({"files": ["a.png", …]} or [{"path": …}]), or
 * else every file but folders, dot-files and __MACOSX. */
static void inspect_archive(struct upload_job *j)
{
    req *r = j->r;
    zip_error_t zerr;
    zip_error_init(&zerr);
    zip_source_t *src = zip_source_buffer_create(r->body, r->body_len, 0, &zerr);
    zip_t *za = src ? zip_open_from_source(src, ZIP_RDONLY | ZIP_CHECKCONS, &zerr) : NULL;
    if (!za) {
        job_error(j, j->name, zip_error_strerror(&zerr));
        if (src) zip_source_free(src);
        zip_error_fini(&zerr);
        return;
    }
    zip_int64_t entries = zip_get_num_entries(za, 0);
    if (entries < 0 || entries > ZIP_MAX_ENTRIES) {
        job_error(j, j->name, "the archive holds more than 10000 entries");
        zip_close(za);
        return;
    }
    json_t *wanted = NULL;
    zip_int64_t mi = zip_name_locate(za, "manifest.json", 0);
    if (mi >= 0) {
        zip_stat_t st;
        char err[256];
        unsigned char *text = zip_stat_index(za, (zip_uint64_t)mi, 0, &st) == 0 && st.size < (1 << 20)
                                  ? media_zip_read(za, (zip_uint64_t)mi, st.size, err, sizeof err) : NULL;
        json_t *man = text ? json_loadb((const char *)text, st.size, 0, NULL) : NULL;
        free(text);
        wanted = json_is_array(json_object_get(man, "files")) ? json_incref(json_object_get(man, "files")) : NULL;
        json_decref(man);
        if (!wanted) {
            job_error(j, "manifest.json", "must be {\"files\": [\"path\", …]} (or [{\"path\": …}]), at most 1 MiB");
            zip_close(za);
            return;
        }
    }
    j->items = calloc((size_t)entries + 1, sizeof *j->items);
    zip_uint64_t total = 0;
    for (zip_int64_t i = 0; j->items && i < entries; i++) {
        zip_stat_t st;
        if (zip_stat_index(za, (zip_uint64_t)i, 0, &st) || !(st.valid & ZIP_STAT_NAME) || !(st.valid & ZIP_STAT_SIZE)) continue;
        const char *name = st.name, *base = strrchr(name, '/');
        base = base ? base + 1 : name;
        if (i == mi || !*base || base[0] == '.' || !strncmp(name, "__MACOSX/", 9)) continue;
        if (wanted) {
            bool listed = false;
            for (size_t k = 0; k < json_array_size(wanted) && !listed; k++) {
                json_t *w = json_array_get(wanted, k);
                const char *p = json_is_string(w) ? json_string_value(w) : json_string_value(json_object_get(w, "path"));
                listed = p && !strcmp(p, name);
            }
            if (!listed) continue;
        }
        if (st.size > ZIP_MAX_FILE || (total += st.size) > ZIP_MAX_TOTAL) {
            job_error(j, name, "too large: at most 128 MiB a file and 1 GiB in all");
            break;
        }
        char err[256];
        struct upload_item *it = &j->items[j->n];
        it->path = arena_strdup(r->a, name);
        it->owned = media_zip_read(za, (zip_uint64_t)i, st.size, err, sizeof err);
        if (!it->owned) {
            job_error(j, name, err);
            continue;
        }
        it->bytes = it->owned;
        it->len = st.size;
        j->n++;
        if (!media_inspect_item(it, NULL, r->a, err, sizeof err)) job_error(j, name, err);
    }
    for (size_t k = 0; wanted && k < json_array_size(wanted); k++) { /* a listed file that is missing */
        json_t *w = json_array_get(wanted, k);
        const char *p = json_is_string(w) ? json_string_value(w) : json_string_value(json_object_get(w, "path"));
        bool found = false;
        for (size_t n = 0; n < j->n && !found; n++) found = p && !strcmp(p, j->items[n].path);
        if (!found) job_error(j, p, "listed in manifest.json but not in the archive (or unreadable)");
    }
    if (j->n == 0 && json_array_size(j->errors) == 0) job_error(j, j->name, "the archive holds no files");
    json_decref(wanted);
    zip_close(za);
}

/* On a pool thread: hash, then decode or parse every file. */
static void upload_inspect(void *arg)
{
    struct upload_job *j = arg;
    req *r = j->r;
    if (j->archive) {
        inspect_archive(j);
        return;
    }
    j->items = calloc(1, sizeof *j->items);
    if (!j->items) {
        job_error(j, j->name, "out of memory");
        return;
    }
    j->n = 1;
    struct upload_item *it = &j->items[0];
    it->path = j->name;
    it->bytes = (const unsigned char *)r->body;
    it->len = r->body_len;
    char err[256];
    if (!media_inspect_item(it, j->content_type, r->a, err, sizeof err)) job_error(j, j->name, err);
}

static tx_rc upload_tx(db *d, void *vctx)
{
    struct upload_job *j = vctx;
    for (size_t i = 0; i < j->n; i++) {
        struct upload_item *it = &j->items[i];
        struct media_info old;
        db_rc rc = store_media_info(d, j->r->a, it->id, &old);
        TX_CHECK(rc);
        it->existed = rc == DB_ROW;
        if (!it->existed)
            TX_CHECK(store_media_insert(d, &it->m, it->bytes, it->len, it->browser, it->browser_len, j->now));
        TX_CHECK(store_media_owner_add(d, it->id, j->r->user.id, j->now));
    }
    char *detail = arena_printf(j->r->a, "{\"files\":%zu,\"first\":\"%s\",\"bytes\":%zu}", j->n, j->items[0].id,
                                j->r->body_len);
    TX_CHECK(store_audit_append(d, j->now, j->r->user.id, "media.upload", j->name ? j->name : j->items[0].id, detail));
    return TX_COMMIT;
}

json_t *media_json(const struct media_info *m)
{
    json_t *meta = json_loads(m->meta_json, 0, NULL);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "media_id", m->id, "kind", m->kind, "format", m->format,
                          "content_type", m->content_type, "size", (json_int_t)m->size, "meta",
                          meta ? meta : json_object());
    if (m->width) json_object_set_new(o, "width", json_integer(m->width));
    if (m->height) json_object_set_new(o, "height", json_integer(m->height));
    if (m->points) json_object_set_new(o, "points", json_integer(m->points));
    return o;
}

static void upload_free(struct upload_job *j)
{
    for (size_t i = 0; j->items && i < j->n; i++) {
        free(j->items[i].owned);
        free(j->items[i].browser);
    }
    free(j->items);
    json_decref(j->errors);
}

static void upload_store(void *arg)
{
    struct upload_job *j = arg;
    req *r = j->r;
    if (!req_resume(r)) {
        upload_free(j);
        return;
    }
    if (json_array_size(j->errors)) {
        json_t *first = json_array_get(j->errors, 0);
        reply_error_with(r, ERR_MEDIA_INVALID, NULL,
                         j->archive ? arena_printf(r->a, "%zu files are invalid (first: %s: %s); nothing was stored",
                                                   json_array_size(j->errors),
                                                   json_string_value(json_object_get(first, "path")),
                                                   json_string_value(json_object_get(first, "detail")))
                                    : json_string_value(json_object_get(first, "detail")),
                         j->archive ? json_pack("{s:O}", "errors", j->errors) : NULL);
    } else {
        j->now = clock_now_ms();
        store_rc rc = store_run(r->db, true, upload_tx, j);
        if (rc != STORE_OK) {
            reply_store_failure(r, rc);
        } else if (!j->archive) {
            reply_json(r, j->items[0].existed ? 200 : 201, media_json(&j->items[0].m));
        } else {
            json_t *items = json_array();
            for (size_t i = 0; i < j->n; i++) {
                json_t *o = media_json(&j->items[i].m);
                json_object_set_new(o, "path", json_string(j->items[i].path));
                json_object_set_new(o, "existed", json_boolean(j->items[i].existed));
                json_array_append_new(items, o);
            }
            reply_json(r, 201, json_pack("{s:o}", "items", items));
        }
    }
    upload_free(j);
    req_pending_end(r);
}

void media_upload(req *r)
{
    if (r->body_len == 0) {
        reply_error(r, ERR_MEDIA_INVALID, NULL, "the body is empty: send the file's bytes as the request body");
        return;
    }
    struct upload_job *j = arena_alloc(r->a, sizeof *j);
    j->r = r;
    j->name = req_query(r, "name");
    j->content_type = req_header(r, "Content-Type");
    if (j->name && (strlen(j->name) > 255 || strpbrk(j->name, "/\\"))) {
        reply_error(r, ERR_BAD_QUERY, "name", "name must be a file name of at most 255 bytes, without slashes");
        return;
    }
    if (j->name) j->name = arena_strdup(r->a, j->name);
    j->archive = (j->content_type && !strncasecmp(j->content_type, "application/zip", 15)) || has_suffix(j->name, ".zip");
    j->errors = json_array();
    req_offload(r, upload_inspect, upload_store, j);
}

/* ---- serving ---- */

struct serve_ctx {
    req *r;
    const char *id;
    bool browser, allowed;
    struct media_info m;
    struct evbuffer *out;
    int64_t first, last, total; /* the byte range, inclusive (last < 0: to the end), and the file size */
    bool range, unsatisfiable;
};

static int serve_sink(void *vctx, const void *p, size_t n)
{
    struct serve_ctx *c = vctx;
    int64_t size = (int64_t)n;
    c->total = size;
    if (c->range) {
        if (c->first >= size) {
            c->unsatisfiable = true;
            return 0;
        }
        if (c->last < 0 || c->last >= size) c->last = size - 1;
        return evbuffer_add(c->out, (const char *)p + c->first, (size_t)(c->last - c->first + 1));
    }
    c->first = 0;
    c->last = size - 1;
    return evbuffer_add(c->out, p, n);
}

static tx_rc serve_tx(db *d, void *vctx)
{
    struct serve_ctx *c = vctx;
    req *r = c->r;
    db_rc rc = store_media_info(d, r->a, c->id, &c->m);
    TX_CHECK(rc);
    if (rc == DB_DONE) return TX_COMMIT;
    if (r->role & ROLE_REQUESTER) rc = store_media_owned(d, c->id, r->user.id);
    else if (r->role & ROLE_WORKER) rc = store_media_worker_sees(d, c->id, r->user.id, clock_now_ms());
    else if (r->role & ROLE_REVIEWER) rc = store_media_reviewer_sees(d, c->id, r->user.id);
    else rc = DB_DONE;
    TX_CHECK(rc);
    c->allowed = rc == DB_ROW;
    if (!c->allowed) return TX_COMMIT;
    evbuffer_drain(c->out, evbuffer_get_length(c->out)); /* a retried transaction starts clean */
    rc = store_media_read(d, c->id, c->browser, serve_sink, c);
    TX_CHECK(rc);
    if (rc == DB_DONE) c->allowed = false; /* e.g. no browser layout for an image */
    return TX_COMMIT;
}

/* Parses "bytes=a-b" / "bytes=a-" (one range). false when malformed. */
static bool parse_range(const char *h, int64_t *first, int64_t *last)
{
    long long a, b;
    int n = 0;
    if (sscanf(h, "bytes=%lld-%n", &a, &n) == 1 && h[n] == '\0' && a >= 0) {
        *first = a;
        *last = -1;
        return true;
    }
    if (sscanf(h, "bytes=%lld-%lld%n", &a, &b, &n) == 2 && h[n] == '\0' && a >= 0 && b >= a) {
        *first = a;
        *last = b;
        return true;
    }
    return false;
}

static void media_serve(req *r, bool browser)
{
    if (!media_id_valid(r->param)) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no media %s", r->param);
        return;
    }
    struct serve_ctx c = {.r = r, .id = r->param, .browser = browser, .out = evbuffer_new()};
    const char *range = req_header(r, "Range");
    if (range && !(c.range = parse_range(range, &c.first, &c.last))) range = NULL; /* ignore what we cannot parse */
    char etag[80];
    snprintf(etag, sizeof etag, "\"%s%s\"", c.id, browser ? "-points" : "");
    store_rc rc = store_run(r->db, false, serve_tx, &c);
    if (rc != STORE_OK) {
        evbuffer_free(c.out);
        reply_store_failure(r, rc);
        return;
    }
    if (!c.allowed) {
        evbuffer_free(c.out);
        reply_error(r, ERR_NOT_FOUND, NULL, "no media %s that you may see", c.id);
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
    evhttp_add_header(h, "ETag", etag);
    evhttp_add_header(h, "Cache-Control", "private, max-age=3600");
    evhttp_add_header(h, "Accept-Ranges", "bytes");
    const char *inm = req_header(r, "If-None-Match");
    if (inm && strstr(inm, etag)) {
        evbuffer_free(c.out);
        reply_empty(r, 304);
        return;
    }
    if (c.unsatisfiable) {
        evhttp_add_header(h, "Content-Range", arena_printf(r->a, "bytes */%lld", (long long)c.total));
        evbuffer_free(c.out);
        reply_error(r, ERR_RANGE_NOT_SATISFIABLE, NULL, "the range starts past the end of the file");
        return;
    }
    evhttp_add_header(h, "Content-Type", browser ? "application/x-fairlabel-points" : c.m.content_type);
    if (c.range) {
        evhttp_add_header(h, "Content-Range", arena_printf(r->a, "bytes %lld-%lld/%lld", (long long)c.first,
                                                           (long long)c.last, (long long)c.total));
    }
    size_t len = evbuffer_get_length(c.out);
    reply_bytes(r, c.range ? 206 : 200, NULL, evbuffer_pullup(c.out, -1), len);
    evbuffer_free(c.out);
}

void media_get(req *r) { media_serve(r, false); }
void media_points(req *r) { media_serve(r, true); }
