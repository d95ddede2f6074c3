/* The per-account risk score over HTTP (FW-25): sign-in signals, the periodic evaluation and its effects. */
#ifndef FL_API_RISK_H
#define FL_API_RISK_H
#include "core/risk.h"
#include "http/req.h"

/* Records a successful sign-in's signals (keyed hashes of the device id and address, the proxy's country)
 * in its own transaction; a failure is logged and never fails the sign-in. */
void risk_record_login(req *r, int64_t user_id, int64_t now);

/* Scores one worker from the recorded signals and stores it, in the caller's transaction. A step-up or a lower
 * tier opens a proposed quality event (in_effect false) in the worker's latest project; nothing changes until a
 * human approves it. Never a restriction, hold or deactivation. */
db_rc risk_evaluate(db *d, int64_t user_id, int64_t now, struct risk_result *out);

#endif
