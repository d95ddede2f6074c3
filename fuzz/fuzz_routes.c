/* libFuzzer harness for the JSON (and other) bodies of every write route, through the real
 * handlers. An input is "METHOD PATTERN\n", one variant byte (the caller's role, the path id and
 * the body format: fuzz_routes.h), then the body. A first line naming no write route picks one by
 * its hash, so every mutation still reaches some handler (docs/fuzzing.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz/fuzz_routes.h"
#include "http/routes.h"

static const struct route *write_routes[256];
static size_t n_write_routes;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!n_write_routes) {
        for (size_t i = 0; i < route_count && n_write_routes < 256; i++) {
            const struct route *rt = &route_table[i];
            if (!strcmp(rt->method, "GET") || !strcmp(rt->method, "HEAD") || rt->max_body == 0) continue;
            /* Signing out would end the harness's own session for every later input. */
            if (!strcmp(rt->pattern, "/api/v1/auth/logout")) continue;
            write_routes[n_write_routes++] = rt;
        }
    }
    const uint8_t *nl = memchr(data, '\n', size < 200 ? size : 200);
    if (!nl || (size_t)(nl - data) + 2 > size) return 0;
    size_t line = (size_t)(nl - data);
    const struct route *rt = NULL;
    uint32_t h = 2166136261u; /* FNV-1a */
    for (size_t i = 0; i < line; i++) h = (h ^ data[i]) * 16777619u;
    for (size_t i = 0; i < n_write_routes && !rt; i++) {
        size_t m = strlen(write_routes[i]->method), p = strlen(write_routes[i]->pattern);
        if (m + 1 + p == line && !memcmp(data, write_routes[i]->method, m) && data[m] == ' ' &&
            !memcmp(data + m + 1, write_routes[i]->pattern, p))
            rt = write_routes[i];
    }
    if (!rt) rt = write_routes[h % n_write_routes];
    fz_route_send(rt, nl[1], nl + 2, size - line - 2);
    return 0;
}
