/* FW-6: top-ups to the floor at the measured time. Once per project and ISO week, the median active
 * time of its approved answers is priced against each worker's floor; every approved answer whose net
 * pay falls short is topped up from the requester's escrow (kept as owed, and the project paused, when
 * escrow cannot pay). Also the per-project median the task card shows (FW-7) and FW-8's floor. */
#ifndef FL_TOPUP_H
#define FL_TOPUP_H
#include <jansson.h>

#include "api/pay_flow.h"
#include "api/wage_tables.h"

/* The hourly floor of a worker of country in currency (micros per hour), rounded up: the higher of the
 * platform floor and the country's legal minimum; the platform floor alone for a country the tables do
 * not know. False when currency has no USD rate in the tables. */
bool pay_floor_hourly(const struct wage_tables *t, const char *country, const char *currency, int64_t now,
                      int64_t *floor_micros_per_hour);

/* Runs the top-up of the ISO week of now for every due project (only_project > 0: that one alone), each
 * in its own transaction. Appends one object per project looked at to runs (may be NULL). Returns 0, or
 * -1 when a run failed. */
int topup_run_due(db *d, const struct pay_config *c, int64_t only_project, int64_t now, json_t *runs);

/* After a deposit: top-ups kept as owed are paid, oldest first, while escrow covers them. */
db_rc topup_settle_owed(db *d, const struct pay_config *c, int64_t owner_id, const char *currency, int64_t now,
                        int *n);

#endif
