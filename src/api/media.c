/* Media: upload (checked by a real decoder or our strict parsers, stored once by SHA-256) and
 * serving with ETag, Range and per-user entitlement. */
#include <event2/buffer.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "core/image_info.h"
#include "core/pointcloud.h"
#include "core/schema.h"
#include "http/reply.h"
#include "util/clock.h"

struct upload_job {
    req *r;
    const char *name, *content_type;
    char id[65];
    struct media_info m;
    unsigned char *browser;
    size_t browser_len;
    char err[256];
    bool bad, existed;
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

/* Which of pc_parse's formats the bytes are, by the same rules it uses. */
static const char *cloud_format(const unsigned char *p, size_t n, const char *name)
{
    size_t nl = name ? strlen(name) : 0;
    if (nl > 8 && !strcmp(name + nl - 8, ".pcd.bin")) return "nuscenes_bin";
    if (nl > 4 && !strcmp(name + nl - 4, ".bin")) return "kitti_bin";
    for (size_t i = 0; i + 7 <= n && i < 4096; i++)
        if (!memcmp(p + i, "VERSION", 7) || !memcmp(p + i, "FIELDS", 6)) return "pcd";
    return "kitti_bin";
}

/* On a pool thread: hash, then decode or parse to prove the file is what it claims. */
static void upload_inspect(void *arg)
{
    struct upload_job *j = arg;
    req *r = j->r;
    const unsigned char *bytes = (const unsigned char *)r->body;
    size_t n = r->body_len;
    hex_sha256(bytes, n, j->id);
    j->m.id = j->id;
    j->m.size = (int64_t)n;
    if (looks_like_image(bytes, n) || (j->content_type && !strncmp(j->content_type, "image/", 6))) {
        struct img_info info;
        if (!img_inspect(bytes, n, &info, j->err, sizeof j->err)) {
            j->bad = true;
            return;
        }
        j->m.kind = "image";
        j->m.format = info.format;
        j->m.content_type = !strcmp(info.format, "png") ? "image/png" : !strcmp(info.format, "jpeg") ? "image/jpeg" : "image/webp";
        j->m.width = info.width;
        j->m.height = info.height;
        j->m.meta_json = arena_printf(r->a, "{\"width\":%u,\"height\":%u}", (unsigned)info.width, (unsigned)info.height);
        return;
    }
    struct pc_cloud c;
    if (!pc_parse(bytes, n, j->name, &c, j->err, sizeof j->err)) {
        j->bad = true;
        return;
    }
    if (!pc_encode(&c, &j->browser, &j->browser_len)) {
        snprintf(j->err, sizeof j->err, "the point cloud could not be converted (out of memory)");
        j->bad = true;
        pc_free(&c);
        return;
    }
    j->m.kind = "pointcloud";
    j->m.format = cloud_format(bytes, n, j->name);
    j->m.content_type = "application/octet-stream";
    j->m.points = c.count;
    j->m.meta_json = arena_printf(r->a,
                                  "{\"points\":%u,\"has_intensity\":%s,\"min\":[%.9g,%.9g,%.9g],\"max\":[%.9g,%.9g,%.9g]}",
                                  (unsigned)c.count, c.has_intensity ? "true" : "false", c.min[0], c.min[1], c.min[2],
                                  c.max[0], c.max[1], c.max[2]);
    pc_free(&c);
}

static tx_rc upload_tx(db *d, void *vctx)
{
    struct upload_job *j = vctx;
    struct media_info old;
    db_rc rc = store_media_info(d, j->r->a, j->id, &old);
    TX_CHECK(rc);
    j->existed = rc == DB_ROW;
    if (!j->existed)
        TX_CHECK(store_media_insert(d, &j->m, j->r->body, j->r->body_len, j->browser, j->browser_len, j->now));
    TX_CHECK(store_media_owner_add(d, j->id, j->r->user.id, j->now));
    char *detail = arena_printf(j->r->a, "{\"media_id\":\"%s\",\"kind\":\"%s\",\"size\":%lld}", j->id, j->m.kind,
                                (long long)j->m.size);
    TX_CHECK(store_audit_append(d, j->now, j->r->user.id, "media.upload", j->name ? j->name : j->id, detail));
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

static void upload_store(void *arg)
{
    struct upload_job *j = arg;
    req *r = j->r;
    if (!req_resume(r)) {
        free(j->browser);
        return;
    }
    if (j->bad) {
        reply_error(r, ERR_MEDIA_INVALID, NULL, "%s", j->err);
    } else {
        j->now = clock_now_ms();
        store_rc rc = store_run(r->db, true, upload_tx, j);
        if (rc != STORE_OK)
            reply_store_failure(r, rc);
        else
            reply_json(r, j->existed ? 200 : 201, media_json(&j->m));
    }
    free(j->browser);
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
