/* FW-7: the task card a worker reads before claiming: reward, estimate, the hourly rate at the estimate
 * (after the worker fee) in the project's currency, in USD and in the worker's own, and once enough answers
 * were timed, the rate at the median active time. */
#ifndef FL_TASK_CARD_H
#define FL_TASK_CARD_H
#include "http/req.h"

/* Adds "task_card" to each project (one project object, or an array of them) when the caller is a worker;
 * reads the medians in its own read transaction. Leaves the projects alone (and logs) when it cannot. */
void task_card_attach(req *r, json_t *projects);

#endif
