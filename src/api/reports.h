/* The quarterly pay report (FW-10) read from the database, and requester accountability (FW-24):
 * public metrics, flags raised by a periodic job, cleared by an admin. */
#ifndef FL_REPORTS_H
#define FL_REPORTS_H
#include <jansson.h>

#include "core/pay_report.h"
#include "http/req.h"
#include "store/store.h"

/* Builds the report of quarter q in its own read transaction (the quarter and the three before it, for
 * the trend). STORE_OK with *out set (the caller json_decrefs it). */
store_rc pay_report_run(db *d, const struct pay_quarter *q, json_t **out);
/* The report as text in a format ("json", "csv", "html"); malloc'd, NULL when the format is unknown
 * or memory runs out. */
char *pay_report_render(const json_t *report, const char *format);
/* The content type of a format. */
const char *pay_report_content_type(const char *format);
/* Replies with a quarterly report: ?quarter=YYYYQN (required) and ?format=json|csv|html (default json),
 * each named when wrong; run builds it, render writes it. */
void report_reply(req *r, store_rc (*run)(db *d, const struct pay_quarter *q, json_t **out),
                  char *(*render)(const json_t *report, const char *format));

#define REQUESTER_WINDOW_MS (90 * 86400000LL)      /* metrics cover the last 90 days */
#define REQUESTER_EVAL_INTERVAL_MS (10 * 60000LL) /* the job evaluates flags every 10 minutes */

/* Inside a transaction: DB_ROW with *flag_id when the requester has an open FW-24 flag (publishing is
 * refused while it is), DB_DONE when not. */
db_rc requester_flag_open(db *d, int64_t requester_id, int64_t *flag_id);

/* Evaluates every requester now and flags those far outside the norm (job_requester_flags, api/jobs.h,
 * runs it every REQUESTER_EVAL_INTERVAL_MS); *flagged gets how many new flags. */
int requester_flags_evaluate(db *d, int64_t now, int *flagged);

#endif
