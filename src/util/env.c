/* Checked integer settings from the environment. */
#include "util/env.h"

#include <stdlib.h>

#include "util/log.h"

bool env_i64_checked(const char *name, int64_t dflt, int64_t min, int64_t max, int64_t *out)
{
    *out = dflt;
    const char *v = getenv(name);
    if (!v || !*v) return true;
    char *end;
    long long x = strtoll(v, &end, 10);
    if (*end || x < min || x > max) return false;
    *out = x;
    return true;
}

int64_t env_i64(const char *name, int64_t dflt, int64_t min, int64_t max)
{
    int64_t x;
    if (!env_i64_checked(name, dflt, min, max, &x))
        log_msg("%s=%s is not an integer from %lld to %lld; using %lld", name, getenv(name), (long long)min,
                (long long)max, (long long)dflt);
    return x;
}
