/* Turning a fuzz input into a request on a write route of the route table (fuzz_routes.c and
 * fuzz_zip_manifest.c share it). */
#ifndef FL_FUZZ_ROUTES_H
#define FL_FUZZ_ROUTES_H
#include <stddef.h>
#include <stdint.h>

#include "http/req.h"

/* Sends body to the route with that method and pattern, as the role picked by the variant byte
 * (bits 0-2; public routes go without a token), on the id picked by bits 3-4 (1..4), in the body
 * format picked by bits 5-7 for routes that take several. Aborts when the server answers 500
 * (an unexpected failure: hostile input must get a 4xx) or does not answer. */
void fz_route_send(const struct route *rt, uint8_t variant, const uint8_t *body, size_t len);

#endif
