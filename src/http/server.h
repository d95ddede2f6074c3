/* The HTTP server: N threads, each with its own libevent base, evhttp and database connection. */
#ifndef FL_SERVER_H
#define FL_SERVER_H
#include "http/req.h"

/* Runs until SIGTERM or SIGINT, then finishes in-flight requests and closes cleanly. 0 on success. */
int server_run(const struct server_config *cfg);

#endif
