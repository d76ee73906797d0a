/* Attendance sheets: the CSV spreadsheets secretaries keep
 * (NOM;Prénom;Structure;Collège;Présent;Excusé), parsed in memory. Pure
 * parsing: matching rows to members is the attendance module's job. */
#ifndef CTS_SHEET_H
#define CTS_SHEET_H

#include <stddef.h>

#define CTS_SHEET_MAX_BYTES (4u * 1024 * 1024)
#define CTS_SHEET_MAX_ROWS 2000
#define CTS_SHEET_MAX_FIELD 512   /* bytes per field (UTF-8, after unquoting) */
#define CTS_SHEET_MAX_COLUMNS 256 /* fields per line */

typedef enum { CTS_MARK_ABSENT = 0, CTS_MARK_PRESENT = 1, CTS_MARK_EXCUSED = 2 } cts_mark;

typedef struct {
	unsigned line;      /* 1-based physical line number in the file where the row starts */
	char *last_name;    /* NOM, trimmed UTF-8, never empty */
	char *first_name;   /* Prénom, trimmed UTF-8, may be "" */
	char *organisation; /* Structure, trimmed UTF-8, may be "" */
	char *college;      /* normalised code: professionnels|usagers|collectivites|etat|
	                       personnes-qualifiees|invite|ars */
	int guest;          /* 1 for invite/ars */
	cts_mark mark;
} cts_sheet_row;

typedef struct {
	cts_sheet_row *rows; /* in file order; every string owned by the sheet */
	size_t count;
	char encoding[16]; /* "utf-8" or "windows-1252" */
	char separator;    /* ';', '\t' or ',' */
} cts_sheet;

/* Parse a whole sheet buf[0..len) (need not be NUL-terminated).
 * Not a text file: a spreadsheet saved as .xlsx or .ods (zip "PK\3\4"
 *   with an Office Open XML [Content_Types].xml or an OpenDocument
 *   "mimetype" entry), .xls (OLE2 "D0 CF 11 E0 ..."), another zip, or a
 *   PDF, recognised by its first bytes → CTS_EINVAL saying what the file
 *   is, which program saves it (Excel, LibreOffice Calc) and how to save it
 *   as CSV from there.
 * Encoding: optional UTF-8 BOM; UTF-8, or — only when the bytes are not
 *   valid UTF-8 and there is no BOM — Windows-1252 (French Excel). Bytes
 *   that are neither (one of the 5 undefined Windows-1252 bytes, or invalid
 *   UTF-8 after a BOM), NUL bytes (UTF-16 ...) → CTS_EINVAL "encodage non
 *   reconnu" naming the line(s).
 * Lines end with LF or CRLF. The header is the first non-blank line; its
 *   separator (';', tab, then ',') is the first that yields all six columns, matched
 *   with cts_text_fold (case and accents ignored), in any order; other
 *   named columns are ignored; a missing or doubled column → CTS_EINVAL
 *   naming it. A data line with non-empty fields beyond the header's width
 *   (an unquoted separator inside a value) → CTS_EINVAL.
 * RFC 4180 quoting ("" escapes, separators and newlines inside quotes); an
 *   unterminated quote → CTS_EINVAL naming the line where the field started;
 *   text after a closing quote → CTS_EINVAL.
 * Every field is one line: its control characters (line breaks of a cell
 *   typed on several lines, tabs) become spaces; then it is trimmed
 *   (cts_text_trim); lines whose fields are all empty
 *   are skipped.
 * Marks (case and accents ignored): "X", "oui", "o", "1", "✓", "✔" =
 *   marked; empty, "non", "0" = not marked; anything else → CTS_EINVAL;
 *   both marks → CTS_EINVAL. Present → PRESENT, excused → EXCUSED, neither
 *   → ABSENT (guests included).
 * College: the codes above or their usual French spellings (folded);
 *   empty or unknown → CTS_EINVAL listing the accepted codes.
 * Empty NOM → CTS_EINVAL. A header without any row → CTS_EINVAL (an empty
 *   sheet is a mistake, not an attendance).
 * More than CTS_SHEET_MAX_BYTES bytes, CTS_SHEET_MAX_ROWS rows,
 *   CTS_SHEET_MAX_COLUMNS fields on a line or CTS_SHEET_MAX_FIELD bytes in a
 *   field → CTS_ELIMIT.
 * Every message is in French and names the line ("ligne N : ...") where a
 * line is concerned. All or nothing: on error *out is NULL. *out belongs to the
 * caller; release it with cts_sheet_free. */
int cts_sheet_parse(cts_sheet **out, const char *buf, size_t len);

/* Free a sheet and all its strings; accepts NULL. */
void cts_sheet_free(cts_sheet *sheet);

#endif
