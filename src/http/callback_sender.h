/* The thread that delivers queued result callbacks (api/callbacks.c queues them). */
#ifndef FL_CALLBACK_SENDER_H
#define FL_CALLBACK_SENDER_H
#include "http/req.h"

int callback_sender_start(const struct server_config *cfg);
/* Finishes the delivery in hand (bounded by its timeout) and stops. */
void callback_sender_stop(void);

#endif
