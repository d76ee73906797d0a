/*
 * Hybrid logical clock (SPEC §3, §6): upper 48 bits = milliseconds since
 * the Unix epoch, lower 16 bits = logical counter.  A node's clock never
 * goes backwards, whatever the wall clock does.
 */
#ifndef CTS_HLC_H
#define CTS_HLC_H

#include <stdint.h>

#define CTS_HLC_MS(h) ((h) >> 16)
#define CTS_HLC_FROM_MS(ms) ((uint64_t)(ms) << 16)
/* A changeset more than this far ahead of the importer's clock is held. */
#define CTS_HLC_MAX_AHEAD_MS (24ull * 3600 * 1000)

/* Wall-clock source, injectable for tests. */
typedef uint64_t (*cts_clock_fn)(void *ctx);

/* The default clock: CLOCK_REALTIME in ms, or the value of the environment
 * variable CTSNODE_TEST_CLOCK_MS when set (test hook, documented in
 * docs/TESTING.md). */
uint64_t cts_clock_now_ms(void *ctx);

/* Next local HLC after `last` for the wall time `wall_ms`:
 * max(wall_ms << 16, last + 1). */
uint64_t cts_hlc_next(uint64_t last, uint64_t wall_ms);

/* Clock state after receiving `remote`: max(last, remote). */
uint64_t cts_hlc_recv(uint64_t last, uint64_t remote);

/* Format as 16 lowercase hex digits into buf[17]. */
void cts_hlc_format(uint64_t h, char buf[17]);

/* Parse exactly 16 lowercase hex digits. 0 ok, CTS_EINVAL otherwise. */
int cts_hlc_parse(uint64_t *out, const char *s);

#endif
