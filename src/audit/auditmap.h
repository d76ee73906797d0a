/*
 * Per-file facts the audit gathers while it walks a repository's history,
 * one row per changeset file: too many to keep in memory for a long
 * history (a million changesets), so they live in a private temporary
 * SQLite database (on disk, deleted when closed, page cache bounded), and
 * the audit's memory stays flat whatever the size of the history.
 *
 *  - versions: every blob seen as changeset (node, seq) on any branch,
 *    with the branch and commit where it was first seen (fork evidence);
 *  - introduced: for each branch, the commit that last wrote each path.
 */
#ifndef CTS_AUDITMAP_H
#define CTS_AUDITMAP_H

#include <stddef.h>
#include <stdint.h>

#define CTS_AUDITMAP_MAX_VERSIONS 16 /* kept per changeset */

typedef struct cts_auditmap cts_auditmap;

typedef struct {
	unsigned char blob[20];
	unsigned char commit[20];
	char branch[128];
} cts_auditmap_version;

int cts_auditmap_open(cts_auditmap **out);
void cts_auditmap_free(cts_auditmap *m);

/* Record blob as a version of (node, seq) first seen on branch at commit
 * (ignored if already known, or if CTS_AUDITMAP_MAX_VERSIONS are). */
int cts_auditmap_add_version(cts_auditmap *m, const char *node, int64_t seq,
                             const unsigned char blob[20], const char *branch,
                             const unsigned char commit[20]);

/* How many different versions of (node, seq) were seen. */
int cts_auditmap_count_versions(cts_auditmap *m, const char *node, int64_t seq, size_t *count);

/* Call cb for every changeset seen in more than one version, in the order
 * they were first seen, with its versions in the order they were seen.
 * Stops at the first non-zero return of cb, which is returned. */
int cts_auditmap_each_fork(cts_auditmap *m,
                           int (*cb)(void *ctx, const char *node, int64_t seq,
                                     const cts_auditmap_version *v, size_t n),
                           void *ctx);

/* The commit that last wrote path on branch number `branch`. */
int cts_auditmap_set_introduced(cts_auditmap *m, int branch, const char *path,
                                const unsigned char commit[20]);
/* 1 and commit if known, 0 if not, < 0 on error. */
int cts_auditmap_get_introduced(cts_auditmap *m, int branch, const char *path,
                                unsigned char commit[20]);

#endif
