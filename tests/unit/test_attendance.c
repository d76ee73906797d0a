/* Attendance: sheets matched to the roll (near names refused with a
 * suggestion, the roll's college, a member also listed as a guest, members
 * missing from the sheet, existing attendance and --replace, the identical
 * sheet again) and one person's mark set or removed; every refusal leaves
 * the journal and the content untouched. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "attendance.h"
#include "error.h"
#include "meeting.h"
#include "member.h"
#include "record.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "NOM;Prénom;Structure;Collège;Présent;Excusé\n"

static char *root;
static int serial;

static cts_node *fresh(void)
{
	char name[32];

	snprintf(name, sizeof(name), "att-%d", ++serial);
	return tu_territory_node(root, name, "le-havre");
}

static int setup(void **state)
{
	(void)state;
	root = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(root);
	free(root);
	return 0;
}

static char *data(const char *name, size_t *len)
{
	char path[512];
	char *buf;

	snprintf(path, sizeof(path), "%s/attendance/%s", CTS_TEST_DATA, name);
	if (!(buf = tu_read_file(path, len)))
		fail_msg("cannot read %s", path);
	return buf;
}

static void meeting(cts_node *n, const char *date, const char *status, char id[37])
{
	cts_meeting_fields f = {
		.body = "pleniere", .date = date, .title = "Plénière", .status = status, .again = 1
	};
	if (cts_meeting_add(n, &f, id) < 0)
		fail_msg("meeting: %s", cts_error_message());
}

static void member(cts_node *n, const char *last, const char *first, const char *college,
                   const char *seat, const char *start, const char *end, char id[37])
{
	cts_member_fields f = { .last_name = last,
		                .first_name = first,
		                .organisation = "X",
		                .college = college,
		                .seat = seat,
		                .mandate_start = start,
		                .mandate_end = end };
	if (cts_member_add(n, &f, id) < 0)
		fail_msg("member %s: %s", last, cts_error_message());
}

/* What a refused command must not change. */
typedef struct {
	int64_t ops;
	char digest[65];
} snapshot;

static snapshot snap(cts_node *n)
{
	snapshot s;
	assert_int_equal(cts_record_pending_ops(n->store, &s.ops), 0);
	assert_int_equal(cts_record_digest(n->store, s.digest), 0);
	return s;
}

static void unchanged(cts_node *n, const snapshot *before)
{
	snapshot now = snap(n);
	assert_int_equal(now.ops, before->ops);
	assert_string_equal(now.digest, before->digest);
}

static int64_t ops(cts_node *n)
{
	return snap(n).ops;
}

static cts_attendance_result *import_ok(cts_node *n, const char *m, const char *buf, size_t len,
                                        cts_attendance_options opt)
{
	cts_attendance_result *r = NULL;
	if (cts_attendance_import_sheet(n, m, buf, len, &opt, &r) < 0)
		fail_msg("import: %s", cts_error_message());
	assert_non_null(r);
	return r;
}
#define IMPORT_OK(n, m, lit, ...)                                                                  \
	import_ok(n, m, lit, sizeof(lit) - 1, (cts_attendance_options){ __VA_ARGS__ })

/* The import must be refused with CTS_EINVAL, the message holding needle,
 * and nothing written. Returns the result (may be NULL). */
static cts_attendance_result *import_refused(cts_node *n, const char *m, const char *buf,
                                             size_t len, cts_attendance_options opt,
                                             const char *needle)
{
	cts_attendance_result *r = NULL;
	snapshot before = snap(n);
	int rc = cts_attendance_import_sheet(n, m, buf, len, &opt, &r);

	if (rc != CTS_EINVAL)
		fail_msg("import: rc %d (%s)", rc, cts_error_message());
	if (!strstr(cts_error_message(), needle))
		fail_msg("« %s » lacks « %s »", cts_error_message(), needle);
	unchanged(n, &before);
	return r;
}

static json_t *listing(cts_node *n, const char *m)
{
	json_t *a = NULL;
	assert_int_equal(cts_attendance_list(n, m, &a), 0);
	return a;
}

static const json_t *row_of(const json_t *list, const char *last)
{
	size_t i;
	json_t *row;
	json_array_foreach(list, i, row)
	{
		if (strcmp(json_string_value(json_object_get(row, "last_name")), last) == 0)
			return row;
	}
	return NULL;
}

static const char *status_of(cts_node *n, const char *m, const char *last)
{
	static char buf[16];
	json_t *l = listing(n, m);
	const json_t *row = row_of(l, last);
	snprintf(buf, sizeof(buf), "%s",
	         row ? json_string_value(json_object_get(row, "status")) : "-");
	json_decref(l);
	return buf;
}

/* ---- the real sheets ---- */

static void real_sheet(const char *file, long members, long present, long excused, long absent,
                       long guests)
{
	cts_node *n = fresh();
	cts_attendance_result *r;
	char m[37];
	size_t len;
	char *buf = data(file, &len);
	snapshot after;

	meeting(n, "2020-06-16", NULL, m);
	r = import_ok(n, m, buf, len, (cts_attendance_options){ .create_missing = 1 });
	assert_int_equal(r->members, members);
	assert_int_equal(r->present, present);
	assert_int_equal(r->excused, excused);
	assert_int_equal(r->absent, absent);
	assert_int_equal(r->guests, guests);
	assert_int_equal(r->created, members);
	assert_int_equal(r->note_count, 0);
	assert_int_equal(r->warnings, 0);
	assert_int_equal(r->added, members + guests);
	assert_false(r->unchanged);
	assert_int_equal(json_array_size(r->rows), members + guests);
	cts_attendance_result_free(r);

	/* The identical sheet again: nothing written, and said so. */
	after = snap(n);
	r = import_ok(n, m, buf, len, (cts_attendance_options){ 0 });
	assert_true(r->unchanged);
	assert_int_equal(r->added + r->changed + r->removed, 0);
	assert_int_equal(r->before.members, members);
	assert_int_equal(r->before.guests, guests);
	unchanged(n, &after);
	cts_attendance_result_free(r);
	free(buf);
	cts_node_free(n);
}

static void test_real_sheets(void **state)
{
	(void)state;
	real_sheet("rouen-elbeuf.csv", 29, 24, 4, 1, 11);
	real_sheet("le-havre.csv", 18, 15, 3, 0, 10);
	real_sheet("le-havre.excel-windows1252.csv", 18, 15, 3, 0, 10);
	real_sheet("le-havre.tab.txt", 18, 15, 3, 0, 10);
}

/* ---- near names ---- */

static void test_near_refused(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_result *r;
	char m[37], casadei[37];

	member(n, "CASADEI", "François", "professionnels", NULL, NULL, NULL, casadei);
	member(n, "GESLIN", "Annie", "usagers", NULL, NULL, NULL, NULL);
	meeting(n, "2020-06-17", NULL, m);
	static const char sheet[] = HEADER "GESLIN;Annie;UDAF;usagers;X;\n"
	                                   "CASSADEI;François;URPS;professionnels;X;\n"
	                                   "DUPONT;Jean;CH;professionnels;X;\n";
	/* With and without --create-missing: a near name is never created. */
	for (int create = 0; create <= 1; create++) {
		r = import_refused(
		    n, m, sheet, sizeof(sheet) - 1,
		    (cts_attendance_options){ .create_missing = create },
		    "ligne 3 : CASSADEI François — vouliez-vous dire CASADEI François ?");
		assert_non_null(r);
		assert_int_equal(r->near, 1);
		assert_int_equal(r->unknown, 1);
		assert_int_equal(r->note_count, create ? 1 : 2);
		const cts_attendance_note *no = &r->notes[0];
		assert_int_equal(no->kind, CTS_ATT_NEAR);
		assert_string_equal(no->code, "near_match");
		assert_true(no->blocking);
		assert_int_equal(no->line, 3);
		assert_string_equal(no->member, casadei);
		assert_string_equal(no->member_name, "CASADEI François");
		if (!create) {
			assert_int_equal(r->notes[1].kind, CTS_ATT_UNKNOWN);
			assert_int_equal(r->notes[1].line, 4);
			assert_non_null(strstr(cts_error_message(), "ligne 4 : DUPONT Jean"));
			assert_non_null(strstr(cts_error_message(), "--create-missing"));
		}
		/* The row carries its note for a preview. */
		json_t *row = json_array_get(r->rows, 1);
		assert_string_equal(json_string_value(json_object_get(row, "action")), "proche");
		assert_int_equal(json_array_size(json_object_get(row, "notes")), 1);
		assert_string_equal(
		    json_string_value(json_object_get(
		        json_array_get(json_object_get(row, "notes"), 0), "member")),
		    casadei);
		cts_attendance_result_free(r);
	}
	json_t *l = listing(n, m);
	assert_int_equal(json_array_size(l), 0);
	json_decref(l);
	cts_node_free(n);
}

/* ---- the same person twice ---- */

static void test_member_and_guest(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_result *r;
	char m[37], geslin[37];

	member(n, "GESLIN", "Annie", "usagers", NULL, NULL, NULL, geslin);
	member(n, "ALBY", "Jérôme", "professionnels", NULL, NULL, NULL, NULL);
	meeting(n, "2020-06-16", NULL, m);
	/* The member row has no mark, the guest row says present: present. */
	r = IMPORT_OK(n, m,
	              HEADER "ALBY;Jérôme;La Boussole;professionnels;X;\n"
	                     "GESLIN;Annie;UDAF 76;usagers;;\n"
	                     "DENION;Yvan;ARS;ars;X;\n"
	                     "Geslin;ANNIE;Ville de Rouen;invite;X;\n");
	assert_int_equal(r->warnings, 1);
	assert_int_equal(r->note_count, 1);
	assert_int_equal(r->notes[0].kind, CTS_ATT_MEMBER_GUEST);
	assert_int_equal(r->notes[0].line, 5);
	assert_int_equal(r->notes[0].other_line, 3);
	assert_false(r->notes[0].blocking);
	assert_non_null(strstr(r->notes[0].message, "(ligne 3)"));
	assert_non_null(strstr(r->notes[0].message, "(ligne 5)"));
	assert_int_equal(r->members, 2);
	assert_int_equal(r->present, 2);
	assert_int_equal(r->guests, 1);
	assert_int_equal(r->ars, 1);
	cts_attendance_result_free(r);
	json_t *l = listing(n, m);
	assert_int_equal(json_array_size(l), 3);
	const json_t *g = row_of(l, "GESLIN");
	assert_non_null(g);
	assert_string_equal(json_string_value(json_object_get(g, "member")), geslin);
	assert_string_equal(json_string_value(json_object_get(g, "status")), "present");
	assert_string_equal(json_string_value(json_object_get(g, "college")), "usagers");
	json_decref(l);

	/* Twice as a member (or twice as a guest) stays an error. */
	static const char twice[] =
	    HEADER "GESLIN;Annie;UDAF;usagers;X;\nALBY;Jérôme;A;professionnels;X;\n"
	           "geslin;annie;UDAF;usagers;;X\n";
	r = import_refused(n, m, twice, sizeof(twice) - 1, (cts_attendance_options){ .replace = 1 },
	                   "ligne 4 : geslin annie figure déjà à la ligne 2");
	assert_null(r);
	static const char guests[] = HEADER "DENION;Yvan;ARS;ars;X;\nDenion;Yvan;ARS;invite;X;\n";
	r = import_refused(n, m, guests, sizeof(guests) - 1,
	                   (cts_attendance_options){ .replace = 1 },
	                   "ligne 3 : Denion Yvan figure déjà à la ligne 2");
	assert_null(r);
	/* Two members of the roll with the same name (each added on another
	 * device): the sheet cannot say which one was there. */
	json_t *set = json_pack("{s:s, s:s, s:s, s:s}", "last_name", "Geslin", "first_name",
	                        "ANNIE", "organisation", "CCAS", "college", "usagers");
	assert_int_equal(
	    cts_record_put(n->store, "member", "bbbb1111-0000-4000-8000-000000000003", set), 0);
	json_decref(set);
	static const char one[] = HEADER "GESLIN;Annie;UDAF;usagers;X;\n";
	r = import_refused(n, m, one, sizeof(one) - 1, (cts_attendance_options){ .replace = 1 },
	                   "ligne 2 : 2 membres de la liste s'appellent GESLIN Annie");
	assert_null(r);
	cts_node_free(n);
}

/* ---- the roll decides ---- */

static void test_college_and_guest_in_roll(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_result *r;
	char m[37], larcher[37];

	member(n, "LARCHER", "Nathalie", "professionnels", NULL, NULL, NULL, larcher);
	member(n, "FOUSSE", "Brigitte", "usagers", NULL, NULL, NULL, NULL);
	meeting(n, "2020-06-17", NULL, m);
	r = IMPORT_OK(n, m,
	              HEADER "larcher;nathalie;HAD;Usagers;X;\n"
	                     "FOUSSE;Brigitte;UNAFAM;invite;X;\n");
	assert_int_equal(r->warnings, 2);
	assert_int_equal(r->notes[0].kind, CTS_ATT_COLLEGE);
	assert_int_equal(r->notes[0].line, 2);
	assert_string_equal(r->notes[0].member, larcher);
	assert_non_null(
	    strstr(r->notes[0].message, "ligne 2 : larcher nathalie est en « Usagers »"));
	assert_non_null(strstr(r->notes[0].message, "« Professionnels et offreurs »"));
	assert_int_equal(r->notes[1].kind, CTS_ATT_GUEST_IN_ROLL);
	assert_int_equal(r->notes[1].line, 3);
	/* FOUSSE is on the sheet (as a guest): not missing. */
	assert_int_equal(r->missing, 0);
	assert_int_equal(r->members, 1);
	assert_int_equal(r->guests, 1);
	cts_attendance_result_free(r);
	json_t *l = listing(n, m);
	const json_t *row = row_of(l, "larcher");
	assert_non_null(row); /* as the sheet spells it */
	assert_string_equal(json_string_value(json_object_get(row, "college")), "professionnels");
	assert_string_equal(json_string_value(json_object_get(row, "organisation")), "HAD");
	row = row_of(l, "FOUSSE");
	assert_true(json_is_null(json_object_get(row, "member")));
	assert_string_equal(json_string_value(json_object_get(row, "college")), "invite");
	json_decref(l);
	cts_node_free(n);
}

static void test_missing_members(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_result *r;
	char m[37];

	member(n, "ALBY", "Jérôme", "professionnels", NULL, NULL, NULL, NULL);
	member(n, "GESLIN", "Annie", "usagers", "titulaire", "2019-01-01", "2022-12-31", NULL);
	member(n, "MOREAU", "Paul", "etat", NULL, NULL, NULL, NULL);
	member(n, "PETIT", "Luc", "etat", "suppleant", NULL, NULL, NULL);
	member(n, "ROBERT", "Léa", "usagers", "titulaire", "2017-01-01", "2019-12-31", NULL);
	member(n, "THOMAS", "Eve", "usagers", "titulaire", "2020-07-01", NULL, NULL);
	meeting(n, "2020-06-16", NULL, m);
	static const char sheet[] = HEADER "ALBY;Jérôme;A;professionnels;X;\n";
	r = import_ok(n, m, sheet, sizeof(sheet) - 1, (cts_attendance_options){ .dry_run = 1 });
	/* GESLIN (in mandate) and MOREAU (open mandate); not the substitute
	 * nor the mandates that ended or had not begun. */
	assert_int_equal(r->missing, 2);
	assert_int_equal(r->note_count, 2);
	assert_int_equal(r->warnings, 0);
	assert_int_equal(r->notes[0].kind, CTS_ATT_MISSING);
	assert_int_equal(r->notes[0].line, 0);
	assert_string_equal(r->notes[0].member_name, "GESLIN Annie");
	assert_string_equal(r->notes[1].member_name, "MOREAU Paul");
	assert_non_null(strstr(r->notes[0].message, "16/06/2020"));
	assert_int_equal(r->members, 1);
	cts_attendance_result_free(r);

	int64_t before = ops(n);
	r = import_ok(n, m, sheet, sizeof(sheet) - 1,
	              (cts_attendance_options){ .absent_missing = 1 });
	assert_int_equal(r->missing, 2);
	assert_int_equal(r->members, 3);
	assert_int_equal(r->absent, 2);
	assert_int_equal(r->added, 3);
	cts_attendance_result_free(r);
	assert_int_equal(ops(n), before + 3);
	assert_string_equal(status_of(n, m, "GESLIN"), "absent");
	assert_string_equal(status_of(n, m, "MOREAU"), "absent");
	assert_string_equal(status_of(n, m, "PETIT"), "-");
	cts_node_free(n);
}

/* ---- a meeting that already has attendance ---- */

static void test_existing_and_replace(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_result *r;
	char m[37];

	meeting(n, "2020-06-17", NULL, m);
	r = IMPORT_OK(n, m,
	              HEADER "ALBY;Jérôme;A;professionnels;X;\nGESLIN;Annie;U;usagers;;X\n"
	                     "MOREAU;Paul;E;etat;X;\nDENION;Yvan;ARS;ars;X;\n",
	              .create_missing = 1);
	cts_attendance_result_free(r);
	/* One mark changed, one guest gone, one guest added. */
	static const char v2[] =
	    HEADER "ALBY;Jérôme;A;professionnels;X;\nGESLIN;Annie;U;usagers;X;\n"
	           "MOREAU;Paul;E;etat;X;\nBEGUE;Florence;CH;invite;X;\n";
	r = import_refused(
	    n, m, v2, sizeof(v2) - 1, (cts_attendance_options){ 0 },
	    "déjà des présences (3 membre(s) : 2 présent(s), 1 excusé(s), 0 absent(s) ; "
	    "1 invité(s))");
	assert_non_null(
	    strstr(cts_error_message(), "1 ligne(s) ajoutée(s), 1 modifiée(s), 1 retirée(s)"));
	assert_non_null(strstr(cts_error_message(), "--replace"));
	assert_non_null(r);
	assert_int_equal(r->before.members, 3);
	assert_int_equal(r->before.excused, 1);
	assert_int_equal(r->added, 1);
	assert_int_equal(r->changed, 1);
	assert_int_equal(r->removed, 1);
	cts_attendance_result_free(r);
	/* --dry-run --replace: the same figures, nothing written. */
	snapshot s = snap(n);
	r = import_ok(n, m, v2, sizeof(v2) - 1,
	              (cts_attendance_options){ .replace = 1, .dry_run = 1 });
	assert_int_equal(r->added + r->changed + r->removed, 3);
	cts_attendance_result_free(r);
	unchanged(n, &s);
	/* --replace writes only what differs: one put, one put, one del. */
	r = import_ok(n, m, v2, sizeof(v2) - 1, (cts_attendance_options){ .replace = 1 });
	cts_attendance_result_free(r);
	assert_int_equal(ops(n), s.ops + 3);
	assert_string_equal(status_of(n, m, "GESLIN"), "present");
	assert_string_equal(status_of(n, m, "DENION"), "-");
	assert_string_equal(status_of(n, m, "BEGUE"), "present");
	cts_node_free(n);
}

/* ---- one person ---- */

static void test_set_remove(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_result *r;
	cts_attendance_change ch;
	char m[37], geslin[37], moreau[37];
	snapshot s;

	member(n, "GESLIN", "Annie", "usagers", NULL, NULL, NULL, geslin);
	member(n, "MOREAU", "Paul", "etat", NULL, NULL, NULL, moreau);
	meeting(n, "2020-06-16", NULL, m);
	r = IMPORT_OK(n, m, HEADER "geslin;annie;UDAF;usagers;;\n");
	cts_attendance_result_free(r);

	/* Absent → excused: one put of the record the sheet wrote. */
	s = snap(n);
	assert_int_equal(cts_attendance_set(n, m, geslin, "excused", &ch), 0);
	assert_true(ch.changed);
	assert_string_equal(ch.before, "absent");
	assert_string_equal(ch.after, "excused");
	assert_string_equal(ch.date, "2020-06-16");
	assert_string_equal(ch.message, "GESLIN Annie : Absent → Excusé (réunion du 16/06/2020)");
	assert_int_equal(ops(n), s.ops + 1);
	json_t *l = listing(n, m);
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(l, 0), "status")),
	                    "excused");
	json_decref(l);
	/* The same again: nothing written. */
	s = snap(n);
	assert_int_equal(cts_attendance_set(n, m, geslin, "excused", &ch), 0);
	assert_false(ch.changed);
	assert_non_null(strstr(ch.message, "rien n'a changé"));
	unchanged(n, &s);
	/* Re-importing the sheet now sees one change (refused without --replace). */
	static const char same[] = HEADER "geslin;annie;UDAF;usagers;;\n";
	r = import_refused(n, m, same, sizeof(same) - 1, (cts_attendance_options){ 0 },
	                   "1 modifiée(s)");
	cts_attendance_result_free(r);
	/* A member not on the sheet: the whole record, under the roll's names. */
	assert_int_equal(cts_attendance_set(n, m, moreau, "present", &ch), 0);
	assert_null(ch.before);
	assert_non_null(strstr(ch.message, "MOREAU Paul : non noté → Présent"));
	l = listing(n, m);
	const json_t *row = row_of(l, "MOREAU");
	assert_non_null(row);
	assert_string_equal(json_string_value(json_object_get(row, "college")), "etat");
	assert_string_equal(json_string_value(json_object_get(row, "member")), moreau);
	json_decref(l);
	/* Remove: one del; again: nothing. */
	s = snap(n);
	assert_int_equal(cts_attendance_remove(n, m, moreau, &ch), 0);
	assert_true(ch.changed);
	assert_string_equal(ch.before, "present");
	assert_null(ch.after);
	assert_non_null(strstr(ch.message, "MOREAU Paul : Présent → retiré des présences"));
	assert_int_equal(ops(n), s.ops + 1);
	s = snap(n);
	assert_int_equal(cts_attendance_remove(n, m, moreau, &ch), 0);
	assert_false(ch.changed);
	unchanged(n, &s);
	/* After a removal a set writes the whole record again. */
	assert_int_equal(cts_attendance_set(n, m, moreau, "absent", &ch), 0);
	assert_string_equal(status_of(n, m, "MOREAU"), "absent");
	l = listing(n, m);
	assert_string_equal(json_string_value(json_object_get(row_of(l, "MOREAU"), "first_name")),
	                    "Paul");
	json_decref(l);
	/* Refusals write nothing. */
	s = snap(n);
	assert_int_equal(cts_attendance_set(n, m, geslin, "maybe", &ch), CTS_EINVAL);
	assert_int_equal(cts_attendance_set(n, m, geslin, NULL, &ch), CTS_EINVAL);
	assert_int_equal(
	    cts_attendance_set(n, m, "00000000-0000-4000-8000-000000000000", "present", &ch),
	    CTS_ENOTFOUND);
	assert_int_equal(cts_attendance_set(n, m, "GESLIN", "present", &ch), CTS_EINVAL);
	assert_int_equal(cts_attendance_set(n, moreau, geslin, "present", &ch), CTS_ENOTFOUND);
	unchanged(n, &s);
	cts_node_free(n);
}

/* Planned, cancelled and approved meetings take no attendance write. */
static void test_meeting_status(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_change ch;
	char geslin[37], m[37];
	static const char sheet[] = HEADER "GESLIN;Annie;UDAF;usagers;X;\n";
	static const char *const statuses[] = { "prevue", "annulee", "approuvee" };
	static const char *const needles[] = { "prévue", "annulée", "approuvé" };

	member(n, "GESLIN", "Annie", "usagers", NULL, NULL, NULL, geslin);
	for (int i = 0; i < 3; i++) {
		meeting(n, "2020-06-16", statuses[i], m);
		snapshot s = snap(n);
		cts_attendance_result *r =
		    import_refused(n, m, sheet, sizeof(sheet) - 1,
		                   (cts_attendance_options){ .replace = 1 }, needles[i]);
		assert_null(r);
		assert_int_equal(cts_attendance_set(n, m, geslin, "present", &ch), CTS_EINVAL);
		assert_int_equal(cts_attendance_remove(n, m, geslin, &ch), CTS_EINVAL);
		unchanged(n, &s);
	}
	cts_node_free(n);
}

/* A sheet import and a set of the same member address the same record:
 * the notes' JSON and the rows carry member ids. */
static void test_notes_json(void **state)
{
	(void)state;
	cts_node *n = fresh();
	cts_attendance_result *r;
	char m[37], geslin[37];

	member(n, "GESLIN", "Annie", "usagers", NULL, NULL, NULL, geslin);
	meeting(n, "2020-06-16", NULL, m);
	r = IMPORT_OK(n, m, HEADER "GESLIN;Annie;UDAF;etat;X;\n", .dry_run = 1);
	json_t *notes = cts_attendance_notes_json(r);
	assert_int_equal(json_array_size(notes), 1);
	json_t *o = json_array_get(notes, 0);
	assert_string_equal(json_string_value(json_object_get(o, "kind")), "college");
	assert_int_equal(json_integer_value(json_object_get(o, "line")), 2);
	assert_true(json_is_false(json_object_get(o, "blocking")));
	assert_string_equal(json_string_value(json_object_get(o, "member")), geslin);
	assert_string_equal(json_string_value(json_object_get(o, "member_name")), "GESLIN Annie");
	json_decref(notes);
	json_t *row = json_array_get(r->rows, 0);
	assert_string_equal(json_string_value(json_object_get(row, "member")), geslin);
	assert_string_equal(json_string_value(json_object_get(row, "action")), "membre");
	cts_attendance_result_free(r);
	cts_node_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_sheets),
		cmocka_unit_test(test_near_refused),
		cmocka_unit_test(test_member_and_guest),
		cmocka_unit_test(test_college_and_guest_in_roll),
		cmocka_unit_test(test_missing_members),
		cmocka_unit_test(test_existing_and_replace),
		cmocka_unit_test(test_set_remove),
		cmocka_unit_test(test_meeting_status),
		cmocka_unit_test(test_notes_json),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
