/*
 * The importer works in batches (sync/importer.c: up to 512 changesets per
 * transaction, signatures pre-checked on every core). These tests cross
 * batch boundaries: a chain longer than a batch, several nodes, the
 * authority's enrolments applied in the same batch as the first changesets
 * of the nodes they enrol (the pre-check used the wrong key and the
 * importer must verify again), and one bad signature in the middle of a
 * chain (refused, the rest of that chain waits, other nodes go on).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "crypto.h"
#include "error.h"
#include "importer.h"
#include "journal.h"
#include "key.h"
#include "node.h"
#include "record.h"
#include "region.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHAIN_A 530 /* longer than one batch */
#define CHAIN_B 40
#define BAD_SEQ 300 /* ta-1's changeset given a wrong signature */

static char *root;

static cts_node *make(const char *name, const char *terr, cts_role role, const char *authority_key)
{
	return tu_node(root, name, terr, role, authority_key);
}

/* One member per changeset. */
static void chain(cts_node *n, int count)
{
	for (int i = 0; i < count; i++) {
		char rid[37], name[32];
		json_t *set;
		cts_record_new_id(rid);
		snprintf(name, sizeof(name), "MEMBRE-%d", i);
		set = json_pack("{s:s, s:s}", "last_name", name, "college", "usagers");
		assert_int_equal(cts_record_put(n->store, "member", rid, set), 0);
		json_decref(set);
		tu_seal(n);
	}
}

typedef struct {
	cts_node *from;
	int64_t seq;
} ref;

static void offer(cts_node *to, const ref *r, cts_import_stats *st, const char *sig_override)
{
	char *json = NULL, *sig = NULL;
	size_t jl, sl;

	assert_int_equal(cts_history_get(r->from, r->from->id, r->seq, &json, &jl, &sig, &sl), 0);
	if (sig_override)
		assert_int_equal(cts_import_offer(to, r->from->id, r->seq, json, jl, sig_override,
		                                  strlen(sig_override), st),
		                 0);
	else
		assert_int_equal(cts_import_offer(to, r->from->id, r->seq, json, jl, sig, sl, st),
		                 0);
	free(json);
	free(sig);
}

static int64_t count_rows(cts_node *n, const char *sql)
{
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(n->store->db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return v;
}

/* 1 if (node, seq) is in n's signed history. */
static int history_has(cts_node *n, const char *node, int64_t seq)
{
	char *json = NULL, *sig = NULL;
	size_t jl, sl;
	int rc = cts_history_get(n, node, seq, &json, &jl, &sig, &sl);

	free(json);
	free(sig);
	if (rc == CTS_ENOTFOUND)
		return 0;
	assert_int_equal(rc, 0);
	return 1;
}

static void test_batches(void **state)
{
	(void)state;
	cts_node *region, *a, *b, *f;
	char *auth = NULL, *line = NULL, *bad_sig = NULL, d1[65], d2[65];
	size_t bad_len;
	int already, total = 1 + CHAIN_A + CHAIN_B;
	ref *refs = calloc((size_t)total, sizeof(*refs));
	cts_import_stats st = { 0 };

	root = tu_tmpdir();
	region = make("region-x", "normandie", CTS_ROLE_AUTHORITY, NULL);
	assert_int_equal(cts_store_meta_get(region->store, "public_key", &auth), 0);
	a = make("ta-1", "ta", CTS_ROLE_TERRITORY, auth);
	b = make("tb-1", "tb", CTS_ROLE_TERRITORY, auth);
	assert_int_equal(cts_store_meta_get(a->store, "public_key", &line), 0);
	assert_int_equal(cts_region_enroll(region, a->id, a->territory, line, &already), 0);
	free(line);
	assert_int_equal(cts_store_meta_get(b->store, "public_key", &line), 0);
	assert_int_equal(cts_region_enroll(region, b->id, b->territory, line, &already), 0);
	free(line);
	tu_seal(region);
	chain(a, CHAIN_A);
	chain(b, CHAIN_B);

	/* Everything at once, in reverse order: one pass, two batches. */
	refs[0] = (ref){ region, 1 };
	for (int i = 0; i < CHAIN_A; i++)
		refs[1 + i] = (ref){ a, i + 1 };
	for (int i = 0; i < CHAIN_B; i++)
		refs[1 + CHAIN_A + i] = (ref){ b, i + 1 };
	f = make("fresh-1", "tc", CTS_ROLE_TERRITORY, auth);
	for (int i = total - 1; i >= 0; i--)
		offer(f, &refs[i], &st, NULL);
	assert_int_equal(cts_import_process(f, &st), 0);
	assert_int_equal(st.accepted, total);
	assert_null(st.events);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM inbox"), 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM member"), CHAIN_A + CHAIN_B);
	assert_true(history_has(f, "ta-1", CHAIN_A));
	assert_int_equal(cts_record_digest(f->store, d1), 0);
	cts_import_stats_dispose(&st);
	cts_node_free(f);

	/* Node by node, the region last: the same content. */
	memset(&st, 0, sizeof(st));
	f = make("fresh-2", "tc", CTS_ROLE_TERRITORY, auth);
	for (int i = 1; i < total; i++)
		offer(f, &refs[i], &st, NULL);
	assert_int_equal(cts_import_process(f, &st), 0);
	assert_int_equal(st.accepted, 0); /* nobody enrolled yet */
	offer(f, &refs[0], &st, NULL);
	assert_int_equal(cts_import_process(f, &st), 0);
	assert_int_equal(st.accepted, total);
	assert_int_equal(cts_record_digest(f->store, d2), 0);
	assert_string_equal(d1, d2);
	cts_import_stats_dispose(&st);
	cts_node_free(f);

	/* ta-1's changeset BAD_SEQ carries the signature of the one before. */
	{
		char *json = NULL;
		size_t jl;
		assert_int_equal(
		    cts_history_get(a, a->id, BAD_SEQ - 1, &json, &jl, &bad_sig, &bad_len), 0);
		free(json);
	}
	memset(&st, 0, sizeof(st));
	f = make("fresh-3", "tc", CTS_ROLE_TERRITORY, auth);
	for (int i = 0; i < total; i++)
		offer(f, &refs[i], &st,
		      refs[i].from == a && refs[i].seq == BAD_SEQ ? bad_sig : NULL);
	assert_int_equal(cts_import_process(f, &st), 0);
	assert_int_equal(st.accepted, total - (CHAIN_A - BAD_SEQ + 1));
	assert_int_equal(count_rows(f, "SELECT count(*) FROM member"), BAD_SEQ - 1 + CHAIN_B);
	assert_int_equal(
	    count_rows(f, "SELECT count(*) FROM inbox WHERE node = 'ta-1' AND state = 'refused'"),
	    1);
	assert_int_equal(
	    count_rows(f, "SELECT count(*) FROM inbox WHERE node = 'ta-1' AND state = 'pending'"),
	    CHAIN_A - BAD_SEQ);
	{
		sqlite3_stmt *s;
		assert_int_equal(
		    sqlite3_prepare_v2(f->store->db,
		                       "SELECT seq, reason FROM inbox WHERE state = 'refused'", -1,
		                       &s, NULL),
		    SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		assert_int_equal(sqlite3_column_int64(s, 0), BAD_SEQ);
		assert_non_null(
		    strstr((const char *)sqlite3_column_text(s, 1), "signature invalide"));
		sqlite3_finalize(s);
	}
	assert_true(history_has(f, "ta-1", BAD_SEQ - 1));
	assert_false(history_has(f, "ta-1", BAD_SEQ));
	assert_true(history_has(f, "tb-1", CHAIN_B));
	/* The events name the refused one and the waiting ones. */
	assert_non_null(st.events);
	assert_int_equal(json_array_size(st.events), (size_t)(CHAIN_A - BAD_SEQ + 1));
	/* The genuine changeset arrives: the rest of the chain follows. */
	offer(f, &refs[BAD_SEQ], &st, NULL);
	assert_int_equal(cts_import_process(f, &st), 0);
	assert_int_equal(count_rows(f, "SELECT count(*) FROM member"), CHAIN_A + CHAIN_B);
	assert_int_equal(cts_record_digest(f->store, d2), 0);
	assert_string_equal(d1, d2);
	cts_import_stats_dispose(&st);
	cts_node_free(f);

	free(bad_sig);
	free(refs);
	free(auth);
	cts_node_free(a);
	cts_node_free(b);
	cts_node_free(region);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches),
	};
	assert_int_equal(cts_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
