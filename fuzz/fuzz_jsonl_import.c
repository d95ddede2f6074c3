/* libFuzzer harness for the NDJSON task import: the first byte picks the project kind, the rest is
 * the body, split into lines and parsed and checked exactly as POST /projects/{id}/tasks does
 * (task_line_parse, then task_line_check). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/validate.h"
#include "fuzz/fuzz_kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    enum project_kind k = fz_kind(data[0]);
    struct fz_check c = {.kind = k, .schema = fz_schema(k)};
    const char *p = (const char *)data + 1, *end = (const char *)data + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl ? nl : end;
        size_t n = (size_t)(stop - p);
        if (n && p[n - 1] == '\r') n--;
        /* An exact-size copy of the line: the parser must not read past it. */
        char *line = malloc(n ? n : 1);
        if (!line) return 0;
        memcpy(line, p, n);
        json_t *root = NULL;
        struct verr e;
        if (task_line_parse(line, n, &root, &e)) fz_check_line(&c, root, &e);
        json_decref(root);
        free(line);
        p = nl ? nl + 1 : end;
    }
    return 0;
}
