/*
 * Fork records (sync/forkproof.h): built from two signed versions, checked
 * the same way by the importer and the audit; every invalid shape is
 * refused with its reason; bodies that would not fit are left out. And
 * sealing keeps a changeset under its size limit by splitting the pending
 * operations by bytes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "changeset.h"
#include "crypto.h"
#include "error.h"
#include "forkproof.h"
#include "journal.h"
#include "key.h"
#include "record.h"
#include "sshsig.h"
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
	cts_changeset *cs;
	char *sig;
	size_t sig_len;
	cts_fork_version v;
} signed_cs;

static void make_version(signed_cs *out, const cts_key *key, int64_t seq, const char *name)
{
	json_t *ops = json_pack("[{s:s, s:s, s:s, s:s, s:{s:s}}]", "hlc", "0000018000000000", "op",
	                        "put", "table", "member", "id",
	                        "0b6a3c1e-1111-4c1e-9a51-00000000abcd", "set", "last_name", name);
	json_t *seen = json_object();

	memset(out, 0, sizeof(*out));
	assert_int_equal(
	    cts_changeset_build(
	        &out->cs, "tb-1", "tb", seq,
	        seq > 1 ? "0000000000000000000000000000000000000000000000000000000000000000" : NULL,
	        "2026-01-01T00:00:00Z", seen, ops),
	    0);
	assert_int_equal(cts_sshsig_sign(&out->sig, &out->sig_len, key, CTS_SIG_NAMESPACE,
	                                 (const unsigned char *)out->cs->bytes, out->cs->len),
	                 0);
	memcpy(out->v.id, out->cs->id, 65);
	out->v.body = out->cs->bytes;
	out->v.body_len = out->cs->len;
	out->v.sig = out->sig;
	out->v.sig_len = out->sig_len;
	json_decref(ops);
	json_decref(seen);
}

static void drop_version(signed_cs *s)
{
	cts_changeset_free(s->cs);
	free(s->sig);
}

/* The changeset op carrying `set` for (node, seq) (set stolen). */
static json_t *fork_op(const char *node, int64_t seq, json_t *set)
{
	char rid[37];

	cts_fork_record_id(rid, node, seq);
	return json_pack("{s:s, s:s, s:s, s:s, s:o}", "hlc", "0000018000000000", "op", "put",
	                 "table", "fork", "id", rid, "set", set);
}

static void expect_invalid(json_t *op, const unsigned char *pk, const char *why_part)
{
	cts_fork_version v[2];
	char why[400] = "";

	assert_int_equal(cts_fork_evidence_check(op, pk, v, why, sizeof(why)), -1);
	if (!strstr(why, why_part))
		fail_msg("raison « %s » sans « %s »", why, why_part);
	json_decref(op);
}

static void test_check(void **state)
{
	(void)state;
	cts_key *key = NULL, *other = NULL;
	signed_cs a, b, c, d;
	json_t *set, *op;
	cts_fork_version v[2];
	char why[400];
	const unsigned char *pk;

	assert_int_equal(cts_key_generate(&key), 0);
	assert_int_equal(cts_key_generate(&other), 0);
	pk = cts_key_public(key);
	make_version(&a, key, 2, "UN");
	make_version(&b, key, 2, "DEUX");
	make_version(&c, key, 1, "AUTRE-NUMERO");
	make_version(&d, other, 2, "AUTRE-CLE");

	/* Valid, whatever the order given; ids stored in order. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &b.v, &a.v), 0);
	assert_true(strcmp(json_string_value(json_object_get(set, "id_a")),
	                   json_string_value(json_object_get(set, "id_b"))) < 0);
	op = fork_op("tb-1", 2, set);
	assert_int_equal(cts_fork_evidence_check(op, pk, v, why, sizeof(why)), 0);
	assert_non_null(v[0].body);
	assert_non_null(v[1].body);
	/* Without the key, the bodies cannot be checked. */
	assert_int_equal(cts_fork_evidence_check(op, NULL, v, why, sizeof(why)), 1);
	json_decref(op);

	/* The same version twice. */
	assert_int_not_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &a.v), 0);
	cts_error_clear();
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &b.v), 0);
	json_object_set(set, "id_b", json_object_get(set, "id_a"));
	json_object_set(set, "body_b", json_object_get(set, "body_a"));
	json_object_set(set, "sig_b", json_object_get(set, "sig_a"));
	expect_invalid(fork_op("tb-1", 2, set), pk, "identiques");
	/* A version signed by another key. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &d.v), 0);
	expect_invalid(fork_op("tb-1", 2, set), pk, "signature invalide");
	/* One version's signature swapped for the other's. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &b.v), 0);
	json_object_set(set, "sig_a", json_object_get(set, "sig_b"));
	expect_invalid(fork_op("tb-1", 2, set), pk, "signature invalide");
	/* A version of another seq. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &c.v), 0);
	expect_invalid(fork_op("tb-1", 2, set), pk, "pas le n°2");
	/* A body that is not the one its id names. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &b.v), 0);
	json_object_set_new(set, "body_a", json_string("{}\n"));
	expect_invalid(fork_op("tb-1", 2, set), pk, "empreinte");
	/* Ids out of order. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &b.v), 0);
	{
		json_t *ia = json_incref(json_object_get(set, "id_a"));
		json_object_set(set, "id_a", json_object_get(set, "id_b"));
		json_object_set_new(set, "id_b", ia);
	}
	expect_invalid(fork_op("tb-1", 2, set), pk, "désordre");
	/* A record id that is not the derived one. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &b.v), 0);
	expect_invalid(fork_op("tb-1", 3, set), pk, "identifiant");
	/* A delete. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &b.v), 0);
	op = fork_op("tb-1", 2, set);
	json_object_set_new(op, "op", json_string("del"));
	expect_invalid(op, pk, "ne se supprime pas");
	/* Without bodies: ids and signatures only, nothing to check. */
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a.v, &b.v), 0);
	json_object_set_new(set, "body_a", json_null());
	json_object_set_new(set, "body_b", json_null());
	op = fork_op("tb-1", 2, set);
	assert_int_equal(cts_fork_evidence_check(op, NULL, v, why, sizeof(why)), 0);
	assert_null(v[0].body);
	json_decref(op);

	drop_version(&a);
	drop_version(&b);
	drop_version(&c);
	drop_version(&d);
	cts_key_free(key);
	cts_key_free(other);
}

/* Bodies too big to be carried are left out: both, else the smaller. */
static void test_build_budget(void **state)
{
	(void)state;
	size_t big = 4u * 1024 * 1024, huge = 7u * 1024 * 1024;
	char *x = malloc(huge), *y = malloc(huge);
	cts_fork_version a = { .body = x, .sig = "s", .sig_len = 1 },
	                 b = { .body = y, .sig = "t", .sig_len = 1 };
	json_t *set;

	memset(x, 'a', huge);
	memset(y, 'b', huge);
	memset(a.id, '1', 64);
	memset(b.id, '2', 64);
	a.body_len = 1000;
	b.body_len = 2000;
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a, &b), 0);
	assert_true(json_is_string(json_object_get(set, "body_a")) &&
	            json_is_string(json_object_get(set, "body_b")));
	json_decref(set);
	a.body_len = big;
	b.body_len = big + 1;
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &a, &b), 0);
	assert_true(json_is_string(json_object_get(set, "body_a")));
	assert_true(json_is_null(json_object_get(set, "body_b")));
	json_decref(set);
	a.body_len = b.body_len = huge;
	assert_int_equal(cts_fork_evidence_build(&set, "tb-1", 2, &b, &a), 0);
	assert_true(json_is_null(json_object_get(set, "body_a")) &&
	            json_is_null(json_object_get(set, "body_b")));
	assert_string_equal(json_string_value(json_object_get(set, "id_a")), a.id);
	json_decref(set);
	free(x);
	free(y);
}

/* Sealing splits pending operations by bytes: no changeset beyond the limit. */
static void test_seal_splits_by_bytes(void **state)
{
	(void)state;
	char *root = tu_tmpdir(), *text = malloc(65537), rid[37];
	cts_node *n = tu_node(
	    root, "ta-1", "ta", CTS_ROLE_TERRITORY,
	    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBjSIlD930H97FzSX0i7yAVhWhIhiJ/LwbfIRMYp/KyV");
	int64_t last = 0;

	memset(text, 'x', 65536);
	text[65536] = '\0';
	for (int i = 0; i < 140; i++) { /* about 9 MiB of text */
		json_t *set = json_pack("{s:s, s:s, s:s}", "theme", "segur-pilier-1", "title", "T",
		                        "text", text);
		cts_record_new_id(rid);
		assert_int_equal(cts_record_put(n->store, "contribution", rid, set), 0);
		json_decref(set);
	}
	tu_seal(n);
	assert_int_equal(cts_store_meta_get_int(n->store, "last_seq", &last, 0), 0);
	assert_int_equal(last, 2);
	for (int64_t s = 1; s <= last; s++) {
		char *json = NULL, *sig = NULL;
		size_t jl, sl;
		assert_int_equal(cts_history_get(n, n->id, s, &json, &jl, &sig, &sl), 0);
		assert_true(jl <= CTS_CHANGESET_MAX_BYTES);
		free(json);
		free(sig);
	}
	cts_node_free(n);
	free(text);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_build_budget),
		cmocka_unit_test(test_seal_splits_by_bytes),
	};
	assert_int_equal(cts_crypto_init(), 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
