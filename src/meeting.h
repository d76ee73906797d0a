/* Meetings of a council's bodies (SPEC §1). */
#ifndef CTS_MEETING_H
#define CTS_MEETING_H

#include "change.h"
#include "node.h"

#include <jansson.h>

typedef struct {
	const char *body; /* one of cts_bodies */
	const char *date; /* YYYY-MM-DD, or DD/MM/YYYY as people type it */
	const char *title;
	const char *place;  /* optional */
	const char *status; /* prevue | tenue | approuvee | annulee (add: tenue, or
	                     * prevue when the date is after today) */
	int again;          /* input option, not a field: accept a second meeting
	                     * of the same body on the same date */
} cts_meeting_fields;

/* Add a meeting of this node's territory; id_out gets its id. Input
 * checks: the date lies between the creation of the CTS (2016-01-26) and
 * one year after today; a meeting after today cannot be held (tenue,
 * approuvee); another meeting of the same body on the same date (not
 * cancelled) refuses it (CTS_EEXISTS, naming it) unless f->again. */
int cts_meeting_add(cts_node *n, const cts_meeting_fields *f, char id_out[37]);

/* Change the given (non-NULL) fields of meeting `id` ("" clears the
 * place), with the checks of add. A status goes through the rules of
 * approve / cancel / restore below. Refused on an approved meeting
 * (reopen it first). out (may be NULL) says what changed; nothing to
 * change writes nothing. */
int cts_meeting_update(cts_node *n, const char *id, const cts_meeting_fields *f, cts_change *out);

/* The status lifecycle: prevue -> tenue -> approuvee (minutes approved:
 * the meeting and what hangs on it are locked), or annulee (kept, out of
 * every count of the reports).
 *  - approve: a held meeting (tenue) becomes approuvee;
 *  - reopen: an approved meeting goes back to tenue; `reason` (required,
 *    one line) is recorded in its reopen_reason field;
 *  - cancel: a planned or held meeting becomes annulee (an approved one
 *    must be reopened first);
 *  - restore: a cancelled meeting comes back as tenue (prevue when its
 *    date is after today).
 * Each is one journaled put; asking for the status the meeting already
 * has writes nothing and says so in out. */
int cts_meeting_approve(cts_node *n, const char *id, cts_change *out);
int cts_meeting_reopen(cts_node *n, const char *id, const char *reason, cts_change *out);
int cts_meeting_cancel(cts_node *n, const char *id, cts_change *out);
int cts_meeting_restore(cts_node *n, const char *id, cts_change *out);

/* 0 if meeting `id` exists in `territory` (NULL: this node's), else
 * CTS_ENOTFOUND with a French message. */
int cts_meeting_check(cts_node *n, const char *territory, const char *id);

/* What a local write is about to do to a meeting or to what hangs on it. */
typedef enum {
	CTS_MEETING_EDIT,       /* change the meeting itself (title, date...) */
	CTS_MEETING_ATTENDANCE, /* record or change its attendance */
	CTS_MEETING_ATTACH      /* add or change one of its opinions or contributions */
} cts_meeting_use;

/* 0 if meeting `id` of this node's territory exists and its status allows
 * `use` as a local write; else CTS_ENOTFOUND, or CTS_EINVAL with a French
 * message saying why and what to do:
 *  - approuvee (minutes approved): everything is locked until
 *    `ctsnode meeting reopen ID --reason TEXT`;
 *  - annulee: no attendance, opinion or contribution (the meeting itself
 *    may still be corrected or restored);
 *  - prevue: takes no attendance (set it to tenue first).
 * This is an input check of local writes only: importers apply signed
 * changes of other devices whatever the status (last writer wins), so that
 * every node converges. *status_out (may be NULL) gets the status code
 * (static string) on success. */
int cts_meeting_require(cts_node *n, const char *id, cts_meeting_use use, const char **status_out);

/* The date of meeting `id` of this territory into date[11] ("" if none,
 * or if the meeting has no date). */
int cts_meeting_date(cts_node *n, const char *id, char date[11]);

/* The list of meetings: cts_change_list (change.h), table "meeting". */

#endif
