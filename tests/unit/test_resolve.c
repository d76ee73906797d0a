/* The resolver (src/resolve.h): ids, prefixes, names, dates, subjects and
 * titles; ambiguity lists the candidates; removed members found only when
 * asked for; another territory's records never found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "contribution.h"
#include "crypto.h"
#include "error.h"
#include "meeting.h"
#include "member.h"
#include "opinion.h"
#include "record.h"
#include "resolve.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *root;
static cts_node *n;
static char alby[37], alby2[37], geslin[37], m1[37], m2[37], m3[37], op[37], co[37];

static void add_member(const char *last, const char *first, const char *college, char id[37])
{
	cts_member_fields f = {
		.last_name = last, .first_name = first, .organisation = "X", .college = college
	};
	if (cts_member_add(n, &f, id) < 0)
		fail_msg("membre : %s", cts_error_message());
}

static void add_meeting(const char *body, const char *date, const char *title, char id[37])
{
	cts_meeting_fields f = { .body = body, .date = date, .title = title };
	if (cts_meeting_add(n, &f, id) < 0)
		fail_msg("réunion : %s", cts_error_message());
}

static int setup(void **state)
{
	(void)state;
	root = tu_tmpdir();
	n = tu_territory_node(root, "ta-1", "ta");
	add_member("ALBY", "Jérôme", "professionnels", alby);
	add_member("ALBY", "Marie", "usagers", alby2);
	add_member("GESLIN-LE BRAS", "Annie", "usagers", geslin);
	add_meeting("pleniere", "2020-06-16", "Séance plénière", m1);
	add_meeting("bureau", "2020-06-16", "Bureau", m2);
	add_meeting("bureau", "2020-09-01", "Bureau de rentrée", m3);
	cts_opinion_fields o = { .meeting = m1,
		                 .subject = "Diagnostic territorial",
		                 .outcome = "favorable" };
	if (cts_opinion_add(n, &o, op) < 0)
		fail_msg("avis : %s", cts_error_message());
	cts_contribution_fields c = { .theme = "segur-pilier-1",
		                      .title = "Attractivité",
		                      .text = "t" };
	if (cts_contribution_add(n, &c, co) < 0)
		fail_msg("contribution : %s", cts_error_message());
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cts_node_free(n);
	tu_rmtree(root);
	free(root);
	return 0;
}

static void resolves(cts_ref_kind kind, const char *ref, unsigned flags, const char *want)
{
	char id[37];

	if (cts_resolve(n, kind, NULL, ref, flags, id) < 0)
		fail_msg("« %s » : %s", ref, cts_error_message());
	assert_string_equal(id, want);
}

static void refused(cts_ref_kind kind, const char *ref, unsigned flags, int code, const char *want)
{
	char id[37] = "x";
	int rc = cts_resolve(n, kind, NULL, ref, flags, id);

	if (rc != code)
		fail_msg("« %s » : code %d au lieu de %d (%s)", ref, rc, code, cts_error_message());
	assert_string_equal(id, "");
	if (want && !strstr(cts_error_message(), want))
		fail_msg("« %s » : « %s » ne contient pas « %s »", ref, cts_error_message(), want);
}

static void test_ids_and_prefixes(void **state)
{
	char pre[9], upper[37];

	(void)state;
	resolves(CTS_REF_MEETING, m3, 0, m3);
	snprintf(pre, sizeof(pre), "%.8s", m3);
	resolves(CTS_REF_MEETING, pre, 0, m3);
	for (size_t i = 0; i < 37; i++)
		upper[i] = (char)(m3[i] >= 'a' && m3[i] <= 'f' ? m3[i] - 'a' + 'A' : m3[i]);
	resolves(CTS_REF_MEETING, upper, 0, m3);
	snprintf(pre, sizeof(pre), "%.8s", op);
	resolves(CTS_REF_OPINION, pre, 0, op);
	snprintf(pre, sizeof(pre), "%.5s", co);
	resolves(CTS_REF_CONTRIBUTION, pre, 0, co);
	/* A member id is not a meeting. */
	refused(CTS_REF_MEETING, alby, 0, CTS_ENOTFOUND, "aucune réunion");
	/* Too short to be a prefix: says so. */
	snprintf(pre, sizeof(pre), "%.3s", m3);
	refused(CTS_REF_MEETING, pre, 0, CTS_ENOTFOUND, "au moins 4 caractères");
	refused(CTS_REF_MEETING, "  ", 0, CTS_EINVAL, "vide");
}

static void test_members_by_name(void **state)
{
	(void)state;
	resolves(CTS_REF_MEMBER, "ALBY Jérôme", 0, alby);
	resolves(CTS_REF_MEMBER, "alby jerome", 0, alby);
	resolves(CTS_REF_MEMBER, "Jérôme ALBY", 0, alby);
	resolves(CTS_REF_MEMBER, "Geslin le Bras Annie", 0, geslin);
	resolves(CTS_REF_MEMBER, "geslin-le bras", 0, geslin); /* last name alone */
	refused(CTS_REF_MEMBER, "ALBY", 0, CTS_EAMBIGUOUS, "désigne 2 membres");
	/* The candidates with their 8-character ids and what tells them apart. */
	char want[64];
	snprintf(want, sizeof(want), "%.8s ALBY Jérôme (Professionnels", alby);
	refused(CTS_REF_MEMBER, "alby", 0, CTS_EAMBIGUOUS, want);
	refused(CTS_REF_MEMBER, "DUPONT Jean", 0, CTS_ENOTFOUND, "ctsnode member list");
}

static void test_meetings_by_date(void **state)
{
	char want[64];

	(void)state;
	resolves(CTS_REF_MEETING, "2020-09-01", 0, m3);
	resolves(CTS_REF_MEETING, "01/09/2020", 0, m3);
	resolves(CTS_REF_MEETING, "1/9/2020", 0, m3);
	resolves(CTS_REF_MEETING, "bureau de RENTRÉE", 0, m3); /* title */
	snprintf(want, sizeof(want), "%.8s 16/06/2020 Bureau « Bureau »", m2);
	refused(CTS_REF_MEETING, "16/06/2020", 0, CTS_EAMBIGUOUS, want);
	refused(CTS_REF_MEETING, "31/06/2020", 0, CTS_ENOTFOUND, NULL);
	/* A cancelled meeting gives way to the live one of the same date... */
	json_t *set = json_pack("{s:s}", "status", "annulee");
	assert_int_equal(cts_record_put(n->store, "meeting", m2, set), 0);
	resolves(CTS_REF_MEETING, "2020-06-16", 0, m1);
	/* ...and is found by its date when it is the only one. */
	assert_int_equal(cts_record_put(n->store, "meeting", m1, set), 0);
	refused(CTS_REF_MEETING, "2020-06-16", 0, CTS_EAMBIGUOUS, "(Annulée)");
	json_decref(set);
	set = json_pack("{s:s}", "status", "tenue");
	assert_int_equal(cts_record_put(n->store, "meeting", m1, set), 0);
	assert_int_equal(cts_record_put(n->store, "meeting", m2, set), 0);
	json_decref(set);
}

static void test_subjects_titles_and_matches(void **state)
{
	json_t *arr = NULL;

	(void)state;
	resolves(CTS_REF_OPINION, "diagnostic territorial", 0, op);
	resolves(CTS_REF_CONTRIBUTION, "ATTRACTIVITE", 0, co);
	assert_int_equal(cts_resolve_matches(n, CTS_REF_MEETING, NULL, "2020-06-16", 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 2);
	assert_true(strcmp(json_string_value(json_object_get(json_array_get(arr, 0), "id")),
	                   json_string_value(json_object_get(json_array_get(arr, 1), "id"))) < 0);
	assert_int_equal(
	    strlen(json_string_value(json_object_get(json_array_get(arr, 0), "short"))), 8);
	json_decref(arr);
	assert_int_equal(cts_resolve_matches(n, CTS_REF_MEETING, NULL, "2019-01-01", 0, &arr), 0);
	assert_int_equal(json_array_size(arr), 0);
	json_decref(arr);
}

static void test_removed_members_and_territories(void **state)
{
	char id[37];

	(void)state;
	assert_int_equal(cts_member_remove(n, geslin, NULL), 0);
	refused(CTS_REF_MEMBER, "GESLIN-LE BRAS Annie", 0, CTS_ENOTFOUND, NULL);
	resolves(CTS_REF_MEMBER, "GESLIN-LE BRAS Annie", CTS_RESOLVE_REMOVED, geslin);
	resolves(CTS_REF_MEMBER, geslin, CTS_RESOLVE_REMOVED, geslin);
	refused(CTS_REF_MEMBER, "ALBY Marie", CTS_RESOLVE_REMOVED, CTS_ENOTFOUND,
	        "member list --removed");
	/* Another territory holds nothing of these. */
	assert_int_equal(cts_resolve(n, CTS_REF_MEETING, "tb", m1, 0, id), CTS_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids_and_prefixes),
		cmocka_unit_test(test_members_by_name),
		cmocka_unit_test(test_meetings_by_date),
		cmocka_unit_test(test_subjects_titles_and_matches),
		cmocka_unit_test(test_removed_members_and_territories),
	};
	assert_int_equal(cts_crypto_init(), 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
