/* Turning a fuzz input into a request on a write route (fuzz_routes.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_routes.h"
#include "fuzz/fuzz_server.h"

/* Body formats beyond JSON, by route pattern: content type and query string. */
static const struct body_format {
    const char *pattern, *content_type, *query;
} formats[] = {
    {"/api/v1/media", "application/zip", "?name=upload.zip"},
    {"/api/v1/media", "image/png", "?name=image.png"},
    {"/api/v1/media", "application/octet-stream", "?name=cloud.pcd"},
    {"/api/v1/media", "application/octet-stream", "?name=000001.bin"},
    {"/api/v1/payout-batches/{id}/confirmation", "text/csv", ""},
    {"/api/v1/projects/{id}/tasks", "application/x-ndjson", ""},
    {"/api/v1/projects/{id}/tasks", "text/csv", ""},
    {"/api/v1/projects/{id}/tasks", "application/json", "?format=label_studio"},
    {"/api/v1/projects/{id}/tasks", "application/json", "?format=coco"},
    {"/api/v1/projects/{id}/tasks", "application/zip", "?format=kitti"},
};

static const unsigned roles[] = {ROLE_ADMIN, ROLE_REQUESTER, ROLE_REVIEWER, ROLE_SUPPORT, ROLE_WORKER};

void fz_route_send(const struct route *rt, uint8_t variant, const uint8_t *body, size_t len)
{
    fz_server_start();
    const char *token = NULL, *role = "nobody";
    if (rt->roles != ROLES_PUBLIC) {
        unsigned allowed[5], n = 0;
        for (size_t i = 0; i < 5; i++)
            if (rt->roles & roles[i]) allowed[n++] = roles[i];
        unsigned pick = n ? allowed[(variant & 7) % n] : 0;
        token = pick ? fz_token(pick) : NULL;
        role = pick == ROLE_ADMIN ? "admin" : pick == ROLE_REQUESTER ? "requester" : pick == ROLE_REVIEWER ? "reviewer"
               : pick == ROLE_SUPPORT ? "support" : "worker";
    }
    const struct body_format *fmt[8];
    size_t nf = 0;
    for (size_t i = 0; i < sizeof formats / sizeof *formats; i++)
        if (!strcmp(formats[i].pattern, rt->pattern)) fmt[nf++] = &formats[i];
    const char *ct = nf ? fmt[(variant >> 5) % nf]->content_type : "application/json";
    const char *query = nf ? fmt[(variant >> 5) % nf]->query : "";

    /* The path: {id} becomes 1..4 (the demo's project, tasks, users…), a string placeholder "x". */
    char target[512];
    size_t o = 0;
    for (const char *p = rt->pattern; *p && o < sizeof target - 32;) {
        if (*p == '{') {
            const char *close = strchr(p, '}');
            if (!close) abort();
            o += (size_t)snprintf(target + o, sizeof target - o, "%s",
                                  !strncmp(p, "{id}", 4) ? (const char *[]){"1", "2", "3", "4"}[(variant >> 3) & 3] : "x");
            p = close + 1;
        } else {
            target[o++] = *p++;
        }
    }
    snprintf(target + o, sizeof target - o, "%s", query);
    char reply[2048];
    int status = fz_request(rt->method, target, token, ct, body, len, reply, sizeof reply);
    static int trace = -1; /* FUZZ_TRACE=1 prints every request's outcome */
    if (trace < 0) trace = getenv("FUZZ_TRACE") && !strcmp(getenv("FUZZ_TRACE"), "1");
    if (trace) fprintf(stderr, "fuzz: %s %s as %s (%s, %zu bytes): %d\n", rt->method, target, role, ct,
                       len, status);
    if (status == 500) {
        fprintf(stderr, "fuzz: %s %s answered 500 to a %zu-byte %s body: %s\n", rt->method, target, len, ct, reply);
        abort();
    }
}
