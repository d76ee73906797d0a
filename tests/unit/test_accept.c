/*
 * The acceptance rules (sync/accept.h) against a view made of plain facts:
 * each rule alone gives its state and the importer's reason; several
 * broken rules are all reported (the audit's findings) while the verdict
 * is the first in the importer's order; a revoked node's content is not
 * judged; the registry operations of the authority.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "accept.h"
#include "changeset.h"
#include "hlc.h"
#include "record.h"

#include <stdio.h>
#include <string.h>

#define ID_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define ID_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define NOW_MS 1780000000000ull /* 2026 */
#define KEY_LH "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOmP4oF8n1ozwJ1fN0pM6G1yq3c4QZ8pZb7lkE2nq2o3"

/* The registry of the fake view: lh-secretariat enrolled in le-havre. */
static int fake_entry(void *ctx, const char *node, cts_accept_entry *out)
{
	(void)ctx;
	if (strcmp(node, "lh-secretariat") != 0)
		return 0;
	snprintf(out->key, sizeof(out->key), "%s", KEY_LH);
	snprintf(out->territory, sizeof(out->territory), "le-havre");
	snprintf(out->role, sizeof(out->role), "territory");
	return 1;
}

static int fake_node_of(void *ctx, const char *rid, char node[65])
{
	char expect[37];

	(void)ctx;
	cts_record_derived_id(expect, "registry:lh-secretariat");
	if (strcmp(rid, expect) != 0)
		return 0;
	snprintf(node, 65, "lh-secretariat");
	return 1;
}

/* A territory node dp-secretariat (dieppe) whose chain holds n°1..2. */
static cts_accept_view territory_view(void)
{
	cts_accept_view v = { .known = 1,
		              .territory = "dieppe",
		              .role = "territory",
		              .revoked_after = -1,
		              .sig_ok = 1,
		              .last_seq = 2,
		              .prev_id = ID_A,
		              .clock_rule = 1,
		              .now_ms = NOW_MS,
		              .entry = fake_entry,
		              .node_of = fake_node_of };
	return v;
}

/* A changeset of node (territory) n°seq with prev ID_A and the ops given as JSON text. */
static cts_changeset *make(const char *node, const char *territory, int64_t seq,
                           const char *ops_text)
{
	json_t *ops = json_loads(ops_text, 0, NULL), *seen = json_object();
	cts_changeset *cs = NULL;

	assert_non_null(ops);
	assert_int_equal(cts_changeset_build(&cs, node, territory, seq, seq > 1 ? ID_A : NULL,
	                                     "2026-05-28T20:00:00Z", seen, ops),
	                 0);
	json_decref(ops);
	json_decref(seen);
	return cs;
}

#define MEMBER(college)                                                                            \
	"[{\"hlc\":\"019e702c1e000000\",\"op\":\"put\",\"table\":\"member\",\"id\":\"0b6a3c1e-"    \
	"1111-4c1e-9a51-"                                                                          \
	"00000000abcd\",\"set\":{\"last_name\":\"X\",\"first_name\":\"Y\",\"organisation\":\"Z\"," \
	"\"college\":\"" college "\"}}]"
#define THEME                                                                                      \
	"[{\"hlc\":\"019e702c1e000000\",\"op\":\"put\",\"table\":\"theme\",\"id\":\"0b6a3c1e-"     \
	"1111-4c1e-9a51-"                                                                          \
	"00000000abce\",\"set\":{\"code\":\"t1\",\"label\":\"Thème\"}}]"

static void judge(const cts_changeset *cs, const cts_accept_view *v, cts_accept_verdict *out)
{
	cts_accept_judge(cs, v, out);
}

static void test_accepted(void **state)
{
	cts_accept_view v = territory_view();
	cts_changeset *cs = make("dp-secretariat", "dieppe", 3, MEMBER("etat"));
	cts_accept_verdict jv;

	(void)state;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_OK);
	assert_int_equal(jv.broken, 0);
	assert_string_equal(jv.reason, "");
	cts_changeset_free(cs);
}

static void test_signer_and_signature(void **state)
{
	cts_accept_view v = territory_view();
	cts_changeset *cs = make("dp-secretariat", "dieppe", 3, MEMBER("etat"));
	cts_accept_verdict jv;

	(void)state;
	v.known = 0;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_PENDING);
	assert_int_equal(jv.rule, CTS_RULE_UNKNOWN_SIGNER);
	assert_non_null(strstr(jv.reason, "pas encore inscrit"));
	v = territory_view();
	v.sig_ok = 0;
	v.sig_why = "contenu modifié";
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_REFUSED);
	assert_string_equal(jv.reason, "signature invalide : contenu modifié");
	cts_changeset_free(cs);
}

static void test_chain(void **state)
{
	cts_accept_view v = territory_view();
	cts_changeset *cs = make("dp-secretariat", "dieppe", 3, MEMBER("etat"));
	cts_accept_verdict jv;

	(void)state;
	v.prev_id = ID_B;
	judge(cs, &v, &jv);
	assert_int_equal(jv.rule, CTS_RULE_PREV);
	assert_non_null(strstr(jv.reason, "chaîne rompue"));
	v = territory_view();
	v.last_seq = 1;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_PENDING);
	assert_non_null(strstr(jv.reason, "n°2 de dp-secretariat (trou"));
	v = territory_view();
	v.last_seq = 3;
	v.here_id = cs->id;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_DUPLICATE);
	v.here_id = ID_B;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_REFUSED);
	assert_int_equal(jv.rule, CTS_RULE_SEQ_TAKEN);
	cts_changeset_free(cs);
}

static void test_forks(void **state)
{
	cts_accept_view v = territory_view();
	cts_changeset *cs = make("dp-secretariat", "dieppe", 3, MEMBER("etat"));
	cts_accept_verdict jv;

	(void)state;
	v.fork_from = 3;
	judge(cs, &v, &jv);
	assert_int_equal(jv.rule, CTS_RULE_FORK);
	assert_non_null(strstr(jv.reason, "deux changesets différents"));
	v.fork_from = 2;
	judge(cs, &v, &jv);
	assert_non_null(strstr(jv.reason, "bifurcation de dp-secretariat au n°2"));
	v.fork_from = 4; /* later than this one: no effect */
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_OK);
	cts_changeset_free(cs);
}

/* Several rules broken: every one is set, the verdict is the first. */
static void test_all_broken_first_wins(void **state)
{
	cts_accept_view v = territory_view();
	cts_changeset *cs = make(
	    "dp-secretariat", "rouen-elbeuf", 3,
	    "[{\"hlc\":\"019e702c1e000000\",\"op\":\"put\",\"table\":\"theme\",\"id\":\"0b6a3c1e-"
	    "1111-4c1e-9a51-00000000abce\",\"set\":{\"code\":\"t1\",\"label\":\"Thème\"}},"
	    "{\"hlc\":\"019e702c1e000000\",\"op\":\"put\",\"table\":\"member\",\"id\":\"0b6a3c1e-"
	    "1111-4c1e-9a51-00000000abcd\",\"set\":{\"last_name\":\"X\",\"first_name\":\"Y\","
	    "\"organisation\":\"Z\",\"college\":\"evil-college\"}}]");
	cts_accept_verdict jv;

	(void)state;
	judge(cs, &v, &jv);
	assert_int_equal(jv.broken, CTS_RULE_TERRITORY | CTS_RULE_TABLE | CTS_RULE_VALUES);
	assert_int_equal(jv.rule, CTS_RULE_TERRITORY);
	assert_string_equal(jv.reason,
	                    "territoire différent de celui de l'inscription : rouen-elbeuf");
	assert_int_equal(jv.first_table, 1);
	assert_int_equal(jv.bad_tables, 1);
	assert_int_equal(jv.first_value, 2);
	assert_int_equal(jv.bad_values, 1);
	assert_non_null(strstr(jv.value_why, "evil-college"));
	/* In its own territory, the first op is the reason. */
	cts_changeset_free(cs);
	cs = make("dp-secretariat", "dieppe", 3, THEME);
	judge(cs, &v, &jv);
	assert_string_equal(jv.reason, "opération 1 : un nœud de territoire n'a pas le droit "
	                               "d'écrire la table theme (réservée à la région)");
	assert_int_equal(jv.rule, CTS_RULE_TABLE);
	v.role = "authority";
	cts_changeset_free(cs);
	cs = make("dp-secretariat", "dieppe", 3, MEMBER("etat"));
	judge(cs, &v, &jv);
	assert_string_equal(jv.reason,
	                    "opération 1 : l'autorité n'écrit pas la table member des territoires");
	cts_changeset_free(cs);
}

static void test_revoked_content_not_judged(void **state)
{
	cts_accept_view v = territory_view();
	cts_changeset *cs = make("dp-secretariat", "dieppe", 3, MEMBER("evil-college"));
	cts_accept_verdict jv;

	(void)state;
	v.revoked_after = 2;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_IGNORED);
	assert_int_equal(jv.broken, CTS_RULE_REVOKED);
	assert_string_equal(jv.reason, "clé révoquée : changesets valides jusqu'au n°2");
	v.revoked_after = 3;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_REFUSED);
	assert_int_equal(jv.rule, CTS_RULE_VALUES);
	cts_changeset_free(cs);
}

static void test_clocks(void **state)
{
	cts_accept_view v = territory_view();
	cts_changeset *cs =
	    make("dp-secretariat", "dieppe", 3, MEMBER("etat")); /* HLC 2026-05-28T20:00Z */
	cts_accept_verdict jv;

	(void)state;
	v.now_ms = CTS_HLC_MS(cs->hlc_max) - CTS_HLC_MAX_AHEAD_MS - 3600000;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_HELD);
	assert_non_null(strstr(jv.reason, "25.0 h sur la nôtre"));
	v = territory_view();
	v.clock_rule = 0;
	v.sealing_rule = 1;
	v.sealed_ms = CTS_HLC_MS(cs->hlc_max) - 3 * 86400000ull;
	judge(cs, &v, &jv);
	assert_int_equal(jv.rule, CTS_RULE_SEALING_CLOCK);
	assert_int_equal(jv.ahead_ms, 3 * 86400000ull);
	v.sealed_ms = CTS_HLC_MS(cs->hlc_max) - 3600000;
	judge(cs, &v, &jv);
	assert_int_equal(jv.state, CTS_ACCEPT_OK);
	cts_changeset_free(cs);
}

/* The authority's registry operations, against the registry before them. */
static void test_registry_ops(void **state)
{
	cts_accept_view v = territory_view();
	char rid[37], ops[900], why[400];
	json_t *op;

	(void)state;
	v.role = "authority";
	cts_record_derived_id(rid, "registry:lh-secretariat");
	snprintf(
	    ops, sizeof(ops),
	    "{\"hlc\":\"019e702c1e000000\",\"op\":\"del\",\"table\":\"registry\",\"id\":\"%s\"}",
	    rid);
	op = json_loads(ops, 0, NULL);
	assert_int_equal(cts_accept_registry_op(&v, op, why, sizeof(why)), -1);
	assert_string_equal(why, "une inscription ne se supprime pas : elle se révoque");
	json_decref(op);
	snprintf(
	    ops, sizeof(ops),
	    "{\"op\":\"put\",\"table\":\"registry\",\"id\":\"%s\",\"set\":{\"revoked_after\":4}}",
	    rid);
	op = json_loads(ops, 0, NULL);
	assert_int_equal(cts_accept_registry_op(&v, op, why, sizeof(why)), 0); /* a revocation */
	json_object_set_new(op, "id", json_string("0b6a3c1e-1111-4c1e-9a51-00000000ffff"));
	assert_int_equal(cts_accept_registry_op(&v, op, why, sizeof(why)), -1);
	assert_string_equal(why, "registre : mise à jour d'une inscription inconnue");
	json_decref(op);
	snprintf(ops, sizeof(ops),
	         "{\"op\":\"put\",\"table\":\"registry\",\"id\":\"%s\",\"set\":{\"node\":\"lh-"
	         "secretariat\","
	         "\"territory_code\":\"dieppe\"}}",
	         rid);
	op = json_loads(ops, 0, NULL);
	assert_int_equal(cts_accept_registry_op(&v, op, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "ne changent pas"));
	json_decref(op);
	cts_record_derived_id(rid, "registry:nouveau-1");
	snprintf(ops, sizeof(ops),
	         "{\"op\":\"put\",\"table\":\"registry\",\"id\":\"%s\",\"set\":{\"node\":\"nouveau-"
	         "1\",\"role\":\"territory\"}}",
	         rid);
	op = json_loads(ops, 0, NULL);
	assert_int_equal(cts_accept_registry_op(&v, op, why, sizeof(why)), -1);
	assert_string_equal(
	    why, "registre : inscription de nouveau-1 incomplète (clé, territoire, rôle)");
	json_decref(op);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_signer_and_signature),
		cmocka_unit_test(test_chain),
		cmocka_unit_test(test_forks),
		cmocka_unit_test(test_all_broken_first_wins),
		cmocka_unit_test(test_revoked_content_not_judged),
		cmocka_unit_test(test_clocks),
		cmocka_unit_test(test_registry_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
