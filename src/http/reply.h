/* Sending replies: JSON, problem+json errors, empty and raw bodies. */
#ifndef FL_REPLY_H
#define FL_REPLY_H
#include <jansson.h>

#include "http/req.h"

/* Each sends the reply and marks r replied; body references are stolen. */
void reply_json(req *r, int status, json_t *body);
void reply_empty(req *r, int status);
void reply_bytes(req *r, int status, const char *content_type, const void *data, size_t len);
/* problem+json. field may be NULL; detail is a printf format. */
void reply_error(req *r, err_id e, const char *field, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* problem+json with extra members merged in (stolen). */
void reply_error_with(req *r, err_id e, const char *field, const char *detail, json_t *extra);
/* Maps a failed store_run to 503/500. */
void reply_store_failure(req *r, store_rc rc);

/* JSON helpers shared by the API files. */
json_t *json_time(int64_t ms);
json_t *json_time_or_null(int64_t ms);

#endif
