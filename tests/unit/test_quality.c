/* Unit tests for quality settings and decisions (core/quality.h), per-task consensus
 * (core/consensus.h) and callback signing and address checks (core/callback.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>

#include "core/callback.h"
#include "core/consensus.h"
#include "core/quality.h"

static json_t *J(const char *text)
{
    json_error_t err;
    json_t *j = json_loads(text, JSON_DECODE_ANY, &err);
    if (!j) fail_msg("test JSON does not parse: %s: %s", text, err.text);
    return j;
}

/* ---- settings ---- */

static void test_defaults(void **state)
{
    (void)state;
    struct quality_config c;
    struct verr e;
    assert_true(quality_parse(NULL, 2, "/quality", &c, &e));
    assert_int_equal(c.max_overlap, 2); /* dynamic overlap off: max = the project's overlap */
    assert_int_equal(c.review, REVIEW_NONE);
    assert_int_equal(c.n_reasons, 4);   /* the published defaults (FW-3) */
    assert_true(quality_reason_known(&c, "wrong_answer"));
    assert_false(quality_reason_known(&c, "made_up"));
    assert_false(c.qualification);
    assert_string_equal(c.method, "weighted");
}

static void expect_bad(const char *json, int64_t overlap, const char *field)
{
    struct quality_config c;
    struct verr e;
    json_t *q = J(json);
    assert_false(quality_parse(q, overlap, "/quality", &c, &e));
    if (strcmp(e.field, field)) fail_msg("%s: field %s, expected %s (%s)", json, e.field, field, e.detail);
    assert_true(strlen(e.detail) > 0);
    json_decref(q);
}

static void test_bad_settings(void **state)
{
    (void)state;
    expect_bad("{\"max_overlap\": 1}", 2, "/quality/max_overlap"); /* below the starting overlap */
    expect_bad("{\"target_confidence\": 1.5}", 1, "/quality/target_confidence");
    expect_bad("{\"gold\": {\"percent\": 51}}", 1, "/quality/gold/percent");
    expect_bad("{\"gold\": {\"every\": 3}}", 1, "/quality/gold/every");
    expect_bad("{\"gold\": 3}", 1, "/quality/gold");
    expect_bad("{\"qualification\": {\"pass_mark\": -0.1}}", 1, "/quality/qualification/pass_mark");
    expect_bad("{\"required_skills\": {\"Med Ical\": 50}}", 1, "/quality/required_skills/Med Ical");
    expect_bad("{\"required_skills\": {\"medical\": 101}}", 1, "/quality/required_skills/medical");
    expect_bad("{\"review\": {\"mode\": \"often\"}}", 1, "/quality/review/mode");
    expect_bad("{\"review\": {\"mode\": \"percent\", \"percent\": 0}}", 1, "/quality/review/percent");
    expect_bad("{\"reject_reasons\": []}", 1, "/quality/reject_reasons");
    expect_bad("{\"reject_reasons\": [{\"code\": \"a\", \"title\": \"A\"}, {\"code\": \"a\", \"title\": \"B\"}]}", 1,
               "/quality/reject_reasons/1/code");
    expect_bad("{\"reject_reasons\": [{\"code\": \"a\"}]}", 1, "/quality/reject_reasons/0/title");
    expect_bad("{\"aggregation\": {\"method\": \"ds\"}}", 1, "/quality/aggregation/method");
    expect_bad("{\"rules\": [{\"id\": \"r\", \"reads\": \"gold_accuracy\", \"threshold\": 0.5, \"action\": \"ban\"}]}", 1,
               "/quality/rules/0/action");
    expect_bad("{\"rules\": [{\"id\": \"r\", \"reads\": \"mood\", \"threshold\": 0.5, \"action\": \"lower_weight\"}]}", 1,
               "/quality/rules/0/reads");
    expect_bad("{\"rules\": [{\"id\": \"r\", \"reads\": \"skip_rate\", \"action\": \"lower_weight\"}]}", 1,
               "/quality/rules/0/threshold");
    expect_bad("[]", 1, "/quality");
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *in = "{\"max_overlap\": 5, \"target_confidence\": 0.95, \"gold\": {\"first\": 3, \"percent\": 10},"
                     "\"qualification\": {\"pass_mark\": 0.75, \"skill\": \"med\"}, \"required_skills\": {\"med\": 40},"
                     "\"review\": {\"mode\": \"low_confidence\", \"below\": 0.6},"
                     "\"reject_reasons\": [{\"code\": \"blurry\", \"title\": \"Too blurry\"}],"
                     "\"aggregation\": {\"method\": \"mv\", \"iou_threshold\": 0.7},"
                     "\"rules\": [{\"id\": \"g\", \"reads\": \"gold_accuracy\", \"window\": 20, \"threshold\": 0.6, "
                     "\"action\": \"flag_for_review\"}]}";
    json_t *q = J(in);
    struct quality_config c, c2;
    struct verr e;
    assert_true(quality_parse(q, 2, "/quality", &c, &e));
    json_t *out = quality_to_json(&c);
    assert_true(quality_parse(out, 2, "/quality", &c2, &e)); /* what is stored parses back the same */
    json_t *out2 = quality_to_json(&c2);
    assert_true(json_equal(out, out2));
    assert_int_equal(c2.max_overlap, 5);
    assert_int_equal(c2.gold_first, 3);
    assert_true(c2.qualification);
    assert_string_equal(c2.qualification_skill, "med");
    assert_int_equal(c2.review, REVIEW_LOW_CONFIDENCE);
    assert_int_equal(c2.n_rules, 1);
    assert_int_equal(c2.rules[0].action, ACTION_FLAG_FOR_REVIEW);
    assert_true(quality_reason_known(&c2, "blurry"));
    assert_false(quality_reason_known(&c2, "wrong_answer")); /* a project's own list replaces the defaults */
    json_decref(out);
    json_decref(out2);
    json_decref(q);
}

/* ---- decisions ---- */

static void test_gold_mixing(void **state)
{
    (void)state;
    struct quality_config c = {.gold_first = 3, .gold_percent = 20};
    /* the first three claims are gold whatever the jitter */
    for (int j = 0; j < 100; j += 33) assert_true(quality_serve_gold(&c, 0, 0, j) && quality_serve_gold(&c, 2, 0, j));
    /* afterwards the share stays within one task of 20% for any jitter sequence */
    unsigned seed = 7;
    for (int run = 0; run < 50; run++) {
        int64_t gold = 3, normal = 0;
        for (int k = 0; k < 500; k++) {
            seed = seed * 1103515245u + 12345u;
            if (quality_serve_gold(&c, gold, normal, (int)((seed >> 16) % 100))) gold++;
            else normal++;
            double target = 0.2 * (double)(gold - 3 + normal);
            assert_true(fabs((double)(gold - 3) - target) <= 1.0);
        }
    }
    struct quality_config none = {0};
    assert_false(quality_serve_gold(&none, 0, 0, 0));
}

static void test_review_sampling(void **state)
{
    (void)state;
    struct quality_config c = {.review = REVIEW_PERCENT, .review_percent = 10};
    int n = 0;
    for (int64_t id = 1; id <= 10000; id++) n += quality_sample_for_review(&c, id);
    assert_in_range(n, 900, 1100); /* consecutive ids are spread evenly */
    c.review = REVIEW_ALL;
    assert_true(quality_sample_for_review(&c, 1));
    c.review = REVIEW_LOW_CONFIDENCE; /* decided when the task's result is known */
    assert_false(quality_sample_for_review(&c, 1));
}

static void test_dynamic_overlap(void **state)
{
    (void)state;
    struct quality_config c = {.max_overlap = 4, .target_confidence = 0.9};
    assert_int_equal(quality_next_overlap(&c, 2, 1, 0.5), 2);  /* still waiting for answers */
    assert_int_equal(quality_next_overlap(&c, 2, 2, 0.5), 3);  /* below target: one more */
    assert_int_equal(quality_next_overlap(&c, 2, 2, 0.95), 2); /* reached: stop */
    assert_int_equal(quality_next_overlap(&c, 4, 4, 0.5), 4);  /* at max_overlap: stop */
}

static void test_rules(void **state)
{
    (void)state;
    struct quality_rule gold = {.id = "g", .reads = RULE_GOLD_ACCURACY, .window = 4, .threshold = 0.6};
    struct worker_record w = {.gold_recent = 3, .gold_recent_score_ppm_sum = 0};
    double v;
    assert_false(quality_rule_fires(&gold, &w, &v)); /* too few gold answers to judge */
    w.gold_recent = 4;
    w.gold_recent_score_ppm_sum = 2000000; /* 2 of 4 right */
    assert_true(quality_rule_fires(&gold, &w, &v));
    assert_float_equal(v, 0.5, 1e-12);
    w.gold_recent_score_ppm_sum = 3000000;
    assert_false(quality_rule_fires(&gold, &w, &v));
    struct quality_rule fast = {.id = "f", .reads = RULE_FAST_ANSWERS, .window = 10, .threshold = 0.3};
    struct worker_record f = {.submitted_recent = 10, .fast_recent = 4};
    assert_true(quality_rule_fires(&fast, &f, &v));
    struct quality_rule skip = {.id = "s", .reads = RULE_SKIP_RATE, .window = 10, .threshold = 0.5};
    struct worker_record s = {.submitted_recent = 6, .skipped_recent = 4};
    assert_false(quality_rule_fires(&skip, &s, &v)); /* 40% */
    s.skipped_recent = 7;
    assert_true(quality_rule_fires(&skip, &s, &v));
    /* the registry lists no action that suspends or bans */
    json_t *reg = quality_rule_registry();
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(reg, "actions"), i, a) {
        const char *id = json_string_value(json_object_get(a, "id"));
        assert_null(strstr(id, "suspend"));
        assert_null(strstr(id, "ban"));
    }
    json_decref(reg);
}

/* ---- consensus ---- */

static void test_consensus_votes(void **state)
{
    (void)state;
    json_t *schema = J("{\"labels\": [\"a\", \"b\", \"c\"]}");
    json_t *va = J("{\"label\": \"a\"}"), *vb = J("{\"label\": \"b\"}");
    struct consensus_vote v[3] = {{va, 0.7, 1}, {vb, 0.7, 1}, {vb, 0.7, 1}};
    struct consensus out;
    assert_true(consensus_compute(KIND_TEXT_CLASSIFICATION, schema, NULL, v, 3, "mv", 0.5, &out));
    assert_string_equal(json_string_value(json_object_get(out.result, "label")), "b");
    assert_float_equal(out.confidence, 2.0 / 3.0, 1e-12);
    json_decref(out.result);
    /* ties go to the label listed first */
    assert_true(consensus_compute(KIND_TEXT_CLASSIFICATION, schema, NULL, v, 2, "mv", 0.5, &out));
    assert_string_equal(json_string_value(json_object_get(out.result, "label")), "a");
    assert_float_equal(out.confidence, 0.5, 1e-12);
    json_decref(out.result);
    /* weighted, one-coin: a vote counts log((k-1)·p/(1-p)). Two votes for b at p = 0.7 against one for a:
     * w = ln(2·0.7/0.3) = ln(4.667); posterior of b = e^{2w} / (e^{2w} + e^{w} + 1) = 21.78/(21.78+4.667+1) */
    assert_true(consensus_compute(KIND_TEXT_CLASSIFICATION, schema, NULL, v, 3, "weighted", 0.5, &out));
    double w = log(2 * 0.7 / 0.3);
    assert_float_equal(out.confidence, exp(2 * w) / (exp(2 * w) + exp(w) + 1), 1e-9);
    assert_string_equal(out.method, "weighted_vote");
    json_decref(out.result);
    /* a very reliable worker outweighs two mediocre ones */
    v[0].accuracy = 0.99;
    assert_true(consensus_compute(KIND_TEXT_CLASSIFICATION, schema, NULL, v, 3, "weighted", 0.5, &out));
    assert_string_equal(json_string_value(json_object_get(out.result, "label")), "a");
    json_decref(out.result);
    /* accuracy estimate: prior mean 0.7 with strength 4 */
    assert_float_equal(consensus_accuracy(0, 0), 0.7, 1e-12);
    assert_float_equal(consensus_accuracy(6, 6), (6 + 2.8) / 10, 1e-12);
    json_decref(va);
    json_decref(vb);
    json_decref(schema);
}

static void test_consensus_multi_and_boxes(void **state)
{
    (void)state;
    json_t *schema = J("{\"labels\": [\"x\", \"y\", \"z\"], \"multiple\": true}");
    json_t *a1 = J("{\"labels\": [\"x\", \"y\"]}"), *a2 = J("{\"labels\": [\"x\"]}"), *a3 = J("{\"labels\": [\"x\", \"y\"]}");
    struct consensus_vote v[3] = {{a1, 0.7, 1}, {a2, 0.7, 1}, {a3, 0.7, 1}};
    struct consensus out;
    assert_true(consensus_compute(KIND_TEXT_CLASSIFICATION, schema, NULL, v, 3, "mv", 0.5, &out));
    json_t *want = J("{\"labels\": [\"x\", \"y\"]}");
    assert_true(json_equal(out.result, want));
    assert_float_equal(out.confidence, 2.0 / 3.0, 1e-12); /* y is the least certain label */
    json_decref(out.result);
    json_decref(want);

    json_t *img = J("{\"classes\": [{\"name\": \"car\", \"tools\": [\"bbox\"]}]}");
    json_t *b1 = J("{\"objects\": [{\"class\": \"car\", \"type\": \"bbox\", \"bbox\": [10, 10, 100, 50]}]}");
    json_t *b2 = J("{\"objects\": [{\"class\": \"car\", \"type\": \"bbox\", \"bbox\": [12, 10, 100, 50]}]}");
    struct consensus_vote bv[2] = {{b1, 0.7, 1}, {b2, 0.7, 1}};
    assert_true(consensus_compute(KIND_IMAGE_ANNOTATION, img, NULL, bv, 2, "weighted", 0.5, &out));
    json_t *box = json_object_get(json_array_get(json_object_get(out.result, "objects"), 0), "bbox");
    assert_float_equal(json_number_value(json_array_get(box, 0)), 11, 1e-9); /* equal weights: the mean */
    assert_string_equal(out.method, "iou_cluster");
    json_decref(out.result);
    json_decref(a1);
    json_decref(a2);
    json_decref(a3);
    json_decref(b1);
    json_decref(b2);
    json_decref(img);
    json_decref(schema);
}

/* ---- callbacks ---- */

static void test_callback_signing(void **state)
{
    (void)state;
    char sig[128];
    /* computed independently: printf '1700000000000.{"a":1}' | openssl dgst -sha256 -hmac secret */
    callback_signature("secret", 1700000000000LL, "{\"a\":1}", 7, sig, sizeof sig);
    assert_string_equal(sig, "t=1700000000000,v1=4ef2732b0d632a6897af3a6d02a6de287f60d6c5f15dabdb0ceb045a34e3c5a7");
    unsigned char key[CALLBACK_KEY_BYTES] = {0};
    char s1[CALLBACK_HEX], s2[CALLBACK_HEX];
    callback_secret(key, 1, s1);
    callback_secret(key, 2, s2);
    assert_int_equal(strlen(s1), 64);
    assert_string_not_equal(s1, s2); /* one secret per project */
}

static bool public_v4(const char *ip)
{
    struct sockaddr_in a = {.sin_family = AF_INET};
    assert_int_equal(inet_pton(AF_INET, ip, &a.sin_addr), 1);
    return callback_address_public((struct sockaddr *)&a);
}

static bool public_v6(const char *ip)
{
    struct sockaddr_in6 a = {.sin6_family = AF_INET6};
    assert_int_equal(inet_pton(AF_INET6, ip, &a.sin6_addr), 1);
    return callback_address_public((struct sockaddr *)&a);
}

static void test_callback_addresses(void **state)
{
    (void)state;
    const char *private4[] = {"127.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254",
                              "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255"};
    for (size_t i = 0; i < sizeof private4 / sizeof *private4; i++)
        if (public_v4(private4[i])) fail_msg("%s counted as public", private4[i]);
    assert_true(public_v4("8.8.8.8"));
    assert_true(public_v4("172.32.0.1"));
    assert_false(public_v6("::1"));
    assert_false(public_v6("::"));
    assert_false(public_v6("fd00::1"));
    assert_false(public_v6("fe80::1"));
    assert_false(public_v6("::ffff:127.0.0.1")); /* IPv4 mapped */
    assert_true(public_v6("2001:4860:4860::8888"));
    assert_null(callback_url_problem("https://example.org/hook?x=1", false));
    assert_null(callback_url_problem("http://127.0.0.1:9000/hook", true));
    assert_non_null(callback_url_problem("http://127.0.0.1:9000/hook", false));
    assert_non_null(callback_url_problem("http://[::1]:9000/hook", false));
    assert_non_null(callback_url_problem("http://LOCALHOST/x", false));
    assert_non_null(callback_url_problem("gopher://example.org/", false));
    assert_non_null(callback_url_problem("https://a:b@example.org/", false));
    assert_non_null(callback_url_problem("https:///path", false));
    assert_non_null(callback_url_problem("https://exa mple.org/", false));
}

static void test_callback_backoff(void **state)
{
    (void)state;
    assert_int_equal(callback_backoff_ms(1, 1000), 5000);
    assert_int_equal(callback_backoff_ms(2, 1000), 10000);
    assert_int_equal(callback_backoff_ms(3, 1000), 20000);
    assert_int_equal(callback_backoff_ms(20, 1000), 3600000); /* capped at an hour */
    int64_t total = 0;
    int n = 0;
    while (total < CALLBACK_GIVE_UP_MS) total += callback_backoff_ms(++n, 1000);
    assert_in_range(n, 25, 40); /* about thirty attempts over the 24 hours */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults),          cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_round_trip),        cmocka_unit_test(test_gold_mixing),
        cmocka_unit_test(test_review_sampling),   cmocka_unit_test(test_dynamic_overlap),
        cmocka_unit_test(test_rules),             cmocka_unit_test(test_consensus_votes),
        cmocka_unit_test(test_consensus_multi_and_boxes), cmocka_unit_test(test_callback_signing),
        cmocka_unit_test(test_callback_addresses), cmocka_unit_test(test_callback_backoff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
