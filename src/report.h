/*
 * Reports (SPEC §8): key figures of a period for the region and each
 * territory, per meeting, domain checks; rendered as JSON, Markdown,
 * self-contained HTML (SVG charts) and CSV for French Excel. The JSON is
 * the reference: the other formats are rendered from it. Given the same
 * history, JSON and CSV are byte-identical on any node (no wall-clock time
 * unless generated_at is given).
 */
#ifndef CTS_REPORT_H
#define CTS_REPORT_H

#include "node.h"

#include <jansson.h>

typedef struct {
	const char *from;      /* YYYY-MM-DD, inclusive */
	const char *to;        /* YYYY-MM-DD, inclusive */
	const char *territory; /* NULL: every territory */
	int quorum_num,
	    quorum_den; /* quorum: present voting > num/den of voting seats (default 1/2) */
	const char *generated_at; /* optional, printed as given */
} cts_report_params;

/* Fill from/to for a calendar year. */
void cts_report_year(cts_report_params *p, int year, char from[11], char to[11]);

/* Compute the report. *out: new reference. */
int cts_report_build(cts_node *n, const cts_report_params *p, json_t **out);

typedef enum { CTS_REPORT_JSON, CTS_REPORT_MD, CTS_REPORT_HTML, CTS_REPORT_CSV } cts_report_format;

/* Parse "json" | "md" | "html" | "csv"; -1 if unknown. */
int cts_report_format_parse(const char *s);

/* Render a built report. *out malloc'd (NUL-terminated), *len bytes. */
int cts_report_render(const json_t *report, cts_report_format fmt, char **out, size_t *len);

/* Receives a written report piece by piece, in order; returns 0, or a
 * negative cts_error code (after cts_error_set) to stop. */
typedef int (*cts_report_write_fn)(void *ctx, const char *buf, size_t len);

/* Compute the report and write it in fmt as it is computed: the same bytes
 * as cts_report_build then cts_report_render, without the document of
 * every meeting in memory (one territory's meetings at a time; what a
 * format prints after the region's totals waits in a temporary file past
 * 1 MiB). On error, part of the report may have been written. */
int cts_report_write(cts_node *n, const cts_report_params *p, cts_report_format fmt,
                     cts_report_write_fn write, void *ctx);

#endif
