/* The roll matched by name: edit distance, exact (folded) and near matches,
 * the last name with an initial, the other order, and a name that is
 * nobody's refused with the near members named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "error.h"
#include "member.h"
#include "record.h"
#include "roll.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *root;
static cts_node *node;
static cts_roll *roll;

/* Member ids chosen, to find them in messages. */
#define ID_GESLIN "aaaa1111-0000-4000-8000-000000000001"
#define ID_PERIER "aaaa2222-0000-4000-8000-000000000002"

static void put_member(const char *id, const char *last, const char *first, const char *seat,
                       const char *start, const char *end)
{
	json_t *set = json_pack("{s:s, s:s, s:s, s:s, s:s}", "last_name", last, "first_name", first,
	                        "organisation", "X", "college", "usagers", "seat", seat);
	if (start)
		json_object_set_new(set, "mandate_start", json_string(start));
	if (end)
		json_object_set_new(set, "mandate_end", json_string(end));
	if (cts_record_put(node->store, "member", id, set) < 0)
		fail_msg("member %s: %s", last, cts_error_message());
	json_decref(set);
}

static void add(const char *last, const char *first)
{
	cts_member_fields f = { .last_name = last,
		                .first_name = first,
		                .organisation = "X",
		                .college = "professionnels" };
	if (cts_member_add(node, &f, NULL) < 0)
		fail_msg("member add %s: %s", last, cts_error_message());
}

static int setup(void **state)
{
	(void)state;
	root = tu_tmpdir();
	node = tu_territory_node(root, "roll-1", "le-havre");
	add("CASADEI", "François");
	add("CASADEI", "Francis");
	add("BOUCHER-LE BRAS", "Anne-Marie");
	add("BOLLENGIER", "Pierre");
	add("LI", "Bo");
	add("O'BRIEN", "Seán");
	put_member(ID_GESLIN, "GESLIN", "Annie", "titulaire", "2019-01-01", "2020-12-31");
	put_member(ID_PERIER, "PÉRIER", "Marc", "suppleant", NULL, NULL);
	if (cts_roll_load(node, NULL, &roll) < 0)
		fail_msg("roll: %s", cts_error_message());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cts_roll_free(roll);
	cts_node_free(node);
	tu_rmtree(root);
	free(root);
	return 0;
}

static const cts_roll_member *by_name(const char *last, const char *first)
{
	for (size_t i = 0; i < roll->count; i++)
		if (strcmp(roll->members[i].last_name, last) == 0 &&
		    strcmp(roll->members[i].first_name, first) == 0)
			return &roll->members[i];
	fail_msg("%s %s not in the roll", last, first);
	return NULL;
}

static void test_load(void **state)
{
	(void)state;
	const cts_roll_member *g = by_name("GESLIN", "Annie"), *p = by_name("PÉRIER", "Marc");

	assert_int_equal(roll->count, 8);
	assert_string_equal(g->id, ID_GESLIN);
	assert_string_equal(g->key, "geslin annie");
	assert_string_equal(g->seat, "titulaire");
	assert_string_equal(p->seat, "suppleant");
	assert_string_equal(p->mandate_start, "");
	assert_string_equal(by_name("BOUCHER-LE BRAS", "Anne-Marie")->key,
	                    "boucher le bras anne marie");
	assert_string_equal(by_name("CASADEI", "François")->seat, "titulaire");
}

static void test_distance(void **state)
{
	(void)state;
	assert_int_equal(cts_roll_distance("casadei", "casadei", 2), 0);
	assert_int_equal(cts_roll_distance("cassadei", "casadei", 2), 1); /* one added */
	assert_int_equal(cts_roll_distance("casdei", "casadei", 2), 1);   /* one dropped */
	assert_int_equal(cts_roll_distance("casodei", "casadei", 2), 1);  /* one changed */
	assert_int_equal(cts_roll_distance("casaedi", "casadei", 2), 1);  /* neighbours swapped */
	assert_int_equal(cts_roll_distance("cassadie", "casadei", 2), 2);
	assert_int_equal(cts_roll_distance("kitten", "sitting", 3), 3);
	assert_int_equal(cts_roll_distance("kitten", "sitting", 2), 3); /* bound + 1 */
	assert_int_equal(cts_roll_distance("abcdef", "ab", 2), 3);      /* lengths too far */
	assert_int_equal(cts_roll_distance("", "ab", 2), 2);
	assert_int_equal(cts_roll_distance("", "", 0), 0);
	/* Code points, not bytes: é against e is one edit. */
	assert_int_equal(cts_roll_distance("séan", "sean", 2), 1);
	assert_int_equal(cts_roll_distance("李白", "李黑", 2), 1);
	/* Symmetric. */
	assert_int_equal(cts_roll_distance("casadei", "cassadie", 2), 2);

	/* Names beyond the bounded length are never near. */
	char *a = malloc(1300), *b = malloc(1300);
	memset(a, 'a', 1299);
	a[1299] = '\0';
	memcpy(b, a, 1300);
	assert_int_equal(cts_roll_distance(a, b, 2), 3);
	a[600] = '\0';
	b[600] = '\0';
	b[300] = 'b';
	assert_int_equal(cts_roll_distance(a, b, 2), 1);
	free(a);
	free(b);
}

static void match(const char *last, const char *first, cts_roll_match *m)
{
	if (cts_roll_match_person(roll, last, first, m) < 0)
		fail_msg("match %s %s: %s", last, first, cts_error_message());
}

static void expect_exact(const char *last, const char *first, const char *want_last,
                         const char *want_first)
{
	cts_roll_match m;
	match(last, first, &m);
	if (m.exact < 0)
		fail_msg("%s %s: no exact match", last, first);
	assert_int_equal(m.exact_count, 1);
	assert_ptr_equal(&roll->members[m.exact], by_name(want_last, want_first));
	assert_int_equal(m.near_count, 0);
}

static void expect_near(const char *last, const char *first, const char *want_last,
                        const char *want_first, unsigned dist)
{
	cts_roll_match m;
	match(last, first, &m);
	assert_int_equal(m.exact, -1);
	if (m.near_count == 0)
		fail_msg("%s %s: no near match", last, first);
	if (&roll->members[m.near[0]] != by_name(want_last, want_first) || m.dist[0] != dist)
		fail_msg("%s %s: nearest %s at %u", last, first, roll->members[m.near[0]].key,
		         m.dist[0]);
}

static void expect_none(const char *last, const char *first)
{
	cts_roll_match m;
	match(last, first, &m);
	assert_int_equal(m.exact, -1);
	if (m.near_count)
		fail_msg("%s %s: near %s", last, first, roll->members[m.near[0]].key);
}

static void test_exact(void **state)
{
	(void)state;
	/* Case, accents, hyphens, apostrophes and spaces are folded away. */
	expect_exact("casadei", "FRANCOIS", "CASADEI", "François");
	expect_exact("Casadei", "Francis", "CASADEI", "Francis");
	expect_exact("Boucher le Bras", "ANNE MARIE", "BOUCHER-LE BRAS", "Anne-Marie");
	expect_exact("O’BRIEN", "Sean", "O'BRIEN", "Seán");
	expect_exact("Périer", "marc", "PÉRIER", "Marc");
}

static void test_near(void **state)
{
	(void)state;
	cts_roll_match m;

	/* One or two letters off (9 characters and more: two edits). */
	expect_near("CASSADEI", "François", "CASADEI", "François", 1);
	expect_near("CASADIE", "Françoise", "CASADEI", "François", 2);
	expect_near("GESLAIN", "Anie", "GESLIN", "Annie", 2);
	expect_near("BOUCHER LEBRAS", "Anne-Marie", "BOUCHER-LE BRAS", "Anne-Marie", 1);
	/* The other order (first and last name swapped on the sheet). */
	expect_near("Annie", "GESLIN", "GESLIN", "Annie", 1);
	expect_near("Anie", "GESLIN", "GESLIN", "Annie", 1);
	/* The last name with an initial or without first name. */
	expect_near("BOLLENGIER", "P.", "BOLLENGIER", "Pierre", 1);
	expect_near("Bollengier", "", "BOLLENGIER", "Pierre", 1);
	expect_none("BOLLENGIER", "J.");
	/* Three letters off is another person. */
	expect_none("CASSADIE", "Franços");
	expect_none("DUPONT", "Jean");
	/* Short names: one edit from 4 to 8 characters, none under 4. */
	expect_near("LU", "Bo", "LI", "Bo", 1);
	expect_none("LU", "Ba");
	expect_none("LO", "");
	expect_near("LI", "", "LI", "Bo", 1);
	/* Several candidates, closest first: CASADEI Francis is one edit
	 * from "Franci", François two. */
	match("CASADEI", "Franci", &m);
	assert_int_equal(m.exact, -1);
	assert_int_equal(m.near_count, 2);
	assert_ptr_equal(&roll->members[m.near[0]], by_name("CASADEI", "Francis"));
	assert_int_equal(m.dist[0], 1);
	assert_ptr_equal(&roll->members[m.near[1]], by_name("CASADEI", "François"));
	assert_int_equal(m.dist[1], 2);
	/* Invalid UTF-8 is refused, not matched. */
	assert_int_equal(cts_roll_match_person(roll, "CAS\xff", "x", &m), CTS_EINVAL);
}

static void test_name(void **state)
{
	(void)state;
	cts_roll_match m;

	assert_int_equal(cts_roll_match_name(roll, "GESLIN Annie", &m), 0);
	assert_int_equal(m.exact_count, 1);
	assert_string_equal(roll->members[m.exact].id, ID_GESLIN);
	assert_int_equal(cts_roll_match_name(roll, "annie geslin", &m), 0);
	assert_string_equal(roll->members[m.exact].id, ID_GESLIN);
	assert_int_equal(cts_roll_match_name(roll, "Boucher-Le Bras Anne-Marie", &m), 0);
	assert_ptr_equal(&roll->members[m.exact], by_name("BOUCHER-LE BRAS", "Anne-Marie"));
	/* Near, and the last name alone. */
	assert_int_equal(cts_roll_match_name(roll, "GESLAIN Annie", &m), 0);
	assert_int_equal(m.exact, -1);
	assert_int_equal(m.near_count, 1);
	assert_string_equal(roll->members[m.near[0]].id, ID_GESLIN);
	assert_int_equal(cts_roll_match_name(roll, "Casadei", &m), 0);
	assert_int_equal(m.exact, -1);
	assert_int_equal(m.near_count, 2);
}

static void refused(const char *text, const char *n1, const char *n2)
{
	assert_int_equal(cts_roll_refuse_unknown(roll, text), CTS_ENOTFOUND);
	if (!strstr(cts_error_message(), n1))
		fail_msg("« %s » lacks « %s »", cts_error_message(), n1);
	if (n2 && !strstr(cts_error_message(), n2))
		fail_msg("« %s » lacks « %s »", cts_error_message(), n2);
}

/* A name that is nobody's: near members suggested with their short ids. */
static void test_refuse_unknown(void **state)
{
	(void)state;
	refused("GESLAIN Annie", "aucun membre « GESLAIN Annie » dans la liste de ce territoire",
	        "vouliez-vous dire GESLIN Annie (aaaa1111) ?");
	refused("Annie GESLAN", "vouliez-vous dire GESLIN Annie (aaaa1111) ?", NULL);
	refused("CASADEI Franci", "vouliez-vous dire CASADEI Francis (", " ou CASADEI François (");
	refused("DUPONT Jean", "aucun membre « DUPONT Jean »", "(ctsnode member list)");
	assert_null(strstr(cts_error_message(), "vouliez-vous"));
}

static void test_mandate(void **state)
{
	(void)state;
	const cts_roll_member *g = by_name("GESLIN", "Annie"), *p = by_name("PÉRIER", "Marc");

	assert_true(cts_roll_in_mandate(g, "2019-01-01"));
	assert_true(cts_roll_in_mandate(g, "2020-06-16"));
	assert_true(cts_roll_in_mandate(g, "2020-12-31"));
	assert_false(cts_roll_in_mandate(g, "2018-12-31"));
	assert_false(cts_roll_in_mandate(g, "2021-01-01"));
	assert_true(cts_roll_in_mandate(p, "2016-01-26")); /* open ends */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load),    cmocka_unit_test(test_distance),
		cmocka_unit_test(test_exact),   cmocka_unit_test(test_near),
		cmocka_unit_test(test_name),    cmocka_unit_test(test_refuse_unknown),
		cmocka_unit_test(test_mandate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
