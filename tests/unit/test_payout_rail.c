/* Unit tests for core/payout_rail.h: exact 2-decimal amounts, the two batch files byte for byte, strict
 * confirmation files with line and column errors, method field checks and ISO weeks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/payout_rail.h"

static void test_amounts(void **state)
{
    (void)state;
    char s[32];
    assert_true(payout_amount_format(12500000, s, sizeof s));
    assert_string_equal(s, "12.50");
    assert_true(payout_amount_format(0, s, sizeof s));
    assert_string_equal(s, "0.00");
    assert_true(payout_amount_format(10000, s, sizeof s));
    assert_string_equal(s, "0.01");
    assert_true(payout_amount_format(123456780000LL, s, sizeof s));
    assert_string_equal(s, "123456.78");
    assert_false(payout_amount_format(12345, s, sizeof s));   /* 0.012345: not whole cents */
    assert_false(payout_amount_format(5000001, s, sizeof s)); /* one micro over 5.00 */
    assert_false(payout_amount_format(-10000, s, sizeof s));
    assert_false(payout_amount_format(12500000, s, 5)); /* "12.50" needs 6 bytes */

    int64_t m = -1;
    assert_true(payout_amount_parse("12.50", 5, &m));
    assert_int_equal(m, 12500000);
    assert_true(payout_amount_parse("0.07", 4, &m));
    assert_int_equal(m, 70000);
    assert_true(payout_amount_parse("999999999999.99", 15, &m));
    assert_int_equal(m, 999999999999990000LL);
    const char *bad[] = {"12.5", "12", "12.500", "012.50", "-1.00", "+1.00", ".50", "1,00", "1.0a", "", "1e2.00",
                         "1234567890123.00", NULL};
    for (int i = 0; bad[i]; i++) assert_false(payout_amount_parse(bad[i], strlen(bad[i]), &m));
}

static void test_fields(void **state)
{
    (void)state;
    assert_true(payout_iban_valid("DE89370400440532013000"));
    assert_true(payout_iban_valid("GB82WEST12345698765432"));
    assert_false(payout_iban_valid("DE89370400440532013001")); /* check digits wrong */
    assert_false(payout_iban_valid("de89370400440532013000"));
    assert_false(payout_iban_valid("DE89 3704 0044 0532 0130 00"));
    assert_false(payout_iban_valid("DE8937"));
    assert_true(payout_account_number_valid("0123456789"));
    assert_false(payout_account_number_valid("12a4"));
    assert_false(payout_account_number_valid("123"));
    assert_true(payout_bank_code_valid("COBADEFFXXX"));
    assert_true(payout_bank_code_valid("01"));
    assert_false(payout_bank_code_valid("cobadeff"));
    assert_false(payout_bank_code_valid("COBADEFFXXXX"));
    assert_true(payout_msisdn_valid("+254712345678"));
    assert_false(payout_msisdn_valid("254712345678"));
    assert_false(payout_msisdn_valid("+0254712345"));
    assert_false(payout_msisdn_valid("+2547123456789012"));
    assert_false(payout_msisdn_valid("+2547 12345"));
    assert_true(payout_provider_valid("MPESA"));
    assert_true(payout_provider_valid("MTN_MOMO"));
    assert_false(payout_provider_valid("mpesa"));
    assert_true(payout_holder_name_valid("Amina Wanjiru, Jr."));
    assert_true(payout_holder_name_valid("José \"Pepe\" Núñez"));
    assert_false(payout_holder_name_valid("=HYPERLINK(\"x\")"));
    assert_false(payout_holder_name_valid("-1"));
    assert_false(payout_holder_name_valid(""));
    assert_false(payout_holder_name_valid("a\nb"));
}

static const struct payout_line lines[] = {
    {41, 12500000, "EUR", "Amina Wanjiru", "DE89370400440532013000", "COBADEFFXXX", ""},
    {42, 70000, "EUR", "Núñez, \"Pepe\"", "0123456789", "01", ""},
};

static void test_bank_file(void **state)
{
    (void)state;
    char *text;
    size_t len;
    struct payout_file_error e;
    assert_true(payout_rail_bank_transfer.write(lines, 2, &text, &len, &e));
    assert_string_equal(text, "payment_reference,beneficiary_name,beneficiary_account,beneficiary_bank_code,amount,"
                              "currency,narrative\r\n"
                              "FLP41,Amina Wanjiru,DE89370400440532013000,COBADEFFXXX,12.50,EUR,fairlabel payout FLP41\r\n"
                              "FLP42,\"Núñez, \"\"Pepe\"\"\",0123456789,01,0.07,EUR,fairlabel payout FLP42\r\n");
    assert_int_equal(len, strlen(text));
    free(text);

    struct payout_line odd = lines[0];
    odd.amount_micros = 12500001;
    assert_false(payout_rail_bank_transfer.write(&odd, 1, &text, &len, &e));
    assert_int_equal(e.column, 5);
    assert_string_equal(e.column_name, "amount");
    odd = lines[0];
    odd.holder_name = "=cmd";
    assert_false(payout_rail_bank_transfer.write(&odd, 1, &text, &len, &e));
    assert_int_equal(e.column, 2);
}

static void test_mobile_file(void **state)
{
    (void)state;
    struct payout_line l = {7, 5000000, "KES", "Otieno Ochieng", "+254712345678", "", "MPESA"};
    char *text;
    size_t len;
    struct payout_file_error e;
    assert_true(payout_rail_mobile_money.write(&l, 1, &text, &len, &e));
    assert_string_equal(text, "reference,msisdn,amount,currency,recipient_name,provider,narrative\r\n"
                              "FLP7,254712345678,5.00,KES,Otieno Ochieng,MPESA,fairlabel payout FLP7\r\n");
    free(text);
    l.provider = "";
    assert_false(payout_rail_mobile_money.write(&l, 1, &text, &len, &e));
    assert_int_equal(e.column, 6);
}

static void test_parse_bank_confirmation(void **state)
{
    (void)state;
    const char *t = "payment_reference,status,bank_reference,amount,currency,reason\n"
                    "FLP41,paid,BK-2026-0001,12.50,EUR,\n"
                    "FLP42,failed,,0.07,EUR,\"Account closed, returned\"\n";
    struct payout_outcome *o;
    size_t n;
    struct payout_file_error e;
    assert_true(payout_rail_bank_transfer.parse(t, strlen(t), &o, &n, &e));
    assert_int_equal(n, 2);
    assert_int_equal(o[0].payout_id, 41);
    assert_true(o[0].confirmed);
    assert_string_equal(o[0].provider_reference, "BK-2026-0001");
    assert_int_equal(o[0].amount_micros, 12500000);
    assert_string_equal(o[0].currency, "EUR");
    assert_int_equal(o[0].line, 2);
    assert_false(o[1].confirmed);
    assert_string_equal(o[1].reason, "Account closed, returned");
    assert_int_equal(o[1].amount_micros, 70000);
    assert_int_equal(o[1].line, 3);
    free(o);

    /* CRLF, a BOM and no final newline are fine; a header alone is an empty report */
    const char *crlf = "\xEF\xBB\xBFpayment_reference,status,bank_reference,amount,currency,reason\r\nFLP9,paid,X1,1.00,USD,";
    assert_true(payout_rail_bank_transfer.parse(crlf, strlen(crlf), &o, &n, &e));
    assert_int_equal(n, 1);
    free(o);
    const char *hdr = "payment_reference,status,bank_reference,amount,currency,reason\n";
    assert_true(payout_rail_bank_transfer.parse(hdr, strlen(hdr), &o, &n, &e));
    assert_int_equal(n, 0);
}

/* Each bad file with the line and column its error must name. */
static void test_parse_errors(void **state)
{
    (void)state;
    const char *h = "payment_reference,status,bank_reference,amount,currency,reason\n";
    struct {
        const char *body;
        size_t line;
        int column;
        const char *name;
    } cases[] = {
        {"FLP1,paid,B1,12.5,EUR,\n", 2, 4, "amount"},
        {"FLP1,paid,B1,12.50,EUR,\nFLP2,done,B2,1.00,EUR,\n", 3, 2, "status"},
        {"FLP1,paid,,12.50,EUR,\n", 2, 3, "bank_reference"},
        {"FLP1,failed,,12.50,EUR,\n", 2, 6, "reason"},
        {"FLP1,paid,B1,12.50,EUR,why\n", 2, 6, "reason"},
        {"XYZ1,paid,B1,12.50,EUR,\n", 2, 1, "payment_reference"},
        {"FLP1,paid,B1,12.50,eur,\n", 2, 5, "currency"},
        {"FLP1,paid,B1,12.50,EUR\n", 2, 6, "reason"},
        {"FLP1,paid,B1,12.50,EUR,,x\n", 2, 7, ""},
        {"FLP1,paid,B1,1.00,EUR,\nFLP1,paid,B1,1.00,EUR,\n", 3, 1, "payment_reference"},
        {"FLP1,paid,B1,1.00,EUR,\n\nFLP2,paid,B2,1.00,EUR,\n", 3, 0, ""},
        {"FLP1,paid,\"B1,1.00,EUR,\n", 2, 3, ""},
        {"FLP1,paid,B\"1,1.00,EUR,\n", 2, 3, ""},
        {"FLP1,paid,B1,1.00,EUR,\rFLP2", 2, 0, ""},
        /* a line break, even quoted, is no part of a reason */
        {"FLP1,failed,,1.00,EUR,\"two\nlines\"\nFLP2,paid,B2,x,EUR,\n", 2, 6, "reason"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char text[512];
        snprintf(text, sizeof text, "%s%s", h, cases[i].body);
        struct payout_outcome *o = (void *)1;
        size_t n = 99;
        struct payout_file_error e = {0};
        if (payout_rail_bank_transfer.parse(text, strlen(text), &o, &n, &e)) fail_msg("case %zu parsed", i);
        if (e.line != cases[i].line || e.column != cases[i].column || strcmp(e.column_name, cases[i].name))
            fail_msg("case %zu: line %zu column %d (%s), want line %zu column %d (%s): %s", i, e.line, e.column,
                     e.column_name, cases[i].line, cases[i].column, cases[i].name, e.detail);
        assert_null(o);
        assert_int_equal(n, 0);
    }
    struct payout_outcome *o;
    size_t n;
    struct payout_file_error e;
    const char *wrong = "reference,status,bank_reference,amount,currency,reason\n";
    assert_false(payout_rail_bank_transfer.parse(wrong, strlen(wrong), &o, &n, &e));
    assert_int_equal(e.line, 1);
    assert_int_equal(e.column, 1);
    char msg[300];
    payout_file_error_format(&e, msg, sizeof msg);
    assert_non_null(strstr(msg, "line 1, column 1 (payment_reference): the header must be exactly"));
    assert_false(payout_rail_bank_transfer.parse("", 0, &o, &n, &e));
    assert_int_equal(e.line, 1);
}

static void test_parse_mobile_confirmation(void **state)
{
    (void)state;
    const char *t = "reference,msisdn,status,transaction_id,amount,currency,reason\n"
                    "FLP7,254712345678,success,QK7ABC123,5.00,KES,\n"
                    "FLP8,254700000001,failed,,6.00,KES,Recipient not registered\n";
    struct payout_outcome *o;
    size_t n;
    struct payout_file_error e;
    assert_true(payout_rail_mobile_money.parse(t, strlen(t), &o, &n, &e));
    assert_int_equal(n, 2);
    assert_string_equal(o[0].account, "+254712345678");
    assert_string_equal(o[0].provider_reference, "QK7ABC123");
    assert_false(o[1].confirmed);
    assert_string_equal(o[1].reason, "Recipient not registered");
    free(o);
    const char *bad = "reference,msisdn,status,transaction_id,amount,currency,reason\n"
                      "FLP7,+254712345678,success,QK7,5.00,KES,\n";
    assert_false(payout_rail_mobile_money.parse(bad, strlen(bad), &o, &n, &e));
    assert_int_equal(e.line, 2);
    assert_int_equal(e.column, 2);
    assert_string_equal(e.column_name, "msisdn");
    /* a bank file handed to the mobile rail fails on its header */
    const char *bank = "payment_reference,status,bank_reference,amount,currency,reason\n";
    assert_false(payout_rail_mobile_money.parse(bank, strlen(bank), &o, &n, &e));
    assert_int_equal(e.line, 1);
    assert_ptr_equal(payout_rail_find("mobile_money"), &payout_rail_mobile_money);
    assert_null(payout_rail_find("cheque"));
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_fields),
        cmocka_unit_test(test_bank_file),
        cmocka_unit_test(test_mobile_file),
        cmocka_unit_test(test_parse_bank_confirmation),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_parse_mobile_confirmation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
