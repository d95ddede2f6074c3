/* Files compiled into the binary by tools/embed.c (migrations, web assets). */
#ifndef FL_EMBEDDED_H
#define FL_EMBEDDED_H
#include <stddef.h>

struct embedded_file {
    const char *name;          /* path below its root, e.g. "static/app.css" */
    const unsigned char *data; /* NUL-terminated for convenience */
    size_t size;
};

extern const struct embedded_file embedded_migrations[];
extern const struct embedded_file embedded_web[];
extern const struct embedded_file embedded_seed[]; /* data/seed: wage benchmarks and country basics */

#endif
