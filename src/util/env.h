/* Integer settings from the environment, checked: a value that is not an integer in range is never used. */
#ifndef FL_ENV_H
#define FL_ENV_H
#include <stdbool.h>
#include <stdint.h>

/* *out = the value of name, or dflt when it is unset or empty. False (and *out = dflt) when it is set to
 * something other than a decimal integer in [min, max]. */
bool env_i64_checked(const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out);
/* The same, logging a bad value and falling back to dflt. */
int64_t env_i64(const char *name, int64_t dflt, int64_t min, int64_t max);

#endif
