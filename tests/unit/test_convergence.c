/*
 * Convergence property test (SPEC §6): three nodes (two devices of one
 * territory, one of another) make random interleaved edits — concurrent
 * edits of the same fields, deletes, re-creations — and exchange partially.
 * The union of their changesets, imported by fresh nodes in many random
 * orders and batchings, always gives the same content digest; importing
 * twice changes nothing; the three nodes themselves end on that digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "changeset.h"
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

#define NODES 3
#define ROUNDS 12
#define TRIALS 10

static char *root;
static unsigned long long rng = 0x9e3779b97f4a7c15ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static cts_node *make(const char *name, const char *terr, cts_role role, const char *authority_key)
{
	return tu_node(root, name, terr, role, authority_key);
}

static void exchange(cts_node *to, cts_node *from)
{
	cts_import_stats st = { 0 };
	tu_seal(to);
	if (cts_import_dir(to, from->home, &st) < 0 || cts_import_process(to, &st) < 0)
		fail_msg("import %s <- %s : %s", to->id, from->id, cts_error_message());
	assert_null(st.events); /* nothing pending, held or refused */
	cts_import_stats_dispose(&st);
}

static const char *const last_names[] = { "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT" };
static const char *const colleges[] = { "usagers", "etat", "professionnels" };

/* Random edit of node n on one of `nids` shared record ids. */
static void edit(cts_node *n, char ids[][37], int nids)
{
	const char *rid = ids[rnd((unsigned)nids)];
	unsigned what = rnd(10);
	json_t *set;
	int rc;

	if (what == 0) {
		rc = cts_record_del(n->store, "member", rid);
	} else {
		set = json_object();
		json_object_set_new(set, "last_name", json_string(last_names[rnd(5)]));
		if (what > 4)
			json_object_set_new(set, "college", json_string(colleges[rnd(3)]));
		if (what > 7)
			json_object_set_new(set, "role", what == 9 ? json_null() : json_string("vice-président"));
		rc = cts_record_put(n->store, "member", rid, set);
		json_decref(set);
	}
	if (rc < 0)
		fail_msg("écriture : %s", cts_error_message());
}

typedef struct {
	char node[65];
	int64_t seq;
	char *json, *sig;
	size_t jl, sl;
} item;

static int collect(cts_node **nodes, int count, item **out)
{
	int total = 0;
	item *items = NULL;

	for (int i = 0; i < count; i++) {
		int64_t last = 0;
		cts_store_meta_get_int(nodes[i]->store, "last_seq", &last, 0);
		for (int64_t s = 1; s <= last; s++) {
			items = realloc(items, (size_t)(total + 1) * sizeof(*items));
			item *it = &items[total++];
			snprintf(it->node, sizeof(it->node), "%s", nodes[i]->id);
			it->seq = s;
			assert_int_equal(cts_history_read(nodes[i]->home, nodes[i]->id, s, &it->json, &it->jl, &it->sig, &it->sl), 0);
		}
	}
	*out = items;
	return total;
}

static void test_convergence(void **state)
{
	(void)state;
	cts_node *region, *n[NODES];
	char *auth = NULL, ids_a[6][37], ids_b[4][37], digest[65], ref[65] = "";
	int already;

	root = tu_tmpdir();
	region = make("region-x", "normandie", CTS_ROLE_AUTHORITY, NULL);
	assert_int_equal(cts_store_meta_get(region->store, "public_key", &auth), 0);
	n[0] = make("ta-1", "ta", CTS_ROLE_TERRITORY, auth);
	n[1] = make("ta-2", "ta", CTS_ROLE_TERRITORY, auth);
	n[2] = make("tb-1", "tb", CTS_ROLE_TERRITORY, auth);
	for (int i = 0; i < NODES; i++) {
		char *line = NULL;
		assert_int_equal(cts_store_meta_get(n[i]->store, "public_key", &line), 0);
		assert_int_equal(cts_region_enroll(region, n[i]->id, n[i]->territory, line, &already), 0);
		free(line);
	}
	tu_seal(region);
	for (int i = 0; i < NODES; i++)
		exchange(n[i], region);
	for (int i = 0; i < 6; i++)
		cts_record_new_id(ids_a[i]);
	for (int i = 0; i < 4; i++)
		cts_record_new_id(ids_b[i]);

	/* Rounds of concurrent edits and partial exchanges. */
	for (int r = 0; r < ROUNDS; r++) {
		for (int i = 0; i < NODES; i++) {
			int edits = 1 + (int)rnd(4);
			for (int e = 0; e < edits; e++) {
				if (i < 2)
					edit(n[i], ids_a, 6);
				else
					edit(n[i], ids_b, 4);
			}
			if (rnd(2))
				tu_seal(n[i]);
		}
		int a = (int)rnd(NODES), b = (int)rnd(NODES);
		if (a != b)
			exchange(n[a], n[b]);
	}
	for (int i = 0; i < NODES; i++)
		tu_seal(n[i]);

	/* The union, imported in many orders and batchings by fresh nodes. */
	cts_node *all[NODES + 1] = { region, n[0], n[1], n[2] };
	item *items = NULL;
	int count = collect(all, NODES + 1, &items);
	assert_true(count > ROUNDS);
	for (int t = 0; t < TRIALS; t++) {
		char name[32];
		cts_node *f;
		cts_import_stats st = { 0 };

		snprintf(name, sizeof(name), "fresh-%d", t);
		f = make(name, "tc", CTS_ROLE_TERRITORY, auth);
		/* shuffle */
		for (int i = count - 1; i > 0; i--) {
			int j = (int)rnd((unsigned)i + 1);
			item tmp = items[i];
			items[i] = items[j];
			items[j] = tmp;
		}
		for (int i = 0; i < count;) {
			int batch = 1 + (int)rnd(5);
			for (int k = 0; k < batch && i < count; k++, i++)
				assert_int_equal(cts_import_offer(f, items[i].node, items[i].seq, items[i].json, items[i].jl,
								  items[i].sig, items[i].sl, &st), 0);
			assert_int_equal(cts_import_process(f, &st), 0);
		}
		assert_int_equal(cts_record_digest(f->store, digest), 0);
		if (!ref[0])
			memcpy(ref, digest, 65);
		assert_string_equal(digest, ref);
		assert_int_equal(st.accepted, count);
		/* Importing everything again changes nothing. */
		for (int i = 0; i < count; i++)
			assert_int_equal(cts_import_offer(f, items[i].node, items[i].seq, items[i].json, items[i].jl,
							  items[i].sig, items[i].sl, &st), 0);
		assert_int_equal(cts_import_process(f, &st), 0);
		assert_int_equal(cts_record_digest(f->store, digest), 0);
		assert_string_equal(digest, ref);
		/* Rebuild replays to the same digest. */
		assert_int_equal(cts_import_rebuild(f, &st), 0);
		assert_int_equal(cts_record_digest(f->store, digest), 0);
		assert_string_equal(digest, ref);
		cts_import_stats_dispose(&st);
		cts_node_free(f);
	}
	/* The editing nodes converge too once they have seen everything. */
	for (int i = 0; i < NODES; i++)
		for (int j = 0; j < NODES + 1; j++)
			if (all[j] != n[i])
				exchange(n[i], all[j]);
	for (int i = 0; i < NODES; i++) {
		/* exchange() sealed nothing new; digests must match the fresh ones */
		assert_int_equal(cts_record_digest(n[i]->store, digest), 0);
		assert_string_equal(digest, ref);
	}
	/* and concurrent edits of one field were seen as conflicts somewhere */
	{
		sqlite3_stmt *s;
		int conflicts = 0;
		for (int i = 0; i < 2; i++) {
			assert_int_equal(sqlite3_prepare_v2(n[i]->store->db, "SELECT count(*) FROM conflict", -1, &s, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_step(s), SQLITE_ROW);
			conflicts += sqlite3_column_int(s, 0);
			sqlite3_finalize(s);
		}
		assert_true(conflicts > 0);
	}
	for (int i = 0; i < count; i++) {
		free(items[i].json);
		free(items[i].sig);
	}
	free(items);
	for (int i = 0; i < NODES; i++)
		cts_node_free(n[i]);
	cts_node_free(region);
	free(auth);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_convergence),
	};
	assert_int_equal(cts_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
