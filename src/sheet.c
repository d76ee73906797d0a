#include "sheet.h"

#include "error.h"
#include "strbuf.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPECTED_HEADER "NOM;Prénom;Structure;Collège;Présent;Excusé"
#define ACCEPTED_COLLEGES                                                                          \
	"professionnels, usagers, collectivites, etat, personnes-qualifiees, invite, ars"
#define SAVE_HINT                                                                                  \
	"enregistrez la feuille au format « CSV UTF-8 » ou « CSV (séparateur : point-virgule) »"

enum { COL_LAST, COL_FIRST, COL_ORG, COL_COLLEGE, COL_PRESENT, COL_EXCUSED, COL_COUNT };

static const char *const col_names[COL_COUNT] = { "NOM",     "Prénom",  "Structure",
	                                          "Collège", "Présent", "Excusé" };

/* Folded header names accepted for each column. */
static const char *const col_aliases[COL_COUNT][5] = {
	{ "nom", NULL },
	{ "prenom", NULL },
	{ "structure", NULL },
	{ "college", NULL },
	{ "present", "presente", "present(e)", NULL },
	{ "excuse", "excusee", "excuse(e)", NULL },
};

/* Folded college spellings and the code they stand for. */
static const struct {
	const char *folded;
	const char *code;
} college_aliases[] = {
	{ "professionnels", "professionnels" },
	{ "professionnel", "professionnels" },
	{ "professionnels et offreurs", "professionnels" },
	{ "professionnels et offreurs de sante", "professionnels" },
	{ "professionnels et offreurs des services de sante", "professionnels" },
	{ "usagers", "usagers" },
	{ "usager", "usagers" },
	{ "representants des usagers", "usagers" },
	{ "collectivites", "collectivites" },
	{ "collectivite", "collectivites" },
	{ "collectivites territoriales", "collectivites" },
	{ "collectivites locales", "collectivites" },
	{ "etat", "etat" },
	{ "etat et organismes de securite sociale", "etat" },
	{ "personnes qualifiees", "personnes-qualifiees" },
	{ "personne qualifiee", "personnes-qualifiees" },
	{ "personnalites qualifiees", "personnes-qualifiees" },
	{ "personnalite qualifiee", "personnes-qualifiees" },
	{ "invite", "invite" },
	{ "invites", "invite" },
	{ "invitee", "invite" },
	{ "invitees", "invite" },
	{ "invite(e)", "invite" },
	{ "invite(e)s", "invite" },
	{ "ars", "ars" },
	{ "agence regionale de sante", "ars" },
};

/* Cursor over the UTF-8 text of the sheet. */
typedef struct {
	const char *p, *end;
	unsigned line; /* physical line of *p */
	char sep;
} reader;

/* One logical line of the CSV: trimmed fields, each malloc'd. */
typedef struct {
	char *f[CTS_SHEET_MAX_COLUMNS];
	size_t n;
	unsigned line; /* physical line where it starts */
} record;

static void record_clear(record *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		free(rec->f[i]);
	rec->n = 0;
}

static int record_blank(const record *rec)
{
	for (size_t i = 0; i < rec->n; i++)
		if (rec->f[i][0])
			return 0;
	return 1;
}

#define CLIP_MAX 60
#define CLIP_SIZE (CLIP_MAX + sizeof("…"))

/* A UTF-8 value shortened for a message: at most CLIP_MAX bytes, cut on a
 * character boundary and ended with "…" when shortened. */
static const char *clip(char dst[CLIP_SIZE], const char *s)
{
	size_t len = strlen(s);

	if (len <= CLIP_MAX) {
		memcpy(dst, s, len + 1);
		return dst;
	}
	len = CLIP_MAX;
	while (len > 0 && ((unsigned char)s[len] & 0xC0) == 0x80)
		len--;
	memcpy(dst, s, len);
	memcpy(dst + len, "…", sizeof("…"));
	return dst;
}

/* "« NOM »" when the header names column col, else "n° 3". */
static const char *col_label(char *dst, size_t n, size_t col, const record *hdr)
{
	char c[CLIP_SIZE];

	if (hdr && col < hdr->n && hdr->f[col][0])
		snprintf(dst, n, "« %s »", clip(c, hdr->f[col]));
	else
		snprintf(dst, n, "n° %zu", col + 1);
	return dst;
}

/* Read the next logical line (RFC 4180) into rec. Returns 1 when a line was
 * read, 0 at the end of the text, or a negative cts_error. hdr (may be
 * NULL) names the columns in messages. */
static int read_record(reader *r, record *rec, const record *hdr)
{
	char fb[CTS_SHEET_MAX_FIELD + 1], label[CLIP_SIZE + 16];
	int rc;

	record_clear(rec);
	if (r->p >= r->end)
		return 0;
	rec->line = r->line;
	for (;;) {
		size_t fl = 0, col = rec->n;
		unsigned fline = r->line;
		const char *q = r->p;

		if (rec->n == CTS_SHEET_MAX_COLUMNS)
			return cts_error_set(CTS_ELIMIT, "ligne %u : plus de %u colonnes",
			                     rec->line, (unsigned)CTS_SHEET_MAX_COLUMNS);
		while (q < r->end && *q != r->sep && (*q == ' ' || *q == '\t'))
			q++;
		if (q < r->end && *q == '"') {
			r->p = q + 1;
			for (;;) {
				char c;

				if (r->p >= r->end)
					return cts_error_set(
					    CTS_EINVAL,
					    "ligne %u : guillemet ouvert dans la colonne %s "
					    "jamais refermé (la valeur court jusqu'à la fin du "
					    "fichier)",
					    fline, col_label(label, sizeof(label), col, hdr));
				c = *r->p++;
				if (c == '"') {
					if (r->p < r->end && *r->p == '"')
						r->p++; /* "" stands for one quote */
					else
						break;
				} else if (c == '\r' && r->p < r->end && *r->p == '\n') {
					c = '\n';
					r->p++;
					r->line++;
				} else if (c == '\n') {
					r->line++;
				}
				if (fl == CTS_SHEET_MAX_FIELD)
					goto too_long;
				fb[fl++] = c;
			}
			while (r->p < r->end && *r->p != r->sep &&
			       (*r->p == ' ' || *r->p == '\t' || *r->p == '\r'))
				r->p++;
			if (r->p < r->end && *r->p != r->sep && *r->p != '\n')
				return cts_error_set(
				    CTS_EINVAL,
				    "ligne %u : texte après le guillemet fermant dans "
				    "la colonne %s ; dans une valeur entre guillemets, "
				    "doublez les guillemets (\"\")",
				    r->line, col_label(label, sizeof(label), col, hdr));
		} else {
			while (r->p < r->end && *r->p != r->sep && *r->p != '\n') {
				if (*r->p == '\r' && (r->p + 1 == r->end || r->p[1] == '\n')) {
					r->p++;
					continue;
				}
				if (fl == CTS_SHEET_MAX_FIELD)
					goto too_long;
				fb[fl++] = *r->p++;
			}
		}
		fb[fl] = '\0';
		/* A cell typed on several lines (Alt+Entrée) is one value: line
		 * breaks, tabs and other control characters become spaces (names
		 * and structures are one line of text, src/rules.c). */
		for (size_t i = 0; i < fl; i++)
			if ((unsigned char)fb[i] < 0x20 || fb[i] == 0x7f)
				fb[i] = ' ';
		/* Fields split at ASCII bytes only, so each is valid UTF-8. */
		if ((rc = cts_text_trim(&rec->f[rec->n], fb)) < 0)
			return cts_error_prefix(rc, "ligne %u : ", fline);
		rec->n++;
		if (r->p >= r->end)
			return 1;
		if (*r->p == r->sep) {
			r->p++;
			continue;
		}
		r->p++; /* '\n' */
		r->line++;
		return 1;
	too_long:
		return cts_error_set(
		    CTS_ELIMIT,
		    "ligne %u : valeur trop longue dans la colonne %s (plus de %u octets)", fline,
		    col_label(label, sizeof(label), col, hdr), (unsigned)CTS_SHEET_MAX_FIELD);
	}
}

typedef struct {
	record names;       /* the header's fields */
	int idx[COL_COUNT]; /* field index of each column, -1 if absent */
	int found;          /* columns found */
	int dup_col;        /* a column named twice (-1: none) */
	size_t dup_first, dup_second;
	reader after; /* positioned on the line after the header */
} header;

/* Read the header with separator sep: the first non-blank line. */
static int read_header(const char *text, size_t len, char sep, header *h)
{
	reader r = { text, text + len, 1, sep };
	int rc;

	record_clear(&h->names);
	h->found = 0;
	h->dup_col = -1;
	for (int c = 0; c < COL_COUNT; c++)
		h->idx[c] = -1;
	do {
		if ((rc = read_record(&r, &h->names, NULL)) < 0)
			return rc;
		if (rc == 0)
			return cts_error_set(CTS_EINVAL,
			                     "la feuille est vide : il manque la ligne d'en-tête "
			                     "(" EXPECTED_HEADER ")");
	} while (record_blank(&h->names));
	for (size_t i = 0; i < h->names.n; i++) {
		char *key = NULL;

		if ((rc = cts_text_fold(&key, h->names.f[i])) < 0)
			return cts_error_prefix(rc, "ligne %u : ", h->names.line);
		for (int c = 0; c < COL_COUNT; c++) {
			for (int a = 0; col_aliases[c][a]; a++) {
				if (strcmp(key, col_aliases[c][a]) != 0)
					continue;
				if (h->idx[c] < 0) {
					h->idx[c] = (int)i;
					h->found++;
				} else if (h->dup_col < 0) {
					h->dup_col = c;
					h->dup_first = (size_t)h->idx[c];
					h->dup_second = i;
				}
			}
		}
		free(key);
	}
	h->after = r;
	return 0;
}

static int header_error(const header *h)
{
	char list[256] = "", c0[CLIP_SIZE];
	size_t used = 0;
	int missing = 0;

	if (h->dup_col >= 0)
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : colonne « %s » en double dans l'en-tête (colonnes %zu et %zu)",
		    h->names.line, col_names[h->dup_col], h->dup_first + 1, h->dup_second + 1);
	if (h->found == 0)
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : en-tête non reconnu (première valeur « %s ») ; "
		    "la première ligne de la feuille doit nommer les colonnes " EXPECTED_HEADER
		    " (séparateur « ; », « , » ou tabulation)",
		    h->names.line, clip(c0, h->names.n ? h->names.f[0] : ""));
	for (int c = 0; c < COL_COUNT; c++) {
		if (h->idx[c] >= 0)
			continue;
		int w = snprintf(list + used, sizeof(list) - used, "%s« %s »", missing ? ", " : "",
		                 col_names[c]);
		if (w > 0 && (size_t)w < sizeof(list) - used)
			used += (size_t)w;
		missing++;
	}
	return cts_error_set(
	    CTS_EINVAL, "ligne %u : %s %s %s de l'en-tête (en-tête attendu : " EXPECTED_HEADER ")",
	    h->names.line, missing > 1 ? "colonnes" : "colonne", list,
	    missing > 1 ? "absentes" : "absente");
}

/* Find the header and its separator (';', tab, then ','): the first
 * reading that names all six columns once. On success *chosen is one of
 * h[0..3). Otherwise the error of the reading that found most columns. */
static int find_header(const char *text, size_t len, header h[3], header **chosen)
{
	static const char seps[3] = { ';', '\t', ',' };
	int rc[3], best = -1;

	for (int i = 0; i < 3; i++) {
		rc[i] = read_header(text, len, seps[i], &h[i]);
		if (rc[i] == 0 && h[i].found == COL_COUNT && h[i].dup_col < 0) {
			*chosen = &h[i];
			return 0;
		}
		if (rc[i] == 0 && (best < 0 || h[i].found > h[best].found))
			best = i;
	}
	if (best >= 0)
		return header_error(&h[best]);
	/* No separator gives a readable header: report the ';' reading. */
	return read_header(text, len, ';', &h[0]);
}

/* "« ; »" or "tabulation", for messages. */
static const char *sep_name(char sep)
{
	return sep == '\t' ? "tabulation" : sep == ',' ? "« , »" : "« ; »";
}

/* Folded cell values that mark a column, and those that leave it unmarked. */
static const char *const marks_yes[] = {
	"x", "oui", "o", "1", "\xe2\x9c\x93" /* ✓ */, "\xe2\x9c\x94" /* ✔ */, NULL
};
static const char *const marks_no[] = { "", "non", "0", NULL };

static int parse_mark(const char *v, unsigned line, int col, int *marked)
{
	char c[CLIP_SIZE], *key = NULL;
	int rc;

	if ((rc = cts_text_fold(&key, v)) < 0)
		return cts_error_prefix(rc, "ligne %u : ", line);
	*marked = -1;
	for (int i = 0; marks_yes[i] && *marked < 0; i++)
		if (strcmp(key, marks_yes[i]) == 0)
			*marked = 1;
	for (int i = 0; marks_no[i] && *marked < 0; i++)
		if (strcmp(key, marks_no[i]) == 0)
			*marked = 0;
	free(key);
	if (*marked >= 0)
		return 0;
	*marked = 0;
	return cts_error_set(CTS_EINVAL,
	                     "ligne %u : valeur « %s » inattendue dans la colonne « %s » "
	                     "(mettez X, oui ou 1, ou laissez la case vide)",
	                     line, clip(c, v), col_names[col]);
}

static int parse_college(const char *v, unsigned line, const char **code)
{
	char *key = NULL, c[CLIP_SIZE];
	int rc;

	*code = NULL;
	if (!v[0])
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : collège non renseigné (valeurs acceptées : " ACCEPTED_COLLEGES ")",
		    line);
	if ((rc = cts_text_fold(&key, v)) < 0)
		return cts_error_prefix(rc, "ligne %u : ", line);
	for (size_t i = 0; i < sizeof(college_aliases) / sizeof(college_aliases[0]); i++) {
		if (strcmp(key, college_aliases[i].folded) == 0) {
			*code = college_aliases[i].code;
			break;
		}
	}
	free(key);
	if (!*code)
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : collège inconnu « %s » (valeurs acceptées : " ACCEPTED_COLLEGES ")",
		    line, clip(c, v));
	return 0;
}

static void row_free(cts_sheet_row *row)
{
	free(row->last_name);
	free(row->first_name);
	free(row->organisation);
	free(row->college);
}

static char *dup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, s, n);
	return d;
}

static int build_row(cts_sheet_row *row, const record *rec, const header *h)
{
	const char *v[COL_COUNT], *code;
	char c1[CLIP_SIZE], c2[CLIP_SIZE];
	int present = 0, excused = 0, rc;

	memset(row, 0, sizeof(*row));
	for (int c = 0; c < COL_COUNT; c++)
		v[c] = (size_t)h->idx[c] < rec->n ? rec->f[h->idx[c]] : "";
	if (!v[COL_LAST][0]) {
		if (v[COL_FIRST][0])
			return cts_error_set(CTS_EINVAL,
			                     "ligne %u : la colonne NOM est vide (prénom « %s »)",
			                     rec->line, clip(c1, v[COL_FIRST]));
		return cts_error_set(CTS_EINVAL, "ligne %u : la colonne NOM est vide", rec->line);
	}
	if ((rc = parse_college(v[COL_COLLEGE], rec->line, &code)) < 0 ||
	    (rc = parse_mark(v[COL_PRESENT], rec->line, COL_PRESENT, &present)) < 0 ||
	    (rc = parse_mark(v[COL_EXCUSED], rec->line, COL_EXCUSED, &excused)) < 0)
		return rc;
	if (present && excused)
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : présent et excusé à la fois (%s %s) ; ne gardez qu'une croix",
		    rec->line, clip(c1, v[COL_LAST]), clip(c2, v[COL_FIRST]));
	row->line = rec->line;
	row->guest = strcmp(code, "invite") == 0 || strcmp(code, "ars") == 0;
	row->mark = present ? CTS_MARK_PRESENT : excused ? CTS_MARK_EXCUSED : CTS_MARK_ABSENT;
	row->last_name = dup(v[COL_LAST]);
	row->first_name = dup(v[COL_FIRST]);
	row->organisation = dup(v[COL_ORG]);
	row->college = dup(code);
	if (!row->last_name || !row->first_name || !row->organisation || !row->college) {
		row_free(row);
		memset(row, 0, sizeof(*row));
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	return 0;
}

static unsigned line_of(const char *buf, size_t off)
{
	unsigned line = 1;

	for (size_t i = 0; i < off; i++)
		if (buf[i] == '\n')
			line++;
	return line;
}

/* 1 if needle[0..nlen) occurs in buf[0..len). */
static int contains(const char *buf, size_t len, const char *needle, size_t nlen)
{
	for (size_t i = 0; nlen <= len && i <= len - nlen; i++)
		if (buf[i] == needle[0] && memcmp(buf + i, needle, nlen) == 0)
			return 1;
	return 0;
}
#define CONTAINS(buf, len, lit) contains(buf, len, lit, sizeof(lit) - 1)

#define EXCEL_TO_CSV                                                                               \
	"ouvrez-le dans Excel, puis Fichier > Enregistrer sous > type « CSV (séparateur : "      \
	"point-virgule) (*.csv) », et importez le fichier .csv obtenu"
#define CALC_TO_CSV                                                                                \
	"ouvrez-le dans LibreOffice Calc, puis Fichier > Enregistrer sous > type « Texte CSV "    \
	"(.csv) » avec le séparateur de champ « ; », et importez le fichier .csv obtenu"

/* A zip file: an OpenDocument file (its first entry is "mimetype", stored,
 * holding the media type), an Office Open XML one ([Content_Types].xml;
 * entry names are stored in clear in the local and central headers), or
 * another archive. */
static int refuse_zip(const char *buf, size_t len)
{
	static const char odf[] = "application/vnd.oasis.opendocument.";

	if (len >= 38 + sizeof(odf) - 1 && memcmp(buf + 30, "mimetype", 8) == 0 &&
	    memcmp(buf + 38, odf, sizeof(odf) - 1) == 0) {
		const char *type = buf + 38 + sizeof(odf) - 1;
		size_t rest = len - (38 + sizeof(odf) - 1);

		if (rest >= 11 && memcmp(type, "spreadsheet", 11) == 0)
			return cts_error_set(CTS_EINVAL,
			                     "ce fichier est un classeur LibreOffice Calc (.ods), "
			                     "pas une feuille CSV : " CALC_TO_CSV);
		return cts_error_set(CTS_EINVAL,
		                     "ce fichier est un document LibreOffice (OpenDocument) qui "
		                     "n'est pas un tableur : la feuille de présence doit être un "
		                     "fichier CSV ; " CALC_TO_CSV);
	}
	if (CONTAINS(buf, len, "[Content_Types].xml") && CONTAINS(buf, len, "xl/"))
		return cts_error_set(CTS_EINVAL, "ce fichier est un classeur Excel (.xlsx), pas "
		                                 "une feuille CSV : " EXCEL_TO_CSV);
	if (CONTAINS(buf, len, "[Content_Types].xml"))
		return cts_error_set(
		    CTS_EINVAL, "ce fichier est un document Microsoft Office (Word ou "
		                "PowerPoint) qui n'est pas un tableur : la feuille de présence "
		                "doit être un fichier CSV enregistré depuis Excel ou LibreOffice "
		                "Calc");
	return cts_error_set(CTS_EINVAL, "ce fichier est une archive compressée (zip), pas une "
	                                 "feuille CSV : extrayez-en la feuille, ou enregistrez le "
	                                 "classeur au format CSV (séparateur : point-virgule)");
}

/* Files that are not text at all, recognised by their first bytes, with
 * what to do instead: spreadsheets saved as .xlsx/.ods/.xls, PDF. */
static int refuse_binary(const char *buf, size_t len)
{
	if (len >= 4 && memcmp(buf, "PK\3\4", 4) == 0)
		return refuse_zip(buf, len);
	if (len >= 8 && memcmp(buf, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0) {
		/* OLE2 compound file: its directory names the streams in UTF-16LE. */
		if (CONTAINS(buf, len, "W\0o\0r\0k\0b\0o\0o\0k\0") ||
		    CONTAINS(buf, len, "B\0o\0o\0k\0"))
			return cts_error_set(CTS_EINVAL,
			                     "ce fichier est un classeur Excel 97-2003 (.xls), "
			                     "pas une feuille CSV : " EXCEL_TO_CSV);
		return cts_error_set(CTS_EINVAL,
		                     "ce fichier est un ancien document Microsoft Office (.doc, "
		                     ".xls ou .ppt), pas une feuille CSV : s'il s'agit d'un "
		                     "classeur, " EXCEL_TO_CSV);
	}
	if (len >= 5 && memcmp(buf, "%PDF-", 5) == 0)
		return cts_error_set(CTS_EINVAL,
		                     "ce fichier est un PDF, pas une feuille CSV : importez la "
		                     "feuille de calcul d'où il vient, enregistrée au format CSV "
		                     "(séparateur : point-virgule)");
	return 0;
}

/* Decide the encoding; *text is buf (after a BOM) or a malloc'd UTF-8 copy
 * stored in *owned. */
static int decode_sheet(const char *buf, size_t len, const char **text, size_t *tlen, char **owned,
                        cts_sheet *sh)
{
	const unsigned char *u = (const unsigned char *)buf;
	const char *nul, *cr, *lf;
	size_t skip = 0, ok, bad = 0;
	int rc;

	*owned = NULL;
	if (len >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) || (u[0] == 0xFE && u[1] == 0xFF)))
		return cts_error_set(CTS_EINVAL,
		                     "ligne 1 : encodage non reconnu (UTF-16) ; " SAVE_HINT);
	if ((nul = memchr(buf, '\0', len)) != NULL)
		return cts_error_set(CTS_EINVAL,
		                     "ligne %u : encodage non reconnu (octet nul : fichier UTF-16 "
		                     "ou non textuel ?) ; " SAVE_HINT,
		                     line_of(buf, (size_t)(nul - buf)));
	if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
		skip = 3;
	ok = skip + cts_text_utf8_valid_prefix(buf + skip, len - skip);
	if (ok == len) {
		*text = buf + skip;
		*tlen = len - skip;
		snprintf(sh->encoding, sizeof(sh->encoding), "utf-8");
	} else if (skip) {
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : encodage non reconnu : la feuille est marquée "
		    "UTF-8 (BOM) mais cette ligne n'est pas en UTF-8 valide ; " SAVE_HINT,
		    line_of(buf, ok));
	} else {
		for (bad = 0; bad < len; bad++)
			if (u[bad] == 0x81 || u[bad] == 0x8D || u[bad] == 0x8F || u[bad] == 0x90 ||
			    u[bad] == 0x9D)
				break;
		if (bad < len) {
			unsigned l1 = line_of(buf, ok), l2 = line_of(buf, bad);
			if (l1 == l2)
				return cts_error_set(
				    CTS_EINVAL,
				    "ligne %u : encodage non reconnu, ni UTF-8 ni Windows-1252 "
				    "(octet 0x%02X) ; " SAVE_HINT,
				    l1, u[bad]);
			return cts_error_set(
			    CTS_EINVAL,
			    "encodage non reconnu : ligne %u, texte qui n'est pas de l'UTF-8 "
			    "valide ; ligne %u, octet 0x%02X qui n'existe pas en "
			    "Windows-1252 ; " SAVE_HINT,
			    l1, l2, u[bad]);
		}
		if ((rc = cts_text_cp1252_to_utf8(owned, tlen, buf, len)) < 0)
			return rc;
		*text = *owned;
		snprintf(sh->encoding, sizeof(sh->encoding), "windows-1252");
	}
	/* Old Mac line ends (CR alone) would make the whole file one line. */
	lf = memchr(*text, '\n', *tlen);
	cr = memchr(*text, '\r', *tlen);
	if (!lf && cr && cr + 1 < *text + *tlen) {
		free(*owned);
		*owned = NULL;
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne 1 : fins de ligne non reconnues (retour chariot seul) ; " SAVE_HINT);
	}
	return 0;
}

void cts_sheet_free(cts_sheet *sheet)
{
	if (!sheet)
		return;
	CTS_ARRAY_FREE(sheet->rows, sheet->count, row_free);
	free(sheet);
}

int cts_sheet_parse(cts_sheet **out, const char *buf, size_t len)
{
	cts_sheet *sh = NULL;
	header *hs = NULL, *h = NULL;
	record *rec = NULL;
	char *owned = NULL;
	const char *text = NULL;
	size_t tlen = 0, cap = 0;
	char c[CLIP_SIZE];
	reader r;
	int rc;

	*out = NULL;
	if (len > CTS_SHEET_MAX_BYTES)
		return cts_error_set(
		    CTS_ELIMIT, "feuille de présence trop volumineuse (%zu octets, au plus %u)",
		    len, CTS_SHEET_MAX_BYTES);
	if (!buf && len > 0)
		return cts_error_set(CTS_EINVAL, "feuille de présence absente");
	if (!buf)
		buf = "";
	sh = calloc(1, sizeof(*sh));
	hs = calloc(3, sizeof(*hs));
	rec = calloc(1, sizeof(*rec));
	if (!sh || !hs || !rec) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	if ((rc = refuse_binary(buf, len)) < 0 ||
	    (rc = decode_sheet(buf, len, &text, &tlen, &owned, sh)) < 0)
		goto cleanup;
	if ((rc = find_header(text, tlen, hs, &h)) < 0)
		goto cleanup;
	sh->separator = h->after.sep;
	r = h->after;
	while ((rc = read_record(&r, rec, &h->names)) > 0) {
		if (record_blank(rec))
			continue;
		for (size_t i = h->names.n; i < rec->n; i++) {
			if (rec->f[i][0]) {
				rc = cts_error_set(
				    CTS_EINVAL,
				    "ligne %u : %zu valeurs pour %zu colonnes d'en-tête "
				    "(valeur en trop « %s ») ; une valeur contenant le "
				    "séparateur (%s) doit être entre guillemets",
				    rec->line, rec->n, h->names.n, clip(c, rec->f[i]),
				    sep_name(r.sep));
				goto cleanup;
			}
		}
		if (sh->count == CTS_SHEET_MAX_ROWS) {
			rc = cts_error_set(CTS_ELIMIT,
			                   "ligne %u : la feuille dépasse %u lignes de présence",
			                   rec->line, (unsigned)CTS_SHEET_MAX_ROWS);
			goto cleanup;
		}
		if (sh->count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			cts_sheet_row *nrows;

			if (ncap > CTS_SHEET_MAX_ROWS)
				ncap = CTS_SHEET_MAX_ROWS;
			nrows = realloc(sh->rows, ncap * sizeof(*nrows));
			if (!nrows) {
				rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
				goto cleanup;
			}
			sh->rows = nrows;
			cap = ncap;
		}
		if ((rc = build_row(&sh->rows[sh->count], rec, h)) < 0)
			goto cleanup;
		sh->count++;
	}
	if (rc < 0)
		goto cleanup;
	if (sh->count == 0) {
		rc = cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : la feuille ne contient aucune ligne de présence après l'en-tête",
		    h->names.line);
		goto cleanup;
	}
	*out = sh;
	sh = NULL;
	rc = 0;
cleanup:
	if (rec)
		record_clear(rec);
	for (int i = 0; hs && i < 3; i++)
		record_clear(&hs[i].names);
	free(rec);
	free(hs);
	free(owned);
	cts_sheet_free(sh);
	return rc;
}
