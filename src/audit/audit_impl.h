/* Private to src/audit/: the audit's state and the functions its files
 * share. Not a public header: nothing outside src/audit/ includes it. */
#ifndef CTS_AUDIT_IMPL_H
#define CTS_AUDIT_IMPL_H

#include "audit.h"

#include "accept.h"
#include "auditmap.h"

#include "changeset.h"
#include "commitsig.h"
#include "error.h"
#include "forkproof.h"
#include "gitrepo.h"
#include "hlc.h"
#include "importer.h"
#include "jcs.h"
#include "key.h"
#include "node.h"
#include "pool.h"
#include "precheck.h"
#include "record.h"
#include "report.h"
#include "rules.h"
#include "sshsig.h"
#include "tables.h"
#include "text.h"

#include <dirent.h>
#include <pthread.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COMMIT_MAX_BYTES (1u << 20) /* a commit object: headers + message */
#define PATH_MAX_AUDIT 1024
#define DETAIL_MAX 1200
#define DEFAULT_PROGRESS_EVERY 500
#define REPORT_MAX_DIFFS 20
/* libgit2's state of the repository is released (cts_gitrepo_release_every)
 * when, checked every AUDIT_GIT_RELEASE_EVERY objects read, the process is
 * over AUDIT_GIT_RELEASE_ABOVE bytes: the pack indexes are mapped whole and
 * read at random places, one delta-base cache per pack fills up. The
 * audit's own memory stays under 30 MiB (BENCHMARKS.md, issue 18.4). The
 * price is time (1 M one-op changesets in one pack: 57 MiB and 859 s,
 * never released 107 MiB and 271 s): the index is faulted in again after
 * each release. Dropping only the pack files' pages (madvise) was tried:
 * 71 MiB and no faster (BENCHMARKS.md, acceptance run on the final code). */
#define AUDIT_GIT_RELEASE_EVERY 16
#define AUDIT_GIT_RELEASE_ABOVE ((size_t)32 * 1024 * 1024)

/* ---- the audit state ---- */

enum { BR_NODE, BR_BADNODE, BR_REGION, BR_OTHER };

typedef struct {
	char *name;    /* short ref name: "nodes/x", "region", ... (sanitized) */
	char node[65]; /* owner for BR_NODE */
	int kind;
	cts_gitoid tip;
	cts_gitoid *commits; /* oldest first */
	size_t ncommits, cap;
	int walk_failed;
	int index;         /* in audit.br: its key in the audit map */
	cts_auditmap *map; /* the audit's: which commit last wrote each own file */
} branch;

typedef struct {
	int64_t seq;
	cts_gitoid json, sig;
	size_t json_size, sig_size;
	int has_json, has_sig;
} tip_entry;

typedef struct {
	cts_gitrepo *repo;
	const cts_audit_options *opt;
	char prefix[32];
	branch *br;
	size_t nbr, cap_br;
	json_t *findings; /* array */
	json_t *notices;  /* array: what is as expected but worth saying (not findings) */
	size_t findings_total;
	json_t *nodes;       /* node -> summary */
	json_t *registry;    /* node -> entry */
	json_t *reg_by_rid;  /* registry record id -> node */
	json_t *cp_state;    /* checkpoint record id -> merged fields */
	json_t *checkpoints; /* array of {node, seq, changeset, by_seq} */
	json_t *cp_seen;     /* dedup key -> true */
	cts_auditmap *map;   /* versions of every changeset (forks), commits of files */
	json_t *cp_wanted; /* "node/seq" certified by a checkpoint -> true (after the authority) */
	json_t *cp_ids;    /* blob hex of such a changeset -> its id (audit_check_checkpoints) */
	json_t
	    *witness; /* node -> {"seq", "by", "by_seq"}: highest seq some accepted changeset saw */
	json_t *unverified;   /* [{"node", "seq", "by", "by_seq"}]: fork records not carrying both
	                         bodies */
	struct vpool_s *pool; /* changeset verification workers */
	char authority[65];
	char authority_key[128];
	unsigned char authority_pk[32];
	char region[65];
	size_t commits_visited;
	size_t commits_diffed;
	size_t changesets_seen;
	size_t progress_every;
	int oom;
	int budget_reported;
} audit;

/* ---- changeset verification: a small pool of workers ----
 *
 * The costly part of a changeset (SHA-256, strict canonical parse, the
 * Ed25519 verification of its SSHSIG) depends only on its bytes and on the
 * key it must be signed with. The main thread reads the blobs (libgit2
 * objects stay on the main thread), queues them in chain order, and the
 * workers do that part; the main thread then finishes each changeset in
 * chain order (findings, registry, chain), so the verdict and its order are
 * those of a sequential audit. The window is bounded in jobs and in bytes,
 * so memory stays flat whatever the size of the repository. */

#define POOL_MAX_WORKERS 8
#define WINDOW_JOBS 64
#define WINDOW_BYTES (2u * 1024 * 1024) /* bytes of changesets in flight (one job at least) */

enum { BAD_TOO_LARGE, BAD_NON_CANONICAL, BAD_INVALID };

typedef struct {
	/* Set by the main thread. */
	const tip_entry *t;
	char *json, *sig; /* NULL when missing or unreadable */
	size_t jl, sl;
	int json_rc, sig_rc; /* read results */
	char json_msg[DETAIL_MAX], sig_msg[DETAIL_MAX];
	unsigned char pk[32];
	int have_key;
	/* Set by the worker. */
	char id[65];
	cts_changeset *cs; /* NULL when the parse failed */
	int parse_rc, bad_kind, sig_ok;
	char parse_msg[400];
	int vrc; /* signature verification (parsed changeset with key and signature) */
	char vmsg[400];
	unsigned char signer[32];
} vjob;

typedef struct vpool_s {
	cts_pool pool;         /* job numbers map to jobs[number % WINDOW_JOBS] */
	vjob *jobs;            /* WINDOW_JOBS slots, ring */
	size_t inflight_bytes; /* main thread only */
} vpool;

/* audit.c */
void audit_sanitize(char *s);
json_t *audit_jstr(const char *s);
void audit_oid_hex(char out[CTS_GITOID_HEXSZ + 1], const cts_gitoid *oid);
int audit_is_hex(const char *s, size_t n);
int audit_parse_time_ms(const char *s, uint64_t *ms);
void audit_remove_tree(const char *path);
int audit_make_tmpdir(char *buf, size_t size, const char *what);
json_t *audit_node_summary(audit *a, const char *node);
void audit_summary_add(audit *a, const char *node, const char *field, json_int_t delta);
void audit_finding(audit *a, const char *kind, const char *node, int64_t seq,
                   const cts_gitoid *commit, const char *file, const char *branch_name,
                   const char *fmt, ...) __attribute__((format(printf, 8, 9)));
void audit_notice(audit *a, const char *kind, const char *node, int64_t seq,
                  const cts_gitoid *commit, const char *file, const char *branch_name,
                  const char *fmt, ...) __attribute__((format(printf, 8, 9)));
void audit_progress(audit *a, const char *phase, int force);
void audit_changeset_path(char *buf, size_t size, const char *node, int64_t seq, int sig);
branch *audit_find_branch(audit *a, const char *name);
branch *audit_node_branch(audit *a, const char *node);
const cts_gitoid *audit_commit_of(branch *b, const char *path, cts_gitoid *buf);
int audit_read_blob(audit *a, const cts_gitoid *oid, const size_t *known_size, size_t max,
                    char **data, size_t *len);
/* audit_authority.c */
int audit_find_authority(audit *a);
void audit_check_allowed_signers(audit *a);
/* audit_branches.c */
int audit_load_branches(audit *a);
int audit_parse_file_name(const char *name, int64_t *seq, int *is_sig);
void audit_add_variant(audit *a, const char *node, int64_t seq, const cts_gitoid *blob,
                       const char *branch_name, const cts_gitoid *commit);
int audit_walk_branch(audit *a, branch *b);
/* audit_chains.c */
int audit_verify_chain(audit *a, branch *b, int apply, const unsigned char *seq1_pk);
/* audit_checkpoints.c */
int audit_want_checkpointed(audit *a);
void audit_check_checkpoints(audit *a);
void audit_check_witnesses(audit *a);
void audit_check_published_reports(audit *a);
void audit_check_expected_heads(audit *a);
void audit_check_unverified_forks(audit *a);
void audit_report_forks(audit *a);
/* audit_commitsig.c */
const char *audit_node_of_key(audit *a, const unsigned char pk[32]);
void audit_check_commit_signature(audit *a, branch *b, const cts_gitoid *commit, const char *owner,
                                  const unsigned char owner_pk[32]);
/* audit_pool.c */
int audit_pool_start(vpool *p);
void audit_pool_stop(vpool *p);
int audit_pool_has_room(vpool *p);
vjob *audit_pool_slot(vpool *p);
void audit_pool_submit(vpool *p);
vjob *audit_pool_wait_oldest(vpool *p);
size_t audit_pool_pending(const vpool *p);
void audit_pool_retire(vpool *p);
/* audit_registry.c */
json_t *audit_reg_get(audit *a, const char *node);
int audit_reg_pk(json_t *e, unsigned char pk[32]);
int64_t audit_reg_revoked(json_t *e);
/* The registry facts of the acceptance rules for node, as replayed so far
 * (territory, role, revocation; registry reads for registry operations). */
void audit_reg_view(audit *a, const char *node, cts_accept_view *view);
void audit_apply_registry_put(audit *a, json_t *op, uint64_t hlc);
void audit_apply_checkpoint(audit *a, json_t *op, uint64_t hlc, int64_t by_seq);
/* audit_report.c */
int audit_check_state(audit *a, json_t **state_out);
int audit_write_state(audit *a, const char *repo_name, json_t *state_info);
int audit_check_report(audit *a, json_t **info_out);

#endif
