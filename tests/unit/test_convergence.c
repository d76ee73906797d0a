/*
 * Convergence property test (SPEC §6): three nodes (two devices of one
 * territory, one of another) make random interleaved edits — concurrent
 * edits of the same fields, deletes, re-creations — and exchange partially.
 * The union of their changesets, imported by fresh nodes in many random
 * orders and batchings, always gives the same content digest; importing
 * twice changes nothing; the three nodes themselves end on that digest.
 * test_corrections_converge does the same with the corrections of the
 * domain modules (meeting update/approve/reopen/cancel/restore, opinion and
 * contribution update/withdraw/restore, member update/remove/restore)
 * interleaved on two devices of one territory, each refused one writing
 * nothing.
 *
 * With forks (test_convergence_forks): one node's key signs two versions
 * of one changeset, a node that saw both records the fork; the union,
 * with the versions, the rest of the forked chain and the fork record
 * seen in every order (and with the first version known only from the
 * record), always gives the same digest, without either version.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "changeset.h"
#include "contribution.h"
#include "crypto.h"
#include "error.h"
#include "importer.h"
#include "journal.h"
#include "key.h"
#include "meeting.h"
#include "member.h"
#include "node.h"
#include "opinion.h"
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

/* from's signed history imported by `to` through the interchange folder
 * (`export DIR`, then `import DIR`). */
static int import_from(cts_node *to, cts_node *from, cts_import_stats *st)
{
	char name[96], *dir;
	int rc;

	snprintf(name, sizeof(name), "x-%s", from->id);
	dir = tu_path(root, name);
	tu_rmtree(dir);
	rc = cts_history_export(from, dir, NULL);
	if (rc == 0)
		rc = cts_import_dir(to, dir, st);
	tu_rmtree(dir);
	free(dir);
	return rc;
}

static void exchange(cts_node *to, cts_node *from)
{
	cts_import_stats st = { 0 };
	tu_seal(to);
	if (import_from(to, from, &st) < 0 || cts_import_process(to, &st) < 0)
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
			json_object_set_new(
			    set, "role", what == 9 ? json_null() : json_string("vice-président"));
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
			assert_int_equal(cts_history_get(nodes[i], nodes[i]->id, s, &it->json,
			                                 &it->jl, &it->sig, &it->sl),
			                 0);
		}
	}
	*out = items;
	return total;
}

/* The union of the changesets of all[0..nall), imported in many orders
 * and batchings by fresh nodes, always gives one digest; importing twice
 * changes nothing; rebuild replays to it; the nodes all[1..] (editors)
 * end on it too once they have seen everything. */
static void converge(cts_node **all, int nall, const char *auth, const char *prefix)
{
	char digest[65], ref[65] = "";
	item *items = NULL;
	int count = collect(all, nall, &items);

	assert_true(count > ROUNDS);
	for (int t = 0; t < TRIALS; t++) {
		char name[32];
		cts_node *f;
		cts_import_stats st = { 0 };

		snprintf(name, sizeof(name), "%s-%d", prefix, t);
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
				assert_int_equal(cts_import_offer(f, items[i].node, items[i].seq,
				                                  items[i].json, items[i].jl,
				                                  items[i].sig, items[i].sl, &st),
				                 0);
			assert_int_equal(cts_import_process(f, &st), 0);
		}
		assert_int_equal(cts_record_digest(f->store, digest), 0);
		if (!ref[0])
			memcpy(ref, digest, 65);
		assert_string_equal(digest, ref);
		assert_int_equal(st.accepted, count);
		/* Importing everything again changes nothing. */
		for (int i = 0; i < count; i++)
			assert_int_equal(cts_import_offer(f, items[i].node, items[i].seq,
			                                  items[i].json, items[i].jl, items[i].sig,
			                                  items[i].sl, &st),
			                 0);
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
	for (int i = 1; i < nall; i++)
		for (int j = 0; j < nall; j++)
			if (j != i)
				exchange(all[i], all[j]);
	for (int i = 1; i < nall; i++) {
		/* exchange() sealed nothing new; digests must match the fresh ones */
		assert_int_equal(cts_record_digest(all[i]->store, digest), 0);
		assert_string_equal(digest, ref);
	}
	for (int i = 0; i < count; i++) {
		free(items[i].json);
		free(items[i].sig);
	}
	free(items);
}

/* A region and its three nodes, enrolled, with the shared record ids. */
static cts_node *setup(cts_node *n[NODES], char **auth, char ids_a[6][37], char ids_b[4][37])
{
	cts_node *region;
	int already;

	root = tu_tmpdir();
	region = make("region-x", "normandie", CTS_ROLE_AUTHORITY, NULL);
	assert_int_equal(cts_store_meta_get(region->store, "public_key", auth), 0);
	n[0] = make("ta-1", "ta", CTS_ROLE_TERRITORY, *auth);
	n[1] = make("ta-2", "ta", CTS_ROLE_TERRITORY, *auth);
	n[2] = make("tb-1", "tb", CTS_ROLE_TERRITORY, *auth);
	for (int i = 0; i < NODES; i++) {
		char *line = NULL;
		assert_int_equal(cts_store_meta_get(n[i]->store, "public_key", &line), 0);
		assert_int_equal(
		    cts_region_enroll(region, n[i]->id, n[i]->territory, line, &already), 0);
		free(line);
	}
	tu_seal(region);
	for (int i = 0; i < NODES; i++)
		exchange(n[i], region);
	for (int i = 0; i < 6; i++)
		cts_record_new_id(ids_a[i]);
	for (int i = 0; i < 4; i++)
		cts_record_new_id(ids_b[i]);
	return region;
}

static void test_convergence(void **state)
{
	(void)state;
	cts_node *region, *n[NODES];
	char *auth = NULL, ids_a[6][37], ids_b[4][37];

	region = setup(n, &auth, ids_a, ids_b);

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

	cts_node *all[NODES + 1] = { region, n[0], n[1], n[2] };
	converge(all, NODES + 1, auth, "fresh");
	/* and concurrent edits of one field were seen as conflicts somewhere */
	{
		sqlite3_stmt *s;
		int conflicts = 0;
		for (int i = 0; i < 2; i++) {
			assert_int_equal(sqlite3_prepare_v2(n[i]->store->db,
			                                    "SELECT count(*) FROM conflict", -1, &s,
			                                    NULL),
			                 SQLITE_OK);
			assert_int_equal(sqlite3_step(s), SQLITE_ROW);
			conflicts += sqlite3_column_int(s, 0);
			sqlite3_finalize(s);
		}
		assert_true(conflicts > 0);
	}
	for (int i = 0; i < NODES; i++)
		cts_node_free(n[i]);
	cts_node_free(region);
	free(auth);
	tu_rmtree(root);
	free(root);
}

/* ---- forks seen in every order ---- */

#define CRIT 4 /* v1 n°s, v1 n°s+1, v2 n°s, the fork record */

static void exchange_any(cts_node *to, cts_node *from)
{
	cts_import_stats st = { 0 };
	tu_seal(to);
	if (import_from(to, from, &st) < 0 || cts_import_process(to, &st) < 0)
		fail_msg("import %s <- %s : %s", to->id, from->id, cts_error_message());
	cts_import_stats_dispose(&st);
}

static void put_member(cts_node *n, const char *rid, const char *name)
{
	json_t *set = json_pack("{s:s, s:s}", "last_name", name, "college", "etat");
	if (cts_record_put(n->store, "member", rid, set) < 0)
		fail_msg("écriture : %s", cts_error_message());
	json_decref(set);
}

static int count_sql(cts_node *n, const char *sql, const char *arg)
{
	sqlite3_stmt *s;
	int c;

	assert_int_equal(sqlite3_prepare_v2(n->store->db, sql, -1, &s, NULL), SQLITE_OK);
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	c = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return c;
}

static void read_item(item *it, cts_node *from, const char *node, int64_t seq)
{
	snprintf(it->node, sizeof(it->node), "%s", node);
	it->seq = seq;
	assert_int_equal(cts_history_get(from, node, seq, &it->json, &it->jl, &it->sig, &it->sl),
	                 0);
}

/* A fresh node imports `rest` (shuffled) with the critical items inserted,
 * in the order `perm`, at random places; random batches. Its digest. */
static void import_order(const char *auth, int trial, item *rest, int nrest, item *crit,
                         const int *perm, int ncrit, char digest[65], char forked_rids[3][37])
{
	char name[32];
	cts_node *f;
	cts_import_stats st = { 0 };
	int total = nrest + ncrit, next = 0, *at = calloc((size_t)total, sizeof(int)),
	    *slot = calloc((size_t)total, sizeof(int));

	snprintf(name, sizeof(name), "fresh-fork-%d", trial);
	f = make(name, "tc", CTS_ROLE_TERRITORY, auth);
	for (int i = nrest - 1; i > 0; i--) {
		int j = (int)rnd((unsigned)i + 1);
		item tmp = rest[i];
		rest[i] = rest[j];
		rest[j] = tmp;
	}
	/* Choose ncrit distinct positions among total, in increasing order. */
	for (int k = 0; k < total; k++)
		slot[k] = -1;
	for (int c = 0; c < ncrit; c++) {
		int p;
		do
			p = (int)rnd((unsigned)total);
		while (slot[p] != -1);
		slot[p] = 0;
	}
	for (int k = 0, c = 0, r = 0; k < total; k++)
		at[k] = slot[k] == 0 ? -(1 + perm[c++]) : r++;
	while (next < total) {
		int batch = 1 + (int)rnd(6);
		for (int b = 0; b < batch && next < total; b++, next++) {
			item *it = at[next] < 0 ? &crit[-at[next] - 1] : &rest[at[next]];
			assert_int_equal(cts_import_offer(f, it->node, it->seq, it->json, it->jl,
			                                  it->sig, it->sl, &st),
			                 0);
		}
		assert_int_equal(cts_import_process(f, &st), 0);
	}
	assert_int_equal(cts_record_digest(f->store, digest), 0);
	/* Neither version nor what follows the fork is applied; the fork is known. */
	for (int k = 0; k < 3; k++)
		assert_int_equal(
		    count_sql(f, "SELECT count(*) FROM member WHERE id = ?", forked_rids[k]), 0);
	assert_int_equal(count_sql(f, "SELECT count(*) FROM fork_known WHERE node = ?", "tb-1"), 1);
	if (trial % 7 == 0) { /* rebuild replays to the same digest */
		char again[65];
		assert_int_equal(cts_import_rebuild(f, &st), 0);
		assert_int_equal(cts_record_digest(f->store, again), 0);
		assert_string_equal(again, digest);
	}
	cts_import_stats_dispose(&st);
	cts_node_free(f);
	free(at);
	free(slot);
}

static void test_convergence_forks(void **state)
{
	(void)state;
	cts_node *region, *n[NODES], *twin;
	char *auth = NULL, ids_a[6][37], ids_b[4][37], forked[3][37], digest[65], ref[65] = "",
	     *twin_home, cmd[1200];
	int count, nrest = 0, trial = 0;
	int64_t s;
	item *items = NULL, *rest, crit[CRIT];

	region = setup(n, &auth, ids_a, ids_b);
	for (int r = 0; r < 4; r++) {
		for (int i = 0; i < NODES; i++) {
			edit(n[i], i < 2 ? ids_a : ids_b, i < 2 ? 6 : 4);
			tu_seal(n[i]);
		}
		exchange(n[(r + 1) % NODES], n[r % NODES]);
	}
	/* tb-1's key signs two versions of its next changeset: its home is
	 * copied (a restored backup), each copy writes its own n°s. */
	twin_home = tu_path(root, "tb-1-twin");
	cts_node_free(n[2]);
	snprintf(cmd, sizeof(cmd), "cp -a '%s/tb-1' '%s'", root, twin_home);
	assert_int_equal(system(cmd), 0);
	{
		char *home = tu_path(root, "tb-1");
		assert_int_equal(cts_node_open(&n[2], home), 0);
		free(home);
	}
	assert_int_equal(cts_node_open(&twin, twin_home), 0);
	for (int k = 0; k < 3; k++)
		cts_record_new_id(forked[k]);
	put_member(n[2], forked[0], "VERSION-UN");
	tu_seal(n[2]);
	put_member(twin, forked[1], "VERSION-DEUX");
	tu_seal(twin);
	put_member(n[2], forked[2], "APRES");
	tu_seal(n[2]);
	assert_int_equal(cts_store_meta_get_int(n[2]->store, "last_seq", &s, 0), 0);
	s--; /* the forked seq */
	/* ta-1 sees both versions and records the fork in its next changeset. */
	exchange(n[0], n[2]);
	exchange_any(n[0], twin);
	assert_int_equal(count_sql(n[0], "SELECT count(*) FROM fork WHERE node = ?", "tb-1"), 1);
	tu_seal(n[0]);
	for (int i = 0; i < 2; i++)
		exchange_any(n[i], n[(i + 1) % 2]);

	/* The union: everything but the critical items, which go in every order. */
	{
		cts_node *all[NODES + 1] = { region, n[0], n[1], n[2] };
		count = collect(all, NODES + 1, &items);
		rest = calloc((size_t)count, sizeof(*rest));
		memset(crit, 0, sizeof(crit));
		for (int i = 0; i < count; i++) {
			int c = strcmp(items[i].node, "tb-1") == 0 && items[i].seq == s       ? 0
			        : strcmp(items[i].node, "tb-1") == 0 && items[i].seq == s + 1 ? 1
			        : strstr(items[i].json, "\"table\":\"fork\"")                 ? 3
			                                                                      : -1;
			if (c >= 0)
				crit[c] = items[i];
			else
				rest[nrest++] = items[i];
		}
		read_item(&crit[2], twin, "tb-1", s);
		assert_non_null(crit[0].json);
		assert_non_null(crit[1].json);
		assert_non_null(crit[3].json);
		assert_string_equal(crit[3].node, "ta-1");
	}
	/* Every order of the four, then every order of three with the first
	 * version known only from the fork record. */
	for (int variant = 0; variant < 2; variant++) {
		int nc = variant == 0 ? CRIT : CRIT - 1, nperm = variant == 0 ? 24 : 6;
		item sub[CRIT];
		for (int c = 0, k = 0; c < CRIT; c++)
			if (!(variant == 1 && c == 0))
				sub[k++] = crit[c];
		for (int p = 0; p < nperm; p++) {
			int perm[CRIT], used[CRIT] = { 0 }, code = p;
			for (int k = 0; k < nc; k++) { /* the p-th permutation (factorial base) */
				int f = 1, pick;
				for (int m = 2; m < nc - k; m++)
					f *= m;
				pick = code / f;
				code %= f;
				for (int m = 0; m < nc; m++)
					if (!used[m] && pick-- == 0) {
						perm[k] = m;
						used[m] = 1;
						break;
					}
			}
			import_order(auth, trial++, rest, nrest, sub, perm, nc, digest, forked);
			if (!ref[0])
				memcpy(ref, digest, 65);
			assert_string_equal(digest, ref);
		}
	}
	/* The nodes that were not forked converge too once they saw everything. */
	{
		cts_node *peers[] = { region, n[0], n[1], n[2], twin };
		for (int round = 0; round < 2; round++)
			for (int i = 0; i < 2; i++)
				for (int j = 0; j < 5; j++)
					if (peers[j] != n[i])
						exchange_any(n[i], peers[j]);
		for (int j = 1; j < 5; j++)
			exchange_any(region, peers[j]);
		for (int i = 0; i < 2; i++)
			exchange_any(n[i], region);
		assert_int_equal(cts_record_digest(region->store, digest), 0);
		assert_string_equal(digest, ref);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(cts_record_digest(n[i]->store, digest), 0);
			assert_string_equal(digest, ref);
		}
	}
	for (int i = 0; i < count; i++) {
		free(items[i].json);
		free(items[i].sig);
	}
	free(crit[2].json);
	free(crit[2].sig);
	free(items);
	free(rest);
	for (int i = 0; i < NODES; i++)
		cts_node_free(n[i]);
	cts_node_free(twin);
	cts_node_free(region);
	free(twin_home);
	free(auth);
	tu_rmtree(root);
	free(root);
}

/* ---- corrections of the domain modules ---- */

typedef struct {
	char meetings[3][37], opinions[2][37], contributions[2][37], members[3][37];
} shared_records;

static void create_shared(cts_node *n, shared_records *r)
{
	static const char *const dates[] = { "2020-06-16", "2020-09-01", "2020-10-01" };
	static const char *const bodies[] = { "pleniere", "bureau", "sante-mentale" };
	static const char *const names[] = { "MARTIN", "BERNARD", "THOMAS" };

	for (int i = 0; i < 3; i++) {
		cts_meeting_fields m = { .body = bodies[i], .date = dates[i], .title = "Réunion" };
		cts_member_fields p = { .last_name = names[i],
			                .first_name = "Anne",
			                .organisation = "X",
			                .college = "usagers" };
		assert_int_equal(cts_meeting_add(n, &m, r->meetings[i]), 0);
		assert_int_equal(cts_member_add(n, &p, r->members[i]), 0);
	}
	for (int i = 0; i < 2; i++) {
		cts_opinion_fields o = { .meeting = r->meetings[i],
			                 .subject = "Avis",
			                 .votes_for = 5,
			                 .outcome = "favorable" };
		cts_contribution_fields c = { .theme = "segur-pilier-1",
			                      .title = "Proposition",
			                      .text = "T",
			                      .meeting = i ? r->meetings[2] : NULL };
		assert_int_equal(cts_opinion_add(n, &o, r->opinions[i]), 0);
		assert_int_equal(cts_contribution_add(n, &c, r->contributions[i]), 0);
	}
}

/* One random correction on n; a refused one writes nothing. Returns 1
 * when it was refused. */
static int correct(cts_node *n, const shared_records *r)
{
	static const char *const titles[] = { "Plénière", "Séance", "Bureau élargi" };
	static const char *const dates[] = { "2020-06-17", "2020-06-18", "2020-11-02" };
	const char *m = r->meetings[rnd(3)], *o = r->opinions[rnd(2)],
	           *c = r->contributions[rnd(2)];
	const char *p = r->members[rnd(3)];
	int64_t before = 0, after = 0;
	int rc;

	assert_int_equal(cts_record_pending_ops(n->store, &before), 0);
	switch (rnd(14)) {
	case 0: {
		cts_meeting_fields f = { .title = titles[rnd(3)] };
		rc = cts_meeting_update(n, m, &f, NULL);
		break;
	}
	case 1: {
		cts_meeting_fields f = { .date = dates[rnd(3)], .again = 1 };
		rc = cts_meeting_update(n, m, &f, NULL);
		break;
	}
	case 2:
		rc = cts_meeting_approve(n, m, NULL);
		break;
	case 3:
		rc = cts_meeting_reopen(n, m, rnd(2) ? "erreur" : "oubli", NULL);
		break;
	case 4:
		rc = cts_meeting_cancel(n, m, NULL);
		break;
	case 5:
		rc = cts_meeting_restore(n, m, NULL);
		break;
	case 6: {
		cts_opinion_fields f = { .votes_for = rnd(6), .votes_given = CTS_VOTES_FOR };
		rc = cts_opinion_update(n, o, &f, NULL);
		break;
	}
	case 7:
		rc = cts_change_withdraw(n, "opinion", o, 1, NULL);
		break;
	case 8:
		rc = cts_change_withdraw(n, "opinion", o, 0, NULL);
		break;
	case 9: {
		cts_contribution_fields f = { .title = titles[rnd(3)],
			                      .date = rnd(2) ? "2020-05-29" : "" };
		rc = cts_contribution_update(n, c, &f, NULL);
		break;
	}
	case 10:
		rc = cts_change_withdraw(n, "contribution", c, rnd(2), NULL);
		break;
	case 11: {
		cts_member_fields f = { .organisation = titles[rnd(3)] };
		rc = cts_member_update(n, p, &f, NULL);
		break;
	}
	case 12:
		rc = cts_member_remove(n, p, NULL);
		break;
	default:
		rc = cts_member_restore(n, p, NULL);
		break;
	}
	assert_int_equal(cts_record_pending_ops(n->store, &after), 0);
	if (rc < 0) {
		/* refusals of input checks only: locks, removed members */
		if (rc != CTS_EINVAL && rc != CTS_ENOTFOUND && rc != CTS_EEXISTS)
			fail_msg("correction : %s", cts_error_message());
		assert_int_equal(after, before);
		return 1;
	}
	assert_true(after == before || after == before + 1);
	return 0;
}

static void test_corrections_converge(void **state)
{
	(void)state;
	cts_node *region, *n[NODES];
	char *auth = NULL, ids_a[6][37], ids_b[4][37];
	shared_records r;
	int refused = 0;

	region = setup(n, &auth, ids_a, ids_b);
	create_shared(n[0], &r);
	exchange(n[1], n[0]);

	for (int round = 0; round < 3 * ROUNDS; round++) {
		for (int i = 0; i < 2; i++) {
			int edits = 1 + (int)rnd(4);
			for (int e = 0; e < edits; e++)
				refused += correct(n[i], &r);
			if (rnd(2))
				tu_seal(n[i]);
		}
		if (rnd(3) == 0) {
			int a = (int)rnd(2);
			exchange(n[a], n[1 - a]);
		}
	}
	for (int i = 0; i < 2; i++)
		tu_seal(n[i]);
	assert_true(refused > 0); /* the locks did refuse some */
	cts_node *all[NODES + 1] = { region, n[0], n[1], n[2] };
	converge(all, NODES + 1, auth, "fresh-c");
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
		cmocka_unit_test(test_corrections_converge),
		cmocka_unit_test(test_convergence_forks),
	};
	assert_int_equal(cts_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
