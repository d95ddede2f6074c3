/* The thread that delivers the email outbox (api/notice.c queues messages) by SMTP. */
#ifndef FL_MAIL_SENDER_H
#define FL_MAIL_SENDER_H
#include "http/req.h"

/* Starts the sender when FAIRLABEL_SMTP_URL is set (otherwise messages stay queued, and it says so once).
 * Call after callback_sender_start, which initialises libcurl. 0, or -1 after logging. */
int mail_sender_start(const struct server_config *cfg);
/* Finishes the message in hand (bounded by its timeout) and stops. */
void mail_sender_stop(void);

#endif
