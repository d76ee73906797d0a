/* The CSV of French Excel, for every file ctsnode writes for a spreadsheet
 * (reports, listings): UTF-8 with a byte-order mark, ';' between cells,
 * CRLF line ends, fields quoted when needed, and no formula (a cell
 * starting with = + - @ gets an apostrophe in front). */
#ifndef CTS_CSVOUT_H
#define CTS_CSVOUT_H

#include "strbuf.h"

#include <stddef.h>

/* Append s to b: runs of characters not in specials are copied in one
 * piece, each special character c is written by esc(b, c). For every text
 * format ctsnode writes (CSV here, Markdown and HTML in reports). */
void cts_out_escaped(cts_strbuf *b, const char *s, const char *specials,
                     void (*esc)(cts_strbuf *b, char c));

/* The UTF-8 byte-order mark that makes Excel read the file as UTF-8. */
void cts_csv_bom(cts_strbuf *b);

/* One cell, quoted when it holds ';', '"', CR or LF. */
void cts_csv_field(cts_strbuf *b, const char *s);

/* One line: cells[0..n) separated by ';', then CRLF. */
void cts_csv_row(cts_strbuf *b, const char *const *cells, size_t n);

#endif
