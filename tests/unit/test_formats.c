/* Unit tests for the export formats (core/formats.h): exact output of every exporter on small
 * hand-made tasks, and the ZIP formats read back with libzip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zip.h>

#include "core/formats.h"
#include "util/buf.h"

#define T0 1700000000123LL /* 2023-11-14T22:13:20.123Z */

static int to_buf(void *ctx, const void *p, size_t n) { return buf_add(ctx, p, n); }

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j) fail_msg("bad test JSON (%s): %s", e.text, s);
    return j;
}

/* Exports the tasks (twice for a two-pass format) into out; returns the export's result. */
static int export_all(const char *format, const char *kind, const char *schema, const struct fmt_task *tasks, size_t n,
                      buf *out, char *err, size_t errlen)
{
    const struct fmt_exporter *e = fmt_exporter_for(format);
    assert_non_null(e);
    json_t *s = J(schema);
    struct fmt_sink sink = {to_buf, out};
    struct fmt_options opt = {.now_ms = T0};
    fmt_export *x = fmt_export_begin(e, kind, s, &sink, &opt, err, errlen);
    json_decref(s);
    if (!x) return -1;
    int rc = 0;
    for (int pass = 1; pass <= e->passes && !rc; pass++) {
        if (pass > 1) rc = fmt_export_next_pass(x);
        for (size_t i = 0; i < n && !rc; i++) rc = fmt_export_task(x, &tasks[i]);
    }
    if (!rc) rc = fmt_export_end(x);
    if (rc) snprintf(err, errlen, "%s", fmt_export_error(x));
    fmt_export_free(x);
    return rc;
}

static void expect_export(const char *format, const char *kind, const char *schema, const struct fmt_task *tasks,
                          size_t n, const char *want)
{
    buf out;
    buf_init(&out, 1 << 20);
    char err[256] = "";
    int rc = export_all(format, kind, schema, tasks, n, &out, err, sizeof err);
    if (rc) fail_msg("%s export failed: %s", format, err);
    assert_string_equal(out.data ? out.data : "", want);
    buf_free(&out);
}

/* The content of one ZIP member (caller frees), or NULL when absent. */
static char *zip_member(const buf *b, const char *name)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(b->data, b->len, 0, &ze);
    zip_t *za = zip_open_from_source(src, ZIP_CHECKCONS | ZIP_RDONLY, &ze);
    zip_error_fini(&ze);
    assert_non_null(za);
    char *out = NULL;
    zip_stat_t st;
    if (!zip_stat(za, name, 0, &st)) {
        zip_file_t *f = zip_fopen(za, name, 0);
        out = calloc(1, st.size + 1);
        assert_int_equal(zip_fread(f, out, st.size), (zip_int64_t)st.size);
        zip_fclose(f);
    }
    zip_close(za);
    return out;
}

static zip_int64_t zip_count(const buf *b)
{
    zip_error_t ze;
    zip_error_init(&ze);
    zip_source_t *src = zip_source_buffer_create(b->data, b->len, 0, &ze);
    zip_t *za = zip_open_from_source(src, ZIP_CHECKCONS | ZIP_RDONLY, &ze);
    zip_error_fini(&ze);
    assert_non_null(za);
    zip_int64_t n = zip_get_num_entries(za, 0);
    zip_close(za);
    return n;
}

static void expect_member(const buf *b, const char *name, const char *want)
{
    char *got = zip_member(b, name);
    if (!got) fail_msg("no member %s", name);
    assert_string_equal(got, want);
    free(got);
}

/* ---- fixtures ---- */

static const char *const CLS_SCHEMA = "{\"labels\":[\"positive\",\"negative\"],\"multiple\":false}";
static const char *const MULTI_SCHEMA = "{\"labels\":[\"a\",\"b\",\"c\"],\"multiple\":true}";
static const char *const SPAN_SCHEMA = "{\"entities\":[\"PER\",\"LOC\"],\"allow_overlap\":true,\"relations\":[\"lives_in\"]}";
static const char *const IMG_SCHEMA =
    "{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\",\"polygon\"],\"attributes\":[{\"name\":\"occluded\",\"type\":\"bool\"},"
    "{\"name\":\"colour\",\"type\":\"enum\",\"values\":[\"red\",\"blue\"]},{\"name\":\"note\",\"type\":\"text\"}]},"
    "{\"name\":\"person\",\"tools\":[\"keypoints\",\"bbox\"],\"skeleton\":{\"points\":[\"nose\",\"l_eye\",\"r_eye\"],"
    "\"edges\":[[0,1],[0,2]]}}]}";
static const char *const LIDAR_SCHEMA = "{\"classes\":[{\"name\":\"Car\"},{\"name\":\"Traffic cone\"}]}";
static const char *const CMP_SCHEMA = "{\"allow_tie\":true,\"criteria\":[\"helpfulness\",\"honesty\"],\"rationale_min_chars\":5}";

struct fixture {
    json_t *data[4], *answers[4], *pred;
    struct fmt_answer a[4];
    struct fmt_task t;
};

static void fx_free(struct fixture *f)
{
    for (int i = 0; i < 4; i++) {
        json_decref(f->data[i]);
        json_decref(f->answers[i]);
    }
    json_decref(f->pred);
}

/* A task with id, external id, data and up to 4 answers (worker 10+i, assignment 100+i, T0+i s). */
static void fx(struct fixture *f, int64_t id, const char *ext, const char *data, const char *pred, const char *const *answers)
{
    memset(f, 0, sizeof *f);
    f->data[0] = J(data);
    f->pred = pred ? J(pred) : NULL;
    size_t n = 0;
    for (; answers && answers[n] && n < 4; n++) {
        f->answers[n] = J(answers[n]);
        f->a[n] = (struct fmt_answer){.assignment_id = 100 + (int64_t)n + id * 10, .worker_id = 10 + (int64_t)n, .submitted_at_ms = T0 + (int64_t)n * 1000, .answer = f->answers[n]};
    }
    f->t = (struct fmt_task){.task_id = id, .external_id = ext, .data = f->data[0], .width = 0, .height = 0, .predictions = f->pred, .answers = f->a, .n_answers = n};
}

/* ---- tests ---- */

static void test_exporter_table(void **state)
{
    (void)state;
    static const char *const names[] = {"jsonl", "label_studio", "coco", "yolo", "voc", "kitti", "conll", "csv"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        const struct fmt_exporter *e = fmt_exporter_for(names[i]);
        assert_non_null(e);
        assert_string_equal(e->name, names[i]);
        assert_non_null(strstr(FMT_NAMES, names[i]));
        assert_non_null(e->task);
    }
    assert_null(fmt_exporter_for("xml"));
    assert_null(fmt_exporter_for(NULL));
    assert_string_equal(fmt_exporter_for("yolo")->content_type, "application/zip");
    assert_int_equal(fmt_exporter_for("coco")->passes, 2);
    assert_true(fmt_exporter_supports(fmt_exporter_for("jsonl"), KIND_FREE_TEXT));
    assert_false(fmt_exporter_supports(fmt_exporter_for("conll"), KIND_TEXT_CLASSIFICATION));

    char err[128];
    buf out;
    buf_init(&out, 1024);
    struct fmt_sink sink = {to_buf, &out};
    json_t *s = J(CLS_SCHEMA);
    assert_null(fmt_export_begin(fmt_exporter_for("yolo"), "text_classification", s, &sink, NULL, err, sizeof err));
    assert_string_equal(err, "the yolo format cannot export text_classification projects");
    assert_null(fmt_export_begin(fmt_exporter_for("jsonl"), "nonsense", s, &sink, NULL, err, sizeof err));
    /* a two-pass format refuses to end after one pass */
    fmt_export *x = fmt_export_begin(fmt_exporter_for("coco"), "image_annotation", s, &sink, NULL, err, sizeof err);
    assert_non_null(x);
    assert_int_equal(fmt_export_end(x), -1);
    assert_string_equal(fmt_export_error(x), "the coco format needs 2 passes");
    fmt_export_free(x);
    json_decref(s);
    buf_free(&out);
}

static void test_jsonl_classification(void **state)
{
    (void)state;
    struct fixture a, b;
    const char *ans[] = {"{\"label\":\"positive\"}", "{\"label\":\"negative\"}", NULL};
    fx(&a, 1, "a1", "{\"text\":\"h\xc3\xa9llo \\\"you\\\"\"}", NULL, ans);
    fx(&b, 2, NULL, "{\"text\":\"no answers\"}", NULL, NULL);
    struct fmt_task t[2] = {a.t, b.t};
    expect_export("jsonl", "text_classification", CLS_SCHEMA, t, 2,
                  "{\"task_id\":1,\"external_id\":\"a1\",\"data\":{\"text\":\"h\xc3\xa9llo \\\"you\\\"\"},\"result\":null,\"answers\":["
                  "{\"assignment_id\":110,\"worker_id\":10,\"answer\":{\"label\":\"positive\"},\"submitted_at\":\"2023-11-14T22:13:20.123Z\"},"
                  "{\"assignment_id\":111,\"worker_id\":11,\"answer\":{\"label\":\"negative\"},\"submitted_at\":\"2023-11-14T22:13:21.123Z\"}]}\n"
                  "{\"task_id\":2,\"external_id\":null,\"data\":{\"text\":\"no answers\"},\"result\":null,\"answers\":[]}\n");
    fx_free(&a);
    fx_free(&b);
}

static void test_jsonl_prediction_diff(void **state)
{
    (void)state;
    struct fixture a;
    const char *pred = "{\"objects\":[{\"id\":\"p1\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2,3,4]},"
                       "{\"id\":\"p2\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[5,5,5,5]},"
                       "{\"id\":\"p3\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[9,9,1,1]}]}";
    /* p1 kept (2.0 == 2), p2 edited, new object added, p3 removed */
    const char *ans[] = {"{\"objects\":[{\"id\":\"p1\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2.0,3,4]},"
                         "{\"id\":\"p2\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[5,5,6,5]},"
                         "{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,1,1]}]}",
                         NULL};
    fx(&a, 3, "img", "{\"image\":{\"url\":\"https://x/y.jpg\",\"width\":64,\"height\":48}}", pred, ans);
    json_t *d = fmt_prediction_diff(KIND_IMAGE_ANNOTATION, a.pred, a.answers[0]);
    char *s = json_dumps(d, JSON_COMPACT);
    assert_string_equal(s, "{\"objects\":[\"kept\",\"edited\",\"added\"],\"removed\":[\"p3\"]}");
    free(s);
    json_decref(d);
    assert_null(fmt_prediction_diff(KIND_TEXT_CLASSIFICATION, a.pred, a.answers[0]));
    assert_null(fmt_prediction_diff(KIND_IMAGE_ANNOTATION, NULL, a.answers[0]));
    buf out;
    buf_init(&out, 1 << 16);
    char err[128];
    assert_int_equal(export_all("jsonl", "image_annotation", IMG_SCHEMA, &a.t, 1, &out, err, sizeof err), 0);
    assert_non_null(strstr(out.data, ",\"predictions\":{\"objects\":[{\"id\":\"p1\""));
    assert_non_null(strstr(out.data, "\"submitted_at\":\"2023-11-14T22:13:20.123Z\",\"prediction_diff\":{\"objects\":"
                                     "[\"kept\",\"edited\",\"added\"],\"removed\":[\"p3\"]}}]}\n"));
    buf_free(&out);
    fx_free(&a);

    /* spans: matched by id, a span without id is added */
    json_t *sp = J("{\"spans\":[{\"id\":\"s1\",\"start\":0,\"end\":2,\"label\":\"PER\"},{\"id\":\"s2\",\"start\":3,\"end\":4,\"label\":\"LOC\"}]}");
    json_t *sa = J("{\"spans\":[{\"start\":3,\"end\":4,\"label\":\"LOC\"},{\"id\":\"s1\",\"start\":0,\"end\":2,\"label\":\"LOC\"}]}");
    d = fmt_prediction_diff(KIND_TEXT_SPANS, sp, sa);
    s = json_dumps(d, JSON_COMPACT);
    assert_string_equal(s, "{\"spans\":[\"added\",\"edited\"],\"removed\":[\"s2\"]}");
    free(s);
    json_decref(d);
    json_decref(sp);
    json_decref(sa);
}

static void test_label_studio_text(void **state)
{
    (void)state;
    struct fixture a, b;
    const char *cls[] = {"{\"labels\":[\"a\",\"c\"]}", NULL};
    fx(&a, 5, "e5", "{\"text\":\"hi\"}", NULL, cls);
    expect_export("label_studio", "text_classification", MULTI_SCHEMA, &a.t, 1,
                  "[{\"id\":5,\"data\":{\"text\":\"hi\"},\"meta\":{\"external_id\":\"e5\"},\"annotations\":[{\"id\":150,"
                  "\"completed_by\":10,\"created_at\":\"2023-11-14T22:13:20.123Z\",\"result\":[{\"id\":\"c0\",\"from_name\":"
                  "\"label\",\"to_name\":\"text\",\"type\":\"choices\",\"value\":{\"choices\":[\"a\",\"c\"]}}]}]}]");
    /* code-point offsets; the span text is cut by code points */
    const char *spans[] = {"{\"spans\":[{\"id\":\"x\",\"start\":0,\"end\":4,\"label\":\"PER\"},{\"start\":10,\"end\":12,\"label\":\"LOC\"}],"
                           "\"relations\":[{\"from\":0,\"to\":1,\"label\":\"lives_in\"}]}",
                           NULL};
    fx(&b, 6, NULL, "{\"text\":\"Ren\xc3\xa9 in \xf0\x9f\x98\x80 \xe4\xb8\x9c\xe4\xba\xac!\"}", NULL, spans);
    expect_export("label_studio", "text_spans", SPAN_SCHEMA, &b.t, 1,
                  "[{\"id\":6,\"data\":{\"text\":\"Ren\xc3\xa9 in \xf0\x9f\x98\x80 \xe4\xb8\x9c\xe4\xba\xac!\"},\"annotations\":[{\"id\":160,"
                  "\"completed_by\":10,\"created_at\":\"2023-11-14T22:13:20.123Z\",\"result\":["
                  "{\"id\":\"x\",\"from_name\":\"label\",\"to_name\":\"text\",\"type\":\"labels\",\"value\":{\"start\":0,\"end\":4,"
                  "\"text\":\"Ren\xc3\xa9\",\"labels\":[\"PER\"]}},"
                  "{\"id\":\"s1\",\"from_name\":\"label\",\"to_name\":\"text\",\"type\":\"labels\",\"value\":{\"start\":10,\"end\":12,"
                  "\"text\":\"\xe4\xb8\x9c\xe4\xba\xac\",\"labels\":[\"LOC\"]}},"
                  "{\"from_id\":\"x\",\"to_id\":\"s1\",\"type\":\"relation\",\"direction\":\"right\",\"labels\":[\"lives_in\"]}]}]}]");
    fx_free(&a);
    fx_free(&b);
}

static void test_label_studio_image(void **state)
{
    (void)state;
    struct fixture a, b;
    const char *ans[] = {"{\"objects\":[{\"id\":\"o1\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10,20,100,50],"
                         "\"attributes\":{\"occluded\":true,\"note\":\"x\"}},"
                         "{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[200,0],[200,100]]},"
                         "{\"id\":\"k\",\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[40,30,2],[0,0,0],[8,4,1]]}]}",
                         NULL};
    fx(&a, 7, NULL, "{\"image\":{\"url\":\"https://h/a.jpg\",\"width\":200,\"height\":100}}", NULL, ans);
    expect_export("label_studio", "image_annotation", IMG_SCHEMA, &a.t, 1,
                  "[{\"id\":7,\"data\":{\"image\":\"https://h/a.jpg\"},\"meta\":{\"image\":{\"url\":\"https://h/a.jpg\",\"width\":200,"
                  "\"height\":100}},\"annotations\":[{\"id\":170,\"completed_by\":10,\"created_at\":\"2023-11-14T22:13:20.123Z\","
                  "\"result\":["
                  "{\"id\":\"o1\",\"from_name\":\"label\",\"to_name\":\"image\",\"type\":\"rectanglelabels\",\"value\":{\"x\":5,"
                  "\"y\":20,\"width\":50,\"height\":50,\"rotation\":0,\"rectanglelabels\":[\"car\"]},\"original_width\":200,"
                  "\"original_height\":100,\"image_rotation\":0},"
                  "{\"id\":\"o1\",\"from_name\":\"occluded\",\"to_name\":\"image\",\"type\":\"choices\",\"value\":{\"choices\":"
                  "[\"true\"]},\"original_width\":200,\"original_height\":100,\"image_rotation\":0},"
                  "{\"id\":\"o1\",\"from_name\":\"note\",\"to_name\":\"image\",\"type\":\"textarea\",\"value\":{\"text\":[\"x\"]},"
                  "\"original_width\":200,\"original_height\":100,\"image_rotation\":0},"
                  "{\"id\":\"o1_\",\"from_name\":\"label\",\"to_name\":\"image\",\"type\":\"polygonlabels\",\"value\":{\"points\":"
                  "[[0,0],[100,0],[100,100]],\"closed\":true,\"polygonlabels\":[\"car\"]},\"original_width\":200,"
                  "\"original_height\":100,\"image_rotation\":0},"
                  "{\"id\":\"k-kp0\",\"from_name\":\"label\",\"to_name\":\"image\",\"type\":\"keypointlabels\",\"value\":{\"x\":20,"
                  "\"y\":30,\"width\":0.5,\"keypointlabels\":[\"person\"]},\"original_width\":200,\"original_height\":100,"
                  "\"image_rotation\":0},"
                  "{\"id\":\"k-kp2\",\"from_name\":\"label\",\"to_name\":\"image\",\"type\":\"keypointlabels\",\"value\":{\"x\":4,"
                  "\"y\":4,\"width\":0.5,\"keypointlabels\":[\"person\"]},\"original_width\":200,\"original_height\":100,"
                  "\"image_rotation\":0}]}]}]");
    /* a stored image without a known size cannot be converted to percentages */
    fx(&b, 8, NULL, "{\"image\":{\"media_id\":\"ab\"}}", NULL, ans);
    buf out;
    buf_init(&out, 1 << 16);
    char err[256];
    assert_int_equal(export_all("label_studio", "image_annotation", IMG_SCHEMA, &b.t, 1, &out, err, sizeof err), -1);
    assert_string_equal(err, "task 8: the image's width and height are unknown");
    buf_reset(&out);
    b.t.width = 400;
    b.t.height = 300;
    assert_int_equal(export_all("label_studio", "image_annotation", IMG_SCHEMA, &b.t, 1, &out, err, sizeof err), 0);
    assert_non_null(strstr(out.data, "\"data\":{\"image\":\"/api/v1/media/ab\"}"));
    assert_non_null(strstr(out.data, "\"value\":{\"x\":2.5,\"y\":6.66666666666667,\"width\":25,"));
    buf_free(&out);
    fx_free(&a);
    fx_free(&b);
}

static void test_coco(void **state)
{
    (void)state;
    struct fixture a, b;
    const char *ans_a[] = {"{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10,20,30.5,40],\"attributes\":{\"colour\":\"red\"}},"
                           "{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[4,0],[4,3],[2,5],[0,3]]}]}",
                           "{\"objects\":[{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[10,10,2],[0,0,0],[14,13,1]]}]}",
                           NULL};
    fx(&a, 1, "first", "{\"image\":{\"url\":\"https://h/dir/cat%201.png?x=1\",\"width\":640,\"height\":480}}", NULL, ans_a);
    fx(&b, 2, NULL, "{\"image\":{\"media_id\":\"abc\"}}", NULL, NULL);
    b.t.width = 800;
    b.t.height = 600;
    struct fmt_task t[2] = {a.t, b.t};
    expect_export("coco", "image_annotation", IMG_SCHEMA, t, 2,
                  "{\"images\":["
                  "{\"id\":1,\"file_name\":\"cat%201.png\",\"width\":640,\"height\":480,\"coco_url\":\"https://h/dir/cat%201.png?x=1\","
                  "\"external_id\":\"first\"},"
                  "{\"id\":2,\"file_name\":\"abc\",\"width\":800,\"height\":600}"
                  "],\"annotations\":["
                  "{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[10,20,30.5,40],\"area\":1220,\"iscrowd\":0,"
                  "\"segmentation\":[],\"attributes\":{\"colour\":\"red\"},\"source\":\"worker\",\"worker_id\":10,\"assignment_id\":110},"
                  /* pentagon: 4x3 rectangle plus a triangle of base 4 and height 2 = 12 + 4 = 16 */
                  "{\"id\":2,\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,4,5],\"area\":16,\"iscrowd\":0,"
                  "\"segmentation\":[[0,0,4,0,4,3,2,5,0,3]],\"attributes\":{},\"source\":\"worker\",\"worker_id\":10,\"assignment_id\":110},"
                  "{\"id\":3,\"image_id\":1,\"category_id\":2,\"bbox\":[10,10,4,3],\"area\":12,\"iscrowd\":0,"
                  "\"keypoints\":[10,10,2,0,0,0,14,13,1],\"num_keypoints\":2,\"segmentation\":[],\"attributes\":{},"
                  "\"source\":\"worker\",\"worker_id\":11,\"assignment_id\":111}"
                  "],\"categories\":["
                  "{\"id\":1,\"name\":\"car\",\"supercategory\":\"\"},"
                  "{\"id\":2,\"name\":\"person\",\"supercategory\":\"\",\"keypoints\":[\"nose\",\"l_eye\",\"r_eye\"],"
                  "\"skeleton\":[[1,2],[1,3]]}]}");
    fx_free(&a);
    fx_free(&b);
}

static void test_yolo(void **state)
{
    (void)state;
    struct fixture a, b, c, d;
    const char *ans[] = {"{\"objects\":[{\"class\":\"person\",\"type\":\"bbox\",\"bbox\":[0,0,640,480]},"
                         "{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[100,50,64,48]},"
                         "{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[10,10],[30,10],[20,40]]},"
                         "{\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[1,1,2],[2,2,2],[3,3,2]]}]}",
                         "{\"objects\":[]}", NULL};
    fx(&a, 1, NULL, "{\"image\":{\"url\":\"https://h/img/street.01.jpg\",\"width\":640,\"height\":480}}", NULL, ans);
    fx(&b, 2, NULL, "{\"image\":{\"url\":\"https://other/street.01.jpg\",\"width\":640,\"height\":480}}", NULL, ans + 1);
    fx(&c, 3, NULL, "{\"image\":{\"media_id\":\"m\"}}", NULL, ans + 1);
    c.t.width = c.t.height = 10;
    fx(&d, 4, NULL, "{\"image\":{\"media_id\":\"m\"}}", NULL, NULL); /* no answer: no file */
    struct fmt_task t[4] = {a.t, b.t, c.t, d.t};
    buf out;
    buf_init(&out, 1 << 20);
    char err[256];
    assert_int_equal(export_all("yolo", "image_annotation", IMG_SCHEMA, t, 4, &out, err, sizeof err), 0);
    assert_int_equal(zip_count(&out), 4);
    expect_member(&out, "classes.txt", "car\nperson\n");
    /* the first answer only; keypoints are not YOLO boxes; the polygon becomes its bounds */
    expect_member(&out, "labels/street.01.txt",
                  "1 0.500000 0.500000 1.000000 1.000000\n"
                  "0 0.206250 0.154167 0.100000 0.100000\n"
                  "0 0.031250 0.052083 0.031250 0.062500\n");
    expect_member(&out, "labels/street.01_2.txt", ""); /* the same stem again */
    expect_member(&out, "labels/3.txt", "");
    buf_free(&out);
    /* a size is needed */
    c.t.width = c.t.height = 0;
    buf_init(&out, 1 << 20);
    assert_int_equal(export_all("yolo", "image_annotation", IMG_SCHEMA, &c.t, 1, &out, err, sizeof err), -1);
    assert_string_equal(err, "task 3: the image's width and height are unknown");
    buf_free(&out);
    fx_free(&a);
    fx_free(&b);
    fx_free(&c);
    fx_free(&d);
}

static void test_voc(void **state)
{
    (void)state;
    static const char *const schema = "{\"classes\":[{\"name\":\"R&D <car> \\\"x\\\" 'y'\",\"tools\":[\"bbox\",\"polygon\"]}]}";
    struct fixture a;
    const char *ans[] = {"{\"objects\":[{\"class\":\"R&D <car> \\\"x\\\" 'y'\",\"type\":\"bbox\",\"bbox\":[10,20.4,100,59.6],"
                         "\"attributes\":{\"difficult\":true}},"
                         "{\"class\":\"R&D <car> \\\"x\\\" 'y'\",\"type\":\"polygon\",\"points\":[[0,0],[640,0],[640,480]]}]}",
                         NULL};
    fx(&a, 9, NULL, "{\"image\":{\"url\":\"https://h/a&b.jpg\",\"width\":640,\"height\":480}}", NULL, ans);
    buf out;
    buf_init(&out, 1 << 20);
    char err[256];
    assert_int_equal(export_all("voc", "image_annotation", schema, &a.t, 1, &out, err, sizeof err), 0);
    assert_int_equal(zip_count(&out), 1);
    expect_member(&out, "Annotations/a_b.xml",
                  "<annotation>\n  <folder>images</folder>\n  <filename>a&amp;b.jpg</filename>\n  <size>\n"
                  "    <width>640</width>\n    <height>480</height>\n    <depth>3</depth>\n  </size>\n"
                  "  <segmented>0</segmented>\n"
                  "  <object>\n    <name>R&amp;D &lt;car&gt; &quot;x&quot; &apos;y&apos;</name>\n    <pose>Unspecified</pose>\n"
                  "    <truncated>0</truncated>\n    <difficult>1</difficult>\n    <bndbox>\n      <xmin>11</xmin>\n"
                  "      <ymin>21</ymin>\n      <xmax>110</xmax>\n      <ymax>80</ymax>\n    </bndbox>\n  </object>\n"
                  "  <object>\n    <name>R&amp;D &lt;car&gt; &quot;x&quot; &apos;y&apos;</name>\n    <pose>Unspecified</pose>\n"
                  "    <truncated>0</truncated>\n    <difficult>0</difficult>\n    <bndbox>\n      <xmin>1</xmin>\n"
                  "      <ymin>1</ymin>\n      <xmax>640</xmax>\n      <ymax>480</ymax>\n    </bndbox>\n  </object>\n"
                  "</annotation>\n");
    buf_free(&out);
    fx_free(&a);
}

static void test_kitti(void **state)
{
    (void)state;
    struct fixture a, b;
    const char *ans[] = {"{\"objects\":[{\"class\":\"Car\",\"center\":[10,2,-1],\"size\":[4,1.8,1.5],\"yaw\":0},"
                         "{\"class\":\"Traffic cone\",\"center\":[5.5,-3.25,0.2],\"size\":[0.4,0.4,0.6],\"yaw\":1.5707963267948966}]}",
                         "{\"objects\":[]}", NULL};
    fx(&a, 12, NULL, "{\"pointcloud\":{\"media_id\":\"p\"}}", NULL, ans);
    fx(&b, 13, "seq/0001", "{\"pointcloud\":{\"media_id\":\"p\"}}", NULL, ans + 1);
    struct fmt_task t[2] = {a.t, b.t};
    buf out;
    buf_init(&out, 1 << 20);
    char err[256];
    assert_int_equal(export_all("kitti", "lidar_cuboids", LIDAR_SCHEMA, t, 2, &out, err, sizeof err), 0);
    assert_int_equal(zip_count(&out), 2);
    /* x_cam = -y, y_cam = -z + h/2, z_cam = x; rotation_y = -yaw - pi/2 */
    expect_member(&out, "label_2/000012.txt",
                  "Car 0.00 0 0.00 0.00 0.00 0.00 0.00 1.500000 1.800000 4.000000 -2.000000 1.750000 10.000000 -1.57079633\n"
                  "Traffic_cone 0.00 0 0.00 0.00 0.00 0.00 0.00 0.600000 0.400000 0.400000 3.250000 0.100000 5.500000 -3.14159265\n");
    expect_member(&out, "label_2/seq_0001.txt", "");
    buf_free(&out);

    double c[3] = {1, 2, 3}, s[3] = {4, 2, 1.5}, loc[3], ry, back[3], yaw;
    for (double y = -3.1; y <= 3.1; y += 0.7) {
        fmt_kitti_from_lidar(c, s, y, loc, &ry);
        assert_true(ry >= -M_PI && ry <= M_PI);
        double dims[3] = {s[2], s[1], s[0]};
        fmt_kitti_to_lidar(loc, dims, ry, back, &yaw);
        for (int i = 0; i < 3; i++) assert_true(fabs(back[i] - c[i]) < 1e-12);
        assert_true(fabs(yaw - y) < 1e-12);
    }
    fx_free(&a);
    fx_free(&b);
}

static void test_conll(void **state)
{
    (void)state;
    struct fixture a;
    /* "José vive en 東京 😀, (Madrid)." with PER José [0,4), LOC 東京 [13,15), LOC Madrid overlapping a
     * later span that only the first keeps; spans cut the CJK run without spaces */
    const char *text = "{\"text\":\"Jos\xc3\xa9 vive en \xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xab \xf0\x9f\x98\x80, (Madrid).\"}";
    const char *ans[] = {"{\"spans\":[{\"start\":0,\"end\":4,\"label\":\"PER\"},{\"start\":13,\"end\":15,\"label\":\"LOC\"},"
                         "{\"start\":21,\"end\":27,\"label\":\"LOC\"},{\"start\":20,\"end\":28,\"label\":\"PER\"}]}",
                         "{\"spans\":[{\"start\":5,\"end\":12,\"label\":\"PER\"}]}", NULL};
    fx(&a, 4, NULL, text, NULL, ans);
    expect_export("conll", "text_spans", SPAN_SCHEMA, &a.t, 1,
                  "# task_id=4 assignment_id=140\n"
                  "Jos\xc3\xa9 -X- _ B-PER\n"
                  "vive -X- _ O\n"
                  "en -X- _ O\n"
                  "\xe6\x9d\xb1\xe4\xba\xac -X- _ B-LOC\n"
                  "\xe3\x81\xab -X- _ O\n"
                  "\xf0\x9f\x98\x80 -X- _ O\n"
                  ", -X- _ O\n"
                  "( -X- _ B-PER\n"
                  "Madrid -X- _ B-LOC\n"
                  ") -X- _ B-PER\n"
                  ". -X- _ O\n"
                  "\n"
                  "# task_id=4 assignment_id=141\n"
                  "Jos\xc3\xa9 -X- _ O\n"
                  "vive -X- _ B-PER\n"
                  "en -X- _ I-PER\n"
                  "\xe6\x9d\xb1\xe4\xba\xac\xe3\x81\xab -X- _ O\n"
                  "\xf0\x9f\x98\x80 -X- _ O\n"
                  ", -X- _ O\n"
                  "( -X- _ O\n"
                  "Madrid -X- _ O\n"
                  ") -X- _ O\n"
                  ". -X- _ O\n"
                  "\n");
    fx_free(&a);
}

static void test_csv_classification(void **state)
{
    (void)state;
    struct fixture a, b, c;
    const char *one[] = {"{\"label\":\"positive\"}", NULL}, *multi[] = {"{\"labels\":[\"a\",\"c\"]}", NULL};
    fx(&a, 1, "x,1", "{\"text\":\"say \\\"hi\\\"\\nbye\"}", NULL, one);
    fx(&b, 2, NULL, "{\"text\":\"plain\"}", NULL, NULL);
    fx(&c, 3, NULL, "{\"text\":\"m\"}", NULL, multi);
    struct fmt_task t[2] = {a.t, b.t};
    expect_export("csv", "text_classification", CLS_SCHEMA, t, 2,
                  "task_id,external_id,text,worker_id,label,submitted_at,source,confidence\r\n"
                  "1,\"x,1\",\"say \"\"hi\"\"\nbye\",10,positive,2023-11-14T22:13:20.123Z,worker,\r\n"
                  "2,,plain,,,,,\r\n");
    /* with a consensus: one more row, without a worker, carrying the confidence */
    json_t *consensus = json_loads("{\"label\":\"positive\"}", 0, NULL);
    a.t.result = (struct fmt_result){.answer = consensus, .method = "weighted_vote", .confidence = 0.875, .version = 1,
                                     .final = 1};
    expect_export("csv", "text_classification", CLS_SCHEMA, &a.t, 1,
                  "task_id,external_id,text,worker_id,label,submitted_at,source,confidence\r\n"
                  "1,\"x,1\",\"say \"\"hi\"\"\nbye\",10,positive,2023-11-14T22:13:20.123Z,worker,\r\n"
                  "1,\"x,1\",\"say \"\"hi\"\"\nbye\",,positive,,consensus,0.875\r\n");
    expect_export("jsonl", "text_classification", CLS_SCHEMA, &a.t, 1,
                  "{\"task_id\":1,\"external_id\":\"x,1\",\"data\":{\"text\":\"say \\\"hi\\\"\\nbye\"},"
                  "\"result\":{\"answer\":{\"label\":\"positive\"},\"confidence\":0.875,\"method\":\"weighted_vote\","
                  "\"version\":1,\"final\":true},\"answers\":[{\"assignment_id\":110,\"worker_id\":10,"
                  "\"answer\":{\"label\":\"positive\"},\"submitted_at\":\"2023-11-14T22:13:20.123Z\"}]}\n");
    a.t.result = (struct fmt_result){0};
    json_decref(consensus);
    expect_export("csv", "text_classification", MULTI_SCHEMA, &c.t, 1,
                  "task_id,external_id,text,worker_id,label,submitted_at,source,confidence\r\n"
                  "3,,m,10,a|c,2023-11-14T22:13:20.123Z,worker,\r\n");
    fx_free(&a);
    fx_free(&b);
    fx_free(&c);
}

static void test_csv_comparison(void **state)
{
    (void)state;
    struct fixture a;
    const char *ans[] = {"{\"preference\":{\"choice\":\"b\",\"strength\":6},\"ratings\":{\"a\":{\"helpfulness\":2,\"honesty\":5},"
                         "\"b\":{\"helpfulness\":4,\"honesty\":5}},\"rationale\":\"b, clearly\"}",
                         NULL};
    fx(&a, 8, NULL, "{\"prompt\":\"Q?\",\"responses\":[{\"id\":\"a\",\"text\":\"1\"},{\"id\":\"b\",\"text\":\"2\"}]}", NULL, ans);
    expect_export("csv", "llm_comparison", CMP_SCHEMA, &a.t, 1,
                  "task_id,external_id,prompt,worker_id,choice,strength,rationale,response_1_id,response_1_helpfulness,"
                  "response_1_honesty,response_2_id,response_2_helpfulness,response_2_honesty,response_3_id,"
                  "response_3_helpfulness,response_3_honesty,response_4_id,response_4_helpfulness,response_4_honesty,"
                  "submitted_at,source,confidence\r\n"
                  "8,,Q?,10,b,6,\"b, clearly\",a,2,5,b,4,5,,,,,,,2023-11-14T22:13:20.123Z,worker,\r\n");
    fx_free(&a);
}

static int fail_after(void *ctx, const void *p, size_t n)
{
    (void)p;
    size_t *left = ctx;
    if (n > *left) return -1;
    *left -= n;
    return 0;
}

/* A sink that fails at every possible byte: each exporter reports it and never crashes or leaks. */
static void test_sink_failures(void **state)
{
    (void)state;
    struct fixture a;
    const char *ans[] = {"{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2,3,4]}]}", NULL};
    fx(&a, 1, NULL, "{\"image\":{\"url\":\"https://h/a.jpg\",\"width\":64,\"height\":48}}", NULL, ans);
    static const char *const fmts[] = {"jsonl", "label_studio", "coco", "yolo", "voc"};
    for (size_t f = 0; f < sizeof fmts / sizeof *fmts; f++) {
        const struct fmt_exporter *e = fmt_exporter_for(fmts[f]);
        for (size_t limit = 0;; limit++) {
            size_t left = limit;
            struct fmt_sink sink = {fail_after, &left};
            json_t *s = J(IMG_SCHEMA);
            char err[128];
            fmt_export *x = fmt_export_begin(e, "image_annotation", s, &sink, NULL, err, sizeof err);
            json_decref(s);
            int rc = x ? 0 : -1;
            for (int pass = 1; pass <= e->passes && !rc; pass++) {
                if (pass > 1) rc = fmt_export_next_pass(x);
                if (!rc) rc = fmt_export_task(x, &a.t);
            }
            if (!rc) rc = fmt_export_end(x);
            if (x && rc) assert_true(strlen(fmt_export_error(x)) > 0);
            fmt_export_free(x);
            if (!rc) break;
            assert_true(limit < 100000);
        }
    }
    fx_free(&a);
}

/* ---- the jsonl copy of stored texts against jansson ---- */

/* jansson's answer for a stored text: its dump with the exporters' flags, or NULL when it does not load. */
static char *jansson_copy(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)) : NULL;
    json_decref(j);
    return s;
}

/* The copy is never different from jansson; returns whether it handled the text (1) or declined (0). */
static int check_copy(const char *text)
{
    size_t n = 0;
    char *got = fmt_json_copy(text, &n);
    char *want = jansson_copy(text);
    if (got && (!want || strcmp(got, want) || n != strlen(want)))
        fail_msg("copy of %s\n gave %s\n jansson %s", text, got, want ? want : "(does not load)");
    free(got);
    free(want);
    return got != NULL;
}

static void test_json_copy_cases(void **state)
{
    (void)state;
    /* handled: byte-identical to jansson */
    static const char *const same[] = {
        "{}", "[]", " { \"a\" : 1 , \"b\" : [ true , false , null ] } \n", "[0,-0,1,-1,9223372036854775,-12]",
        "[30.100000000000001,30.099999999999998,0.1,1.0,-0.0,0.0,0e5,1e2,1E+2,1e-2,1.5e300,1.5e-300,2.5e-5]",
        "[0.0001,0.00001,123456789012345.0,1234567890123456.0,1e14,1e15,1e16,99999999999999.99,999999999999999.9]",
        "[0.30000000000000004,0.12345678901234567,9.9999999999999999,9.999999999999999e22,1.7976931348623157e308]",
        "[1.23456789012345678901234567890,100.00000000000000000001,5e-324,2.2250738585072014e-308,1e-400]",
        "{\"s\":\"plain \\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u0001\\u001f\\u001F \\u0041\\u00e9\\u20AC \\ud83d\\ude00\"}",
        "{\"u\":\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80 \x7f\"}", "[[[[[[[[[[1]]]]]]]]]]",
        "{\"a\":{\"a\":{\"a\":1}},\"b\":{\"a\":2}}", "{\"\":\"\",\"\\u0041\":\"B\"}", "[\"\\u00e9\",\"\xc3\xa9\"]",
        "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10.5,20,40.25,30.100000000000001],"
        "\"attributes\":{\"occluded\":true}}]}",
        NULL};
    for (size_t i = 0; same[i]; i++)
        if (!check_copy(same[i])) fail_msg("the copy declined %s", same[i]);
    /* declined or refused: jansson decides (each is checked never to differ) */
    static const char *const odd[] = {
        "", "1", "\"s\"", "null", "true", "{", "[", "[1,]", "{\"a\":1,}", "[,1]", "{,}", "{\"a\"}", "{\"a\":}", "[01]",
        "[-]", "[1.]", "[.5]", "[1e]", "[1e+]", "[+1]", "[1x]", "[truex]", "[tru]", "[nul]", "[True]", "[1 2]",
        "{\"a\":1}x", "{\"a\":1} {}", "{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}", "[\"\\u0000\"]", "{\"\\u0000\":1}",
        "[\"\\ud800\"]", "[\"\\udc00\"]", "[\"\\ud800\\u0041\"]", "[\"\\x\"]", "[\"\\u12\"]", "[\"a\nb\"]", "[\"a\tb\"]",
        "[\"\xc3\"]", "[\"\xc0\xaf\"]", "[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xe0\x80\xaf\"]", "[\"\xff\"]",
        "[\"unterminated]", "[9223372036854775807]", "[-9223372036854775808]", "[9223372036854775808]",
        "[123456789012345678901234567890]", "[1e400]", "[-1e400]", "[1e99999999999]", "[1e-99999999999]",
        "[0.000000000000000000000000000000000000000000000000001]", "[1.5]\xef\xbb\xbf", "\xef\xbb\xbf[1]",
        "[1,\"\xe2\x80\xa8\"]", "[\"\\/\\/\"]", "[-0.0e0]", "[1E-0]", "[12.50e-0001]",
        NULL};
    for (size_t i = 0; odd[i]; i++) check_copy(odd[i]);
    /* deep nesting: jansson goes deeper than the copy */
    char deep[400];
    memset(deep, '[', 150);
    memset(deep + 150, ']', 150);
    deep[300] = '\0';
    assert_int_equal(check_copy(deep), 0);
    memset(deep, '[', 40);
    memset(deep + 40, ']', 40);
    deep[80] = '\0';
    assert_int_equal(check_copy(deep), 1);
}

static uint64_t rng_state = 88172645463325252ULL;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double rnd_double(void)
{
    uint64_t bits = rnd();
    double d;
    switch (rnd() % 6) {
    case 0: memcpy(&d, &bits, sizeof d); return isfinite(d) ? d : 1.5; /* any double */
    case 1: return (double)(int64_t)(rnd() % 200000 - 100000) / 10.0; /* a box at 0.1 px */
    case 2: return (double)(rnd() % 100000000) / 1e4 - 5000;
    case 3: return ldexp((double)(rnd() >> 11), (int)(rnd() % 200) - 150);
    case 4: return (double)(rnd() % 1000000) / 1e6;
    default: return pow(10, (double)(rnd() % 40) - 20) * (1 + (double)(rnd() % 1000) / 1000);
    }
}

/* Random number text: how submits store it (%.17g), and other spellings imports may keep. */
static void rnd_number(char *out, size_t n)
{
    double d = rnd_double();
    switch (rnd() % 8) {
    case 0: case 1: case 2: snprintf(out, n, "%.17g", d); break;
    case 3: snprintf(out, n, "%.15g", d); break;
    case 4: snprintf(out, n, "%.16g", d); break;
    case 5: snprintf(out, n, "%.*e", (int)(rnd() % 25), d); break;
    case 6: snprintf(out, n, "%lld", (long long)(rnd() % 2000000) - 1000000); break;
    default: snprintf(out, n, "%.*f", (int)(rnd() % 20), d); break;
    }
    if (!strpbrk(out, ".eE") && !(rnd() % 3) && strlen(out) + 3 < n) strcat(out, ".0");
}

static void rnd_string(buf *b)
{
    static const char *const pieces[] = {"a", "car", " ", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u0007", "\\u00e9",
                                         "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\\ud83d\\ude00", "\\u20ac", "~",
                                         "\\u001F", "\x7f", "'"};
    buf_adds(b, "\"");
    for (int k = (int)(rnd() % 6); k > 0; k--) buf_adds(b, pieces[rnd() % (sizeof pieces / sizeof *pieces)]);
    buf_adds(b, "\"");
}

static void rnd_value(buf *b, int depth)
{
    static const char *const ws[] = {"", "", "", " ", "\n", "\t ", "\r\n"};
#define WS() buf_adds(b, ws[rnd() % (sizeof ws / sizeof *ws)])
    int kind = depth > 4 ? (int)(rnd() % 4) : (int)(rnd() % 6);
    char t[80];
    switch (kind) {
    case 0: case 1: rnd_number(t, sizeof t); buf_adds(b, t); break;
    case 2: rnd_string(b); break;
    case 3: buf_adds(b, rnd() % 3 == 0 ? "null" : rnd() % 2 ? "true" : "false"); break;
    case 4:
        buf_adds(b, "[");
        for (int k = (int)(rnd() % 5), i = 0; i < k; i++) {
            if (i) buf_adds(b, ",");
            WS();
            rnd_value(b, depth + 1);
            WS();
        }
        buf_adds(b, "]");
        break;
    default:
        buf_adds(b, "{");
        for (int k = (int)(rnd() % 5), i = 0; i < k; i++) {
            if (i) buf_adds(b, ",");
            WS();
            snprintf(t, sizeof t, "\"k%d\"", (int)(rnd() % 6)); /* sometimes a duplicate */
            buf_adds(b, t);
            WS();
            buf_adds(b, ":");
            WS();
            rnd_value(b, depth + 1);
        }
        buf_adds(b, "}");
        break;
    }
#undef WS
}

/* Random documents, and the same with a byte changed or cut: the copy never differs from jansson, and it
 * handles most well-formed ones. */
static void test_json_copy_random(void **state)
{
    (void)state;
    int handled = 0, total = 0;
    buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < 60000; i++) {
        buf_reset(&b);
        rnd_value(&b, rnd() % 2 ? 5 : 0);
        if (b.data[0] != '[' && b.data[0] != '{') continue;
        total++;
        handled += check_copy(b.data);
        char *m = strdup(b.data);
        size_t len = strlen(m), at = (size_t)(rnd() % len);
        static const char bytes[] = "\"\\,:[]{}0-.eE+ \x01\x80\xc3\xff";
        m[at] = bytes[rnd() % (sizeof bytes - 1)];
        check_copy(m);
        m[at] = '\0';
        check_copy(m);
        free(m);
    }
    buf_free(&b);
    print_message("json copy: %d of %d random documents copied, the rest left to jansson\n", handled, total);
    assert_true(handled > total / 2);
}

/* Reals as submits store them (17 digits) and in other spellings, in bulk. */
static void test_json_copy_reals(void **state)
{
    (void)state;
    int handled = 0;
    const int rounds = 20000;
    buf b;
    buf_init(&b, 1 << 20);
    for (int i = 0; i < rounds; i++) {
        buf_reset(&b);
        buf_adds(&b, "[");
        for (int k = 0; k < 50; k++) {
            char t[80];
            rnd_number(t, sizeof t);
            if (k) buf_adds(&b, ",");
            buf_adds(&b, t);
        }
        buf_adds(&b, "]");
        handled += check_copy(b.data);
    }
    /* every double a submit can store, one at a time, with its 17-digit text */
    for (int i = 0; i < 200000; i++) {
        char t[48];
        snprintf(t, sizeof t, "[%.17g]", rnd_double());
        check_copy(t);
    }
    buf_free(&b);
    assert_true(handled > rounds / 2);
}

/* A line written from stored texts (fmt_export_task_text) against the same task parsed (fmt_export_task). */
static int check_line(const struct fmt_task *t)
{
    const struct fmt_exporter *e = fmt_exporter_for("jsonl");
    json_t *schema = J(IMG_SCHEMA);
    buf fast, slow;
    buf_init(&fast, 1 << 22);
    buf_init(&slow, 1 << 22);
    struct fmt_sink fs = {to_buf, &fast}, ss = {to_buf, &slow};
    struct fmt_options opt = {.now_ms = T0};
    fmt_export *xf = fmt_export_begin(e, "image_annotation", schema, &fs, &opt, NULL, 0);
    fmt_export *xs = fmt_export_begin(e, "image_annotation", schema, &ss, &opt, NULL, 0);
    assert_non_null(xf);
    assert_non_null(xs);
    struct fmt_task p = *t;
    struct fmt_answer ans[8];
    assert_true(t->n_answers <= 8);
    p.data = json_loads(t->data_text, 0, NULL);
    p.predictions = t->predictions_text ? json_loads(t->predictions_text, 0, NULL) : NULL;
    p.result.answer = t->result.answer_text ? json_loads(t->result.answer_text, 0, NULL) : NULL;
    for (size_t i = 0; i < t->n_answers; i++) {
        ans[i] = t->answers[i];
        ans[i].answer = json_loads(ans[i].answer_text, 0, NULL);
    }
    p.answers = ans;
    int rs = fmt_export_task(xs, &p);
    int rf = fmt_export_task_text(xf, t);
    if (rf == 1) {
        assert_int_equal(rs, 0);
        if (strcmp(fast.data ? fast.data : "", slow.data ? slow.data : ""))
            fail_msg("line from texts:\n%s\nline from jansson:\n%s", fast.data, slow.data);
    } else {
        assert_int_equal(rf, 0);
        assert_int_equal(fast.len, 0);
    }
    json_decref(p.data);
    json_decref(p.predictions);
    json_decref(p.result.answer);
    for (size_t i = 0; i < t->n_answers; i++) json_decref(ans[i].answer);
    fmt_export_free(xf);
    fmt_export_free(xs);
    json_decref(schema);
    buf_free(&fast);
    buf_free(&slow);
    return rf;
}

static void test_jsonl_text_lines(void **state)
{
    (void)state;
    static const char *const review[] = {NULL, "none", "pending", "accepted", "fixed", "w\xc3\xa9ird \"\x01"};
    static const char *const ext[] = {NULL, "img1", "", "quote\"back\\slash\nnl\x1f", "h\xc3\xa9", "\xff bad"};
    static const char *const method[] = {NULL, "majority_vote", "dawid_skene", ""};
    static const int64_t times[] = {0, 1, 999, T0, 951782400000LL /* 2000-02-29 */, 4107542399999LL, 253402300799999LL,
                                    253402300800000LL, -1, -86400001LL};
    static const int64_t ppms[] = {1000000, 0, 500000, 1, 5, 999999, 123456, -1, 2000000, 1234567, 33333};
    int handled = 0, total = 0;
    buf texts[6];
    for (int i = 0; i < 6; i++) buf_init(&texts[i], 1 << 20);
    for (int round = 0; round < 15000; round++) {
        for (int i = 0; i < 6; i++) {
            buf_reset(&texts[i]);
            if (rnd() % 8 == 0) buf_adds(&texts[i], rnd() % 2 ? "{\"bad\":" : "7");
            else if (rnd() % 4 == 0) rnd_value(&texts[i], 3); /* any value; top-level scalars do not load */
            else {
                buf_adds(&texts[i], "{\"objects\":[");
                for (int k = (int)(rnd() % 4), j = 0; j < k; j++) {
                    char n[4][80];
                    for (int q = 0; q < 4; q++) rnd_number(n[q], sizeof n[q]);
                    buf_printf(&texts[i], "%s{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[%s,%s,%s,%s]}", j ? "," : "",
                               n[0], n[1], n[2], n[3]);
                }
                buf_adds(&texts[i], "]}");
            }
        }
        struct fmt_answer a[4];
        size_t na = (size_t)(rnd() % 4);
        for (size_t i = 0; i < na; i++)
            a[i] = (struct fmt_answer){.assignment_id = (int64_t)(rnd() % 100000),
                                       .worker_id = (int64_t)(rnd() % 1000),
                                       .submitted_at_ms = rnd() % 3 ? (int64_t)(rnd() % 4102444800000ULL)
                                                                    : times[rnd() % (sizeof times / sizeof *times)],
                                       .answer_text = rnd() % 10 ? texts[1 + i].data : NULL,
                                       .review_state = review[rnd() % (sizeof review / sizeof *review)],
                                       .answer_version = (int64_t)(rnd() % 5)};
        int64_t ppm = ppms[rnd() % (sizeof ppms / sizeof *ppms)];
        if (rnd() % 2) ppm = (int64_t)(rnd() % 1000001);
        struct fmt_task t = {
            .task_id = (int64_t)(rnd() % 10000000), .external_id = ext[rnd() % (sizeof ext / sizeof *ext)],
            .data_text = rnd() % 20 ? texts[0].data : NULL,
            .predictions_text = rnd() % 10 ? NULL : "{\"objects\":[{\"id\":\"p\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2,3,4]}]}",
            .answers = a, .n_answers = na,
            .result = {.answer_text = rnd() % 3 ? texts[5].data : NULL, .method = method[rnd() % 4],
                       .confidence = (double)ppm / 1e6, .version = (int64_t)(rnd() % 4), .final = (int)(rnd() % 2)},
        };
        total++;
        handled += check_line(&t);
    }
    for (int i = 0; i < 6; i++) buf_free(&texts[i]);
    print_message("jsonl: %d of %d random tasks written from their texts, the rest by jansson\n", handled, total);
    assert_true(handled > total / 10);
    /* the bench's row is written from its texts */
    const char *box = "{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[17,23,40,30.100000000000001],"
                      "\"attributes\":{\"occluded\":false}}]}";
    struct fmt_answer a = {.assignment_id = 5, .worker_id = 2, .submitted_at_ms = T0, .answer_text = box, .review_state = "none"};
    struct fmt_task t = {.task_id = 1, .external_id = "img1",
                         .data_text = "{\"image\":{\"url\":\"https://example.org/i/1.jpg\",\"width\":640,\"height\":480}}",
                         .answers = &a, .n_answers = 1,
                         .result = {.answer_text = box, .method = "majority_vote", .confidence = 1, .version = 1, .final = 1}};
    assert_int_equal(check_line(&t), 1);
    /* no_text_copy leaves every line to jansson */
    buf out;
    buf_init(&out, 1 << 16);
    json_t *schema = J(IMG_SCHEMA);
    struct fmt_sink sink = {to_buf, &out};
    struct fmt_options opt = {.now_ms = T0, .no_text_copy = true};
    fmt_export *x = fmt_export_begin(fmt_exporter_for("jsonl"), "image_annotation", schema, &sink, &opt, NULL, 0);
    assert_int_equal(fmt_export_task_text(x, &t), 0);
    assert_int_equal(out.len, 0);
    fmt_export_free(x);
    json_decref(schema);
    buf_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exporter_table),
        cmocka_unit_test(test_jsonl_classification),
        cmocka_unit_test(test_jsonl_prediction_diff),
        cmocka_unit_test(test_label_studio_text),
        cmocka_unit_test(test_label_studio_image),
        cmocka_unit_test(test_coco),
        cmocka_unit_test(test_yolo),
        cmocka_unit_test(test_voc),
        cmocka_unit_test(test_kitti),
        cmocka_unit_test(test_conll),
        cmocka_unit_test(test_csv_classification),
        cmocka_unit_test(test_csv_comparison),
        cmocka_unit_test(test_sink_failures),
        cmocka_unit_test(test_json_copy_cases),
        cmocka_unit_test(test_json_copy_random),
        cmocka_unit_test(test_json_copy_reals),
        cmocka_unit_test(test_jsonl_text_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
