/* Domain rules of record values (src/rules.h): one rule per field of every
 * table, each kind of rule accepting what it should and refusing the rest
 * with a message naming the field and the value, partial sets of updates,
 * required fields of new records. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "key.h"
#include "rules.h"
#include "tables.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Check {field: value} (value stolen) against table's rules. */
static int one(const char *table, const char *field, json_t *value, cts_rule_violation *why)
{
	json_t *set = json_object();
	int rc;

	json_object_set_new(set, field, value);
	cts_error_clear();
	rc = cts_rules_check_set(table, set, why);
	json_decref(set);
	return rc;
}

static void ok_(const char *table, const char *field, json_t *value)
{
	cts_rule_violation why;

	if (one(table, field, value, &why) != 0)
		fail_msg("%s.%s refusé à tort : %s", table, field, why.message);
}

/* Refused with code, the violation naming table and field, its message
 * (and the error message) containing want. */
static void refused_(const char *table, const char *field, json_t *value, int code,
                     const char *want)
{
	cts_rule_violation why;
	int rc = one(table, field, value, &why);

	if (rc != code)
		fail_msg("%s.%s : code %d au lieu de %d", table, field, rc, code);
	assert_string_equal(why.table, table);
	assert_non_null(why.field);
	assert_string_equal(why.field, field);
	assert_non_null(why.label);
	if (want && !strstr(why.message, want))
		fail_msg("%s.%s : « %s » ne contient pas « %s »", table, field, why.message, want);
	assert_string_equal(cts_error_message(), why.message);
}

#define S(s) json_string_nocheck(s)
#define SN(s) json_stringn_nocheck(s, sizeof(s) - 1)
#define I(n) json_integer(n)

static int kind_fits(cts_rule_kind k, cts_ftype t)
{
	if (k == CTS_RULE_COUNT || k == CTS_RULE_SEQ || k == CTS_RULE_UPTO)
		return t == CTS_FT_INT;
	if (k == CTS_RULE_BOOL)
		return t == CTS_FT_BOOL;
	return t == CTS_FT_TEXT;
}

static void test_every_field_has_one_rule(void **state)
{
	(void)state;
	for (size_t i = 0; i < cts_table_count; i++) {
		const cts_table_def *t = &cts_tables[i];
		for (size_t j = 0; j < t->nfields; j++) {
			const cts_field_rule *r = cts_rules_find(t->name, t->fields[j].name);
			if (!r)
				fail_msg("pas de règle pour %s.%s", t->name, t->fields[j].name);
			if (!kind_fits(r->kind, t->fields[j].type))
				fail_msg("règle de %s.%s incompatible avec son type", t->name,
				         r->field);
			assert_true(strlen(r->label) > 2);
			assert_true((r->kind == CTS_RULE_CODE) == (r->codes != NULL));
		}
	}
	assert_null(cts_rules_find("member", "shoe_size"));
	assert_null(cts_rules_find("nope", "last_name"));
	assert_null(cts_rules_find(NULL, NULL));
}

/* The values of issue #12's forged changesets, and their neighbours. */
static void test_forged_values(void **state)
{
	cts_rule_violation why;
	char line[500];

	(void)state;
	refused_("member", "college", S("evil-college"), CTS_EINVAL,
	         "collège inconnu « evil-college »");
	refused_("meeting", "body", S("evil-body"), CTS_EINVAL, "instance inconnue « evil-body »");
	refused_("meeting", "date", S("2020-13-45"), CTS_EINVAL, "« 2020-13-45 »");
	refused_("opinion", "votes_for", I(-5), CTS_EINVAL, "-5");
	refused_("opinion", "votes_against", I(9007199254740992LL), CTS_EINVAL, "9007199254740992");
	/* The one line importers and audits give: table, field, value, rule. */
	assert_int_equal(one("meeting", "date", S("2020-13-45"), &why), CTS_EINVAL);
	cts_rules_describe(&why, line, sizeof(line));
	assert_non_null(strstr(line, "table meeting, champ date : "));
	assert_non_null(strstr(line, "2020-13-45"));
	assert_non_null(strstr(line, "AAAA-MM-JJ"));
	assert_string_equal(why.value, "2020-13-45");
	assert_int_equal(one("member", "college", S("evil-college"), &why), CTS_EINVAL);
	cts_rules_describe(&why, line, sizeof(line));
	assert_non_null(
	    strstr(line, "table member, champ college : collège inconnu « evil-college » : "
	                 "professionnels, usagers, collectivites, etat ou personnes-qualifiees"));
}

static void test_codes(void **state)
{
	static const struct {
		const char *table, *field;
		const char *const *codes;
	} lists[] = {
		{ "member", "college", cts_colleges },
		{ "member", "seat", cts_seats },
		{ "meeting", "body", cts_bodies },
		{ "meeting", "status", cts_meeting_statuses },
		{ "attendance", "college", cts_attendance_colleges },
		{ "attendance", "status", cts_attendance_statuses },
		{ "opinion", "outcome", cts_outcomes },
		{ "registry", "role", cts_roles },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		for (size_t k = 0; lists[i].codes[k]; k++)
			ok_(lists[i].table, lists[i].field, S(lists[i].codes[k]));
		refused_(lists[i].table, lists[i].field, S("autre"), CTS_EINVAL, lists[i].codes[0]);
		refused_(lists[i].table, lists[i].field, S(""), CTS_EINVAL, "inconnu");
		/* Codes are exact: no case folding, no padding. */
		{
			char up[64];
			snprintf(up, sizeof(up), " %s", lists[i].codes[0]);
			refused_(lists[i].table, lists[i].field, S(up), CTS_EINVAL, NULL);
		}
	}
	refused_("member", "college", S("Usagers"), CTS_EINVAL, "collège inconnu");
	/* Guests' colleges are for attendance rows only. */
	ok_("attendance", "college", S("invite"));
	ok_("attendance", "college", S("ars"));
	refused_("member", "college", S("invite"), CTS_EINVAL, "collège inconnu");
}

static void test_dates(void **state)
{
	(void)state;
	ok_("meeting", "date", S("2020-06-16"));
	ok_("meeting", "date", S("2020-02-29"));
	ok_("member", "mandate_end", S("2026-12-31"));
	refused_("meeting", "date", S("2021-02-29"), CTS_EINVAL, "AAAA-MM-JJ");
	refused_("meeting", "date", S("2020-04-31"), CTS_EINVAL, NULL);
	refused_("meeting", "date", S("16/06/2020"), CTS_EINVAL, NULL);
	refused_("meeting", "date", S("2020-6-16"), CTS_EINVAL, NULL);
	refused_("meeting", "date", S("2020-06-16T10:00:00Z"), CTS_EINVAL, NULL);
	refused_("meeting", "date", S(""), CTS_EINVAL, NULL);
	refused_("meeting", "date", I(20200616), CTS_EINVAL, "texte");
	refused_("member", "mandate_start", S("2020-00-10"), CTS_EINVAL, "début de mandat");
}

static void test_numbers(void **state)
{
	(void)state;
	ok_("opinion", "votes_for", I(0));
	ok_("opinion", "votes_abstain", I(CTS_RULES_MAX_COUNT));
	refused_("opinion", "votes_for", I(CTS_RULES_MAX_COUNT + 1), CTS_EINVAL, "10000");
	refused_("opinion", "votes_abstain", I(-1), CTS_EINVAL, NULL);
	refused_("opinion", "votes_for", S("5"), CTS_EINVAL, "entier");
	refused_("opinion", "votes_for", json_true(), CTS_EINVAL, "entier");
	ok_("checkpoint", "seq", I(1));
	ok_("checkpoint", "seq", I(CTS_RULES_MAX_SEQ));
	refused_("checkpoint", "seq", I(0), CTS_EINVAL, NULL);
	refused_("checkpoint", "seq", I(CTS_RULES_MAX_SEQ + 1), CTS_EINVAL, NULL);
	ok_("registry", "revoked_after", I(0));
	ok_("registry", "revoked_after", json_null());
	refused_("registry", "revoked_after", I(-1), CTS_EINVAL, NULL);
}

static void test_ids(void **state)
{
	(void)state;
	ok_("attendance", "meeting", S("0b6a3c1e-1111-4c1e-9a51-00000000abcd"));
	ok_("attendance", "member", json_null()); /* a guest */
	ok_("contribution", "meeting", json_null());
	refused_("attendance", "meeting", S("0B6A3C1E-1111-4C1E-9A51-00000000ABCD"), CTS_EINVAL,
	         "UUID");
	refused_("opinion", "meeting", S("0b6a3c1e11114c1e9a5100000000abcd"), CTS_EINVAL, NULL);
	refused_("attendance", "member", S("../../etc/passwd"), CTS_EINVAL, NULL);
	refused_("opinion", "meeting", json_null(), CTS_EINVAL, "obligatoire");
	ok_("contribution", "theme", S("segur-pilier-1"));
	ok_("contribution", "theme", S("theme-publie-plus-tard")); /* existence: reference data */
	refused_("contribution", "theme", S("Pilier 1"), CTS_EINVAL, "code");
	refused_("contribution", "theme", S("x"), CTS_EINVAL, NULL);
	ok_("checkpoint", "changeset",
	    S("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"));
	refused_("checkpoint", "changeset",
	         S("0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"), CTS_EINVAL,
	         "SHA-256");
	ok_("registry", "node", S("re-secretariat"));
	refused_("registry", "node", S("re"), CTS_EINVAL, "nœud");
	refused_("registry", "territory_code", S("Rouen Elbeuf"), CTS_EINVAL, NULL);
}

static void test_keys(void **state)
{
	unsigned char pk[32], sk[crypto_sign_SECRETKEYBYTES], zero[32] = { 0 };
	char *line = NULL;

	(void)state;
	crypto_sign_keypair(pk, sk);
	sodium_memzero(sk, sizeof(sk));
	assert_int_equal(cts_key_public_line(&line, pk, NULL), 0);
	ok_("registry", "key", S(line));
	free(line);
	assert_int_equal(cts_key_public_line(&line, zero, NULL), 0);
	refused_("registry", "key", S(line), CTS_EINVAL, "ordre faible");
	free(line);
	zero[0] = 1; /* the identity point */
	assert_int_equal(cts_key_public_line(&line, zero, NULL), 0);
	refused_("registry", "key", S(line), CTS_EINVAL, "ordre faible");
	free(line);
	refused_("registry", "key", S("ssh-rsa AAAA"), CTS_EINVAL, "la clé");
}

static void test_text(void **state)
{
	char big[402];
	cts_rule_violation why;

	(void)state;
	ok_("member", "last_name", S("LE BRAS-D'ORNANO"));
	ok_("member", "first_name", S("Élise\xc2\xa0Marie")); /* no-break space */
	ok_("member", "organisation", S(""));                 /* optional: may be empty */
	ok_("member", "organisation", json_null());
	ok_("member", "role", json_null());
	refused_("member", "last_name", S(""), CTS_EINVAL, "le nom est obligatoire");
	refused_("member", "last_name", S("  \t"), CTS_EINVAL, "obligatoire");
	refused_("member", "last_name", json_null(), CTS_EINVAL, "effacé");
	refused_("member", "first_name", S("A\nB"), CTS_EINVAL, "contrôle");
	refused_("meeting", "title", S("Plénière\t2"), CTS_EINVAL, "une seule ligne");
	refused_("member", "last_name", S("A\x7f"), CTS_EINVAL, "contrôle");
	refused_("member", "last_name", S("A\xc2\x85"), CTS_EINVAL, "contrôle"); /* U+0085, C1 */
	refused_("member", "last_name", S("A\x1b[31m"), CTS_EINVAL, "contrôle");
	refused_("member", "last_name", S("\xff\xfe"), CTS_EINVAL, "UTF-8");
	refused_("member", "last_name", SN("A\0B"), CTS_EINVAL, "nul");
	refused_("member", "last_name", I(3), CTS_EINVAL, "texte");
	/* Texts that may span lines: tab, CR, LF allowed, other controls not. */
	ok_("contribution", "text", S("Première ligne\r\n\tseconde ligne\n"));
	ok_("opinion", "subject", S("Diagnostic\nsanté mentale"));
	refused_("contribution", "text", S("bip\a"), CTS_EINVAL, "contrôle");
	refused_("contribution", "text", S(""), CTS_EINVAL, "obligatoire");
	/* Limits of tables.c. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	refused_("meeting", "title", S(big), CTS_ELIMIT, "400");
	big[400] = '\0';
	ok_("meeting", "title", S(big));
	/* The value quoted in a message is short and printable. */
	memset(big, 'y', 200);
	big[0] = '\x01';
	memcpy(big + 1, "Ba", 2);
	big[200] = '\0';
	assert_int_equal(one("member", "college", S(big), &why), CTS_EINVAL);
	assert_true(strlen(why.value) < sizeof(why.value));
	assert_int_equal(strncmp(why.value, "?Ba", 3), 0);
	assert_non_null(strstr(why.value, "…"));
	assert_null(strchr(why.message, '\x01'));
}

static void test_sets(void **state)
{
	cts_rule_violation why;
	json_t *set;

	(void)state;
	/* An update carries only what changed. */
	set = json_pack("{s:s}", "last_name", "MARTIN");
	assert_int_equal(cts_rules_check_set("member", set, &why), 0);
	/* A new record carries every required field. */
	assert_int_equal(cts_rules_check_new("member", set, &why), CTS_EINVAL);
	assert_string_equal(why.field, "first_name");
	assert_non_null(strstr(cts_error_message(), "le prénom est obligatoire"));
	json_decref(set);
	set = json_pack("{s:s, s:s, s:s, s:s}", "last_name", "MARTIN", "first_name", "Paul",
	                "college", "etat", "seat", "titulaire");
	assert_int_equal(cts_rules_check_new("member", set, NULL), 0);
	json_decref(set);
	/* A required field left empty on a new record (a form's empty field
	 * becomes null): "obligatoire", not "cannot be cleared". */
	set = json_pack("{s:n, s:s, s:s, s:s}", "last_name", "first_name", "Paul", "college",
	                "etat", "seat", "titulaire");
	assert_int_equal(cts_rules_check_new("member", set, &why), CTS_EINVAL);
	assert_string_equal(why.field, "last_name");
	assert_string_equal(cts_error_message(), "le nom est obligatoire");
	assert_int_equal(cts_rules_check_set("member", set, &why), CTS_EINVAL);
	assert_non_null(strstr(cts_error_message(), "effacé"));
	json_decref(set);
	set =
	    json_pack("{s:s, s:s, s:s}", "body", "bureau", "date", "2020-06-16", "title", "Bureau");
	assert_int_equal(cts_rules_check_new("meeting", set, &why), CTS_EINVAL);
	assert_string_equal(why.field, "status");
	/* The first value refused is named; why may be NULL. */
	json_object_set_new(set, "status", json_string("tenue"));
	assert_int_equal(cts_rules_check_new("meeting", set, NULL), 0);
	json_object_set_new(set, "date", json_string("2020-13-45"));
	assert_int_equal(cts_rules_check_set("meeting", set, NULL), CTS_EINVAL);
	assert_non_null(strstr(cts_error_message(), "2020-13-45"));
	json_decref(set);
	/* Unknown field, unknown table, not an object. */
	set = json_pack("{s:i}", "shoe_size", 42);
	assert_int_equal(cts_rules_check_set("member", set, &why), CTS_EINVAL);
	assert_non_null(strstr(why.message, "shoe_size"));
	assert_null(why.field);
	assert_int_equal(cts_rules_check_set("nope", set, &why), CTS_EINVAL);
	assert_non_null(strstr(why.message, "table inconnue"));
	json_decref(set);
	set = json_array();
	assert_int_equal(cts_rules_check_set("member", set, NULL), CTS_EINVAL);
	json_decref(set);
	/* Deletes have no set; an empty one is acceptable as far as values go. */
	set = json_object();
	assert_int_equal(cts_rules_check_set("member", set, NULL), 0);
	json_decref(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_field_has_one_rule),
		cmocka_unit_test(test_forged_values),
		cmocka_unit_test(test_codes),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_sets),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
