/* The two payout rails (bank bulk credit transfer, mobile-money bulk disbursement): batch files out,
 * confirmation files in, both strict CSV; and the field checks of payout methods. */
#include "core/payout_rail.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_MAX 256 /* bytes of one field in a confirmation file */
#define MAX_COLS 8

static void set_err(struct payout_file_error *e, size_t line, int column, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static void set_err(struct payout_file_error *e, size_t line, int column, const char *name, const char *fmt, ...)
{
    e->line = line;
    e->column = column;
    e->column_name = name ? name : "";
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->detail, sizeof e->detail, fmt, ap);
    va_end(ap);
}

void payout_file_error_format(const struct payout_file_error *e, char *out, size_t n)
{
    if (e->column && e->column_name[0])
        snprintf(out, n, "line %zu, column %d (%s): %s", e->line, e->column, e->column_name, e->detail);
    else if (e->column)
        snprintf(out, n, "line %zu, column %d: %s", e->line, e->column, e->detail);
    else
        snprintf(out, n, "line %zu: %s", e->line, e->detail);
}

/* ---- amounts ---- */

bool payout_amount_format(int64_t micros, char *out, size_t n)
{
    if (micros < 0 || micros % 10000) return false;
    int64_t cents = micros / 10000;
    int w = snprintf(out, n, "%lld.%02lld", (long long)(cents / 100), (long long)(cents % 100));
    return w > 0 && (size_t)w < n;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_upper(char c) { return c >= 'A' && c <= 'Z'; }
static bool is_alnum_upper(char c) { return is_digit(c) || is_upper(c); }

bool payout_amount_parse(const char *s, size_t len, int64_t *micros)
{
    if (len < 4 || s[len - 3] != '.' || !is_digit(s[len - 2]) || !is_digit(s[len - 1])) return false;
    size_t ilen = len - 3;
    if (ilen > 1 && s[0] == '0') return false;
    if (ilen > 12) return false; /* a trillion units: far beyond any payout, and keeps the product in range */
    int64_t units = 0;
    for (size_t i = 0; i < ilen; i++) {
        if (!is_digit(s[i])) return false;
        units = units * 10 + (s[i] - '0');
    }
    *micros = units * 1000000 + (int64_t)(s[len - 2] - '0') * 100000 + (int64_t)(s[len - 1] - '0') * 10000;
    return true;
}

/* ---- method fields ---- */

bool payout_iban_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 15 || n > 34 || !is_upper(s[0]) || !is_upper(s[1]) || !is_digit(s[2]) || !is_digit(s[3])) return false;
    for (size_t i = 4; i < n; i++)
        if (!is_alnum_upper(s[i])) return false;
    /* mod 97 of the rearranged number (first four characters moved to the end, letters as 10..35) */
    unsigned rem = 0;
    for (size_t k = 0; k < n; k++) {
        char c = s[(k + 4) % n];
        if (is_digit(c)) rem = (rem * 10 + (unsigned)(c - '0')) % 97;
        else rem = (rem * 100 + (unsigned)(c - 'A' + 10)) % 97;
    }
    return rem == 1;
}

bool payout_account_number_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 4 || n > 34) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i])) return false;
    return true;
}

bool payout_bank_code_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 11) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum_upper(s[i])) return false;
    return true;
}

bool payout_msisdn_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 9 || n > 16 || s[0] != '+' || s[1] == '0') return false;
    for (size_t i = 1; i < n; i++)
        if (!is_digit(s[i])) return false;
    return true;
}

bool payout_provider_valid(const char *s)
{
    size_t n = strlen(s);
    if (n < 2 || n > 20) return false;
    for (size_t i = 0; i < n; i++)
        if (!is_alnum_upper(s[i]) && s[i] != '_') return false;
    return true;
}

/* No control characters; a spreadsheet must not read a formula from it. */
static bool text_safe(const char *s)
{
    if (!*s || *s == '=' || *s == '+' || *s == '-' || *s == '@') return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

bool payout_holder_name_valid(const char *s) { return strlen(s) <= 70 && text_safe(s) && s[0] != ' '; }


/* ---- writing ---- */

struct out {
    char *p;
    size_t len, cap;
    bool oom;
};

static void out_add(struct out *o, const char *s, size_t n)
{
    if (o->oom) return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 1024;
        while (o->len + n + 1 > cap) cap *= 2;
        char *p = realloc(o->p, cap);
        if (!p) {
            o->oom = true;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

/* One field, quoted when it holds a comma, a quote or a leading/trailing space. */
static void out_field(struct out *o, const char *s, bool first)
{
    if (!first) out_add(o, ",", 1);
    size_t n = strlen(s);
    bool quote = strpbrk(s, ",\"") || (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        out_add(o, s, n);
        return;
    }
    out_add(o, "\"", 1);
    for (const char *p = s; *p; p++) {
        out_add(o, p, 1);
        if (*p == '"') out_add(o, "\"", 1); /* a quote is doubled */
    }
    out_add(o, "\"", 1);
}

enum col { C_REF, C_NAME, C_ACCOUNT, C_BANK, C_MSISDN, C_PROVIDER, C_AMOUNT, C_CURRENCY, C_NARRATIVE };

struct file_format {
    const char *header;
    int ncols;
    enum col cols[MAX_COLS];
    const char *names[MAX_COLS];
};

#define BANK_HEADER "payment_reference,beneficiary_name,beneficiary_account,beneficiary_bank_code,amount,currency,narrative"
#define MOBILE_HEADER "reference,msisdn,amount,currency,recipient_name,provider,narrative"
#define BANK_CONF_HEADER "payment_reference,status,bank_reference,amount,currency,reason"
#define MOBILE_CONF_HEADER "reference,msisdn,status,transaction_id,amount,currency,reason"

static const struct file_format bank_file = {
    BANK_HEADER, 7,
    {C_REF, C_NAME, C_ACCOUNT, C_BANK, C_AMOUNT, C_CURRENCY, C_NARRATIVE},
    {"payment_reference", "beneficiary_name", "beneficiary_account", "beneficiary_bank_code", "amount", "currency",
     "narrative"}};
static const struct file_format mobile_file = {
    MOBILE_HEADER, 7,
    {C_REF, C_MSISDN, C_AMOUNT, C_CURRENCY, C_NAME, C_PROVIDER, C_NARRATIVE},
    {"reference", "msisdn", "amount", "currency", "recipient_name", "provider", "narrative"}};

static bool write_file(const struct file_format *f, const struct payout_line *lines, size_t n, char **text,
                       size_t *len, struct payout_file_error *e)
{
    struct out o = {0};
    out_add(&o, f->header, strlen(f->header));
    out_add(&o, "\r\n", 2);
    for (size_t i = 0; i < n; i++) {
        const struct payout_line *l = &lines[i];
        char ref[32], amount[32], narrative[64];
        snprintf(ref, sizeof ref, PAYOUT_REF_PREFIX "%lld", (long long)l->payout_id);
        snprintf(narrative, sizeof narrative, "fairlabel payout %s", ref);
        for (int c = 0; c < f->ncols; c++) {
            const char *v = "";
            bool optional = false, safe = true;
            switch (f->cols[c]) {
            case C_REF: v = ref; break;
            case C_NAME: v = l->holder_name; break;
            case C_ACCOUNT: v = l->account; break;
            case C_BANK: v = l->bank_code; optional = true; break;
            case C_MSISDN: /* digits only: a leading '+' reads as a formula in a spreadsheet */
                v = l->account[0] == '+' ? l->account + 1 : l->account;
                safe = payout_msisdn_valid(l->account);
                break;
            case C_PROVIDER: v = l->provider; break;
            case C_AMOUNT:
                if (!payout_amount_format(l->amount_micros, amount, sizeof amount)) {
                    free(o.p);
                    set_err(e, 0, c + 1, f->names[c], "payout %lld: %lld micros is not a whole number of cents",
                            (long long)l->payout_id, (long long)l->amount_micros);
                    return false;
                }
                v = amount;
                break;
            case C_CURRENCY: v = l->currency; break;
            case C_NARRATIVE: v = narrative; break;
            }
            if (!v || (!optional && !*v) || (*v && !text_safe(v)) || !safe) {
                free(o.p);
                set_err(e, 0, c + 1, f->names[c], "payout %lld: the %s is empty or not safe to write",
                        (long long)l->payout_id, f->names[c]);
                return false;
            }
            out_field(&o, v, c == 0);
        }
        out_add(&o, "\r\n", 2);
    }
    if (o.oom) {
        free(o.p);
        set_err(e, 0, 0, "", "out of memory");
        return false;
    }
    *text = o.p;
    *len = o.len;
    return true;
}

static bool bank_write(const struct payout_line *l, size_t n, char **t, size_t *len, struct payout_file_error *e)
{
    return write_file(&bank_file, l, n, t, len, e);
}
static bool mobile_write(const struct payout_line *l, size_t n, char **t, size_t *len, struct payout_file_error *e)
{
    return write_file(&mobile_file, l, n, t, len, e);
}

/* ---- reading ---- */

struct cursor {
    const char *p, *end;
    size_t line;
};

/* Reads one record's fields into buf (NUL-separated). Returns the field count, 0 at the end of the text,
 * or -1 with e set. The cursor's line advances past the record's line end(s). */
static int read_record(struct cursor *c, char buf[MAX_COLS + 1][FIELD_MAX], struct payout_file_error *e)
{
    if (c->p >= c->end) return 0;
    size_t line = c->line;
    int nf = 0;
    for (;;) {
        if (nf > MAX_COLS) {
            set_err(e, line, nf, "", "too many fields");
            return -1;
        }
        size_t k = 0;
        char *f = buf[nf];
        if (c->p < c->end && *c->p == '"') {
            c->p++;
            for (;;) {
                if (c->p >= c->end) {
                    set_err(e, line, nf + 1, "", "a quoted field is not closed");
                    return -1;
                }
                char ch = *c->p++;
                if (ch == '"') {
                    if (c->p < c->end && *c->p == '"') c->p++;
                    else break;
                } else if (ch == '\n') {
                    c->line++;
                }
                if (k + 1 >= FIELD_MAX) {
                    set_err(e, line, nf + 1, "", "the field is longer than %d bytes", FIELD_MAX - 1);
                    return -1;
                }
                f[k++] = ch;
            }
            if (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                set_err(e, line, nf + 1, "", "text after a closing quote");
                return -1;
            }
        } else {
            while (c->p < c->end && *c->p != ',' && *c->p != '\n' && *c->p != '\r') {
                if (*c->p == '"') {
                    set_err(e, line, nf + 1, "", "a quote inside an unquoted field");
                    return -1;
                }
                if (k + 1 >= FIELD_MAX) {
                    set_err(e, line, nf + 1, "", "the field is longer than %d bytes", FIELD_MAX - 1);
                    return -1;
                }
                f[k++] = *c->p++;
            }
        }
        f[k] = '\0';
        nf++;
        if (c->p >= c->end) return nf;
        char ch = *c->p++;
        if (ch == ',') continue;
        if (ch == '\r') {
            if (c->p >= c->end || *c->p != '\n') {
                set_err(e, line, 0, "", "a carriage return not followed by a line feed");
                return -1;
            }
            c->p++;
        }
        c->line++;
        return nf;
    }
}

struct conf_format {
    const char *header;
    int ncols;
    const char *names[MAX_COLS];
    int ref, status, provider_ref, amount, currency, reason, msisdn; /* column indices; msisdn -1 when absent */
    const char *ok_word, *fail_word;
};

static const struct conf_format bank_conf = {
    BANK_CONF_HEADER, 6,
    {"payment_reference", "status", "bank_reference", "amount", "currency", "reason"},
    0, 1, 2, 3, 4, 5, -1, "paid", "failed"};
static const struct conf_format mobile_conf = {
    MOBILE_CONF_HEADER, 7,
    {"reference", "msisdn", "status", "transaction_id", "amount", "currency", "reason"},
    0, 2, 3, 4, 5, 6, 1, "success", "failed"};

static bool parse_ref(const char *s, int64_t *id)
{
    size_t pl = strlen(PAYOUT_REF_PREFIX), n = strlen(s);
    if (n <= pl || n > pl + 18 || strncmp(s, PAYOUT_REF_PREFIX, pl) || s[pl] == '0') return false;
    int64_t v = 0;
    for (size_t i = pl; i < n; i++) {
        if (!is_digit(s[i])) return false;
        v = v * 10 + (s[i] - '0');
    }
    *id = v;
    return true;
}

static bool parse_conf(const struct conf_format *f, const char *text, size_t len, struct payout_outcome **out,
                       size_t *n, struct payout_file_error *e)
{
    char (*fields)[FIELD_MAX] = malloc(sizeof(char[MAX_COLS + 1][FIELD_MAX]));
    if (!fields) {
        set_err(e, 0, 0, "", "out of memory");
        return false;
    }
    struct cursor c = {text, text + len, 1};
    if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) c.p += 3; /* a spreadsheet's BOM */
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    int nf = read_record(&c, fields, e);
    if (nf <= 0) {
        if (nf == 0) set_err(e, 1, 0, "", "the file is empty; the header is \"%s\"", f->header);
        goto fail;
    }
    for (int i = 0; i < f->ncols || i < nf; i++) {
        if (i >= nf || i >= f->ncols || strcmp(fields[i], f->names[i])) {
            set_err(e, 1, i + 1, i < f->ncols ? f->names[i] : "", "the header must be exactly \"%s\"", f->header);
            goto fail;
        }
    }
    for (;;) {
        size_t line = c.line;
        nf = read_record(&c, fields, e);
        if (nf < 0) goto fail;
        if (nf == 0) break;
        if (nf == 1 && !fields[0][0]) {
            set_err(e, line, 0, "", "an empty line");
            goto fail;
        }
        if (nf != f->ncols) {
            set_err(e, line, nf < f->ncols ? nf + 1 : f->ncols + 1, nf < f->ncols ? f->names[nf] : "",
                    "the row has %d fields; the header has %d", nf, f->ncols);
            goto fail;
        }
        struct payout_outcome o = {.line = line};
        if (!parse_ref(fields[f->ref], &o.payout_id)) {
            set_err(e, line, f->ref + 1, f->names[f->ref], "not a payout reference (%s followed by the payout id)",
                    PAYOUT_REF_PREFIX);
            goto fail;
        }
        for (size_t k = 0; k < *n; k++)
            if ((*out)[k].payout_id == o.payout_id) {
                set_err(e, line, f->ref + 1, f->names[f->ref], "%s appears on line %zu too", fields[f->ref],
                        (*out)[k].line);
                goto fail;
            }
        if (!strcmp(fields[f->status], f->ok_word)) o.confirmed = true;
        else if (strcmp(fields[f->status], f->fail_word)) {
            set_err(e, line, f->status + 1, f->names[f->status], "must be \"%s\" or \"%s\"", f->ok_word, f->fail_word);
            goto fail;
        }
        const char *pref = fields[f->provider_ref], *reason = fields[f->reason];
        if (o.confirmed && (!*pref || strlen(pref) >= PAYOUT_TEXT_MAX || !text_safe(pref))) {
            set_err(e, line, f->provider_ref + 1, f->names[f->provider_ref],
                    "a %s row needs the provider's reference (1-%d printable characters)", f->ok_word,
                    PAYOUT_TEXT_MAX - 1);
            goto fail;
        }
        if (!o.confirmed && *pref && (strlen(pref) >= PAYOUT_TEXT_MAX || !text_safe(pref))) {
            set_err(e, line, f->provider_ref + 1, f->names[f->provider_ref], "not printable text");
            goto fail;
        }
        if (o.confirmed && *reason) {
            set_err(e, line, f->reason + 1, f->names[f->reason], "a %s row has no reason", f->ok_word);
            goto fail;
        }
        if (!o.confirmed && (!*reason || strlen(reason) >= PAYOUT_TEXT_MAX || !text_safe(reason))) {
            set_err(e, line, f->reason + 1, f->names[f->reason],
                    "a %s row needs a reason (1-%d printable characters)", f->fail_word, PAYOUT_TEXT_MAX - 1);
            goto fail;
        }
        if (!payout_amount_parse(fields[f->amount], strlen(fields[f->amount]), &o.amount_micros)) {
            set_err(e, line, f->amount + 1, f->names[f->amount], "an amount with exactly 2 decimals, like 12.50");
            goto fail;
        }
        const char *cur = fields[f->currency];
        if (strlen(cur) != 3 || !is_upper(cur[0]) || !is_upper(cur[1]) || !is_upper(cur[2])) {
            set_err(e, line, f->currency + 1, f->names[f->currency], "an ISO 4217 currency code");
            goto fail;
        }
        memcpy(o.currency, cur, 4);
        if (f->msisdn >= 0) {
            const char *m = fields[f->msisdn];
            char plus[PAYOUT_ACCOUNT_MAX];
            snprintf(plus, sizeof plus, "+%s", m);
            if (strlen(m) >= PAYOUT_ACCOUNT_MAX - 1 || !payout_msisdn_valid(plus)) {
                set_err(e, line, f->msisdn + 1, f->names[f->msisdn], "a phone number in international form, digits only");
                goto fail;
            }
            memcpy(o.account, plus, strlen(plus) + 1);
        }
        snprintf(o.provider_reference, sizeof o.provider_reference, "%s", o.confirmed ? pref : "");
        snprintf(o.reason, sizeof o.reason, "%s", o.confirmed ? "" : reason);
        if (*n == cap) {
            cap = cap ? cap * 2 : 16;
            struct payout_outcome *p = realloc(*out, cap * sizeof *p);
            if (!p) {
                set_err(e, line, 0, "", "out of memory");
                goto fail;
            }
            *out = p;
        }
        (*out)[(*n)++] = o;
    }
    free(fields);
    return true;
fail:
    free(fields);
    free(*out);
    *out = NULL;
    *n = 0;
    return false;
}

static bool bank_parse(const char *t, size_t len, struct payout_outcome **o, size_t *n, struct payout_file_error *e)
{
    return parse_conf(&bank_conf, t, len, o, n, e);
}
static bool mobile_parse(const char *t, size_t len, struct payout_outcome **o, size_t *n, struct payout_file_error *e)
{
    return parse_conf(&mobile_conf, t, len, o, n, e);
}

const struct payout_rail payout_rail_bank_transfer = {"bank_transfer", BANK_HEADER, BANK_CONF_HEADER, bank_write,
                                                      bank_parse};
const struct payout_rail payout_rail_mobile_money = {"mobile_money", MOBILE_HEADER, MOBILE_CONF_HEADER,
                                                     mobile_write, mobile_parse};

const struct payout_rail *payout_rail_find(const char *name)
{
    if (name && !strcmp(name, "bank_transfer")) return &payout_rail_bank_transfer;
    if (name && !strcmp(name, "mobile_money")) return &payout_rail_mobile_money;
    return NULL;
}
