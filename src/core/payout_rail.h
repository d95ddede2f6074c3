/* Payout rails (FW-9): how a batch of payouts is written as a bulk-payment CSV for a bank or a
 * mobile-money provider, and how the provider's confirmation file is read back into one outcome per
 * payout. Also the checks of a payout method's fields and the ISO week of the weekly payout. Pure: the
 * caller stores and sends the text. */
#ifndef FL_PAYOUT_RAIL_H
#define FL_PAYOUT_RAIL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PAYOUT_REF_PREFIX "FLP"   /* a payout's reference in files: "FLP" and its id ("FLP42") */
#define PAYOUT_TEXT_MAX 141       /* bytes including the NUL of a provider reference or a failure reason */
#define PAYOUT_ACCOUNT_MAX 40

/* One payout as a row of a batch file. Strings are NUL-terminated; bank_code / provider "" when unused. */
struct payout_line {
    int64_t payout_id, amount_micros;
    const char *currency, *holder_name, *account, *bank_code, *provider;
};

/* One row of a confirmation file. */
struct payout_outcome {
    int64_t payout_id;   /* from the reference column */
    bool confirmed;      /* else failed */
    int64_t amount_micros;
    char currency[4];
    char account[PAYOUT_ACCOUNT_MAX]; /* the MSISDN of a mobile-money row ("" for banks), as in the batch file */
    char provider_reference[PAYOUT_TEXT_MAX]; /* confirmed rows */
    char reason[PAYOUT_TEXT_MAX];             /* failed rows */
    size_t line;         /* physical line (1 = the header) */
};

/* Where a file is wrong: line (1 = header; 0 for a batch being written), column 1-based (0: the whole row). */
struct payout_file_error {
    size_t line;
    int column;
    const char *column_name; /* static; "" for column 0 */
    char detail[200];
};
/* "line 3, column 5 (amount): …" */
void payout_file_error_format(const struct payout_file_error *e, char *out, size_t n);

struct payout_rail {
    const char *name;                /* bank_transfer, mobile_money */
    const char *header;              /* the batch file's header line */
    const char *confirmation_header; /* the confirmation file's header line */
    /* The whole batch file (header, then one row per line, CRLF line ends) as a malloc'd NUL-terminated
     * string. False, with e->line 0 and e->column naming the field, when a line cannot be written exactly
     * (an amount that is not a whole number of cents, an empty or unsafe field). */
    bool (*write)(const struct payout_line *lines, size_t n, char **out, size_t *len, struct payout_file_error *e);
    /* Reads a confirmation file strictly (RFC 4180 quoting, LF or CRLF, the exact header, every field
     * checked); the first bad field fails the whole file. *out is malloc'd (NULL when *n is 0). A reference
     * appearing twice is refused. */
    bool (*parse)(const char *text, size_t len, struct payout_outcome **out, size_t *n, struct payout_file_error *e);
};

extern const struct payout_rail payout_rail_bank_transfer;
extern const struct payout_rail payout_rail_mobile_money;
/* NULL for an unknown name. */
const struct payout_rail *payout_rail_find(const char *name);

/* micros as major units with exactly 2 decimals ("12.50"); false unless a whole, non-negative number of
 * cents (micros % 10000 == 0) or when out is too small. */
bool payout_amount_format(int64_t micros, char *out, size_t n);
/* "12.50" → 12500000: digits, a point and exactly 2 decimals, no sign, no leading zeros ("0.50" is fine). */
bool payout_amount_parse(const char *s, size_t len, int64_t *micros);

/* An IBAN: 2 letters, 2 check digits, 11–30 alphanumerics (upper case, no spaces), mod-97 == 1. */
bool payout_iban_valid(const char *s);
/* A domestic account number: 4–34 digits. */
bool payout_account_number_valid(const char *s);
/* A bank code: a BIC (8 or 11: 6 letters then alphanumerics) or a national code of 2–11 alphanumerics. */
bool payout_bank_code_valid(const char *s);
/* An E.164 phone number: '+', then 8–15 digits not starting with 0. */
bool payout_msisdn_valid(const char *s);
/* A mobile-money provider code: 2–20 of A–Z, 0–9 and '_' (MPESA, MTN_MOMO, AIRTEL). */
bool payout_provider_valid(const char *s);
/* An account holder's name: 1–70 bytes of printable UTF-8 (no control characters, no ',' '"' needed
 * escaping is fine), not starting with '=', '+', '-' or '@' (spreadsheet formulas). */
bool payout_holder_name_valid(const char *s);

#endif
