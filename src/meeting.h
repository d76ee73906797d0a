/* Meetings of a council's bodies (SPEC §1). */
#ifndef CTS_MEETING_H
#define CTS_MEETING_H

#include "node.h"

#include <jansson.h>

typedef struct {
	const char *body;   /* one of cts_bodies */
	const char *date;   /* YYYY-MM-DD */
	const char *title;
	const char *place;  /* optional */
	const char *status; /* prevue | tenue | annulee (default tenue) */
} cts_meeting_fields;

/* Add a meeting of this node's territory; id_out gets its id. */
int cts_meeting_add(cts_node *n, const cts_meeting_fields *f, char id_out[37]);

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

/* Meetings (NULL territory: this node's), by date, as a new JSON array. */
int cts_meeting_list(cts_node *n, const char *territory, json_t **out);

#endif
