/* Growable byte buffer with a mandatory maximum (after curl's dynbuf). */
#ifndef FL_BUF_H
#define FL_BUF_H
#include <stddef.h>

typedef struct {
    char *data;   /* always NUL-terminated when non-NULL */
    size_t len, cap, max;
} buf;

void buf_init(buf *b, size_t max);
void buf_free(buf *b);
void buf_reset(buf *b);
/* Each returns 0, or -1 when the result would exceed max or memory runs out (b is unchanged). */
int buf_add(buf *b, const void *p, size_t n);
int buf_adds(buf *b, const char *s);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
