/* Store: migrations, version refusal, transactions. Record engine:
 * local writes are atomic with their journal entries; LWW per field;
 * tombstones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "incident.h"
#include "record.h"
#include "store.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
	char *dir, *db;
	cts_store *st;
} fixture;

static int count(cts_store *st, const char *sql)
{
	sqlite3_stmt *s;
	int n = -1;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	f->dir = tu_tmpdir();
	f->db = tu_path(f->dir, "node.db");
	assert_int_equal(cts_store_open(&f->st, f->db, 1), 0);
	assert_int_equal(cts_store_meta_set(f->st, "node", "test-node-a"), 0);
	assert_int_equal(cts_store_meta_set(f->st, "territory", "rouen-elbeuf"), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	cts_store_free(f->st);
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static void test_newer_schema_refused(void **state)
{
	fixture *f = *state;
	char sql[64];
	cts_store *st2 = NULL;

	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", cts_store_schema_version() + 1);
	assert_int_equal(cts_store_exec(f->st, sql), 0);
	assert_int_equal(cts_store_open(&st2, f->db, 0), CTS_EVERSION);
	assert_null(st2);
	assert_non_null(strstr(cts_error_message(), "plus récente"));
}

static void test_pragmas(void **state)
{
	fixture *f = *state;
	sqlite3_stmt *s;

	assert_int_equal(sqlite3_prepare_v2(f->st->db, "PRAGMA journal_mode", -1, &s, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	assert_int_equal(count(f->st, "PRAGMA foreign_keys"), 1);
}

static void test_put_journals_atomically(void **state)
{
	fixture *f = *state;
	json_t *set = json_pack("{s:s, s:s, s:s}", "last_name", "GESLIN", "first_name", "Annie",
	                        "college", "usagers");
	const char *id = "0b6a3c1e-1111-4c1e-9a51-000000000001";

	assert_int_equal(cts_record_put(f->st, "member", id, set), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM member"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM journal WHERE sealed_seq IS NULL"), 1);
	assert_int_equal(count(f->st, "SELECT count(*) FROM rstate r, json_each(r.st)"), 3);
	json_decref(set);
}

/* The write fails half-way (after the data rows are written, at the
 * journal insert of the last record): nothing of the batch remains. */
static void test_failure_half_way_leaves_nothing(void **state)
{
	fixture *f = *state;
	json_t *set =
	    json_pack("{s:s, s:s, s:s}", "last_name", "X", "first_name", "Y", "college", "etat");
	const char *ids[] = { "0b6a3c1e-1111-4c1e-9a51-00000000000a",
		              "0b6a3c1e-1111-4c1e-9a51-00000000000b",
		              "0b6a3c1e-1111-4c1e-9a51-00000000000c" };
	int rc = 0;

	assert_int_equal(cts_store_exec(f->st,
	                                "CREATE TEMP TRIGGER boom BEFORE INSERT ON journal"
	                                " WHEN NEW.rid = '0b6a3c1e-1111-4c1e-9a51-00000000000c'"
	                                " BEGIN SELECT RAISE(ABORT, 'contrainte violée'); END"),
	                 0);
	assert_int_equal(cts_store_begin(f->st), 0);
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = cts_record_put(f->st, "member", ids[i], set);
	assert_int_not_equal(rc, 0);
	cts_store_rollback(f->st);
	assert_int_equal(count(f->st, "SELECT count(*) FROM member"), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM rstate r, json_each(r.st)"), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM journal"), 0);
	/* The failing record alone also leaves nothing, not even its data. */
	rc = cts_record_put(f->st, "member", ids[2], set);
	assert_int_not_equal(rc, 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM member"), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM rstate r, json_each(r.st)"), 0);
	json_decref(set);
}

static void test_lww_and_tombstone(void **state)
{
	fixture *f = *state;
	const cts_table_def *t = cts_table_find("member");
	const char *id = "0b6a3c1e-1111-4c1e-9a51-0000000000ff";
	json_t *a = json_pack("{s:s}", "last_name", "A"), *b = json_pack("{s:s}", "last_name", "B");
	json_t *seen = json_object();
	cts_stamp w1 = { "node-one", "rouen-elbeuf", 1, 100, seen },
	          w2 = { "node-two", "rouen-elbeuf", 1, 100, seen };
	cts_stamp old = { "node-one", "rouen-elbeuf", 2, 50, seen },
	          del = { "node-one", "rouen-elbeuf", 3, 200, seen };
	cts_stamp late = { "node-two", "rouen-elbeuf", 2, 300, seen };
	char d1[65], d2[65];

	assert_int_equal(cts_store_begin(f->st), 0);
	assert_int_equal(cts_record_apply_put(f->st, t, &w1, id, a), 0);
	assert_int_equal(cts_record_apply_put(f->st, t, &w2, id, b),
	                 0); /* same hlc, node-two > node-one */
	assert_int_equal(count(f->st, "SELECT count(*) FROM member WHERE last_name = 'B'"), 1);
	assert_int_equal(cts_record_apply_put(f->st, t, &old, id, a), 0); /* older: loses */
	assert_int_equal(count(f->st, "SELECT count(*) FROM member WHERE last_name = 'B'"), 1);
	/* concurrent (empty seen) different values: one conflict kept */
	assert_true(count(f->st, "SELECT count(*) FROM conflict") >= 1);
	assert_int_equal(cts_record_digest(f->st, d1), 0);
	assert_int_equal(cts_record_apply_put(f->st, t, &w2, id, b), 0); /* idempotent */
	assert_int_equal(cts_record_digest(f->st, d2), 0);
	assert_string_equal(d1, d2);
	assert_int_equal(cts_record_apply_del(f->st, t, &del, id), 0);
	assert_int_equal(count(f->st, "SELECT count(*) FROM member"), 0);
	assert_int_equal(cts_record_apply_put(f->st, t, &late, id, a), 0); /* a later put revives */
	assert_int_equal(count(f->st, "SELECT count(*) FROM member WHERE last_name = 'A'"), 1);
	assert_int_equal(cts_store_commit(f->st), 0);
	json_decref(a);
	json_decref(b);
	json_decref(seen);
}

/* The record's state row keeps every value exactly: text with quotes,
 * backslashes, control characters and non-ASCII, integers (booleans as
 * 0/1), null, also when a later write of another field rewrites the row
 * from the values read back; field names in byte order. */
static void test_state_round_trip(void **state)
{
	fixture *f = *state;
	const cts_table_def *t = cts_table_find("opinion");
	const char *id = "0b6a3c1e-1111-4c1e-9a51-0000000000ee";
	const char *text = "« l'avis » \"cité\" \\ C:\\x\t\x01 fin \xf0\x9f\x98\x80";
	json_t *seen = json_object();
	json_t *a = json_pack("{s:s, s:I, s:b, s:n, s:s}", "subject", text, "votes_for",
	                      (json_int_t)-9007199254740993LL, "votes_against", 1, "outcome",
	                      "status", "rendu");
	json_t *b = json_pack("{s:i}", "votes_abstain", 4);
	cts_stamp w1 = { "node-one", "rouen-elbeuf", 1, 100, seen },
	          w2 = { "node-one", "rouen-elbeuf", 2, 200, seen };
	sqlite3_stmt *s;

	assert_int_equal(cts_store_begin(f->st), 0);
	assert_int_equal(cts_record_apply_put(f->st, t, &w1, id, a), 0);
	assert_int_equal(cts_record_apply_put(f->st, t, &w2, id, b), 0);
	assert_int_equal(cts_store_commit(f->st), 0);
	assert_int_equal(sqlite3_prepare_v2(f->st->db,
	                                    "SELECT subject, votes_for, typeof(votes_against),"
	                                    " votes_against, outcome IS NULL, votes_abstain, status"
	                                    " FROM opinion",
	                                    -1, &s, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), text);
	assert_true(sqlite3_column_int64(s, 1) == -9007199254740993LL);
	assert_string_equal((const char *)sqlite3_column_text(s, 2), "integer");
	assert_int_equal(sqlite3_column_int(s, 3), 1);
	assert_int_equal(sqlite3_column_int(s, 4), 1);
	assert_int_equal(sqlite3_column_int(s, 5), 4);
	assert_string_equal((const char *)sqlite3_column_text(s, 6), "rendu");
	sqlite3_finalize(s);
	assert_int_equal(count(f->st,
	                       "SELECT count(*) FROM rstate r, json_each(r.st) j"
	                       " WHERE typeof(j.value ->> 0) = 'null' AND j.key = 'outcome'"),
	                 1);
	assert_int_equal(count(f->st, "SELECT (SELECT group_concat(key) FROM json_each(st))"
	                              " = 'outcome,status,subject,votes_abstain,votes_against,"
	                              "votes_for' FROM rstate"),
	                 1);
	json_decref(a);
	json_decref(b);
	json_decref(seen);
}

static void test_check_set(void **state)
{
	(void)state;
	const cts_table_def *t = cts_table_find("opinion");
	json_t *ok = json_pack("{s:i, s:s}", "votes_for", 3, "outcome", "favorable");
	json_t *bad_type = json_pack("{s:s}", "votes_for", "3");
	json_t *bad_field = json_pack("{s:s}", "territory", "x");
	assert_int_equal(cts_record_check_set(t, ok), 0);
	assert_int_equal(cts_record_check_set(t, bad_type), CTS_EINVAL);
	assert_int_equal(cts_record_check_set(t, bad_field), CTS_EINVAL);
	json_decref(ok);
	json_decref(bad_type);
	json_decref(bad_field);
}

/* Incidents: one row per distinct observation, counted again when seen
 * again, listed oldest first with their date from the store clock. */
static uint64_t fixed_clock(void *ctx)
{
	return *(uint64_t *)ctx;
}

static void test_incidents(void **state)
{
	fixture *f = *state;
	uint64_t now = 1749945600000ull; /* 2025-06-15T00:00:00Z */
	json_t *list = NULL, *e;
	int64_t n = -1;

	f->st->clock = fixed_clock;
	f->st->clock_ctx = &now;
	assert_int_equal(
	    cts_incident_add(f->st, "branch_rewritten", "lh-sec", 3, "branche réécrite"), 0);
	now += 3600000;
	assert_int_equal(
	    cts_incident_add(f->st, "branch_rewritten", "lh-sec", 3, "branche réécrite"), 0);
	assert_int_equal(cts_incident_add(f->st, "fork", "re-sec", 2, "deux versions"), 0);
	assert_int_equal(cts_incident_count(f->st, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(cts_incident_list(f->st, &list), 0);
	assert_int_equal(json_array_size(list), 2);
	e = json_array_get(list, 0);
	assert_string_equal(json_string_value(json_object_get(e, "kind")), "branch_rewritten");
	assert_string_equal(json_string_value(json_object_get(e, "node")), "lh-sec");
	assert_int_equal(json_integer_value(json_object_get(e, "seq")), 3);
	assert_int_equal(json_integer_value(json_object_get(e, "count")), 2);
	assert_string_equal(json_string_value(json_object_get(e, "date")), "2025-06-15T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(e, "last_seen")),
	                    "2025-06-15T01:00:00Z");
	json_decref(list);
	/* Inside a transaction that is rolled back, nothing stays. */
	assert_int_equal(cts_store_begin(f->st), 0);
	assert_int_equal(cts_incident_add(f->st, "fork", "x-sec", 1, "d"), 0);
	cts_store_rollback(f->st);
	assert_int_equal(cts_incident_count(f->st, &n), 0);
	assert_int_equal(n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_newer_schema_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pragmas, setup, teardown),
		cmocka_unit_test_setup_teardown(test_put_journals_atomically, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failure_half_way_leaves_nothing, setup,
		                                teardown),
		cmocka_unit_test_setup_teardown(test_lww_and_tombstone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_state_round_trip, setup, teardown),
		cmocka_unit_test(test_check_set),
		cmocka_unit_test_setup_teardown(test_incidents, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
