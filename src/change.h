/*
 * Corrections of records: what a change does, said in one French line.
 *
 * Every correction of a domain module (member.h, meeting.h, opinion.h,
 * contribution.h) is one ordinary journaled put or del of the record
 * engine, so it seals, syncs and merges like any write. A correction that
 * would change nothing writes nothing and says so. Front ends (CLI, web
 * interface) print cts_change.line as it is.
 */
#ifndef CTS_CHANGE_H
#define CTS_CHANGE_H

#include "node.h"

#include <jansson.h>

typedef struct {
	int changed; /* 1: one operation written; 0: nothing to change, nothing written */
	char *line;  /* one French sentence, e.g. "Réunion du 16/06/2020 « Séance plénière » :
	              * date 16/06/2020 → 17/06/2020." (malloc'd) */
} cts_change;

/* Release c->line (c may be NULL) and clear c. */
void cts_change_dispose(cts_change *c);

/* The current values of record (table, id) of this node's territory as a
 * new JSON object (field → value, null when unset); CTS_ENOTFOUND, with a
 * French message saying where to look, when there is no such live record. */
int cts_change_current(cts_node *n, const char *table, const char *id, json_t **out);

/* How messages name a record, from its values (`row` as
 * cts_change_current gives it): "Réunion du 16/06/2020 « Séance plénière »",
 * "Membre ALBY Jérôme", "Avis « Diagnostic » (réunion du 16/06/2020)",
 * "Contribution « Attractivité »". *out malloc'd. */
int cts_change_name(cts_node *n, const char *table, const json_t *row, char **out);

/* Put the fields of `want` (field → new value, null clears) whose value
 * differs from the record's current one, as one operation, and describe
 * it in out (may be NULL): "<name> : <field> <old> → <new>, ...", or
 * "Rien à changer : <name> : <field> déjà <value>." with nothing written.
 * The record must exist (CTS_ENOTFOUND). Values must pass the rules. */
int cts_change_put(cts_node *n, const char *table, const char *id, const json_t *want,
                   cts_change *out);

/* The live records of `table` (member, meeting, opinion, contribution) of
 * `territory` (NULL: every territory) as a new JSON array of objects:
 *   member        territory, id, last_name, first_name, organisation,
 *                 college, seat, role, mandate_start, mandate_end; by name;
 *   meeting       territory, id, body, date, title, place, status,
 *                 reopen_reason; by date;
 *   opinion       territory, id, meeting, date (the meeting's), subject,
 *                 votes_for, votes_against, votes_abstain, outcome, status;
 *                 by meeting date;
 *   contribution  territory, id, theme, title, text, meeting, date, status;
 *                 by theme and title.
 * Each territory's rows together, territories in code order. */
int cts_change_list(cts_node *n, const char *table, const char *territory, json_t **out);

/* Withdraw (withdraw 1) an opinion or a contribution (`table`) entered by
 * mistake, or restore it (withdraw 0): its status becomes the withdrawn one
 * (retire, retiree) or the default one (rendu, transmise), when the meeting
 * it hangs on (if any) may be edited (withdraw) or take it (restore,
 * CTS_MEETING_ATTACH of meeting.h): one put, or nothing when it already
 * has that status (a record without status has the default one). A
 * withdrawn record stays in the history and the lists, out of the reports. */
int cts_change_withdraw(cts_node *n, const char *table, const char *id, int withdraw,
                        cts_change *out);

/* The meeting a record hangs on (row's "meeting", row may be NULL) and
 * the one `set` moves it to accept it (CTS_MEETING_ATTACH). */
int cts_change_require_meetings(cts_node *n, const json_t *set, const json_t *row);

/* A check made inside a write's transaction (cts_change_add, cts_change_update):
 * `set` the values to write, `row` the record's current values (NULL for a
 * new record), ctx the caller's. 0 or a negative cts_error. */
typedef int (*cts_change_check)(cts_node *n, const json_t *set, const json_t *row, void *ctx);

/* A new record of `table` with the values of `set` (checked with the rules
 * of a new record first), under a fresh id copied to id_out (may be NULL)
 * once committed; check (may be NULL) runs in the transaction before the
 * write. */
int cts_change_add(cts_node *n, const char *table, const json_t *set, cts_change_check check,
                   void *ctx, char id_out[37]);

/* Update record (table, id) with `set` as cts_change_put does, in one
 * transaction after check (may be NULL) on its current values. An empty set
 * is refused with CTS_EINVAL and the message `nothing` ("rien à modifier :
 * indiquez au moins un champ (...)"). */
int cts_change_update(cts_node *n, const char *table, const char *id, const json_t *set,
                      const char *nothing, cts_change_check check, void *ctx, cts_change *out);

/* End the transaction a write began: commit when rc is 0 (returning the
 * commit's result), else roll back and return rc. */
int cts_change_end(cts_node *n, int rc);

/* out->line = a copy of the formatted text, out->changed = changed
 * (out may be NULL: nothing done). 0 or CTS_ENOMEM. */
int cts_change_say(cts_change *out, int changed, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Today's date (node clock, local time) moved by `years` years, into
 * out[11] (29 February becomes 28 February in a common year). */
void cts_change_today(cts_node *n, int years, char out[11]);

/* A date typed by a person for `label` ("la date de la réunion"): the
 * ISO date of "2020-06-16", "16/06/2020"... into out[11], between the
 * creation of the CTS and today + max_years years (0: not after today).
 * CTS_EINVAL with a French message otherwise. */
int cts_change_input_date(cts_node *n, const char *label, const char *typed, int max_years,
                          char out[11]);

#endif
