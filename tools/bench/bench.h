/*
 * ctsbench: benchmarks of ctsnode (issue 8), never part of the test suite.
 *
 * The orchestrator (bench_main.c) runs every measured step in a fresh child
 * process (`ctsbench phase NAME ...`, fork + exec of itself) so that each
 * step has its own peak RSS (wait4) and its own time limit. A phase prints
 * its results on stdout as "key=value" lines, which the orchestrator reads.
 *
 * Work directory of one size (WORK/<label>/):
 *   region/            the authority node (cts_node_create, role authority)
 *   nodes/<id>/        the 24 territory devices (only their keys are used)
 *   sync/              an extra enrolled device of territory 1: sync bench
 *   nodes.tsv          node id, territory, home of every device
 *   corpus-1.<t>.bin   1-op changesets made by generator thread t
 *   corpus-b.<t>.bin   the same operations in batched changesets
 *   regional-b.git     the regional repository (batched history)
 *   regional-1.git     the regional repository (1-op history)
 *   imp-1/, imp-b/     importer nodes
 */
#ifndef CTS_BENCH_H
#define CTS_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define BENCH_TERRITORIES 12
#define BENCH_DEVICES 2
#define BENCH_NODES (BENCH_TERRITORIES * BENCH_DEVICES)
#define BENCH_REGION "bench-region"
#define BENCH_AUTHORITY "bench-autorite"
#define BENCH_SYNC_NODE "bench-poste-synchro"

/* ---- util ---- */

/* Monotonic time in seconds. */
double bench_now(void);
/* Peak RSS of this process so far, in KiB (VmHWM). */
long bench_self_hwm_kib(void);
/* rm -rf (no symlink following). */
int bench_rmtree(const char *path);
/* printf into a malloc'd string. */
char *bench_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Free the n strings of v, then v. */
void bench_free_strv(char **v, size_t n);
/* Write a whole file. 0 ok. */
int bench_write_file(const char *path, const void *data, size_t len);
/* Read a whole file (malloc'd, NUL-terminated). 0 ok. */
int bench_read_file(const char *path, char **data, size_t *len);
/* Disk usage of a tree in bytes (st_blocks). */
uint64_t bench_du(const char *path);
/* Count of regular files in a tree. */
uint64_t bench_count_files(const char *path);

/* Deterministic PRNG (splitmix64). */
typedef struct {
	uint64_t s;
} bench_rng;
uint64_t bench_rng_next(bench_rng *r);
/* Uniform in [0, n). */
uint32_t bench_rng_below(bench_rng *r, uint32_t n);
/* UUID v4 shaped text from the PRNG into buf[37]. */
void bench_rng_uuid(bench_rng *r, char buf[37]);

/* ---- corpus files ----
 * A corpus part is a sequence of records:
 *   u32 node index (into nodes.tsv), u32 nops, i64 seq, u32 json_len,
 *   u32 sig_len, json bytes, sig bytes. */
typedef struct {
	uint32_t node;
	uint32_t nops;
	int64_t seq;
	uint32_t json_len, sig_len;
	char *json; /* points into the reader's buffer */
	char *sig;
} bench_cs;

typedef struct {
	FILE *f;
	char *buf;
	size_t cap;
} bench_corpus_reader;

int bench_corpus_write(FILE *f, const bench_cs *cs);
int bench_corpus_open(bench_corpus_reader *r, const char *path);
/* 1: a record was read into *cs (valid until the next call); 0: end; -1: error. */
int bench_corpus_next(bench_corpus_reader *r, bench_cs *cs);
void bench_corpus_close(bench_corpus_reader *r);

/* A whole corpus: its parts WORK/corpus-MODE.0.bin, .1.bin, ... (MODE "1"
 * or "b") read one after the other, up to the first missing one. */
typedef struct {
	bench_corpus_reader rd; /* the part being read (rd.f NULL: none) */
	const char *work, *mode;
	int part; /* the next part to open */
} bench_corpus;

void bench_corpus_begin(bench_corpus *c, const char *work, const char *mode);
/* As bench_corpus_next, through the parts: 1 a record, 0 the end of the
 * last part; -1 an error, after which the next call goes on with the next
 * part. */
int bench_corpus_read(bench_corpus *c, bench_cs *cs);
void bench_corpus_end(bench_corpus *c);

/* ---- nodes.tsv ---- */
typedef struct {
	char id[65];
	char territory[65];
	char home[1024];
} bench_node;

/* Load WORK/nodes.tsv: the BENCH_NODES generated devices, in index order. */
int bench_nodes_load(const char *work, bench_node nodes[BENCH_NODES]);

/* ---- phases (bench_phase.c, bench_gen.c), run in child processes ---- */
int bench_phase_main(int argc, char **argv);

/* Emit a result line "key=value" on stdout (flushed). */
void bench_out(const char *key, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* bench_gen.c */
int bench_gen_setup(const char *work);
int bench_gen_corpus(const char *work, long ops, int batch, int threads);
int bench_gen_repo(const char *work, const char *mode, const char *repo_path, int per_commit,
                   int with_authority);
int bench_gen_push_new(const char *work, const char *repo_path, int count, int ops_each);

#endif
