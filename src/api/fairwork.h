/* The quarterly fairwork self-assessment (FW-27) read from the database: GET /api/v1/reports/fairwork and
 * `fairlabel report fairwork` give the same bytes. */
#ifndef FL_FAIRWORK_H
#define FL_FAIRWORK_H
#include <jansson.h>

#include "core/fairwork_report.h"
#include "store/store.h"

/* Builds the report of quarter q (the pay report's totals, then the other figures in one read
 * transaction). STORE_OK with *out set (the caller json_decrefs it). */
store_rc fairwork_report_run(db *d, const struct pay_quarter *q, json_t **out);
/* The report as text in a format ("json", "csv", "html"); malloc'd, NULL when the format is unknown or
 * memory runs out. */
char *fairwork_report_render(const json_t *report, const char *format);

#endif
