/* Attendance sheets: the real Normandie sheets, their Excel and BOM/comma
 * variants, and malformed sheets refused with the right line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "sheet.h"
#include "testutil.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "NOM;Prénom;Structure;Collège;Présent;Excusé\n"

static cts_sheet *load(const char *name)
{
	char path[512];
	size_t len = 0;
	char *buf;
	cts_sheet *sh = NULL;
	int rc;

	snprintf(path, sizeof(path), "%s/attendance/%s", CTS_TEST_DATA, name);
	buf = tu_read_file(path, &len);
	if (!buf)
		fail_msg("cannot read %s", path);
	rc = cts_sheet_parse(&sh, buf, len);
	free(buf);
	if (rc != 0)
		fail_msg("%s: rc %d: %s", name, rc, cts_error_message());
	assert_non_null(sh);
	return sh;
}

static cts_sheet *parse_ok(const char *buf, size_t len)
{
	cts_sheet *sh = NULL;
	int rc = cts_sheet_parse(&sh, buf, len);

	if (rc != 0)
		fail_msg("rc %d: %s", rc, cts_error_message());
	assert_non_null(sh);
	return sh;
}
#define PARSE_OK(lit) parse_ok(lit, sizeof(lit) - 1)

/* Parse must fail with `code`, leave *out NULL, and the message must
 * contain every needle (NULL-terminated list). */
static void refused_(int code, const char *buf, size_t len, ...)
{
	cts_sheet *sh = (cts_sheet *)&len; /* must be reset to NULL */
	const char *needle, *msg;
	va_list ap;
	int rc;

	cts_error_clear();
	rc = cts_sheet_parse(&sh, buf, len);
	msg = cts_error_message();
	if (rc != code)
		fail_msg("expected rc %d, got %d (« %s »)", code, rc, msg);
	assert_null(sh);
	assert_int_equal(cts_error_last(), code);
	va_start(ap, len);
	while ((needle = va_arg(ap, const char *)) != NULL) {
		if (!strstr(msg, needle)) {
			va_end(ap);
			fail_msg("message « %s » lacks « %s »", msg, needle);
		}
	}
	va_end(ap);
}
#define REFUSED(code, lit, ...)                                                                    \
	refused_(code, lit, sizeof(lit) - 1, __VA_ARGS__, (const char *)NULL)

typedef struct {
	size_t members, present, excused, absent, guests, invite, ars;
} tally;

static tally count(const cts_sheet *sh)
{
	tally t = { 0 };
	static const char *const codes[] = {
		"professionnels", "usagers", "collectivites", "etat", "personnes-qualifiees",
		"invite",         "ars"
	};

	for (size_t i = 0; i < sh->count; i++) {
		const cts_sheet_row *r = &sh->rows[i];
		int known = 0;

		for (size_t c = 0; c < sizeof(codes) / sizeof(codes[0]); c++)
			known |= strcmp(r->college, codes[c]) == 0;
		assert_true(known);
		assert_true(r->last_name[0] != '\0');
		/* One row per physical line in these files, after the header. */
		assert_int_equal(r->line, i + 2);
		if (r->guest) {
			t.guests++;
			if (strcmp(r->college, "ars") == 0)
				t.ars++;
			else if (strcmp(r->college, "invite") == 0)
				t.invite++;
			else
				fail_msg("guest with college %s", r->college);
			continue;
		}
		assert_true(strcmp(r->college, "invite") != 0 && strcmp(r->college, "ars") != 0);
		t.members++;
		if (r->mark == CTS_MARK_PRESENT)
			t.present++;
		else if (r->mark == CTS_MARK_EXCUSED)
			t.excused++;
		else if (r->mark == CTS_MARK_ABSENT)
			t.absent++;
		else
			fail_msg("mark %d", (int)r->mark);
	}
	return t;
}

static void row_is(const cts_sheet_row *r, unsigned line, const char *last, const char *first,
                   const char *org, const char *college, int guest, cts_mark mark)
{
	assert_int_equal(r->line, line);
	assert_string_equal(r->last_name, last);
	assert_string_equal(r->first_name, first);
	assert_string_equal(r->organisation, org);
	assert_string_equal(r->college, college);
	assert_int_equal(r->guest, guest);
	assert_int_equal(r->mark, mark);
}

static void test_rouen_elbeuf(void **state)
{
	(void)state;
	cts_sheet *sh = load("rouen-elbeuf.csv");
	tally t = count(sh);

	assert_string_equal(sh->encoding, "utf-8");
	assert_int_equal(sh->separator, ';');
	assert_int_equal(sh->count, 40);
	assert_int_equal(t.members, 29);
	assert_int_equal(t.present, 24);
	assert_int_equal(t.excused, 4);
	assert_int_equal(t.absent, 1);
	assert_int_equal(t.guests, 11);
	assert_int_equal(t.invite, 4);
	assert_int_equal(t.ars, 7);
	row_is(&sh->rows[0], 2, "ALBY", "Jérôme", "Association La Boussole", "professionnels", 0,
	       CTS_MARK_PRESENT);
	row_is(&sh->rows[1], 3, "BRIDIER", "Sandrine", "Coordinatrice Santé Seine Eure",
	       "professionnels", 0, CTS_MARK_ABSENT);
	row_is(&sh->rows[3], 5, "DANAU", "Jean-Pierre",
	       "Directeur général Clinique de l’Eure/Hôpital privé Pasteur", "professionnels", 0,
	       CTS_MARK_PRESENT);
	row_is(&sh->rows[39], 41, "PLANQUAIS", "Alain", "Délégué territorial", "ars", 1,
	       CTS_MARK_PRESENT);
	cts_sheet_free(sh);
}

static void test_le_havre(void **state)
{
	(void)state;
	cts_sheet *sh = load("le-havre.csv");
	tally t = count(sh);

	assert_int_equal(sh->count, 28);
	assert_int_equal(t.members, 18);
	assert_int_equal(t.present, 15);
	assert_int_equal(t.excused, 3);
	assert_int_equal(t.absent, 0);
	assert_int_equal(t.guests, 10);
	assert_int_equal(t.invite, 7);
	assert_int_equal(t.ars, 3);
	row_is(&sh->rows[2], 4, "FUSEAU", "Alain", "Président CME GH du Havre", "professionnels", 0,
	       CTS_MARK_EXCUSED);
	row_is(&sh->rows[23], 25, "KERLEAU", "Jean-Marc", "Président CME CH Dieppe", "invite", 1,
	       CTS_MARK_EXCUSED);
	cts_sheet_free(sh);
}

static void same_rows(const cts_sheet *a, const cts_sheet *b)
{
	assert_int_equal(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		const cts_sheet_row *x = &a->rows[i], *y = &b->rows[i];
		assert_int_equal(x->line, y->line);
		assert_string_equal(x->last_name, y->last_name);
		assert_string_equal(x->first_name, y->first_name);
		assert_string_equal(x->organisation, y->organisation);
		assert_string_equal(x->college, y->college);
		assert_int_equal(x->guest, y->guest);
		assert_int_equal(x->mark, y->mark);
	}
}

static void test_le_havre_three_shapes(void **state)
{
	(void)state;
	cts_sheet *plain = load("le-havre.csv");
	cts_sheet *excel = load("le-havre.excel-windows1252.csv");
	cts_sheet *bom = load("le-havre.utf8-bom-comma.csv");

	assert_string_equal(plain->encoding, "utf-8");
	assert_int_equal(plain->separator, ';');
	assert_string_equal(excel->encoding, "windows-1252");
	assert_int_equal(excel->separator, ';');
	assert_string_equal(bom->encoding, "utf-8");
	assert_int_equal(bom->separator, ',');
	assert_int_equal(plain->count, 28);
	same_rows(plain, excel);
	same_rows(plain, bom);
	/* Accented text decoded from Windows-1252, no stray CR. */
	assert_string_equal(excel->rows[0].first_name, "François");
	assert_string_equal(excel->rows[5].organisation, "Centre rééducation la Hève");
	cts_sheet_free(plain);
	cts_sheet_free(excel);
	cts_sheet_free(bom);
}

static void test_quoting_order_blank_lines(void **state)
{
	(void)state;
	/* BOM, CRLF, shuffled and unaccented header with an extra column,
	 * quoted fields holding separators, "" escapes and line breaks (which
	 * become spaces: a value is one line), blank
	 * lines, French college spellings, spaces around marks and names. */
	cts_sheet *sh =
	    PARSE_OK("\xef\xbb\xbf"
	             "Excuse;PRESENT;college;Commentaire;structure;prenom;nom\r\n"
	             ";X;Usagers;\"dit \"\"Jojo\"\"; ok\";\"Centre; rééducation\";Jean;DUPONT\r\n"
	             "\r\n"
	             ";;;;;;\r\n"
	             "x ; ;Personnalités qualifiées;\"multi\r\nligne\";"
	             "\"Asso\r\nLe Grand Lieu\";Anne;\"MARTIN\"\r\n"
	             ";;État;;;Paul;  Durand \xc2\xa0\r\n"
	             " ; x ;ARS;;ARS Normandie;Yvan;DENION\r\n"
	             "X;;Invité;;;;BEGUE\r\n"
	             "  ;  ;  ;  ;  ;  ;  \r\n"
	             ";X;Collectivités territoriales;;;;LEROY\r\n"
	             ";X;Professionnels;;;;MOREAU\r\n");

	assert_string_equal(sh->encoding, "utf-8");
	assert_int_equal(sh->separator, ';');
	assert_int_equal(sh->count, 7);
	row_is(&sh->rows[0], 2, "DUPONT", "Jean", "Centre; rééducation", "usagers", 0,
	       CTS_MARK_PRESENT);
	row_is(&sh->rows[1], 5, "MARTIN", "Anne", "Asso Le Grand Lieu", "personnes-qualifiees", 0,
	       CTS_MARK_EXCUSED);
	row_is(&sh->rows[2], 8, "Durand", "Paul", "", "etat", 0, CTS_MARK_ABSENT);
	row_is(&sh->rows[3], 9, "DENION", "Yvan", "ARS Normandie", "ars", 1, CTS_MARK_PRESENT);
	row_is(&sh->rows[4], 10, "BEGUE", "", "", "invite", 1, CTS_MARK_EXCUSED);
	row_is(&sh->rows[5], 12, "LEROY", "", "", "collectivites", 0, CTS_MARK_PRESENT);
	row_is(&sh->rows[6], 13, "MOREAU", "", "", "professionnels", 0, CTS_MARK_PRESENT);
	cts_sheet_free(sh);
}

static void test_comma_short_rows_no_final_newline(void **state)
{
	(void)state;
	cts_sheet *sh = PARSE_OK("NOM,Prénom,Structure,Collège,Présent,Excusé\n"
	                         "DUPONT,Jean, \"URPS, médecins\" ,professionnels,X,\n"
	                         "DURAND,Luc,,usagers\n"
	                         "\n"
	                         "\"O'BRIEN\",\"Seán\",\"\",\"etat\",\"\",\"x\"");

	assert_int_equal(sh->separator, ',');
	assert_int_equal(sh->count, 3);
	row_is(&sh->rows[0], 2, "DUPONT", "Jean", "URPS, médecins", "professionnels", 0,
	       CTS_MARK_PRESENT);
	row_is(&sh->rows[1], 3, "DURAND", "Luc", "", "usagers", 0, CTS_MARK_ABSENT);
	row_is(&sh->rows[2], 5, "O'BRIEN", "Seán", "", "etat", 0, CTS_MARK_EXCUSED);
	cts_sheet_free(sh);
}

static void test_windows1252_in_memory(void **state)
{
	(void)state;
	cts_sheet *sh = PARSE_OK("NOM;Pr\xe9nom;Structure;Coll\xe8ge;Pr\xe9sent;Excus\xe9\r\n"
	                         "L\222HOSTE;J\351r\364me;\200uro \234uvre;\311tat;X;\r\n");

	assert_string_equal(sh->encoding, "windows-1252");
	assert_int_equal(sh->count, 1);
	row_is(&sh->rows[0], 2, "L’HOSTE", "Jérôme", "€uro œuvre", "etat", 0, CTS_MARK_PRESENT);
	cts_sheet_free(sh);
}

static void test_college_spellings(void **state)
{
	(void)state;
	static const char *const want[] = {
		"professionnels",
		"professionnels",
		"usagers",
		"collectivites",
		"collectivites",
		"etat",
		"etat",
		"personnes-qualifiees",
		"personnes-qualifiees",
		"personnes-qualifiees",
		"invite",
		"invite",
		"ars",
		"ars",
	};
	cts_sheet *sh = PARSE_OK(HEADER "A;;;Professionnels;X;\n"
	                                "B;;;PROFESSIONNELS ET OFFREURS;X;\n"
	                                "C;;;usagers;X;\n"
	                                "D;;;Collectivités territoriales;X;\n"
	                                "E;;;collectivites;X;\n"
	                                "F;;;État;X;\n"
	                                "G;;;ETAT;X;\n"
	                                "H;;;Personnalités qualifiées;X;\n"
	                                "I;;;personnes qualifiees;X;\n"
	                                "J;;;personnes-qualifiees;X;\n"
	                                "K;;;Invité;X;\n"
	                                "L;;;invite;X;\n"
	                                "M;;;ARS;X;\n"
	                                "N;;;ars;X;\n");

	assert_int_equal(sh->count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sh->count; i++) {
		assert_string_equal(sh->rows[i].college, want[i]);
		assert_int_equal(sh->rows[i].guest, i >= 10);
	}
	cts_sheet_free(sh);
}

static void test_refuse_unknown_college(void **state)
{
	(void)state;
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\nB;b;S;patients;X;\nC;c;S;etat;X;\n",
	        "ligne 3 :", "collège inconnu « patients »", "professionnels",
	        "personnes-qualifiees", "invite", "ars");
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\nB;b;S;;X;\n", "ligne 3 :", "collège",
	        "usagers");

	/* A long value is shortened on a character boundary: the message
	 * stays valid UTF-8 (it may end up in JSON). */
	char buf[512];
	size_t n = (size_t)sprintf(buf, HEADER "A;a;S;");
	for (int i = 0; i < 45; i++)
		n += (size_t)sprintf(buf + n, "é");
	n += (size_t)sprintf(buf + n, ";X;\n");
	refused_(CTS_EINVAL, buf, n, "ligne 2 :", "collège inconnu « ééé", "é… »",
	         (const char *)NULL);
	assert_true(cts_text_utf8_valid(cts_error_message(), strlen(cts_error_message())));
}

static void test_refuse_both_marks(void **state)
{
	(void)state;
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\nB;b;S;usagers;;X\nC;c;S;etat;X;x\n",
	        "ligne 4 : présent et excusé à la fois");
}

static void test_refuse_truncated_quote(void **state)
{
	(void)state;
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\n\"B;b;S;usagers;X;\nC;c;S;usagers;X;\n",
	        "ligne 3 :", "guillemet");
	/* The field starts on line 3, in the Structure column. */
	REFUSED(CTS_EINVAL,
	        HEADER "A;a;S;usagers;X;\nB;b;\"Centre\nx;usagers;X;\nC;c;S;usagers;X;\n",
	        "ligne 3 :", "guillemet", "« Structure »");
	/* A line break inside a closed quote moves the next lines down. */
	REFUSED(CTS_EINVAL, HEADER "A;a;\"S\nT\";usagers;X;\nB;b;\"S\n", "ligne 4 :", "guillemet");
	/* Text after a closing quote. */
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\n\"B\"x;b;S;usagers;X;\n",
	        "ligne 3 :", "guillemet fermant");
}

static void test_refuse_bad_encoding(void **state)
{
	(void)state;
	/* 0x81: invalid UTF-8 and undefined in Windows-1252. */
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\nB\x81;b;S;usagers;X;\nC;c;S;usagers;X;\n",
	        "ligne 3 :", "encodage non reconnu", "0x81");
	/* Windows-1252 é on line 2, undefined 0x90 on line 4: both named. */
	REFUSED(CTS_EINVAL,
	        "NOM;Prenom;Structure;College;Present;Excuse\n"
	        "J\xe9r\xf4me;a;S;usagers;X;\n"
	        "B;b;S;usagers;X;\n"
	        "C\x90;c;S;usagers;X;\n",
	        "encodage non reconnu", "ligne 2,", "ligne 4,", "0x90");
	/* A BOM announces UTF-8: Windows-1252 bytes after it are refused. */
	REFUSED(CTS_EINVAL, "\xef\xbb\xbf" HEADER "A;a;S;usagers;X;\nB\xe9;b;S;usagers;X;\n",
	        "ligne 3 :", "encodage non reconnu");
	/* NUL bytes, UTF-16. */
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\nB\0;b;S;usagers;X;\n",
	        "ligne 3 :", "encodage non reconnu");
	REFUSED(CTS_EINVAL, "\xff\xfeN\0O\0M\0", "ligne 1 :", "encodage non reconnu", "UTF-16");
	/* Overlong and surrogate forms are not UTF-8; with 0x8D they are not
	 * Windows-1252 either. */
	REFUSED(CTS_EINVAL, HEADER "A\xed\xa0\x8d;a;S;usagers;X;\n",
	        "ligne 2 :", "encodage non reconnu");
}

static void test_refuse_missing_column(void **state)
{
	(void)state;
	REFUSED(CTS_EINVAL, "NOM;Prénom;Structure;Présent;Excusé\nA;a;S;X;\n",
	        "ligne 1 :", "colonne « Collège » absente");
	REFUSED(CTS_EINVAL, "NOM;Prénom;Structure;Présent\nA;a;S;X\n",
	        "ligne 1 :", "colonnes « Collège », « Excusé » absentes");
	REFUSED(CTS_EINVAL, "NOM,Prénom,Structure,Collège,Présent\nA,a,S,usagers,X\n",
	        "ligne 1 :", "colonne « Excusé » absente");
	/* The header is the first non-blank line. */
	REFUSED(CTS_EINVAL, "\n;;;\nNOM;Prénom;Collège;Présent;Excusé\nA;a;usagers;X;\n",
	        "ligne 3 :", "« Structure »");
	REFUSED(CTS_EINVAL, "NOM;Prénom;Structure;Collège;Présent;Excusé;Nom\nA;a;S;usagers;X;;A\n",
	        "ligne 1 :", "« NOM » en double");
	REFUSED(CTS_EINVAL, "", "vide");
	REFUSED(CTS_EINVAL, "\n\n", "vide");
	REFUSED(CTS_EINVAL, HEADER "\n;;;;;\n", "ligne 1 :", "aucune ligne");
}

static void test_refuse_odd_mark(void **state)
{
	(void)state;
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;peut-être;\n", "ligne 2 :", "« peut-être »",
	        "« Présent »", "X, oui ou 1");
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\nB;b;S;usagers;;XX\n", "ligne 3 :", "« XX »",
	        "« Excusé »");
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;2;\n", "ligne 2 :", "« 2 »");
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;✗;\n", "ligne 2 :", "« ✗ »");
	/* "oui" in both columns is still both marks. */
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;oui;1\n",
	        "ligne 2 : présent et excusé à la fois");
}

/* Marks people really type: X, x, oui, o, 1, ✓, ✔ (case and accents
 * ignored); empty, non, 0 leave the column unmarked. */
static void test_marks(void **state)
{
	(void)state;
	cts_sheet *sh = PARSE_OK(HEADER "A;;;usagers;X;\n"
	                                "B;;;usagers;x;\n"
	                                "C;;;usagers;oui;\n"
	                                "D;;;usagers;OUI;non\n"
	                                "E;;;usagers;O;\n"
	                                "F;;;usagers;1;0\n"
	                                "G;;;usagers;✓;\n"
	                                "H;;;usagers;✔;\n"
	                                "I;;;usagers;non;Oui\n"
	                                "J;;;usagers;0;✓\n"
	                                "K;;;usagers;Non;\n"
	                                "L;;;usagers; ;0\n");
	static const cts_mark want[] = { CTS_MARK_PRESENT, CTS_MARK_PRESENT, CTS_MARK_PRESENT,
		                         CTS_MARK_PRESENT, CTS_MARK_PRESENT, CTS_MARK_PRESENT,
		                         CTS_MARK_PRESENT, CTS_MARK_PRESENT, CTS_MARK_EXCUSED,
		                         CTS_MARK_EXCUSED, CTS_MARK_ABSENT,  CTS_MARK_ABSENT };

	assert_int_equal(sh->count, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sh->count; i++)
		if (sh->rows[i].mark != want[i])
			fail_msg("row %s: mark %d, want %d", sh->rows[i].last_name,
			         (int)sh->rows[i].mark, (int)want[i]);
	cts_sheet_free(sh);
}

/* Tab-separated text (a sheet copied from a spreadsheet and pasted into a
 * text file, or saved as "Texte (séparateur : tabulation)") reads like a
 * ';' one; a ';' or ',' inside a value is then plain text. */
static void test_tab_separated(void **state)
{
	(void)state;
	cts_sheet *sh = PARSE_OK("NOM\tPrénom\tStructure\tCollège\tPrésent\tExcusé\r\n"
	                         "DUPONT\tJean\tURPS; médecins, Rouen\tprofessionnels\tX\t\r\n"
	                         "\"MARTIN\"\t\"Anne\"\t\"Asso\tLe Grand Lieu\"\tusagers\t\tx\r\n"
	                         "DURAND\t\t\tetat\r\n"
	                         "\t\t\t\t\t\r\n"
	                         "DENION\tYvan\tARS\tars\toui\t\r\n");

	assert_int_equal(sh->separator, '\t');
	assert_int_equal(sh->count, 4);
	row_is(&sh->rows[0], 2, "DUPONT", "Jean", "URPS; médecins, Rouen", "professionnels", 0,
	       CTS_MARK_PRESENT);
	row_is(&sh->rows[1], 3, "MARTIN", "Anne", "Asso Le Grand Lieu", "usagers", 0,
	       CTS_MARK_EXCUSED);
	row_is(&sh->rows[2], 4, "DURAND", "", "", "etat", 0, CTS_MARK_ABSENT);
	row_is(&sh->rows[3], 6, "DENION", "Yvan", "ARS", "ars", 1, CTS_MARK_PRESENT);
	cts_sheet_free(sh);

	/* The real Le Havre sheet, tab-separated, gives the same rows. */
	cts_sheet *plain = load("le-havre.csv"), *tab = load("le-havre.tab.txt");
	assert_int_equal(tab->separator, '\t');
	same_rows(plain, tab);
	cts_sheet_free(plain);
	cts_sheet_free(tab);

	/* Too many values on a tab line names the separator in words. */
	REFUSED(
	    CTS_EINVAL,
	    "NOM\tPrénom\tStructure\tCollège\tPrésent\tExcusé\nA\ta\tS\tusagers\tX\t\tsurplus\n",
	    "ligne 2 :", "« surplus »", "tabulation");
}

/* A file's bytes must be refused with every needle in the message. */
static void refused_file(const char *name, const char *n1, const char *n2, const char *n3)
{
	char path[512];
	size_t len = 0;
	char *buf;

	snprintf(path, sizeof(path), "%s/attendance/%s", CTS_TEST_DATA, name);
	if (!(buf = tu_read_file(path, &len)))
		fail_msg("cannot read %s", path);
	refused_(CTS_EINVAL, buf, len, n1, n2, n3, (const char *)NULL);
	free(buf);
}

/* Spreadsheets saved in their own format are recognised by their first
 * bytes: the message says what the file is, which program saves it and
 * how to save it as CSV from there. */
static void test_refuse_spreadsheets(void **state)
{
	(void)state;
	refused_file("le-havre.xlsx", "classeur Excel (.xlsx)", "Fichier > Enregistrer sous",
	             "CSV (séparateur : point-virgule)");
	refused_file("le-havre.xls", "classeur Excel 97-2003 (.xls)", "Fichier > Enregistrer sous",
	             "CSV (séparateur : point-virgule)");
	refused_file("le-havre.ods", "classeur LibreOffice Calc (.ods)",
	             "Fichier > Enregistrer sous", "Texte CSV");
	/* Other containers of the same families, and what is not a sheet. */
	REFUSED(CTS_EINVAL,
	        "PK\3\4\x14\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x08\0\0\0"
	        "mimetypeapplication/vnd.oasis.opendocument.text",
	        "document LibreOffice", "n'est pas un tableur");
	REFUSED(CTS_EINVAL, "PK\3\4 [Content_Types].xml word/document.xml", "Microsoft Office",
	        "n'est pas un tableur");
	REFUSED(CTS_EINVAL, "PK\3\4 photos/x.jpg", "archive compressée (zip)");
	REFUSED(CTS_EINVAL, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 W\0o\0r\0d\0D\0o\0c",
	        "ancien document", "Microsoft Office");
	REFUSED(CTS_EINVAL, "%PDF-1.7\n", "PDF");
	/* Short prefixes of the magic are text like any other. */
	REFUSED(CTS_EINVAL, "PK\3", "en-tête non reconnu");
}

static void test_refuse_other(void **state)
{
	(void)state;
	/* Empty NOM (spaces only). */
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;\n  ;Jean;S;usagers;X;\n", "ligne 3 :", "NOM",
	        "Jean");
	/* A value beyond the header's columns: an unquoted separator. */
	REFUSED(CTS_EINVAL, HEADER "A;a;S;usagers;X;;surplus\n", "ligne 2 :", "« surplus »");
	/* Old Mac line ends. */
	REFUSED(CTS_EINVAL, "NOM;Prénom;Structure;Collège;Présent;Excusé\rA;a;S;usagers;X;\r",
	        "retour chariot");
	/* No buffer. */
	cts_sheet *sh = (cts_sheet *)&sh;
	assert_int_equal(cts_sheet_parse(&sh, NULL, 10), CTS_EINVAL);
	assert_null(sh);
	cts_sheet_free(NULL);
}

/* A sheet of `rows` rows, one of them with a Structure of `field` bytes. */
static char *make_sheet(size_t rows, size_t field, size_t *len)
{
	size_t cap = 64 + rows * 32 + field;
	char *buf = malloc(cap), *p = buf;

	assert_non_null(buf);
	p += sprintf(p, HEADER);
	for (size_t i = 0; i < rows; i++) {
		p += sprintf(p, "N%zu;P;", i);
		if (i == 1) {
			memset(p, 's', field);
			p += field;
		}
		p += sprintf(p, ";usagers;X;\n");
	}
	*len = (size_t)(p - buf);
	return buf;
}

static void test_limits(void **state)
{
	(void)state;
	cts_sheet *sh = NULL;
	size_t len;
	char *buf;

	buf = make_sheet(CTS_SHEET_MAX_ROWS, CTS_SHEET_MAX_FIELD, &len);
	assert_int_equal(cts_sheet_parse(&sh, buf, len), 0);
	assert_int_equal(sh->count, CTS_SHEET_MAX_ROWS);
	assert_int_equal(strlen(sh->rows[1].organisation), CTS_SHEET_MAX_FIELD);
	assert_int_equal(sh->rows[CTS_SHEET_MAX_ROWS - 1].line, CTS_SHEET_MAX_ROWS + 1);
	cts_sheet_free(sh);
	free(buf);

	buf = make_sheet(CTS_SHEET_MAX_ROWS + 1, 0, &len);
	refused_(CTS_ELIMIT, buf, len, "ligne 2002 :", "2000", (const char *)NULL);
	free(buf);

	buf = make_sheet(3, CTS_SHEET_MAX_FIELD + 1, &len);
	refused_(CTS_ELIMIT, buf, len, "ligne 3 :", "« Structure »", "512", (const char *)NULL);
	free(buf);

	/* Too many columns on a line. */
	buf = malloc(CTS_SHEET_MAX_COLUMNS + 64);
	assert_non_null(buf);
	len = (size_t)sprintf(buf, HEADER);
	memset(buf + len, ';', CTS_SHEET_MAX_COLUMNS);
	len += CTS_SHEET_MAX_COLUMNS;
	refused_(CTS_ELIMIT, buf, len, "ligne 2 :", "colonnes", (const char *)NULL);
	free(buf);

	/* Whole file over 4 MiB: refused before anything is read. */
	len = CTS_SHEET_MAX_BYTES + 1;
	buf = malloc(len);
	assert_non_null(buf);
	memcpy(buf, HEADER, sizeof(HEADER) - 1);
	memset(buf + sizeof(HEADER) - 1, '\n', len - (sizeof(HEADER) - 1));
	refused_(CTS_ELIMIT, buf, len, "trop volumineuse", (const char *)NULL);
	/* The same bytes at exactly the limit are read (and refused as empty). */
	refused_(CTS_EINVAL, buf, CTS_SHEET_MAX_BYTES, "aucune ligne", (const char *)NULL);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rouen_elbeuf),
		cmocka_unit_test(test_le_havre),
		cmocka_unit_test(test_le_havre_three_shapes),
		cmocka_unit_test(test_quoting_order_blank_lines),
		cmocka_unit_test(test_comma_short_rows_no_final_newline),
		cmocka_unit_test(test_windows1252_in_memory),
		cmocka_unit_test(test_college_spellings),
		cmocka_unit_test(test_refuse_unknown_college),
		cmocka_unit_test(test_refuse_both_marks),
		cmocka_unit_test(test_refuse_truncated_quote),
		cmocka_unit_test(test_refuse_bad_encoding),
		cmocka_unit_test(test_refuse_missing_column),
		cmocka_unit_test(test_refuse_odd_mark),
		cmocka_unit_test(test_marks),
		cmocka_unit_test(test_tab_separated),
		cmocka_unit_test(test_refuse_spreadsheets),
		cmocka_unit_test(test_refuse_other),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
