/* Unit tests for the per-request arena (util/arena.h) and the bounded buffer (util/buf.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/arena.h"
#include "util/buf.h"

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < n; i++)
        if (c[i]) return false;
    return true;
}

/* ---- arena ---- */

static void test_arena_alignment(void **state)
{
    (void)state;
    arena *a = arena_new(256);
    assert_non_null(a);
    static const size_t sizes[] = {1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 100, 255, 1, 5, 300, 4096, 9};
    for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
        void *p = arena_alloc(a, sizes[i]);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 16, 0);
    }
    /* strdup / printf results are aligned too. */
    assert_int_equal((uintptr_t)arena_strdup(a, "x") % 16, 0);
    assert_int_equal((uintptr_t)arena_printf(a, "%d", 5) % 16, 0);
    arena_free(a);
}

static void test_arena_default_block_size(void **state)
{
    (void)state;
    arena *a = arena_new(0); /* 0 picks the default block size */
    assert_non_null(a);
    assert_int_equal(arena_used(a), 0);
    for (int i = 0; i < 1000; i++) {
        char *p = arena_alloc(a, 24);
        assert_non_null(p);
        assert_true(all_zero(p, 24));
        memset(p, 0x5a, 24);
    }
    assert_int_equal(arena_used(a), 1000 * 32); /* 24 rounds up to 32 */
    arena_free(a);
}

static void test_arena_zeroed(void **state)
{
    (void)state;
    arena *a = arena_new(512);
    /* Dirty every allocation after checking it, so a later allocation that reused or overlapped
     * memory would show up as non-zero. */
    for (size_t n = 1; n < 700; n += 37) {
        unsigned char *p = arena_alloc(a, n);
        assert_non_null(p);
        assert_true(all_zero(p, n));
        memset(p, 0xff, n);
    }
    arena_free(a);
}

static void test_arena_no_overlap(void **state)
{
    (void)state;
    arena *a = arena_new(128);
    enum { N = 200 };
    unsigned char *ptrs[N];
    size_t lens[N];
    for (int i = 0; i < N; i++) {
        lens[i] = (size_t)(1 + (i * 7) % 90) + (i % 17 == 0 ? 1000 : 0);
        ptrs[i] = arena_alloc(a, lens[i]);
        assert_non_null(ptrs[i]);
        memset(ptrs[i], i & 0xff, lens[i]);
    }
    for (int i = 0; i < N; i++)
        for (size_t j = 0; j < lens[i]; j++) assert_int_equal(ptrs[i][j], i & 0xff);
    arena_free(a);
}

static void test_arena_big_allocations(void **state)
{
    (void)state;
    arena *a = arena_new(64);
    char *small1 = arena_alloc(a, 16);
    assert_non_null(small1);
    memset(small1, 'a', 16);

    /* Much larger than the block: gets its own block, fully usable and zeroed. */
    size_t big = 1 << 20;
    unsigned char *p = arena_alloc(a, big);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 16, 0);
    assert_true(all_zero(p, big));
    memset(p, 0xab, big);

    /* Small allocations keep working and do not land inside the big one. */
    char *small2 = arena_alloc(a, 16);
    assert_non_null(small2);
    assert_true(all_zero(small2, 16));
    assert_true((unsigned char *)small2 + 16 <= p || (unsigned char *)small2 >= p + big);
    memset(small2, 'b', 16);

    unsigned char *p2 = arena_alloc(a, 100000);
    assert_non_null(p2);
    assert_true(all_zero(p2, 100000));
    memset(p2, 0xcd, 100000);

    for (size_t i = 0; i < big; i++) assert_int_equal(p[i], 0xab);
    for (size_t i = 0; i < 16; i++) {
        assert_int_equal(small1[i], 'a');
        assert_int_equal(small2[i], 'b');
    }
    assert_true(arena_used(a) >= big + 100000 + 32);
    arena_free(a);
}

static void test_arena_exact_block(void **state)
{
    (void)state;
    arena *a = arena_new(64);
    /* Exactly one block, then another exactly one block. */
    unsigned char *p = arena_alloc(a, 64), *q = arena_alloc(a, 64);
    assert_non_null(p);
    assert_non_null(q);
    assert_ptr_not_equal(p, q);
    memset(p, 1, 64);
    assert_true(all_zero(q, 64));
    arena_free(a);
}

static void test_arena_overflow_size(void **state)
{
    (void)state;
    arena *a = arena_new(64);
    /* Rounding SIZE_MAX up to 16 wraps: must be refused, not turned into a tiny allocation. */
    assert_null(arena_alloc(a, SIZE_MAX));
    assert_null(arena_alloc(a, SIZE_MAX - 3));
    arena_free(a);
}

static void test_arena_strdup(void **state)
{
    (void)state;
    arena *a = arena_new(32);
    const char *src = "hello, arena";
    char *d = arena_strdup(a, src);
    assert_non_null(d);
    assert_string_equal(d, src);
    assert_ptr_not_equal(d, src);
    assert_null(arena_strdup(a, NULL));

    char *e = arena_strdup(a, "");
    assert_non_null(e);
    assert_string_equal(e, "");

    char *n = arena_strndup(a, "abcdef", 3);
    assert_string_equal(n, "abc");

    /* A string longer than the block. */
    char longs[1000];
    memset(longs, 'q', sizeof longs - 1);
    longs[sizeof longs - 1] = '\0';
    char *l = arena_strdup(a, longs);
    assert_string_equal(l, longs);
    assert_string_equal(d, src); /* earlier copies intact */
    arena_free(a);
}

static void test_arena_printf(void **state)
{
    (void)state;
    arena *a = arena_new(32);
    char *s = arena_printf(a, "%s-%d-%lld", "id", 42, (long long)-7);
    assert_string_equal(s, "id-42--7");
    char *empty = arena_printf(a, "%s", "");
    assert_non_null(empty);
    assert_string_equal(empty, "");

    /* Longer than the block and than any fixed stack buffer. */
    char part[301];
    memset(part, 'x', 300);
    part[300] = '\0';
    char *big = arena_printf(a, "[%s|%s|%s]", part, part, part);
    assert_non_null(big);
    assert_int_equal(strlen(big), 3 * 300 + 4);
    assert_int_equal(big[0], '[');
    assert_int_equal(big[301], '|');
    assert_int_equal(big[903], ']');
    assert_string_equal(s, "id-42--7");
    arena_free(a);
}

struct log {
    int order[16];
    int n;
};
struct item {
    struct log *log;
    int tag;
};

static void record(void *p)
{
    struct item *it = p;
    it->log->order[it->log->n++] = it->tag;
}

static void test_arena_defer_newest_first(void **state)
{
    (void)state;
    struct log log = {{0}, 0};
    struct item items[5];
    arena *a = arena_new(64);
    for (int i = 0; i < 5; i++) {
        items[i] = (struct item){&log, i + 1};
        assert_int_equal(arena_defer(a, record, &items[i]), 0);
        /* interleave allocations so cleanups span several blocks */
        assert_non_null(arena_alloc(a, 50));
    }
    assert_int_equal(log.n, 0); /* nothing runs before the free */
    arena_free(a);
    assert_int_equal(log.n, 5);
    for (int i = 0; i < 5; i++) assert_int_equal(log.order[i], 5 - i);
}

static void free_ptr(void *p) { free(p); }

static void test_arena_defer_frees_heap(void **state)
{
    (void)state;
    /* A cleanup that frees heap memory: run under ASan/valgrind this shows no leak. */
    arena *a = arena_new(0);
    char *heap = malloc(100);
    assert_non_null(heap);
    assert_int_equal(arena_defer(a, free_ptr, heap), 0);
    arena_free(a);
    arena_free(NULL); /* harmless */
}

/* ---- buf ---- */

static void test_buf_basic(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1024);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(buf_adds(&b, "hello"), 0);
    assert_int_equal(buf_add(&b, ", world", 7), 0);
    assert_int_equal(b.len, 12);
    assert_string_equal(b.data, "hello, world");
    assert_int_equal(buf_printf(&b, " %d%c", 42, '!'), 0);
    assert_string_equal(b.data, "hello, world 42!");
    assert_int_equal(b.len, strlen(b.data));

    buf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(buf_adds(&b, "again"), 0);
    assert_string_equal(b.data, "again");
    buf_free(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.max, 1024); /* reusable after free */
    assert_int_equal(buf_adds(&b, "x"), 0);
    assert_string_equal(b.data, "x");
    buf_free(&b);
}

static void test_buf_binary(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 64);
    const char bin[] = {'a', '\0', 'b'};
    assert_int_equal(buf_add(&b, bin, 3), 0);
    assert_int_equal(b.len, 3);
    assert_memory_equal(b.data, bin, 3);
    assert_int_equal(b.data[3], '\0');
    buf_free(&b);
}

static void test_buf_max_enforced(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_adds(&b, "0123456789"), 0); /* exactly max */
    assert_int_equal(b.len, 10);
    assert_string_equal(b.data, "0123456789");

    char *before = b.data;
    size_t cap = b.cap;
    assert_int_equal(buf_add(&b, "x", 1), -1);
    assert_int_equal(b.len, 10);
    assert_ptr_equal(b.data, before);
    assert_int_equal(b.cap, cap);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(buf_adds(&b, "yz"), -1);
    assert_int_equal(buf_printf(&b, "%d", 1), -1);
    assert_string_equal(b.data, "0123456789");
    assert_int_equal(buf_add(&b, "", 0), 0); /* adding nothing still fits */
    assert_int_equal(b.len, 10);
    buf_free(&b);

    /* Partially full: an add that would cross max is refused whole, not truncated. */
    buf_init(&b, 10);
    assert_int_equal(buf_adds(&b, "abcdef"), 0);
    assert_int_equal(buf_adds(&b, "ghijk"), -1);
    assert_int_equal(b.len, 6);
    assert_string_equal(b.data, "abcdef");
    assert_int_equal(buf_adds(&b, "ghij"), 0);
    assert_string_equal(b.data, "abcdefghij");
    buf_free(&b);

    /* A huge n must not wrap around the max check. */
    buf_init(&b, 10);
    assert_int_equal(buf_adds(&b, "abc"), 0);
    assert_int_equal(buf_add(&b, "x", SIZE_MAX), -1);
    assert_int_equal(buf_add(&b, "x", SIZE_MAX - 2), -1);
    assert_int_equal(b.len, 3);
    assert_string_equal(b.data, "abc");
    buf_free(&b);

    /* max 0: nothing fits */
    buf_init(&b, 0);
    assert_int_equal(buf_adds(&b, "a"), -1);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_buf_growth(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 100000);
    for (int i = 0; i < 10000; i++) assert_int_equal(buf_add(&b, "0123456789", 10), 0);
    assert_int_equal(b.len, 100000);
    assert_true(b.cap >= b.len + 1);
    assert_int_equal(b.data[b.len], '\0');
    for (size_t i = 0; i < b.len; i++) assert_int_equal(b.data[i], '0' + (int)(i % 10));
    assert_int_equal(buf_add(&b, "x", 1), -1);
    assert_int_equal(b.len, 100000);
    buf_free(&b);
}

static void test_buf_printf_long(void **state)
{
    (void)state;
    char part[2001];
    memset(part, 'z', 2000);
    part[2000] = '\0';

    buf b;
    buf_init(&b, 1 << 16);
    assert_int_equal(buf_adds(&b, "<"), 0);
    /* Longer than buf_printf's internal stack buffer. */
    assert_int_equal(buf_printf(&b, "%s-%d-%s", part, 7, part), 0);
    assert_int_equal(buf_adds(&b, ">"), 0);
    assert_int_equal(b.len, 1 + 2000 + 3 + 2000 + 1);
    assert_int_equal(strlen(b.data), b.len);
    assert_int_equal(b.data[0], '<');
    assert_int_equal(b.data[1], 'z');
    assert_int_equal(b.data[2000], 'z');
    assert_memory_equal(b.data + 2001, "-7-", 3);
    assert_int_equal(b.data[b.len - 1], '>');

    /* Around the 512-byte boundary. */
    for (size_t n = 505; n < 520; n++) {
        buf c;
        buf_init(&c, 4096);
        assert_int_equal(buf_printf(&c, "%.*s", (int)n, part), 0);
        assert_int_equal(c.len, n);
        assert_int_equal(strlen(c.data), n);
        assert_int_equal(buf_printf(&c, "%.*s", (int)n, part), 0);
        assert_int_equal(c.len, 2 * n);
        assert_int_equal(strlen(c.data), 2 * n);
        buf_free(&c);
    }
    buf_free(&b);

    /* A long printf beyond max is refused and leaves the buffer unchanged. */
    buf_init(&b, 1500);
    assert_int_equal(buf_adds(&b, "keep"), 0);
    assert_int_equal(buf_printf(&b, "%s", part), -1);
    assert_int_equal(b.len, 4);
    assert_string_equal(b.data, "keep");
    /* ... and one that exactly fills max is accepted. */
    assert_int_equal(buf_printf(&b, "%.*s", 1496, part), 0);
    assert_int_equal(b.len, 1500);
    assert_int_equal(strlen(b.data), 1500);
    buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment),
        cmocka_unit_test(test_arena_default_block_size),
        cmocka_unit_test(test_arena_zeroed),
        cmocka_unit_test(test_arena_no_overlap),
        cmocka_unit_test(test_arena_big_allocations),
        cmocka_unit_test(test_arena_exact_block),
        cmocka_unit_test(test_arena_overflow_size),
        cmocka_unit_test(test_arena_strdup),
        cmocka_unit_test(test_arena_printf),
        cmocka_unit_test(test_arena_defer_newest_first),
        cmocka_unit_test(test_arena_defer_frees_heap),
        cmocka_unit_test(test_buf_basic),
        cmocka_unit_test(test_buf_binary),
        cmocka_unit_test(test_buf_max_enforced),
        cmocka_unit_test(test_buf_growth),
        cmocka_unit_test(test_buf_printf_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
