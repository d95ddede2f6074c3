/* ISO 3166-1 alpha-2 country codes and ISO 4217 currency codes. */
#ifndef FL_COUNTRY_H
#define FL_COUNTRY_H
#include <stdbool.h>

bool country_code_valid(const char *cc);
bool currency_code_valid(const char *code);

#endif
