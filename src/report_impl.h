/*
 * Private to the report module (report.c, report_terr.c, report_contrib.c,
 * report_out.c, report_render.c).
 *
 * A report is computed one territory at a time (report_terr.c): its
 * figures and lists are handed to a sink, then only its figures are kept
 * (for the region's sums and the summary tables). The sink either
 * assembles the whole JSON document (cts_report_build) or writes the
 * chosen format as it goes (report_out.c, cts_report_write): the parts a
 * format prints before the region's totals are known wait in spools
 * (memory, then a temporary file past 1 MiB), so that memory does not grow
 * with the number of meetings of the period.
 */
#ifndef CTS_REPORT_IMPL_H
#define CTS_REPORT_IMPL_H

#include "report.h"
#include "strbuf.h"

#include <sqlite3.h>

#define REP_MAX_COLLEGES 8

/* Called on each item of a list, in order; a negative return stops. */
typedef int (*rep_item_fn)(void *ctx, const json_t *item);

/* One territory as a sink reads it. t: the territory's object (figures,
 * roll, cancelled_meetings/planned_meetings); meeting_list and
 * opinion_list are read through the two functions (t may hold them too:
 * they are then ignored). */
typedef struct rep_terr rep_terr;
struct rep_terr {
	json_t *t;
	int (*meetings)(const rep_terr *r, rep_item_fn fn, void *ctx);
	int (*opinions)(const rep_terr *r, rep_item_fn fn, void *ctx);
	const void *src; /* what the two functions read */
};

/* Where the computation puts its results, in the report's order: the
 * checks of a territory as they are found, then the territory. */
typedef struct {
	int (*territory)(void *ctx, const rep_terr *r);
	void (*check)(void *ctx, const json_t *check); /* {kind, territory, detail} */
	void *ctx;
} rep_sink;

/* ---- report.c: small helpers shared by the module ---- */

/* Percentage with one decimal, or null when there is no denominator. */
json_t *rep_rate(json_int_t num, json_int_t den);
json_int_t rep_geti(const json_t *o, const char *k);
/* o[k] += v (created at v when absent). */
void rep_addi(json_t *o, const char *k, json_int_t v);
/* A cached statement with ?1..?3 bound (NULL leaves a parameter NULL). */
int rep_stmt3(cts_node *n, sqlite3_stmt **s, const char *sql, const char *a, const char *b,
              const char *c);
/* The rows of a statement with ?1..?3 bound, as cts_store_rows_json. */
int rep_query(cts_node *n, const char *sql, const char *a, const char *b, const char *c,
              json_t **out);
/* A column as cts_store_rows_json gives it: text, integer, or null. */
json_t *rep_col_json(sqlite3_stmt *s, int i);
/* A column of TEXT affinity: text or NULL. */
const char *rep_col_text(sqlite3_stmt *s, int i);
/* Step s to its end, calling fn on each row (a negative return stops and
 * is returned); s is reset. what: named in the error of a failed step. */
int rep_each_row(cts_node *n, sqlite3_stmt *s, int (*fn)(void *ctx, sqlite3_stmt *s), void *ctx,
                 const char *what);
/* Hand {kind, territory, detail} to the sink. territory: the territory's
 * code as a JSON string (NULL when the code is not UTF-8). A value that is
 * not UTF-8 drops the check. */
void rep_check(const rep_sink *sink, const char *kind, json_t *territory, const char *detail);

/* ---- report_terr.c ---- */

/* Compute territory `code` into t (a scope from the driver: counters at
 * zero), pass its checks and then itself to the sink. */
int rep_territory(cts_node *n, const cts_report_params *p, const char *code, json_t *t,
                  const rep_sink *sink);

/* ---- report_contrib.c ---- */

/* Contributions of the period by theme into t's contributions_by_theme,
 * and the unknown-theme checks. */
int rep_contributions(cts_node *n, const cts_report_params *p, const char *code, json_t *tcode,
                      json_t *t, const rep_sink *sink);

/* ---- report_out.c: a report written as it is computed ---- */

typedef struct rep_out rep_out;

/* Spools: the parts of a format written after the region's totals. */
enum {
	REP_SP_TERR,
	REP_SP_CHECK,
	REP_SP_MEET = 0,
	REP_SP_UNC = 1,
	REP_SP_OPIN = 2,
	REP_SP_CSVCHECK = 3
};
#define REP_OUT 4 /* not a spool: the output itself */

/* A writer of fmt to write(ctx, ...). *out: free with rep_out_free. */
int rep_out_new(cts_report_format fmt, cts_report_write_fn write, void *ctx, rep_out **out);
void rep_out_free(rep_out *o);
/* Sink functions (ctx: the rep_out). */
int rep_out_territory(void *ctx, const rep_terr *r);
void rep_out_check(void *ctx, const json_t *check);
/* The rest of the report around the spools. head: the report's object
 * (title, period, scope, heads, quorum_rule, region, generated_at; its
 * territories and checks, if any, are not read); terrs: the territories'
 * figures, in order. Returns the first error met since rep_out_new. */
int rep_out_finish(rep_out *o, const json_t *head, const json_t *terrs);

/* For the renderers: the buffer of a spool (or REP_OUT), to append to;
 * rep_out_flush after each item moves it to its file or to the output
 * once large. */
cts_strbuf *rep_out_buf(rep_out *o, int sp);
void rep_out_flush(rep_out *o, int sp);
/* Count an item written to a spool; how many were. */
void rep_out_item(rep_out *o, int sp);
size_t rep_out_items(const rep_out *o, int sp);
/* Append a spool's content to the output. */
void rep_out_copy(rep_out *o, int sp);
/* Record an error (the first one is kept). */
void rep_out_fail(rep_out *o, int rc);

/* ---- report_render.c: Markdown, HTML parts and shared words ---- */

/* o[k] as a string ("" when absent). */
const char *rep_gets(const json_t *o, const char *k);
/* "82,8" (decimal comma) or "—" when v is not a number. */
void rep_fmt_rate(char *buf, size_t size, const json_t *v);
/* French labels of an opinion's outcome and of a check's kind (the code
 * itself when unknown). */
const char *rep_outcome_label(const char *o);
const char *rep_check_label(const char *kind);
/* What follows the title of an approved meeting ("" otherwise). */
const char *rep_approved_mark(const json_t *m);
/* "atteint" or "non atteint". */
const char *rep_quorum_word(const json_t *m);
/* The meetings of a territory that are not counted: each list of the
 * territory's object, with the status it stands for. */
typedef struct {
	const char *key, *label;
} rep_uncounted_list;
extern const rep_uncounted_list rep_uncounted[2];
/* Writes one item of a territory's list (t: the territory's object) as a
 * row of a table; fmt is what rep_table was given (how the format writes it). */
typedef void (*rep_row_fn)(cts_strbuf *b, const void *fmt, const json_t *t, const json_t *item);
/* A table of a territory's list into spool sp: header before its first
 * row, footer after its last (none when the list is empty); each row
 * written by row(fmt). */
void rep_table(rep_out *o, int sp, const rep_terr *r,
               int (*list)(const rep_terr *, rep_item_fn, void *), const char *header,
               rep_row_fn row, const void *fmt, const char *footer);

/* ---- report_csv.c: CSV parts ---- */

void rep_csv_territory(rep_out *o, const rep_terr *r);
void rep_csv_check(cts_strbuf *b, const json_t *c);
void rep_csv_finish(rep_out *o, const json_t *rep, const json_t *terrs);

/* ---- by format (report_render.c) ---- */

void rep_render_territory(rep_out *o, cts_report_format fmt, const rep_terr *r);
void rep_render_check(rep_out *o, cts_report_format fmt, const json_t *check);
void rep_render_finish(rep_out *o, cts_report_format fmt, const json_t *head, const json_t *terrs);

#endif
