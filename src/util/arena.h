/* Per-request arena: many small allocations freed at once, plus cleanups run at free. */
#ifndef FL_ARENA_H
#define FL_ARENA_H
#include <stddef.h>

typedef struct arena arena;

arena *arena_new(size_t block_size);
void arena_free(arena *a);
/* Returns NULL only when the system allocator fails. Memory is 16-byte aligned and zeroed. */
void *arena_alloc(arena *a, size_t n);
char *arena_strdup(arena *a, const char *s);
char *arena_strndup(arena *a, const char *s, size_t n);
char *arena_printf(arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Runs fn(p) when the arena is freed, newest first. Returns 0, or -1 if out of memory. */
int arena_defer(arena *a, void (*fn)(void *), void *p);
size_t arena_used(const arena *a);

#endif
