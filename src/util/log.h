/* Line-oriented logging to stderr; one write per line so threads do not interleave. */
#ifndef FL_LOG_H
#define FL_LOG_H
#include <stdbool.h>

extern bool log_access_enabled;
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
