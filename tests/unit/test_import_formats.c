/* Unit tests for the import formats (core/import_formats.h): CSV edge cases, Label Studio, COCO and
 * KITTI parsing, and export-then-import round trips through core/formats.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <zip.h>

#include "core/formats.h"
#include "core/import_formats.h"
#include "util/buf.h"

static json_t *J(const char *s)
{
    json_error_t e;
    json_t *j = json_loads(s, 0, &e);
    if (!j) fail_msg("bad test JSON (%s): %s", e.text, s);
    return j;
}

static void assert_json(json_t *got, const char *want)
{
    char *s = json_dumps(got, JSON_COMPACT | JSON_REAL_PRECISION(15));
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
}

/* Collects every line; rejects lines whose data has "reject", stops at "stop". */
static int collect(void *ctx, json_t *line, struct verr *e)
{
    json_t *data = json_object_get(line, "data");
    if (json_object_get(data, "reject")) {
        snprintf(e->field, sizeof e->field, "/data/reject");
        snprintf(e->detail, sizeof e->detail, "rejected by the caller");
        return 1;
    }
    if (json_object_get(data, "stop")) return -1;
    json_array_append(ctx, line);
    return 0;
}

static struct imp_options opts(enum project_kind k, json_t *schema)
{
    return (struct imp_options){k, schema, 1 << 20, NULL};
}

static int to_buf(void *ctx, const void *p, size_t n) { return buf_add(ctx, p, n); }

/* ---- csv ---- */

static long csv(const char *text, json_t *lines, struct imp_report *r)
{
    struct imp_options o = opts(KIND_TEXT_CLASSIFICATION, NULL);
    return imp_csv(text, strlen(text), &o, collect, lines, r);
}

static void test_csv_fields(void **state)
{
    (void)state;
    struct imp_report r;
    json_t *lines = json_array();
    const char *text = "\xEF\xBB\xBFtext,external_id,source\r\n"
                       "plain,a1,web\r\n"
                       "\"with, comma\",,\"say \"\"hi\"\"\"\r\n"
                       "\"two\r\nlines\",a3,\"\"\n"
                       "\n"
                       "caf\xc3\xa9 \xf0\x9f\x98\x80,a4,last"; /* no final newline */
    assert_int_equal(csv(text, lines, &r), 4);
    assert_int_equal(r.n_errors, 0);
    assert_int_equal(r.n_tasks, 4);
    assert_json(lines, "[{\"data\":{\"text\":\"plain\",\"source\":\"web\"},\"external_id\":\"a1\"},"
                       "{\"data\":{\"text\":\"with, comma\",\"source\":\"say \\\"hi\\\"\"}},"
                       "{\"data\":{\"text\":\"two\\r\\nlines\",\"source\":\"\"},\"external_id\":\"a3\"},"
                       "{\"data\":{\"text\":\"caf\xc3\xa9 \xf0\x9f\x98\x80\",\"source\":\"last\"},\"external_id\":\"a4\"}]");
    json_decref(lines);
}

static void test_csv_errors(void **state)
{
    (void)state;
    struct imp_report r;
    json_t *lines = json_array();
    /* ragged rows name their record (data rows from 1) and line; the rest is imported */
    const char *text = "text,external_id\n"
                       "ok,1\n"
                       "too,many,fields\n"
                       "\"multi\nline\",2\n"
                       "short\n"
                       "bad \"quote\"x,3\n"
                       "\"open\"x,4\n"
                       "fine,5\n";
    assert_int_equal(csv(text, lines, &r), 4);
    assert_int_equal(r.n_errors, 3);
    assert_int_equal(r.errors[0].record, 2);
    assert_int_equal(r.errors[0].line, 3);
    assert_string_equal(r.errors[0].detail, "the row has 3 fields, the header 2");
    assert_int_equal(r.errors[1].record, 4);
    assert_int_equal(r.errors[1].line, 6);
    assert_string_equal(r.errors[1].detail, "the row has 1 fields, the header 2");
    assert_int_equal(r.errors[2].record, 6);
    assert_int_equal(r.errors[2].line, 8);
    assert_string_equal(r.errors[2].detail, "a closing quote must end the field");
    /* a quote inside an unquoted field is kept as it is */
    assert_json(json_object_get(json_array_get(lines, 2), "data"), "{\"text\":\"bad \\\"quote\\\"x\"}");
    assert_json(json_array_get(lines, 3), "{\"data\":{\"text\":\"fine\"},\"external_id\":\"5\"}");
    json_array_clear(lines);

    /* an unclosed quote runs to the end of the file */
    assert_int_equal(csv("text\na\n\"never closed\nb\n", lines, &r), 1);
    assert_int_equal(r.n_errors, 1);
    assert_int_equal(r.errors[0].record, 2);
    assert_string_equal(r.errors[0].detail, "a quoted field is not closed");
    json_array_clear(lines);

    /* whole-file failures */
    assert_int_equal(csv("", lines, &r), -1);
    assert_string_equal(r.errors[0].detail, "the file has no header row");
    assert_int_equal(csv("text,text\nx,y\n", lines, &r), -1);
    assert_string_equal(r.errors[0].detail, "the column text appears twice in the header");
    assert_int_equal(csv("text,\nx,y\n", lines, &r), -1);
    assert_string_equal(r.errors[0].detail, "column 2 of the header has no name");
    assert_int_equal(csv("text\n\xff\xfe\n", lines, &r), 0);
    assert_string_equal(r.errors[0].detail, "a field is not valid UTF-8");
    struct imp_options o = opts(KIND_TEXT_CLASSIFICATION, NULL);
    o.max_bytes = 4;
    assert_int_equal(imp_csv("text\nabc\n", 9, &o, collect, lines, &r), -1);
    assert_string_equal(r.errors[0].detail, "the file is larger than 4 bytes");

    /* the caller's rejections are reported against the record; stopping stops */
    json_array_clear(lines);
    assert_int_equal(csv("text,reject,stop\na,,\nb,,\n", lines, &r), 0);
    assert_int_equal(r.n_errors, 2);
    assert_int_equal(r.errors[1].record, 2);
    assert_string_equal(r.errors[1].field, "/data/reject");
    assert_int_equal(csv("text,stop\na,1\n", lines, &r), -1);
    json_decref(lines);
}

static void test_csv_error_cap(void **state)
{
    (void)state;
    buf b;
    buf_init(&b, 1 << 20);
    buf_adds(&b, "text,external_id\n");
    for (int i = 0; i < 250; i++) buf_adds(&b, i % 2 ? "x,y,z\n" : "ok,1\n");
    struct imp_report r;
    json_t *lines = json_array();
    assert_int_equal(csv(b.data, lines, &r), 125);
    assert_int_equal(r.n_errors, 125);
    assert_int_equal(r.n_stored, IMP_MAX_ERRORS);
    assert_int_equal(r.errors[99].record, 200);
    json_decref(lines);
    buf_free(&b);
}

/* Exports tasks with a one-pass format into out. */
static void export_one(const char *format, const char *kind, json_t *schema, const struct fmt_task *t, size_t n, buf *out)
{
    struct fmt_sink sink = {to_buf, out};
    char err[200];
    fmt_export *x = fmt_export_begin(fmt_exporter_for(format), kind, schema, &sink, NULL, err, sizeof err);
    if (!x) fail_msg("%s", err);
    for (size_t i = 0; i < n; i++) assert_int_equal(fmt_export_task(x, &t[i]), 0);
    assert_int_equal(fmt_export_end(x), 0);
    fmt_export_free(x);
}

static void test_csv_roundtrip(void **state)
{
    (void)state;
    json_t *schema = J("{\"labels\":[\"pos\",\"neg\"],\"multiple\":false}");
    json_t *d1 = J("{\"text\":\"a, \\\"quoted\\\"\\r\\nmulti-line caf\xc3\xa9 text\"}"), *d2 = J("{\"text\":\"=1+2\"}");
    json_t *ans = J("{\"label\":\"neg\"}");
    struct fmt_answer a = {.assignment_id = 5, .worker_id = 6, .submitted_at_ms = 0, .answer = ans};
    struct fmt_task t[2] = {{.task_id = 1, .external_id = "ext,1", .data = d1, .answers = &a, .n_answers = 1}, {.task_id = 2, .external_id = NULL, .data = d2, .width = 0, .height = 0, .predictions = NULL, .answers = NULL, .n_answers = 0}};
    buf out;
    buf_init(&out, 1 << 16);
    export_one("csv", "text_classification", schema, t, 2, &out);
    struct imp_report r;
    json_t *lines = json_array();
    assert_int_equal(csv(out.data, lines, &r), 2);
    assert_int_equal(r.n_errors, 0);
    json_t *l0 = json_array_get(lines, 0), *l1 = json_array_get(lines, 1);
    assert_true(json_equal(json_object_get(json_object_get(l0, "data"), "text"), json_object_get(d1, "text")));
    assert_string_equal(json_string_value(json_object_get(l0, "external_id")), "ext,1");
    assert_string_equal(json_string_value(json_object_get(json_object_get(l0, "data"), "label")), "neg");
    assert_true(json_equal(json_object_get(json_object_get(l1, "data"), "text"), json_object_get(d2, "text")));
    assert_null(json_object_get(l1, "external_id"));
    json_decref(lines);
    buf_free(&out);
    json_decref(schema);
    json_decref(d1);
    json_decref(d2);
    json_decref(ans);
}

/* ---- label_studio ---- */

/* Exports one task with predictions to Label Studio, imports it again and checks that data, the
 * external id and the predictions come back unchanged. */
static void ls_roundtrip(enum project_kind k, const char *kind, const char *schema_s, const char *data_s, int w, int h,
                         const char *pred_s)
{
    json_t *schema = J(schema_s), *data = J(data_s), *pred = J(pred_s);
    struct fmt_answer a = {.assignment_id = 1, .worker_id = 2, .submitted_at_ms = 0, .answer = pred};
    struct fmt_task t = {.task_id = 42, .external_id = "ext-42", .data = data, .width = w, .height = h, .predictions = pred, .answers = &a, .n_answers = 1};
    buf out;
    buf_init(&out, 1 << 16);
    export_one("label_studio", kind, schema, &t, 1, &out);
    struct imp_options o = opts(k, schema);
    struct imp_report r;
    json_t *lines = json_array();
    if (imp_label_studio(out.data, out.len, &o, collect, lines, &r) != 1)
        fail_msg("import failed: %s %s", r.n_stored ? r.errors[0].field : "", r.n_stored ? r.errors[0].detail : "");
    json_t *l = json_array_get(lines, 0);
    if (!json_equal(json_object_get(l, "predictions"), pred)) {
        char *got = json_dumps(json_object_get(l, "predictions"), JSON_COMPACT);
        fail_msg("predictions differ:\n got %s\nwant %s\n(export %s)", got, pred_s, out.data);
    }
    assert_true(json_equal(json_object_get(l, "data"), data));
    assert_string_equal(json_string_value(json_object_get(l, "external_id")), "ext-42");
    json_decref(lines);
    buf_free(&out);
    json_decref(schema);
    json_decref(data);
    json_decref(pred);
}

static void test_label_studio_roundtrips(void **state)
{
    (void)state;
    ls_roundtrip(KIND_TEXT_CLASSIFICATION, "text_classification", "{\"labels\":[\"a\",\"b\"],\"multiple\":false}",
                 "{\"text\":\"x\"}", 0, 0, "{\"label\":\"b\"}");
    ls_roundtrip(KIND_TEXT_CLASSIFICATION, "text_classification", "{\"labels\":[\"a\",\"b\",\"c\"],\"multiple\":true}",
                 "{\"text\":\"x\"}", 0, 0, "{\"labels\":[\"c\",\"a\"]}");
    ls_roundtrip(KIND_TEXT_SPANS, "text_spans", "{\"entities\":[\"PER\",\"LOC\"],\"relations\":[\"in\"]}",
                 "{\"text\":\"Zo\xc3\xab in \xe6\x9d\xb1\xe4\xba\xac\"}", 0, 0,
                 "{\"spans\":[{\"id\":\"p\",\"start\":0,\"end\":3,\"label\":\"PER\"},{\"id\":\"l\",\"start\":7,\"end\":9,"
                 "\"label\":\"LOC\"}],\"relations\":[{\"from\":0,\"to\":1,\"label\":\"in\"}]}");
    static const char *const img_schema =
        "{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\",\"polygon\"],\"attributes\":[{\"name\":\"occluded\",\"type\":\"bool\"},"
        "{\"name\":\"colour\",\"type\":\"enum\",\"values\":[\"red\",\"blue\"]},{\"name\":\"note\",\"type\":\"text\"}]},"
        "{\"name\":\"person\",\"tools\":[\"keypoints\"],\"skeleton\":{\"points\":[\"nose\",\"l_eye\",\"r_eye\"],\"edges\":[]}}]}";
    static const char *const objs =
        "{\"objects\":[{\"id\":\"b1\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[10.5,20,100,33.25],"
        "\"attributes\":{\"occluded\":false,\"colour\":\"blue\",\"note\":\"a \\\"note\\\"\"}},"
        "{\"id\":\"p1\",\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[639,0],[320.125,479]]},"
        "{\"id\":\"k1\",\"class\":\"person\",\"type\":\"keypoints\",\"keypoints\":[[1,2,2],[0,0,0],[600,400,2]]}]}";
    ls_roundtrip(KIND_IMAGE_ANNOTATION, "image_annotation", img_schema,
                 "{\"image\":{\"url\":\"https://h/a.jpg\",\"width\":640,\"height\":480}}", 0, 0, objs);
    ls_roundtrip(KIND_IMAGE_ANNOTATION, "image_annotation", img_schema,
                 "{\"image\":{\"media_id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}", 640, 480,
                 objs);
}

static void test_label_studio_foreign(void **state)
{
    (void)state;
    /* an export from Label Studio itself: no meta, image URL strings, integer ids */
    const char *doc =
        "[{\"id\":7,\"data\":{\"image\":\"https://ls/data/x.png\"},\"annotations\":[],\"predictions\":[{\"result\":["
        "{\"id\":\"r\",\"type\":\"rectanglelabels\",\"from_name\":\"l\",\"to_name\":\"i\",\"original_width\":1000,"
        "\"original_height\":500,\"value\":{\"x\":10,\"y\":50,\"width\":20,\"height\":10,\"rectanglelabels\":[\"car\"]}}]}]},"
        "{\"id\":8},"
        "{\"id\":9,\"data\":{\"image\":\"/api/v1/media/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}},"
        "{\"id\":10,\"data\":{\"image\":\"https://ls/y.png\"},\"predictions\":[{\"result\":[{\"id\":\"q\",\"type\":"
        "\"rectanglelabels\",\"value\":{\"x\":1,\"y\":1,\"width\":1,\"height\":1,\"rectanglelabels\":[\"car\"]}}]}]}]";
    json_t *schema = J("{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\"]}]}"), *lines = json_array();
    struct imp_options o = opts(KIND_IMAGE_ANNOTATION, schema);
    struct imp_report r;
    assert_int_equal(imp_label_studio(doc, strlen(doc), &o, collect, lines, &r), 2);
    assert_json(json_array_get(lines, 0),
                "{\"data\":{\"image\":{\"url\":\"https://ls/data/x.png\",\"width\":1000,\"height\":500}},\"external_id\":\"7\","
                "\"predictions\":{\"objects\":[{\"id\":\"r\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[100,250,200,50]}]}}");
    assert_json(json_array_get(lines, 1),
                "{\"data\":{\"image\":{\"media_id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}},"
                "\"external_id\":\"9\"}");
    assert_int_equal(r.n_errors, 2);
    assert_int_equal(r.errors[0].record, 2);
    assert_string_equal(r.errors[0].field, "/1/data");
    assert_int_equal(r.errors[1].record, 4);
    assert_string_equal(r.errors[1].field, "/predictions/0/result/0");
    json_array_clear(lines);
    assert_int_equal(imp_label_studio("{}", 2, &o, collect, lines, &r), -1);
    assert_string_equal(r.errors[0].detail, "a Label Studio export is a JSON array of tasks");
    assert_int_equal(imp_label_studio("[{", 2, &o, collect, lines, &r), -1);
    assert_non_null(strstr(r.errors[0].detail, "not valid JSON"));
    json_decref(lines);
    json_decref(schema);
}

/* ---- coco ---- */

static void test_coco_import(void **state)
{
    (void)state;
    const char *doc =
        "{\"images\":[{\"id\":1,\"file_name\":\"a.jpg\",\"width\":640,\"height\":480},"
        "{\"id\":2,\"file_name\":\"b.jpg\",\"coco_url\":\"https://c/b.jpg\",\"width\":10,\"height\":10,\"external_id\":\"bee\"},"
        "{\"id\":3,\"file_name\":\"c.jpg\"}],"
        "\"annotations\":[{\"id\":5,\"image_id\":1,\"category_id\":3,\"bbox\":[1,2,3,4],\"segmentation\":[],\"area\":12},"
        "{\"id\":6,\"image_id\":1,\"category_id\":3,\"bbox\":[0,0,4,4],\"segmentation\":[[0,0,4,0,4,4]],\"attributes\":{\"occluded\":true}},"
        "{\"id\":7,\"image_id\":2,\"category_id\":4,\"bbox\":[0,0,1,1],\"keypoints\":[1,1,2,0,0,0],\"num_keypoints\":1},"
        "{\"id\":8,\"image_id\":2,\"category_id\":99,\"bbox\":[0,0,1,1]},"
        "{\"id\":9,\"image_id\":1,\"category_id\":3,\"bbox\":[0,0,1,1],\"segmentation\":{\"counts\":\"x\",\"size\":[1,1]}}],"
        "\"categories\":[{\"id\":3,\"name\":\"car\"},{\"id\":4,\"name\":\"person\",\"keypoints\":[\"a\",\"b\"]}]}";
    json_t *lines = json_array();
    struct imp_options o = opts(KIND_IMAGE_ANNOTATION, NULL);
    struct imp_report r;
    assert_int_equal(imp_coco(doc, strlen(doc), &o, collect, lines, &r), 2);
    assert_json(json_array_get(lines, 0),
                "{\"data\":{\"image\":{\"url\":\"a.jpg\",\"width\":640,\"height\":480}},\"external_id\":\"a.jpg\","
                "\"predictions\":{\"objects\":[{\"id\":\"coco-5\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1,2,3,4]},"
                "{\"id\":\"coco-6\",\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[4,0],[4,4]],"
                "\"attributes\":{\"occluded\":true}},"
                "{\"id\":\"coco-9\",\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[0,0,1,1]}]}}");
    assert_json(json_array_get(lines, 1),
                "{\"data\":{\"image\":{\"url\":\"https://c/b.jpg\",\"width\":10,\"height\":10}},\"external_id\":\"bee\","
                "\"predictions\":{\"objects\":[{\"id\":\"coco-7\",\"class\":\"person\",\"type\":\"keypoints\","
                "\"keypoints\":[[1,1,2],[0,0,0]]}]}}");
    assert_int_equal(r.n_errors, 2);
    assert_string_equal(r.errors[0].field, "/annotations/3");
    assert_int_equal(r.errors[1].record, 3);
    assert_string_equal(r.errors[1].field, "/images/2");
    assert_int_equal(imp_coco("[]", 2, &o, collect, lines, &r), -1);
    assert_string_equal(r.errors[0].field, "/images");
    json_decref(lines);
}

static void test_coco_roundtrip(void **state)
{
    (void)state;
    json_t *schema = J("{\"classes\":[{\"name\":\"car\",\"tools\":[\"bbox\",\"polygon\"]}]}");
    json_t *data = J("{\"image\":{\"media_id\":\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}}");
    json_t *ans = J("{\"objects\":[{\"class\":\"car\",\"type\":\"bbox\",\"bbox\":[1.5,2,3,4]},"
                    "{\"class\":\"car\",\"type\":\"polygon\",\"points\":[[0,0],[4,0],[4,4]]}]}");
    struct fmt_answer a = {.assignment_id = 1, .worker_id = 2, .submitted_at_ms = 0, .answer = ans};
    struct fmt_task t = {.task_id = 3, .external_id = NULL, .data = data, .width = 64, .height = 48, .predictions = NULL, .answers = &a, .n_answers = 1};
    buf out;
    buf_init(&out, 1 << 16);
    struct fmt_sink sink = {to_buf, &out};
    fmt_export *x = fmt_export_begin(fmt_exporter_for("coco"), "image_annotation", schema, &sink, NULL, NULL, 0);
    assert_int_equal(fmt_export_task(x, &t), 0);
    assert_int_equal(fmt_export_next_pass(x), 0);
    assert_int_equal(fmt_export_task(x, &t), 0);
    assert_int_equal(fmt_export_end(x), 0);
    fmt_export_free(x);
    json_t *lines = json_array();
    struct imp_options o = opts(KIND_IMAGE_ANNOTATION, schema);
    struct imp_report r;
    assert_int_equal(imp_coco(out.data, out.len, &o, collect, lines, &r), 1);
    json_t *l = json_array_get(lines, 0);
    json_object_set_new(json_object_get(data, "image"), "width", json_integer(64));
    json_object_set_new(json_object_get(data, "image"), "height", json_integer(48));
    assert_true(json_equal(json_object_get(l, "data"), data));
    json_t *objs = json_object_get(json_object_get(l, "predictions"), "objects");
    assert_int_equal(json_array_size(objs), 2);
    for (size_t i = 0; i < 2; i++) {
        json_t *o2 = json_deep_copy(json_array_get(objs, i));
        char id[16];
        snprintf(id, sizeof id, "coco-%zu", i + 1);
        assert_string_equal(json_string_value(json_object_get(o2, "id")), id);
        json_object_del(o2, "id");
        assert_true(json_equal(o2, json_array_get(json_object_get(ans, "objects"), i)));
        json_decref(o2);
    }
    json_decref(lines);
    buf_free(&out);
    json_decref(schema);
    json_decref(data);
    json_decref(ans);
}

/* ---- kitti ---- */

static void test_kitti_roundtrip(void **state)
{
    (void)state;
    json_t *schema = J("{\"classes\":[{\"name\":\"Car\"},{\"name\":\"Traffic cone\"}]}");
    json_t *data = J("{\"pointcloud\":{\"media_id\":\"x\"}}");
    json_t *ans = J("{\"objects\":[{\"class\":\"Car\",\"center\":[12.25,-3.5,-0.8],\"size\":[4.2,1.8,1.55],\"yaw\":0.3},"
                    "{\"class\":\"Traffic cone\",\"center\":[5,1,0.1],\"size\":[0.4,0.4,0.7],\"yaw\":-3.1},"
                    "{\"class\":\"Car\",\"center\":[-7,20,1],\"size\":[5,2,2],\"yaw\":1.5707963}]}");
    struct fmt_answer a = {.assignment_id = 1, .worker_id = 2, .submitted_at_ms = 0, .answer = ans};
    struct fmt_task t = {.task_id = 3, .external_id = "frame7", .data = data, .width = 0, .height = 0, .predictions = NULL, .answers = &a, .n_answers = 1};
    buf out;
    buf_init(&out, 1 << 16);
    export_one("kitti", "lidar_cuboids", schema, &t, 1, &out);
    zip_error_t ze;
    zip_error_init(&ze);
    zip_t *za = zip_open_from_source(zip_source_buffer_create(out.data, out.len, 0, &ze), ZIP_RDONLY, &ze);
    assert_non_null(za);
    zip_stat_t st;
    assert_int_equal(zip_stat(za, "label_2/frame7.txt", 0, &st), 0);
    char *text = calloc(1, st.size + 100);
    zip_file_t *f = zip_fopen(za, "label_2/frame7.txt", 0);
    assert_int_equal(zip_fread(f, text, st.size), (zip_int64_t)st.size);
    zip_fclose(f);
    zip_close(za);
    zip_error_fini(&ze);
    strcat(text, "DontCare -1 -1 -10 1 2 3 4 -1 -1 -1 -1000 -1000 -1000 -10\n\n");

    json_t *lines = json_array();
    struct imp_options o = opts(KIND_LIDAR_CUBOIDS, schema);
    struct imp_report r;
    assert_int_equal(imp_kitti("frame7", text, strlen(text), &o, collect, lines, &r), 1);
    assert_int_equal(r.n_errors, 0);
    json_t *l = json_array_get(lines, 0);
    assert_string_equal(json_string_value(json_object_get(l, "external_id")), "frame7");
    json_t *objs = json_object_get(json_object_get(l, "predictions"), "objects");
    assert_json(objs, "[{\"id\":\"kitti-1\",\"class\":\"Car\",\"center\":[12.25,-3.5,-0.8],\"size\":[4.2,1.8,1.55],\"yaw\":0.3},"
                      "{\"id\":\"kitti-2\",\"class\":\"Traffic cone\",\"center\":[5,1,0.1],\"size\":[0.4,0.4,0.7],\"yaw\":-3.1},"
                      "{\"id\":\"kitti-3\",\"class\":\"Car\",\"center\":[-7,20,1],\"size\":[5,2,2],\"yaw\":1.5707963}]");
    free(text);

    /* bad lines are reported by line number; the rest is kept */
    json_array_clear(lines);
    const char *bad = "Car 0 0 0 0 0 0 0 1 1 1 0 0 0 0\nCar 0 0\nCar 0 0 0 0 0 0 0 1 x 1 0 0 0 0\nCar 0 0 0 0 0 0 0 1 0 1 0 0 0 0\n";
    assert_int_equal(imp_kitti("f", bad, strlen(bad), &o, collect, lines, &r), 1);
    assert_int_equal(r.n_errors, 3);
    assert_int_equal(r.errors[0].line, 2);
    assert_string_equal(r.errors[0].detail, "a KITTI label line has 15 fields (16 with a score), not 3");
    assert_int_equal(r.errors[1].line, 3);
    assert_string_equal(r.errors[1].detail, "field 10 is not a finite number");
    assert_string_equal(r.errors[2].detail, "dimensions must be positive");
    assert_int_equal(json_array_size(json_object_get(json_object_get(json_array_get(lines, 0), "predictions"), "objects")), 1);
    json_decref(lines);
    buf_free(&out);
    json_decref(schema);
    json_decref(data);
    json_decref(ans);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csv_fields),
        cmocka_unit_test(test_csv_errors),
        cmocka_unit_test(test_csv_error_cap),
        cmocka_unit_test(test_csv_roundtrip),
        cmocka_unit_test(test_label_studio_roundtrips),
        cmocka_unit_test(test_label_studio_foreign),
        cmocka_unit_test(test_coco_import),
        cmocka_unit_test(test_coco_roundtrip),
        cmocka_unit_test(test_kitti_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
