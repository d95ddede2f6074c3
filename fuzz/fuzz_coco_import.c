/* libFuzzer harness for the COCO JSON import (imp_coco): the first byte picks the project kind, the rest is the
 * upload; every task it yields goes through the server's per-line check. */
#include <stdint.h>
#include <stdlib.h>

#include "core/import_formats.h"
#include "fuzz/fuzz_kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    enum project_kind k = fz_kind(data[0]);
    struct fz_check c = {.kind = k, .schema = fz_schema(k)};
    struct imp_options o = fz_imp_options(k, size);
    struct imp_report *r = malloc(sizeof *r);
    if (!r) return 0;
    /* An exact-size copy, so ASan sees any read past the upload's end. */
    char *p = malloc(size - 1 ? size - 1 : 1);
    if (!p) {
        free(r);
        return 0;
    }
    for (size_t i = 1; i < size; i++) p[i - 1] = (char)data[i];
    long n = imp_coco(p, size - 1, &o, fz_check_line, &c, r);
    fz_report_check(n, r, &c);
    free(p);
    free(r);
    return 0;
}
