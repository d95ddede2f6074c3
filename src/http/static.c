/* The web UI: pages and /static assets embedded from web/ at build time. */
#include <string.h>

#include "api/api.h"
#include "http/reply.h"
#include "util/embedded.h"

static const char *content_type(const char *name)
{
    static const struct { const char *ext, *type; } types[] = {
        {".html", "text/html; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"}, {".mjs", "text/javascript; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".woff2", "font/woff2"},
    };
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot && i < sizeof types / sizeof *types; i++)
        if (!strcmp(dot, types[i].ext)) return types[i].type;
    return "application/octet-stream";
}

static void serve_file(req *r, const char *name)
{
    for (const struct embedded_file *f = embedded_web; f->name; f++) {
        if (strcmp(f->name, name)) continue;
        struct evkeyvalq *h = evhttp_request_get_output_headers(r->ev);
        evhttp_add_header(h, "Cache-Control", "no-cache");
        evhttp_add_header(h, "Content-Security-Policy",
                          "default-src 'self'; img-src 'self' data: blob: https:; style-src 'self'; "
                          "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
                          "form-action 'self'");
        evhttp_add_header(h, "X-Frame-Options", "DENY");
        evhttp_add_header(h, "Referrer-Policy", "same-origin");
        reply_bytes(r, 200, content_type(name), f->data, f->size);
        return;
    }
    reply_error(r, ERR_NOT_FOUND, NULL, "no file %s", name);
}

void page_serve(req *r)
{
    const char *name = strcmp(r->path, "/") ? arena_printf(r->a, "%s.html", r->path + 1) : "index.html";
    serve_file(r, name);
}

void static_serve(req *r)
{
    if (strstr(r->param, "..") || r->param[0] == '.' || strstr(r->param, "//")) {
        reply_error(r, ERR_NOT_FOUND, NULL, "no such file");
        return;
    }
    serve_file(r, arena_printf(r->a, "static/%s", r->param));
}
