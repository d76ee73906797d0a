/*
 * Attendance sheets (src/sheet.h cts_sheet_parse). Properties:
 *  - refused: CTS_EINVAL or CTS_ELIMIT with a message, *out NULL;
 *  - accepted: 1..CTS_SHEET_MAX_ROWS rows in increasing line order, within
 *    the file's lines; encoding "utf-8" or "windows-1252", separator ';', tab or
 *    ','; every field valid UTF-8, without NUL, already trimmed, at most
 *    CTS_SHEET_MAX_FIELD bytes; NOM never empty; college one of the seven
 *    codes with guest set exactly for invite/ars; a known mark;
 *  - round trip: writing the rows back as a UTF-8 ';' sheet with every
 *    field quoted and parsing that gives the same rows.
 */
#include "harness.h"

#include "error.h"
#include "sheet.h"
#include "text.h"

#include <stdlib.h>
#include <string.h>

static const char *const codes[] = {
	"professionnels", "usagers", "collectivites", "etat", "personnes-qualifiees",
	"invite",         "ars"
};

static void check_field(const char *s, int may_be_empty)
{
	char *t = NULL;
	size_t n;

	FUZZ_CHECK(s != NULL);
	n = strlen(s);
	FUZZ_CHECK(may_be_empty || n > 0);
	FUZZ_CHECK(n <= CTS_SHEET_MAX_FIELD);
	FUZZ_CHECK(cts_text_utf8_valid(s, n));
	FUZZ_CHECK(cts_text_trim(&t, s) == 0);
	FUZZ_CHECK(strcmp(t, s) == 0);
	free(t);
}

typedef struct {
	char *p;
	size_t len, cap;
} out_buf;

static void out_put(out_buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (b->len + n + 1 > cap)
			cap *= 2;
		b->p = realloc(b->p, cap);
		FUZZ_CHECK(b->p != NULL);
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

/* A quoted CSV field. A CR LF inside quotes reads back as LF, so a value's
 * CR LF is written CR CR LF (a lone CR is kept as such). */
static void out_field(out_buf *b, const char *s)
{
	out_put(b, "\"", 1);
	for (; *s; s++) {
		if (*s == '"')
			out_put(b, "\"\"", 2);
		else if (*s == '\r' && s[1] == '\n')
			out_put(b, "\r\r", 2);
		else
			out_put(b, s, 1);
	}
	out_put(b, "\"", 1);
}

static void round_trip(const cts_sheet *sh)
{
	out_buf b = { 0 };
	cts_sheet *again = NULL;
	int rc;

	out_put(&b, "NOM;Prénom;Structure;Collège;Présent;Excusé\n",
	        strlen("NOM;Prénom;Structure;Collège;Présent;Excusé\n"));
	for (size_t i = 0; i < sh->count; i++) {
		const cts_sheet_row *r = &sh->rows[i];
		const char *marks;

		out_field(&b, r->last_name);
		out_put(&b, ";", 1);
		out_field(&b, r->first_name);
		out_put(&b, ";", 1);
		out_field(&b, r->organisation);
		out_put(&b, ";", 1);
		out_field(&b, r->college);
		marks = r->mark == CTS_MARK_PRESENT   ? ";X;\n"
		        : r->mark == CTS_MARK_EXCUSED ? ";;X\n"
		                                      : ";;\n";
		out_put(&b, marks, strlen(marks));
	}
	rc = cts_sheet_parse(&again, b.p, b.len);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(again->count == sh->count);
	FUZZ_CHECK(strcmp(again->encoding, "utf-8") == 0 && again->separator == ';');
	for (size_t i = 0; i < sh->count; i++) {
		const cts_sheet_row *x = &sh->rows[i], *y = &again->rows[i];
		FUZZ_CHECK(strcmp(x->last_name, y->last_name) == 0);
		FUZZ_CHECK(strcmp(x->first_name, y->first_name) == 0);
		FUZZ_CHECK(strcmp(x->organisation, y->organisation) == 0);
		FUZZ_CHECK(strcmp(x->college, y->college) == 0);
		FUZZ_CHECK(x->guest == y->guest && x->mark == y->mark);
	}
	cts_sheet_free(again);
	free(b.p);
}

int cts_fuzz_sheet(const uint8_t *data, size_t size)
{
	cts_sheet *sh = NULL;
	unsigned lines = 1, prev = 0;
	int rc;

	cts_error_clear();
	rc = cts_sheet_parse(&sh, (const char *)data, size);
	if (rc < 0) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL || rc == CTS_ELIMIT);
		FUZZ_CHECK(sh == NULL);
		return 0;
	}
	FUZZ_CHECK(sh != NULL);
	FUZZ_CHECK(sh->count >= 1 && sh->count <= CTS_SHEET_MAX_ROWS);
	FUZZ_CHECK(strcmp(sh->encoding, "utf-8") == 0 || strcmp(sh->encoding, "windows-1252") == 0);
	FUZZ_CHECK(sh->separator == ';' || sh->separator == '\t' || sh->separator == ',');
	for (size_t i = 0; i < size; i++)
		lines += data[i] == '\n';
	for (size_t i = 0; i < sh->count; i++) {
		const cts_sheet_row *r = &sh->rows[i];
		int known = -1;

		FUZZ_CHECK(r->line > prev && r->line <= lines);
		prev = r->line;
		check_field(r->last_name, 0);
		check_field(r->first_name, 1);
		check_field(r->organisation, 1);
		FUZZ_CHECK(r->college != NULL);
		for (int c = 0; c < 7; c++)
			if (strcmp(r->college, codes[c]) == 0)
				known = c;
		FUZZ_CHECK(known >= 0);
		FUZZ_CHECK(r->guest == (known >= 5));
		FUZZ_CHECK(r->mark == CTS_MARK_ABSENT || r->mark == CTS_MARK_PRESENT ||
		           r->mark == CTS_MARK_EXCUSED);
	}
	round_trip(sh);
	cts_sheet_free(sh);
	return 0;
}
