/*
 * Parallel pre-check of received changesets: parsing and signature
 * verification, the CPU-heavy and state-free part of an import, done on
 * every core before the importer applies the changesets one by one.
 *
 * The importer picks, for each changeset, the key it expects to verify
 * with (from the registry as it stands when the batch starts). Workers
 * parse the bytes and verify the signature with that key; they touch no
 * shared state (errors are thread-local, libsodium and jansson are
 * thread-safe on distinct objects). The importer then uses a result only
 * if the key it finally needs is the one that was checked, and verifies
 * again otherwise (the registry may change inside a batch).
 */
#ifndef CTS_PRECHECK_H
#define CTS_PRECHECK_H

#include "changeset.h"
#include "pool.h"

#include <stddef.h>

typedef struct {
	/* in (borrowed) */
	const char *json;
	size_t json_len;
	const char *sig;
	size_t sig_len;
	unsigned char pk[32];
	int have_pk; /* verify with pk; else parse only */
	/* out */
	cts_changeset *cs; /* parsed, or NULL (owned: take it or free it) */
	char *parse_error; /* why parsing failed (malloc'd) */
	int sig_rc;        /* 0 valid, < 0 refused (when have_pk) */
	char *sig_error;   /* why the signature was refused (malloc'd) */
} cts_precheck;

/* Number of threads pre-checks use: cts_pool_threads() (CTSNODE_THREADS if
 * set, 1..64, else the online processors, at most 8). */
int cts_precheck_threads(void);

/* Run the pre-check of items[0..n) on `threads` threads (the caller's
 * included). Never fails: failures are recorded in each item. */
void cts_precheck_run(cts_precheck *items, size_t n, int threads);

/* The same in two steps, so the caller can do other work meanwhile (the
 * importer applies one batch while the next is checked): start() hands
 * the items to up to `threads` background threads (0: none); finish()
 * makes the caller check what is left, then waits for the threads. Every
 * started job must be finished before its items are touched. */
typedef struct {
	cts_precheck *items;
	size_t n;
	cts_pool pool;
	int pooled; /* the pool started (else finish() checks everything) */
} cts_precheck_job;
void cts_precheck_start(cts_precheck_job *job, cts_precheck *items, size_t n, int threads);
void cts_precheck_finish(cts_precheck_job *job);

/* Free what an item owns (cs, messages) and clear its outputs. */
void cts_precheck_dispose(cts_precheck *item);

#endif
