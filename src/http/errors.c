/* Error table lookups and documentation (see errors.def). */
#include "http/errors.h"

static const struct err_info table[ERR__COUNT] = {
    [ERR_NONE] = {"NONE", 0, 200, "No error"},
#define ERR(name, code, status, title) [ERR_##name] = {#name, code, status, title},
#include "http/errors.def"
#undef ERR
};

const struct err_info *err_info(err_id e)
{
    return (e > ERR_NONE && e < ERR__COUNT) ? &table[e] : &table[ERR_INTERNAL];
}

void errors_write_doc(FILE *out)
{
    fputs("# fairlabel error codes\n\n"
          "Generated from `src/http/errors.def` by `fairlabel errors-doc`; do not edit.\n"
          "Every error reply is `application/problem+json`: "
          "`{\"type\", \"code\", \"name\", \"title\", \"detail\", \"field\"?}`.\n"
          "Codes are stable: they are never renumbered or reused.\n\n"
          "| code | name | HTTP status | meaning |\n|---|---|---|---|\n", out);
    for (int e = ERR_NONE + 1; e < ERR__COUNT; e++)
        fprintf(out, "| %d | `%s` | %d | %s |\n", table[e].code, table[e].name, table[e].status,
                table[e].title);
}
