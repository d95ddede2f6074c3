/* libFuzzer harness for the CSV import (imp_csv): the first byte picks the project kind, the rest is the
 * upload; every task it yields goes through the server's per-line check (fz_import_one, fuzz_kinds.c). */
#include <stddef.h>
#include <stdint.h>

#include "core/import_formats.h"
#include "fuzz/fuzz_kinds.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_import_one(imp_csv, data, size);
}
