/* Error codes generated from errors.def. */
#ifndef FL_ERRORS_H
#define FL_ERRORS_H
#include <stdio.h>

typedef enum {
    ERR_NONE = 0,
#define ERR(name, code, status, title) ERR_##name,
#include "http/errors.def"
#undef ERR
    ERR__COUNT
} err_id;

struct err_info {
    const char *name;
    int code, status;
    const char *title;
};

const struct err_info *err_info(err_id e);
/* Writes the Markdown reference (docs/errors.md). */
void errors_write_doc(FILE *out);

#endif
