/* Corrections of records (meeting.h, member.h, opinion.h,
 * contribution.h, change.h): each says what it changed in one French
 * line and writes one operation; nothing to change writes nothing; every
 * refusal writes nothing; the meeting lifecycle and its locks; a removed
 * member comes back with all its values; input date windows. The clock
 * is fixed at 2020-12-01 12:00 UTC. */
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
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *root;
static cts_node *n;

static uint64_t fixed_clock(void *ctx)
{
	(void)ctx;
	return 1606824000000ull; /* 2020-12-01T12:00:00Z */
}

static int setup(void **state)
{
	(void)state;
	root = tu_tmpdir();
	n = tu_territory_node(root, "ta-1", "ta");
	n->store->clock = fixed_clock;
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

static int64_t pending(void)
{
	int64_t p = -1;
	assert_int_equal(cts_record_pending_ops(n->store, &p), 0);
	return p;
}

static char digest_buf[65];
static const char *digest(void)
{
	assert_int_equal(cts_record_digest(n->store, digest_buf), 0);
	return digest_buf;
}

/* The change wrote `ops` operations and said `line` (NULL: any). */
static void said(int rc, cts_change *c, int64_t before, int changed, const char *line)
{
	if (rc < 0)
		fail_msg("refusé : %s", cts_error_message());
	if (c->changed != changed)
		fail_msg("changed %d au lieu de %d : « %s »", c->changed, changed,
		         c->line ? c->line : "");
	assert_non_null(c->line);
	if (line && strcmp(c->line, line) != 0)
		fail_msg("« %s » au lieu de « %s »", c->line, line);
	assert_int_equal(pending(), before + changed);
	cts_change_dispose(c);
}

/* A refusal with code, message containing want, and nothing written. */
#define REFUSED(call, code, want)                                                                  \
	do {                                                                                       \
		int64_t before_ = pending();                                                       \
		char d_[65];                                                                       \
		memcpy(d_, digest(), 65);                                                          \
		int rc_ = (call);                                                                  \
		if (rc_ != (code))                                                                 \
			fail_msg("%s : code %d au lieu de %d (%s)", #call, rc_, code,              \
			         cts_error_message());                                             \
		if ((want) && !strstr(cts_error_message(), (want)))                                \
			fail_msg("« %s » ne contient pas « %s »", cts_error_message(),             \
			         (const char *)(want));                                            \
		assert_int_equal(pending(), before_);                                              \
		assert_string_equal(digest(), d_);                                                 \
	} while (0)

static void add_meeting(const char *body, const char *date, const char *title, char id[37])
{
	cts_meeting_fields f = { .body = body, .date = date, .title = title };
	if (cts_meeting_add(n, &f, id) < 0)
		fail_msg("réunion : %s", cts_error_message());
}

static void test_meeting_update(void **state)
{
	cts_change c = { 0 };
	char m[37], m2[37];
	int64_t p;

	(void)state;
	add_meeting("pleniere", "16/06/2020", "Séance plénière", m);
	p = pending();
	cts_meeting_fields f = { .date = "2020-06-17" };
	said(cts_meeting_update(n, m, &f, &c), &c, p, 1,
	     "Réunion du 16/06/2020 « Séance plénière » : date 16/06/2020 → 17/06/2020.");
	p = pending();
	cts_meeting_fields same = { .date = "17/06/2020", .title = "Séance plénière" };
	said(cts_meeting_update(n, m, &same, &c), &c, p, 0,
	     "Rien à changer : Réunion du 17/06/2020 « Séance plénière » : date déjà 17/06/2020, "
	     "titre déjà « Séance plénière ».");
	cts_meeting_fields place = { .place = "Mairie", .title = "Plénière" };
	said(cts_meeting_update(n, m, &place, &c), &c, p, 1,
	     "Réunion du 17/06/2020 « Séance plénière » : titre « Séance plénière » → « Plénière "
	     "», lieu « Mairie ».");

	/* The same body on the same date: refused, naming it, unless again. */
	cts_meeting_fields dup = { .body = "pleniere", .date = "2020-06-17", .title = "Doublon" };
	REFUSED(cts_meeting_add(n, &dup, m2), CTS_EEXISTS, "« Plénière »");
	add_meeting("bureau", "2020-06-17", "Bureau", m2);
	cts_meeting_fields move = { .body = "pleniere" };
	REFUSED(cts_meeting_update(n, m2, &move, &c), CTS_EEXISTS, "--again");
	move.again = 1;
	p = pending();
	said(cts_meeting_update(n, m2, &move, &c), &c, p, 1, NULL);

	/* Dates: the CTS were created on 2016-01-26; at most a year ahead. */
	cts_meeting_fields old = { .date = "2016-01-25" }, far = { .date = "2021-12-02" },
	                   bad = { .date = "31/06/2020" };
	REFUSED(cts_meeting_update(n, m, &old, &c), CTS_EINVAL, "loi du 26 janvier 2016");
	REFUSED(cts_meeting_update(n, m, &far, &c), CTS_EINVAL, "plus d'un an après aujourd'hui");
	REFUSED(cts_meeting_update(n, m, &bad, &c), CTS_EINVAL, "JJ/MM/AAAA");
	/* A meeting after today is planned, and cannot be held yet. */
	char fut[37];
	add_meeting("bureau", "2021-03-01", "Bureau à venir", fut);
	json_t *row = NULL;
	assert_int_equal(cts_change_current(n, "meeting", fut, &row), 0);
	assert_string_equal(json_string_value(json_object_get(row, "status")), "prevue");
	json_decref(row);
	cts_meeting_fields held = { .status = "tenue" };
	REFUSED(cts_meeting_update(n, fut, &held, &c), CTS_EINVAL, "pas encore eu lieu");
	cts_meeting_fields later = { .date = "2021-01-10" };
	REFUSED(cts_meeting_update(n, m, &later, &c), CTS_EINVAL, "pas encore eu lieu");
	REFUSED(cts_meeting_update(n, "0b6a3c1e-1111-4c1e-9a51-000000000000", &place, &c),
	        CTS_ENOTFOUND, "aucune réunion");
}

static void test_meeting_lifecycle(void **state)
{
	cts_change c = { 0 };
	char m[37], fut[37], op[37];
	int64_t p;

	(void)state;
	add_meeting("sante-mentale", "2020-10-01", "Commission", m);
	add_meeting("sante-mentale", "2021-02-01", "Commission à venir", fut);
	REFUSED(cts_meeting_approve(n, fut, &c), CTS_EINVAL, "pas encore tenue");
	p = pending();
	said(cts_meeting_approve(n, m, &c), &c, p, 1,
	     "Réunion du 01/10/2020 « Commission » : statut Tenue → Approuvée.");
	said(cts_meeting_approve(n, m, &c), &c, p + 1, 0,
	     "Rien à changer : Réunion du 01/10/2020 « Commission » : statut déjà Approuvée.");

	/* Locked: the meeting and what hangs on it. */
	cts_meeting_fields t = { .title = "Autre" };
	REFUSED(cts_meeting_update(n, m, &t, &c), CTS_EINVAL, "meeting reopen");
	REFUSED(cts_meeting_cancel(n, m, &c), CTS_EINVAL, "verrouillée");
	cts_opinion_fields o = {
		.meeting = m, .subject = "Avis", .votes_for = 3, .outcome = "favorable"
	};
	REFUSED(cts_opinion_add(n, &o, op), CTS_EINVAL, "verrouillée");
	cts_contribution_fields k = {
		.theme = "segur-pilier-1", .title = "T", .text = "X", .meeting = m
	};
	REFUSED(cts_contribution_add(n, &k, op), CTS_EINVAL, "verrouillée");

	/* Reopened with a reason, recorded. */
	REFUSED(cts_meeting_reopen(n, m, "  ", &c), CTS_EINVAL, "--reason");
	p = pending();
	said(cts_meeting_reopen(n, m, "erreur de titre", &c), &c, p, 1,
	     "Réunion du 01/10/2020 « Commission » : statut Approuvée → Tenue, motif de "
	     "réouverture « erreur de titre ».");
	said(cts_meeting_reopen(n, m, "encore", &c), &c, p + 1, 0, NULL);
	json_t *row = NULL;
	assert_int_equal(cts_change_current(n, "meeting", m, &row), 0);
	assert_string_equal(json_string_value(json_object_get(row, "reopen_reason")),
	                    "erreur de titre");
	json_decref(row);
	assert_int_equal(cts_opinion_add(n, &o, op), 0);

	/* Cancelled: kept, takes nothing more; restored. */
	p = pending();
	said(cts_meeting_cancel(n, m, &c), &c, p, 1,
	     "Réunion du 01/10/2020 « Commission » : statut Tenue → Annulée.");
	REFUSED(cts_opinion_add(n, &o, op), CTS_EINVAL, "annulée");
	REFUSED(cts_meeting_approve(n, m, &c), CTS_EINVAL, "meeting restore");
	said(cts_meeting_restore(n, m, &c), &c, p + 1, 1,
	     "Réunion du 01/10/2020 « Commission » : statut Annulée → Tenue.");
	said(cts_meeting_restore(n, m, &c), &c, p + 2, 0,
	     "Rien à changer : Réunion du 01/10/2020 « Commission » n'est pas annulée.");
	/* A planned meeting cancelled then restored is planned again. */
	said(cts_meeting_cancel(n, fut, &c), &c, p + 2, 1, NULL);
	said(cts_meeting_restore(n, fut, &c), &c, p + 3, 1,
	     "Réunion du 01/02/2021 « Commission à venir » : statut Annulée → Prévue.");
}

static void test_opinion_and_contribution(void **state)
{
	cts_change c = { 0 };
	char m[37], m2[37], op[37], co[37];
	int64_t p;

	(void)state;
	add_meeting("usagers", "2020-11-05", "Formation des usagers", m);
	add_meeting("usagers", "2020-11-19", "Formation des usagers (suite)", m2);
	cts_opinion_fields o = { .meeting = m,
		                 .subject = "Projet",
		                 .votes_for = 8,
		                 .votes_against = 1,
		                 .outcome = "favorable" };
	assert_int_equal(cts_opinion_add(n, &o, op), 0);
	p = pending();
	cts_opinion_fields u = { .votes_against = 9,
		                 .votes_given = CTS_VOTES_AGAINST,
		                 .meeting = m2 };
	said(cts_opinion_update(n, op, &u, &c), &c, p, 1, NULL);
	json_t *row = NULL;
	assert_int_equal(cts_change_current(n, "opinion", op, &row), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "votes_for")),
	                 8); /* not given: kept */
	assert_int_equal(json_integer_value(json_object_get(row, "votes_against")), 9);
	assert_string_equal(json_string_value(json_object_get(row, "meeting")), m2);
	assert_non_null(cts_opinion_contradiction(8, 9, "favorable"));
	assert_null(cts_opinion_contradiction(8, 9, "defavorable"));
	assert_null(cts_opinion_contradiction(9, 8, "favorable"));
	assert_non_null(cts_opinion_contradiction(9, 8, "defavorable"));
	json_decref(row);
	cts_opinion_fields neg = { .votes_for = -1, .votes_given = CTS_VOTES_FOR };
	REFUSED(cts_opinion_update(n, op, &neg, &c), CTS_EINVAL, "voix pour");
	cts_opinion_fields none = { 0 };
	REFUSED(cts_opinion_update(n, op, &none, &c), CTS_EINVAL, "rien à modifier");
	p = pending();
	said(cts_change_withdraw(n, "opinion", op, 0, &c), &c, p, 0,
	     "Rien à changer : Avis « Projet » (réunion du 19/11/2020) : état déjà Rendu.");
	said(cts_change_withdraw(n, "opinion", op, 1, &c), &c, p, 1,
	     "Avis « Projet » (réunion du 19/11/2020) : état Rendu → Retiré.");
	said(cts_change_withdraw(n, "opinion", op, 0, &c), &c, p + 1, 1, NULL);

	/* Contributions: a received date not after today. */
	cts_contribution_fields k = {
		.theme = "segur-pilier-2", .title = "Investir", .text = "X", .date = "2020-12-02"
	};
	REFUSED(cts_contribution_add(n, &k, co), CTS_EINVAL, "après aujourd'hui");
	k.date = "29/05/2020";
	assert_int_equal(cts_contribution_add(n, &k, co), 0);
	p = pending();
	cts_contribution_fields cu = { .date = "", .meeting = m };
	said(cts_contribution_update(n, co, &cu, &c), &c, p, 1, NULL);
	assert_int_equal(cts_change_current(n, "contribution", co, &row), 0);
	assert_true(json_is_null(json_object_get(row, "date")));
	json_decref(row);
	cts_contribution_fields theme = { .theme = "pilier-inconnu" };
	REFUSED(cts_contribution_update(n, co, &theme, &c), CTS_EINVAL, "thème inconnu");
	said(cts_change_withdraw(n, "contribution", co, 1, &c), &c, p + 1, 1,
	     "Contribution « Investir » : état Transmise → Retirée.");
	/* Withdrawing works on a cancelled meeting; restoring onto it does not. */
	assert_int_equal(cts_meeting_cancel(n, m, NULL), 0);
	REFUSED(cts_change_withdraw(n, "contribution", co, 0, &c), CTS_EINVAL, "annulée");
	/* Meetings have corrections of their own (cancel, restore). */
	REFUSED(cts_change_withdraw(n, "meeting", m, 1, &c), CTS_EINVAL, "ni un avis");
}

static void test_member_remove_restore(void **state)
{
	cts_change c = { 0 };
	cts_member_fields a = { .last_name = "GESLIN",
		                .first_name = "Annie",
		                .organisation = "UDAF 76",
		                .college = "usagers",
		                .role = "vice-présidente",
		                .mandate_start = "01/02/2020" };
	cts_member_fields b = { .last_name = "MARTIN",
		                .first_name = "Paul",
		                .organisation = "CH",
		                .college = "professionnels" };
	char ida[37], idb[37];
	json_t *before = NULL, *after = NULL, *list = NULL;
	int64_t p;

	(void)state;
	assert_int_equal(cts_member_add(n, &a, ida), 0);
	assert_int_equal(cts_member_add(n, &b, idb), 0);
	cts_member_fields bad = { .mandate_end = "01/01/2020" };
	REFUSED(cts_member_update(n, ida, &bad, &c), CTS_EINVAL, "précède son début");
	cts_member_fields clash = { .last_name = "Martin", .first_name = "PAUL" };
	REFUSED(cts_member_update(n, ida, &clash, &c), CTS_EEXISTS, "existe déjà");
	cts_member_fields early = { .mandate_start = "2015-12-31" };
	REFUSED(cts_member_update(n, ida, &early, &c), CTS_EINVAL, "loi du 26 janvier 2016");
	p = pending();
	cts_member_fields org = { .organisation = "UDAF de Seine-Maritime", .role = "" };
	said(cts_member_update(n, ida, &org, &c), &c, p, 1,
	     "Membre GESLIN Annie : structure « UDAF 76 » → « UDAF de Seine-Maritime », rôle « "
	     "vice-présidente » → (vide).");
	assert_int_equal(cts_change_current(n, "member", ida, &before), 0);

	p = pending();
	said(cts_member_remove(n, ida, &c), &c, p, 1, NULL);
	REFUSED(cts_member_update(n, ida, &org, &c), CTS_ENOTFOUND, "member list");
	assert_int_equal(cts_member_list_removed(n, NULL, &list), 0);
	assert_int_equal(json_array_size(list), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(list, 0), "organisation")),
	    "UDAF de Seine-Maritime");
	json_decref(list);

	/* The removed name is free: someone may take it; the restore is then refused. */
	cts_member_fields homonym = a;
	homonym.mandate_start = NULL;
	char idh[37];
	assert_int_equal(cts_member_add(n, &homonym, idh), 0);
	REFUSED(cts_member_restore(n, ida, &c), CTS_EEXISTS, "GESLIN");
	assert_int_equal(cts_member_remove(n, idh, NULL), 0);

	p = pending();
	said(cts_member_restore(n, ida, &c), &c, p, 1,
	     "Membre GESLIN Annie rétabli dans la liste avec ses dernières valeurs (Usagers).");
	assert_int_equal(cts_change_current(n, "member", ida, &after), 0);
	assert_true(json_equal(before, after)); /* every field back, the same identity */
	said(cts_member_restore(n, ida, &c), &c, p + 1, 0,
	     "Rien à changer : Membre GESLIN Annie n'est pas retiré de la liste.");
	assert_int_equal(cts_member_list_removed(n, NULL, &list), 0);
	assert_int_equal(json_array_size(list), 1); /* the homonym */
	json_decref(list);
	json_decref(before);
	json_decref(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_meeting_update),
		cmocka_unit_test(test_meeting_lifecycle),
		cmocka_unit_test(test_opinion_and_contribution),
		cmocka_unit_test(test_member_remove_restore),
	};
	assert_int_equal(cts_crypto_init(), 0);
	return cmocka_run_group_tests(tests, setup, teardown);
}
