/* Contributions (proposals) sent to the regional conference, by theme. */
#ifndef CTS_CONTRIBUTION_H
#define CTS_CONTRIBUTION_H

#include "change.h"
#include "node.h"

#include <jansson.h>

typedef struct {
	const char *theme; /* a theme code published by the authority */
	const char *title;
	const char *text;
	const char *meeting; /* optional (update: "" detaches it) */
	const char *date;    /* optional: the day it was received, YYYY-MM-DD or
	                      * DD/MM/YYYY, not after today (update: "" clears) */
} cts_contribution_fields;

/* Add a contribution. Refuses an unknown theme, a meeting that does not
 * exist or does not accept it (approved: locked; cancelled), a received
 * date before 2016-01-26 or after today. Reports date a contribution by
 * its received date, else by its meeting's, else by the day it was
 * entered (docs/REPORTS.md). */
int cts_contribution_add(cts_node *n, const cts_contribution_fields *f, char id_out[37]);

/* Change the given (non-NULL) fields of contribution `id`, with the checks
 * of add; the meeting it hangs on (and the one it moves to) must accept
 * it. out (may be NULL) says what changed; nothing to change writes
 * nothing. */
int cts_contribution_update(cts_node *n, const char *id, const cts_contribution_fields *f,
                            cts_change *out);

/* Withdraw and restore: cts_change_withdraw (change.h), table "contribution". */

/* The list of contributions: cts_change_list (change.h), table "contribution". */

/* 1 if `code` is a known theme (published, or built in), else 0. */
int cts_theme_known(cts_node *n, const char *code);

/* Themes a contribution may take: the built-in ones, then those the
 * authority published, as a new JSON array of {"code", "label"}. */
int cts_theme_list(cts_node *n, json_t **out);

#endif
