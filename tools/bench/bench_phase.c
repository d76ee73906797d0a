/*
 * The measured steps of ctsbench, each run as `ctsbench phase NAME ...` in
 * its own process by the orchestrator (bench_main.c). Results go to stdout
 * as key=value lines; diagnostics to stderr.
 */
#include "bench.h"

#include "changeset.h"
#include "error.h"
#include "audit.h"
#include "gitrepo.h"
#include "importer.h"
#include "journal.h"
#include "key.h"
#include "node.h"
#include "record.h"
#include "report.h"
#include "schema.h"
#include "sshsig.h"
#include "store.h"
#include "sync.h"

#include <fcntl.h>
#include <git2.h>
#include <jansson.h>
#include <pthread.h>
#include <sodium.h>
#include <spawn.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int fail(const char *what)
{
	fprintf(stderr, "ctsbench : %s : %s\n", what, cts_error_message());
	return 1;
}

static int open_node(cts_node **n, const char *home)
{
	if (cts_node_open(n, home) < 0)
		return fail("ouverture du nœud");
	return 0;
}

static int load_key(cts_key **key, const char *home)
{
	char *p = bench_strf("%s/node.key", home);
	int rc = cts_key_load(key, p, NULL);

	free(p);
	return rc < 0 ? fail("clé du nœud") : 0;
}

static int64_t count_rows(cts_node *n, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v = -1;

	if (sqlite3_prepare_v2(n->store->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* ------------------------------------------------------------ import */

/* import WORK MODE HOME CREATE: offer the authority's changesets and the
 * whole corpus (one transaction, as `import` and `sync` do), then process. */
static int phase_import(const char *work, const char *mode, const char *home, int create)
{
	cts_node *n = NULL;
	cts_import_stats st = { 0 };
	int64_t cs_count = 0, ops = 0, last = 0;
	double t0, t1, t2;
	int rc = 1;

	if (create) {
		char *aline = NULL, *rh = bench_strf("%s/region", work);
		cts_node *a = NULL;
		cts_node_params p = { .node_id = "bench-observateur",
			              .territory = "rouen-elbeuf",
			              .role = CTS_ROLE_TERRITORY };
		bench_rmtree(home);
		if (cts_node_open(&a, rh) < 0 ||
		    cts_store_meta_get(a->store, "public_key", &aline) < 0) {
			free(rh);
			cts_node_free(a);
			return fail("clé de l'autorité");
		}
		cts_node_free(a);
		free(rh);
		p.authority_key = aline;
		if (cts_node_create(&n, home, &p) < 0) {
			free(aline);
			return fail("création du nœud importateur");
		}
		free(aline);
	} else if (open_node(&n, home) != 0) {
		return 1;
	}
	t0 = bench_now();
	if (cts_store_begin(n->store) < 0) {
		fail("transaction");
		goto out;
	}
	{
		char *rh = bench_strf("%s/region", work);
		cts_node *a = NULL;
		if (cts_node_open(&a, rh) == 0)
			cts_store_meta_get_int(a->store, "last_seq", &last, 0);
		for (int64_t s = 1; s <= last; s++) {
			char *json = NULL, *sig = NULL;
			size_t jl, sl;
			if (cts_history_get(a, "bench-autorite", s, &json, &jl, &sig, &sl) < 0 ||
			    cts_import_offer(n, "bench-autorite", s, json, jl, sig, sl, &st) < 0) {
				free(json);
				free(sig);
				free(rh);
				cts_node_free(a);
				cts_store_rollback(n->store);
				fail("offre des changesets de l'autorité");
				goto out;
			}
			free(json);
			free(sig);
		}
		cts_node_free(a);
		free(rh);
	}
	{
		static bench_node nodes[BENCH_NODES];
		if (bench_nodes_load(work, nodes) != 0) {
			cts_store_rollback(n->store);
			goto out;
		}
		bench_corpus all;
		bench_cs cs;
		int r;
		bench_corpus_begin(&all, work, mode);
		while ((r = bench_corpus_read(&all, &cs)) == 1) {
			if (cts_import_offer(n, nodes[cs.node].id, cs.seq, cs.json, cs.json_len,
			                     cs.sig, cs.sig_len, &st) < 0) {
				r = -1;
				fail("offre");
				break;
			}
			cs_count++;
			ops += cs.nops;
		}
		bench_corpus_end(&all);
		if (r < 0) {
			cts_store_rollback(n->store);
			goto out;
		}
	}
	if (cts_store_commit(n->store) < 0) {
		fail("validation de l'offre");
		goto out;
	}
	t1 = bench_now();
	bench_out("import_hwm_after_offer_kib", "%ld", bench_self_hwm_kib());
	if (cts_import_process(n, &st) < 0) {
		fail("import");
		goto out;
	}
	t2 = bench_now();
	bench_out("import_changesets", "%lld", (long long)cs_count);
	bench_out("import_ops", "%lld", (long long)ops);
	bench_out("import_offer_s", "%.3f", t1 - t0);
	bench_out("import_process_s", "%.3f", t2 - t1);
	bench_out("import_total_s", "%.3f", t2 - t0);
	bench_out("import_accepted", "%d", st.accepted);
	bench_out("import_events", "%zu", json_array_size(st.events));
	bench_out("import_inbox_left", "%lld",
	          (long long)count_rows(n, "SELECT count(*) FROM inbox"));
	bench_out("import_conflicts", "%lld",
	          (long long)count_rows(n, "SELECT count(*) FROM conflict"));
	bench_out("import_hwm_kib", "%ld", bench_self_hwm_kib());
	if (json_array_size(st.events) > 0) {
		json_t *e = json_array_get(st.events, 0);
		fprintf(stderr, "ctsbench : premier événement d'import : %s n°%lld %s : %s\n",
		        json_string_value(json_object_get(e, "node")),
		        (long long)json_integer_value(json_object_get(e, "seq")),
		        json_string_value(json_object_get(e, "state")),
		        json_string_value(json_object_get(e, "reason")));
	}
	rc = 0;
out:
	cts_import_stats_dispose(&st);
	cts_node_free(n);
	return rc;
}

static int phase_digest(const char *home)
{
	cts_node *n = NULL;
	char hex[65];
	double t0;

	if (open_node(&n, home) != 0)
		return 1;
	t0 = bench_now();
	if (cts_record_digest(n->store, hex) < 0) {
		cts_node_free(n);
		return fail("empreinte");
	}
	bench_out("digest", "%s", hex);
	bench_out("digest_s", "%.3f", bench_now() - t0);
	bench_out("digest_records", "%lld",
	          (long long)count_rows(
	              n, "SELECT (SELECT count(*) FROM member) + (SELECT count(*) FROM meeting) + "
	                 "(SELECT count(*) FROM attendance) + (SELECT count(*) FROM opinion) + "
	                 "(SELECT count(*) FROM contribution)"));
	cts_node_free(n);
	return 0;
}

static int phase_rebuild(const char *home)
{
	cts_node *n = NULL;
	cts_import_stats st = { 0 };
	double t0, t1;
	int rc = 0;

	if (open_node(&n, home) != 0)
		return 1;
	t0 = bench_now();
	if (cts_import_rebuild(n, &st) < 0)
		rc = fail("reconstruction");
	t1 = bench_now();
	if (rc == 0) {
		bench_out("rebuild_s", "%.3f", t1 - t0);
		bench_out("rebuild_accepted", "%d", st.accepted);
		bench_out("rebuild_hwm_kib", "%ld", bench_self_hwm_kib());
	}
	cts_import_stats_dispose(&st);
	cts_node_free(n);
	return rc;
}

/* ------------------------------------------------------------ report */

/* A written report only counted. */
static int count_bytes(void *ctx, const char *buf, size_t len)
{
	(void)buf;
	*(size_t *)ctx += len;
	return 0;
}

/* The meetings a report of the period counts. */
static int64_t period_meetings(cts_node *n, const char *from, const char *to)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM meeting WHERE date BETWEEN '%.10s' AND '%.10s'"
	         " AND coalesce(status, 'tenue') IN ('tenue', 'approuvee')",
	         from, to);
	return count_rows(n, sql);
}

/* Each format written as computed (cts_report_write; dom: built as one
 * document, then rendered, the way of the versions before issue 18).
 * report_<label>_build_ms: the Markdown, computed and written. */
static int one_report(cts_node *n, const char *label, const char *from, const char *to, int dom)
{
	static const char *const fmts[] = { "md", "json", "html", "csv" };
	cts_report_params p = { .from = from, .to = to, .quorum_num = 1, .quorum_den = 2 };
	char key[64];

	snprintf(key, sizeof(key), "report_%s_meetings", label);
	bench_out(key, "%lld", (long long)period_meetings(n, from, to));
	for (int f = 0; f < 4; f++) {
		cts_report_format fmt = (cts_report_format)cts_report_format_parse(fmts[f]);
		double t0 = bench_now();
		size_t len = 0;
		if (dom) {
			json_t *r = NULL;
			char *out = NULL;
			if (cts_report_build(n, &p, &r) < 0 ||
			    cts_report_render(r, fmt, &out, &len) < 0) {
				json_decref(r);
				return fail("rapport");
			}
			json_decref(r);
			free(out);
		} else if (cts_report_write(n, &p, fmt, count_bytes, &len) < 0) {
			return fail("rapport");
		}
		snprintf(key, sizeof(key), f ? "report_%s_%s_ms" : "report_%s_build_ms", label,
		         fmts[f]);
		bench_out(key, "%.2f", (bench_now() - t0) * 1000);
		snprintf(key, sizeof(key), "report_%s_%s_bytes", label, fmts[f]);
		bench_out(key, "%zu", len);
	}
	bench_out("report_hwm_kib", "%ld", bench_self_hwm_kib());
	return 0;
}

/* report HOME YEAR [dom]: the year's report and the whole history's. */
static int phase_report(const char *home, const char *year, int dom)
{
	cts_node *n = NULL;
	char from[16], to[16];
	int rc;
	double t0 = bench_now();

	if (open_node(&n, home) != 0)
		return 1;
	bench_out("report_open_ms", "%.2f", (bench_now() - t0) * 1000);
	snprintf(from, sizeof(from), "%.4s-01-01", year);
	snprintf(to, sizeof(to), "%.4s-12-31", year);
	rc = one_report(n, "year", from, to, dom);
	if (rc == 0)
		rc = one_report(n, "all", "2000-01-01", "2099-12-31", dom);
	cts_node_free(n);
	return rc;
}

/* ------------------------------------------------------------ sync */

static int phase_sync(const char *home, const char *repo, const char *kind, int region)
{
	cts_node *n = NULL;
	cts_key *key = NULL;
	cts_sync_result r = { 0 };
	double t0 = bench_now(), t1, t2;
	int rc;

	if (open_node(&n, home) != 0)
		return 1;
	if (load_key(&key, home) != 0) {
		cts_node_free(n);
		return 1;
	}
	if (strcmp(kind, "one") == 0) {
		char rid[37];
		json_t *set = json_pack(
		    "{s:s, s:s, s:s}", "theme", "segur-pilier-2", "title", "Nouvelle contribution",
		    "text", "Une proposition saisie après la séance, envoyée par un seul sync.");
		cts_record_new_id(rid);
		if (cts_record_put(n->store, "contribution", rid, set) < 0) {
			json_decref(set);
			cts_key_free(key);
			cts_node_free(n);
			return fail("saisie");
		}
		json_decref(set);
	}
	/* Whether the node held other nodes' changesets before: a home that
	 * already pulled the repository accepts nothing new (sync_accepted=0). */
	bench_out("sync_held_others_before", "%lld",
	          (long long)count_rows(n, "SELECT EXISTS (SELECT 1 FROM changeset WHERE node <> "
	                                   "(SELECT value FROM meta WHERE key = 'node'))"));
	t1 = bench_now();
	/* As `ctsnode sync`: seal what is pending, then sync. */
	{
		int64_t pending = 0;
		int sealed = 0;
		if (cts_record_pending_ops(n->store, &pending) < 0 ||
		    (pending > 0 && cts_journal_seal(n, key, &sealed) < 0)) {
			cts_key_free(key);
			cts_node_free(n);
			return fail("scellement");
		}
		bench_out("sync_sealed", "%d", sealed);
	}
	rc = region ? cts_sync_region_pull(n, key, repo, &r) : cts_sync_node(n, key, repo, &r);
	t2 = bench_now();
	if (rc < 0)
		fail(region ? "region pull" : "sync");
	bench_out("sync_rc", "%d", rc);
	bench_out("sync_ms", "%.2f", (t2 - t1) * 1000);
	bench_out("sync_total_ms", "%.2f", (t2 - t0) * 1000);
	bench_out("sync_committed", "%d", r.committed);
	bench_out("sync_pushed", "%d", r.pushed);
	bench_out("sync_accepted", "%d", r.import.accepted);
	bench_out("sync_offered", "%d", r.import.offered);
	bench_out("sync_events", "%zu", json_array_size(r.import.events));
	bench_out("sync_findings", "%zu", json_array_size(r.findings));
	bench_out("sync_hwm_kib", "%ld", bench_self_hwm_kib());
	if (json_array_size(r.findings) > 0) {
		json_t *e = json_array_get(r.findings, 0);
		fprintf(stderr, "ctsbench : constat de sync : %s\n",
		        json_string_value(json_object_get(e, "reason")));
	}
	cts_sync_result_dispose(&r);
	cts_key_free(key);
	cts_node_free(n);
	return rc < 0 ? 1 : 0;
}

/* ------------------------------------------------------------ raw verify */

typedef struct {
	unsigned char pk[32];
	unsigned char sig[64];
	unsigned char pre[128];
	size_t pre_len;
	const char *armor;
	size_t armor_len;
	const char *msg;
	size_t msg_len;
} vitem;

typedef struct {
	vitem *items;
	size_t n;
	int tid, nthreads, full;
	double deadline;
	uint64_t done;
	int bad;
} vthread;

static void *verify_loop(void *arg)
{
	vthread *v = arg;
	size_t i = (size_t)v->tid;

	while (bench_now() < v->deadline) {
		for (int k = 0; k < 64; k++) {
			vitem *it = &v->items[i];
			int ok;
			if (v->full)
				ok = cts_sshsig_verify(
				         it->armor, it->armor_len, it->pk, CTS_SIG_NAMESPACE,
				         (const unsigned char *)it->msg, it->msg_len, NULL) == 0;
			else
				ok = crypto_sign_verify_detached(it->sig, it->pre, it->pre_len,
				                                 it->pk) == 0;
			if (!ok)
				v->bad++;
			v->done++;
			i += (size_t)v->nthreads;
			if (i >= v->n)
				i = (size_t)v->tid % v->n;
		}
	}
	return NULL;
}

static double verify_rate(vitem *items, size_t n, int threads, int full, double seconds, int *bad)
{
	vthread th[8];
	pthread_t tid[8];
	double t0 = bench_now(), t1;
	uint64_t total = 0;

	for (int i = 0; i < threads; i++) {
		th[i] = (vthread){ items, n, i, threads, full, t0 + seconds, 0, 0 };
		pthread_create(&tid[i], NULL, verify_loop, &th[i]);
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(tid[i], NULL);
		total += th[i].done;
		*bad += th[i].bad;
	}
	t1 = bench_now();
	return (double)total / (t1 - t0);
}

static void put_string(unsigned char *buf, size_t *off, const void *data, uint32_t len)
{
	buf[(*off)++] = (unsigned char)(len >> 24);
	buf[(*off)++] = (unsigned char)(len >> 16);
	buf[(*off)++] = (unsigned char)(len >> 8);
	buf[(*off)++] = (unsigned char)len;
	memcpy(buf + *off, data, len);
	*off += len;
}

static uint32_t get_u32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* SSHSIG armor -> the Ed25519 public key and signature inside. */
static int parse_armor(const char *armor, size_t len, unsigned char pk[32], unsigned char sig[64])
{
	const char *b = memchr(armor, '\n', len), *e;
	unsigned char blob[1024];
	size_t bl = 0, off;
	uint32_t l;

	if (!b)
		return -1;
	b++;
	e = strstr(b, "-----END");
	if (!e ||
	    sodium_base642bin(blob, sizeof(blob), b, (size_t)(e - b), "\n", &bl, NULL,
	                      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    bl < 6 + 4 + 4 + 64)
		return -1;
	off = 6 + 4;             /* "SSHSIG", version */
	l = get_u32(blob + off); /* publickey string */
	if (l != 51 || off + 4 + l > bl)
		return -1;
	memcpy(pk, blob + off + 4 + 4 + 11 + 4, 32);
	memcpy(sig, blob + bl - 64, 64);
	return 0;
}

/* verify WORK THREADS SECONDS: libsodium's raw Ed25519 verify rate on the
 * SSHSIG preimages of real changesets, 1 thread and THREADS threads; and
 * the whole cts_sshsig_verify (armor, SHA-512, verify) the same way. */
static int phase_verify(const char *work, int threads, double seconds)
{
	size_t cap = 20000, n = 0;
	vitem *items = calloc(cap, sizeof(*items));
	char **bufs = calloc(cap, sizeof(char *));
	bench_corpus all;
	bench_cs cs;
	int bad = 0, rc = 1, r;

	if (!items || !bufs)
		goto out;
	bench_corpus_begin(&all, work, "1");
	while (n < cap && (r = bench_corpus_read(&all, &cs)) != 0) {
		if (r < 0)
			continue; /* the rest of a damaged part is skipped */
		vitem *it = &items[n];
		unsigned char h[64];
		size_t off = 0;
		char *copy = malloc((size_t)cs.json_len + cs.sig_len + 2);
		if (!copy)
			break;
		memcpy(copy, cs.json, cs.json_len + 1);
		memcpy(copy + cs.json_len + 1, cs.sig, cs.sig_len + 1);
		bufs[n] = copy;
		it->msg = copy;
		it->msg_len = cs.json_len;
		it->armor = copy + cs.json_len + 1;
		it->armor_len = cs.sig_len;
		if (parse_armor(it->armor, it->armor_len, it->pk, it->sig) != 0) {
			fprintf(stderr, "ctsbench : signature illisible\n");
			goto out;
		}
		crypto_hash_sha512(h, (const unsigned char *)it->msg, it->msg_len);
		memcpy(it->pre, "SSHSIG", 6);
		off = 6;
		put_string(it->pre, &off, CTS_SIG_NAMESPACE, (uint32_t)strlen(CTS_SIG_NAMESPACE));
		put_string(it->pre, &off, "", 0);
		put_string(it->pre, &off, "sha512", 6);
		put_string(it->pre, &off, h, 64);
		it->pre_len = off;
		n++;
	}
	bench_corpus_end(&all);
	if (n == 0)
		goto out;
	/* Sanity: every preimage verifies (the signatures are real). */
	for (size_t i = 0; i < n; i++)
		if (crypto_sign_verify_detached(items[i].sig, items[i].pre, items[i].pre_len,
		                                items[i].pk) != 0) {
			fprintf(stderr, "ctsbench : préimage SSHSIG incorrecte\n");
			goto out;
		}
	bench_out("verify_sample", "%zu", n);
	bench_out("verify_raw_1t", "%.0f", verify_rate(items, n, 1, 0, seconds, &bad));
	bench_out("verify_raw_nt", "%.0f", verify_rate(items, n, threads, 0, seconds, &bad));
	bench_out("verify_full_1t", "%.0f", verify_rate(items, n, 1, 1, seconds, &bad));
	bench_out("verify_full_nt", "%.0f", verify_rate(items, n, threads, 1, seconds, &bad));
	bench_out("verify_threads", "%d", threads);
	bench_out("verify_bad", "%d", bad);
	rc = bad ? 1 : 0;
out:
	bench_free_strv(bufs, n);
	free(items);
	return rc;
}

/* ------------------------------------------------------------ session baseline */

static int exec_schema(sqlite3 *db)
{
	for (int i = 0; i < cts_migration_count; i++)
		if (sqlite3_exec(db, cts_migrations[i].sql, NULL, NULL, NULL) != SQLITE_OK)
			return -1;
	return 0;
}

static int session_conflict(void *ctx, int kind, sqlite3_changeset_iter *it)
{
	(void)it;
	(*(int *)ctx)++;
	return kind == SQLITE_CHANGESET_DATA || kind == SQLITE_CHANGESET_CONFLICT
	           ? SQLITE_CHANGESET_REPLACE
	           : SQLITE_CHANGESET_OMIT;
}

/* Upsert one op's row into the source database (the session records it). */
static int source_apply(sqlite3 *db, const char *territory, json_t *op)
{
	const char *table = json_string_value(json_object_get(op, "table"));
	const char *rid = json_string_value(json_object_get(op, "id"));
	json_t *set = json_object_get(op, "set"), *v;
	const char *k;
	char sql[2048];
	size_t off;
	sqlite3_stmt *s;
	int i = 3, rc;

	off = (size_t)snprintf(sql, sizeof(sql), "INSERT INTO %s (territory, id", table);
	json_object_foreach(set, k, v) off +=
	    (size_t)snprintf(sql + off, sizeof(sql) - off, ", %s", k);
	off += (size_t)snprintf(sql + off, sizeof(sql) - off, ") VALUES (?, ?");
	json_object_foreach(set, k, v) off += (size_t)snprintf(sql + off, sizeof(sql) - off, ", ?");
	off += (size_t)snprintf(sql + off, sizeof(sql) - off,
	                        ") ON CONFLICT (territory, id) DO UPDATE SET ");
	{
		int first = 1;
		json_object_foreach(set, k, v)
		{
			off += (size_t)snprintf(sql + off, sizeof(sql) - off, "%s%s = excluded.%s",
			                        first ? "" : ", ", k, k);
			first = 0;
		}
	}
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, rid, -1, SQLITE_STATIC);
	json_object_foreach(set, k, v) cts_store_bind_json(s, i++, v);
	rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
	sqlite3_finalize(s);
	return rc;
}

/* session WORK: the same rows, captured per batched changeset with the
 * session extension on a scratch database, then applied with
 * sqlite3changeset_apply to a database like a node's (WAL, synchronous
 * FULL, one transaction per changeset). */
static int phase_session(const char *work)
{
	sqlite3 *src = NULL, *dst = NULL;
	char *dpath = bench_strf("%s/session-target.db", work);
	void **blobs = NULL;
	bench_corpus all;
	bench_cs cs;
	int *sizes = NULL, conflicts = 0, rc = 1, r;
	size_t nb = 0, cap = 0;
	int64_t ops = 0, rows = 0;
	double t0, t1;

	unlink(dpath);
	{
		char *w = bench_strf("%s-wal", dpath), *s = bench_strf("%s-shm", dpath);
		unlink(w);
		unlink(s);
		free(w);
		free(s);
	}
	if (sqlite3_open(":memory:", &src) != SQLITE_OK || exec_schema(src) != 0 ||
	    sqlite3_open(dpath, &dst) != SQLITE_OK ||
	    sqlite3_exec(
	        dst,
	        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
	        NULL, NULL, NULL) != SQLITE_OK ||
	    exec_schema(dst) != 0) {
		fprintf(stderr, "ctsbench : bases de la référence session : %s\n",
		        src ? sqlite3_errmsg(src) : "?");
		goto out;
	}
	bench_corpus_begin(&all, work, "b");
	while ((r = bench_corpus_read(&all, &cs)) != 0) {
		if (r < 0)
			continue; /* the rest of a damaged part is skipped */
		json_t *root = json_loadb(cs.json, cs.json_len, 0, NULL), *op;
		sqlite3_session *sess = NULL;
		const char *territory = json_string_value(json_object_get(root, "territory"));
		size_t i;
		int n = 0;
		void *p = NULL;

		if (!root || sqlite3session_create(src, "main", &sess) != SQLITE_OK ||
		    sqlite3session_attach(sess, NULL) != SQLITE_OK) {
			json_decref(root);
			goto out;
		}
		sqlite3_exec(src, "BEGIN", NULL, NULL, NULL);
		json_array_foreach(json_object_get(root, "ops"), i, op)
		{
			if (source_apply(src, territory, op) != 0) {
				fprintf(stderr, "ctsbench : référence session : %s\n",
				        sqlite3_errmsg(src));
				json_decref(root);
				sqlite3session_delete(sess);
				goto out;
			}
			ops++;
		}
		sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
		if (sqlite3session_changeset(sess, &n, &p) != SQLITE_OK) {
			json_decref(root);
			sqlite3session_delete(sess);
			goto out;
		}
		sqlite3session_delete(sess);
		json_decref(root);
		if (nb == cap) {
			cap = cap ? cap * 2 : 1024;
			blobs = realloc(blobs, cap * sizeof(void *));
			sizes = realloc(sizes, cap * sizeof(int));
		}
		blobs[nb] = p;
		sizes[nb++] = n;
		{
			sqlite3_changeset_iter *it;
			if (sqlite3changeset_start(&it, n, p) == SQLITE_OK) {
				while (sqlite3changeset_next(it) == SQLITE_ROW)
					rows++;
				sqlite3changeset_finalize(it);
			}
		}
	}
	bench_corpus_end(&all);
	t0 = bench_now();
	for (size_t i = 0; i < nb; i++) {
		if (sqlite3_exec(dst, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK ||
		    sqlite3changeset_apply(dst, sizes[i], blobs[i], NULL, session_conflict,
		                           &conflicts) != SQLITE_OK ||
		    sqlite3_exec(dst, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			fprintf(stderr, "ctsbench : sqlite3changeset_apply : %s\n",
			        sqlite3_errmsg(dst));
			goto out;
		}
	}
	t1 = bench_now();
	bench_out("session_ops", "%lld", (long long)ops);
	bench_out("session_rows", "%lld", (long long)rows);
	bench_out("session_changesets", "%zu", nb);
	bench_out("session_apply_s", "%.3f", t1 - t0);
	bench_out("session_conflicts", "%d", conflicts);
	rc = 0;
out:
	for (size_t i = 0; i < nb; i++)
		sqlite3_free(blobs[i]);
	free(blobs);
	free(sizes);
	sqlite3_close(src);
	sqlite3_close(dst);
	free(dpath);
	return rc;
}

/* ------------------------------------------------------------ ssh-keygen loop */

/* sshkeygen WORK MODE SAMPLE: `ssh-keygen -Y verify` over SAMPLE changesets
 * spread over the corpus, one process each, as an auditor's loop would. */
static int phase_sshkeygen(const char *work, const char *mode, long sample)
{
	static bench_node nodes[BENCH_NODES];
	char *dir = bench_strf("%s/sample-%s", work, mode),
	     *signers = bench_strf("%s/allowed_signers", work);
	char **files = calloc((size_t)sample, sizeof(char *)),
	     **who = calloc((size_t)sample, sizeof(char *));
	long total = 0, n = 0, good = 0, step;
	bench_corpus all;
	bench_cs cs;
	double t0, t1;
	int rc = 1, r;

	if (bench_nodes_load(work, nodes) != 0 || !files || !who)
		goto out;
	bench_rmtree(dir);
	cts_mkdirs(dir);
	/* Count, then take every step-th changeset. */
	for (int pass = 0; pass < 2; pass++) {
		long idx = 0;
		step = pass == 0 ? 1 : (total / sample > 0 ? total / sample : 1);
		bench_corpus_begin(&all, work, mode);
		while ((r = bench_corpus_read(&all, &cs)) != 0) {
			if (r < 0)
				continue; /* the rest of a damaged part is skipped */
			if (pass == 0) {
				total++;
				continue;
			}
			if (idx++ % step == 0 && n < sample) {
				char *f = bench_strf("%s/%06ld.json", dir, n),
				     *fs = bench_strf("%s.sig", f);
				bench_write_file(f, cs.json, cs.json_len);
				bench_write_file(fs, cs.sig, cs.sig_len);
				free(fs);
				files[n] = f;
				who[n] = nodes[cs.node].id;
				n++;
			}
		}
		bench_corpus_end(&all);
	}
	t0 = bench_now();
	for (long i = 0; i < n; i++) {
		posix_spawn_file_actions_t fa;
		char *sigf = bench_strf("%s.sig", files[i]);
		char *argv[] = { "ssh-keygen", "-Y", "verify",          "-f", signers, "-I",
			         who[i],       "-n", CTS_SIG_NAMESPACE, "-s", sigf,    NULL };
		pid_t pid;
		int status = 0;

		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 0, files[i], O_RDONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
		if (posix_spawnp(&pid, "ssh-keygen", &fa, NULL, argv, environ) == 0 &&
		    waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		    WEXITSTATUS(status) == 0)
			good++;
		posix_spawn_file_actions_destroy(&fa);
		free(sigf);
	}
	t1 = bench_now();
	bench_out("sshkeygen_sample", "%ld", n);
	bench_out("sshkeygen_good", "%ld", good);
	bench_out("sshkeygen_s", "%.3f", t1 - t0);
	bench_out("sshkeygen_ms_per_cs", "%.3f", n ? (t1 - t0) * 1000 / (double)n : 0);
	rc = good == n && n > 0 ? 0 : 1;
out:
	bench_free_strv(files, (size_t)n);
	free(who);
	free(dir);
	free(signers);
	return rc;
}

/* ------------------------------------------------------------ dispatch */

/* ------------------------------------------------------------ memory probes */

/* Diagnostics for issue 18.4, not results: libgit2's settings changed after
 * ctsnode's own (sync/gitrepo.c) from the environment, to see which one
 * holds a peak.
 *   CTSBENCH_GIT_CACHE=0       no object cache (GIT_OPT_ENABLE_CACHING)
 *   CTSBENCH_GIT_CACHE_MIB=N   object cache bound (ctsnode: 24)
 *   CTSBENCH_GIT_MWINDOW_MIB=N pack windows mapped in all (ctsnode: 8)
 * The audit sets its own cache (cts_gitrepo_set_cache_profile: none) when it
 * starts: the first two do not reach `phase audit` any more. */
static int git_knobs(void)
{
	const char *v;

	if (cts_git_init() < 0)
		return fail("initialisation de libgit2");
	if ((v = getenv("CTSBENCH_GIT_CACHE")) && strcmp(v, "0") == 0)
		git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0);
	if ((v = getenv("CTSBENCH_GIT_CACHE_MIB")))
		git_libgit2_opts(GIT_OPT_SET_CACHE_MAX_SIZE, (ssize_t)atol(v) * 1024 * 1024);
	if ((v = getenv("CTSBENCH_GIT_MWINDOW_MIB")))
		git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)atol(v) * 1024 * 1024);
	return 0;
}

/* audit REPO: the audit in this process (the run uses the CLI). */
static int phase_audit(const char *repo)
{
	cts_audit_options opt = { 0 };
	json_t *rep = NULL;
	double t0 = bench_now();
	int rc = cts_audit_run(repo, &opt, &rep);

	bench_out("audit_rc", "%d", rc);
	bench_out("audit_s", "%.3f", bench_now() - t0);
	bench_out("audit_ok", "%d", json_is_true(json_object_get(rep, "ok")));
	bench_out("audit_hwm_kib", "%ld", bench_self_hwm_kib());
	json_decref(rep);
	return rc < 0 ? fail("audit") : 0;
}

int bench_phase_main(int argc, char **argv)
{
	const char *p = argc > 1 ? argv[1] : "";

	if (sodium_init() < 0 || git_knobs() != 0)
		return 1;
	if (strcmp(p, "audit") == 0 && argc == 3)
		return phase_audit(argv[2]);
	if (strcmp(p, "setup") == 0 && argc == 3)
		return bench_gen_setup(argv[2]) == 0 ? 0 : 1;
	if (strcmp(p, "gen") == 0 && argc == 6)
		return bench_gen_corpus(argv[2], atol(argv[3]), atoi(argv[4]), atoi(argv[5])) == 0
		           ? 0
		           : 1;
	if (strcmp(p, "repo") == 0 && argc == 7)
		return bench_gen_repo(argv[2], argv[3], argv[4], atoi(argv[5]), atoi(argv[6])) == 0
		           ? 0
		           : 1;
	if (strcmp(p, "pushnew") == 0 && argc == 6)
		return bench_gen_push_new(argv[2], argv[3], atoi(argv[4]), atoi(argv[5])) == 0 ? 0
		                                                                               : 1;
	if (strcmp(p, "verify") == 0 && argc == 5)
		return phase_verify(argv[2], atoi(argv[3]), atof(argv[4]));
	if (strcmp(p, "import") == 0 && argc == 6)
		return phase_import(argv[2], argv[3], argv[4], atoi(argv[5]));
	if (strcmp(p, "digest") == 0 && argc == 3)
		return phase_digest(argv[2]);
	if (strcmp(p, "rebuild") == 0 && argc == 3)
		return phase_rebuild(argv[2]);
	if (strcmp(p, "report") == 0 && (argc == 4 || argc == 5))
		return phase_report(argv[2], argv[3], argc == 5 && strcmp(argv[4], "dom") == 0);
	if (strcmp(p, "sync") == 0 && argc == 5)
		return phase_sync(argv[2], argv[3], argv[4], 0);
	if (strcmp(p, "pull") == 0 && argc == 5)
		return phase_sync(argv[2], argv[3], argv[4], 1);
	if (strcmp(p, "session") == 0 && argc == 3)
		return phase_session(argv[2]);
	if (strcmp(p, "sshkeygen") == 0 && argc == 5)
		return phase_sshkeygen(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "ctsbench : phase inconnue ou arguments incorrects : %s\n", p);
	return 2;
}
