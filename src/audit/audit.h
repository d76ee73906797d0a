/*
 * Audit of a whole regional repository (SPEC §3-§6, docs/AUDIT.md):
 * everything is replayed from the git objects alone, independently of any
 * node database. The registry is rebuilt from the authority's own chain,
 * then every node branch is checked: canonical bytes, SSHSIG for the
 * enrolled key, contiguous chains with correct `prev`, no fork anywhere in
 * the repository, signed commits by the branch owner that only add that
 * owner's files, enrolment (territory, role, revocation), write rules,
 * HLC sanity, the region branch's allowed_signers, the authority's
 * checkpoints, fork records; completeness against every head a signed
 * witness names (the `seen` of accepted changesets, reports published on
 * the region branch); optionally the heads remembered from a previous
 * audit (--state, --expect-head) and a published JSON report
 * (--check-report). Without pinned heads, completeness is relative to
 * the newest heads the nodes witnessed ("completeness": "witnessed").
 *
 * The verdict is data: a JSON report whose `findings` each name a stable
 * English `kind` (see docs/AUDIT.md), the node, seq, commit and file when
 * known, and a French `detail`. A finding is never an error: the functions
 * below fail only when the audit itself cannot run (repository unreadable,
 * unreachable remote, unreadable state file, I/O).
 */
#ifndef CTS_AUDIT_H
#define CTS_AUDIT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Bounds on what a repository may make the audit read. */
#define CTS_AUDIT_MAX_BRANCHES 10000
#define CTS_AUDIT_MAX_COMMITS 1000000     /* commits visited, all branches together */
#define CTS_AUDIT_MAX_DIR_ENTRIES 2000000 /* entries of one tree */
#define CTS_AUDIT_MAX_CHANGES 200000      /* files added/changed by one commit */
#define CTS_AUDIT_MAX_TREE_DEPTH 16
#define CTS_AUDIT_MAX_FINDINGS 10000 /* kept in the report; the rest are counted */
#define CTS_AUDIT_MAX_STATE_BYTES (16u * 1024 * 1024)
#define CTS_AUDIT_MAX_REPORT_BYTES (64u * 1024 * 1024)
#define CTS_AUDIT_MAX_SIGNERS_BYTES (4u * 1024 * 1024)

/* Progress: called every `progress_every` commits read or changesets
 * verified, and at the end of each phase, with a short French label of
 * what is counted ("commits lus", "changesets vérifiés") and the count so
 * far (0 for a phase without count, e.g. "copie du dépôt"). */
typedef void (*cts_audit_progress_fn)(const char *phase, size_t done, void *ctx);

typedef struct {
	const char *state_path;    /* --state FILE: heads verified last time; NULL: none */
	const char *check_report;  /* --check-report FILE: JSON report to recompute; NULL: none */
	const char *authority_key; /* optional pinned "ssh-ed25519 AAAA..." of the authority */
	const char *const
	    *expect_heads; /* --expect-head "NODE=SEQ:ID", heads kept from an earlier audit */
	size_t n_expect_heads;
	cts_audit_progress_fn progress;
	void *progress_ctx;
	size_t progress_every; /* 0: default (500) */
} cts_audit_options;

/* Audit the repository at a local path (opened read-only, bare or not) or
 * a URL (git://, ssh://, file://, https://, user@host:path: cloned into a
 * temporary directory removed afterwards).
 * On success (whatever the findings) *report is a new reference (caller:
 * json_decref) shaped as
 *   {"ok": bool, "repository": s, "authority": s|null, "region": s|null,
 *    "nodes": {id: {"changesets", "verified", "findings", "territory",
 *                   "role", "last_seq", "head", "head_id", "commits", "revoked_after"}},
 *    "completeness": "witnessed" | "pinned" (--state with a previous state, --expect-head),
 *    "findings": [{"kind", "node", "seq", "commit", "file", "branch", "detail"}],
 *    "findings_total": n, "commits": n, "changesets": n,
 *    "state": {...} (with --state), "report_check": {...} (with --check-report)}
 * `node`, `seq`, `commit`, `file`, `branch` are null when they do not apply.
 * With state_path, the state file is (re)written, atomically, only when
 * there is no finding.
 * Errors: CTS_ENOTFOUND (no repository there), CTS_ENET (remote
 * unreachable), CTS_EINVAL (unreadable state or report file), CTS_EIO,
 * CTS_EGIT, CTS_ENOMEM. *report is NULL on error. */
int cts_audit_run(const char *path_or_url, const cts_audit_options *opt, json_t **report);

/* Parse an expected head "NODE=SEQ:ID" (ID: the changeset's 64 hex
 * SHA-256). 0, or CTS_EINVAL with a French message. */
int cts_audit_parse_head(const char *arg, char node[65], int64_t *seq, char id[65]);

/* 1 if the argument designates a remote to clone rather than a local path. */
int cts_audit_is_url(const char *path_or_url);

#endif
