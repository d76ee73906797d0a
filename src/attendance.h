/* Attendance at a meeting: members (present / excused / absent) and guests
 * (invited persons and ARS staff), imported from a sheet matched to the
 * roll, or set one person at a time. */
#ifndef CTS_ATTENDANCE_H
#define CTS_ATTENDANCE_H

#include "node.h"

#include <jansson.h>

/* What the import noticed about a row (or a member missing from the
 * sheet): shown next to the row in a preview, printed by the CLI. */
typedef enum {
	CTS_ATT_NEAR,          /* refusal: the name is close to a member of the roll
	                          (never created; `member` is the suggestion) */
	CTS_ATT_UNKNOWN,       /* refusal without create_missing: nobody of that name */
	CTS_ATT_COLLEGE,       /* warning: college differs from the roll's; the roll's kept */
	CTS_ATT_MEMBER_GUEST,  /* warning: the same person as a member and as a guest
	                          (other_line); imported once, as the member */
	CTS_ATT_GUEST_IN_ROLL, /* warning: a member of the roll listed only as a guest */
	CTS_ATT_MISSING        /* a titular member whose mandate covers the date is not on
	                          the sheet (recorded absent with absent_missing) */
} cts_attendance_note_kind;

typedef struct {
	cts_attendance_note_kind kind;
	const char *code;    /* static: near_match, unknown, college, member_and_guest,
	                        guest_in_roll, missing */
	int blocking;        /* 1: this note alone refuses the import */
	unsigned line;       /* line of the sheet, 0 for a member missing from it */
	unsigned other_line; /* the other line of member_and_guest, else 0 */
	char member[37];     /* member of the roll concerned or suggested, "" if none */
	char *member_name;   /* its "NOM Prénom", NULL if none */
	char *message;       /* one French line; begins "ligne N : " when line != 0 */
} cts_attendance_note;

typedef struct {
	/* The sheet as it would be recorded (a guest row merged into its member
	 * row is not counted; members recorded absent by absent_missing are). */
	long members, present, excused, absent;
	long guests, invited, ars;
	long created;  /* members created by create_missing */
	long unknown;  /* member rows matching no member (near ones excluded) */
	long near;     /* member rows close to a member of the roll */
	long missing;  /* titular members of the roll missing from the sheet */
	long warnings; /* notes that are not blocking, missing members excluded */
	/* The meeting's attendance before, and what the import changes in it. */
	struct {
		long members, present, excused, absent, guests;
	} before;
	long added, changed, removed;
	int unchanged; /* the meeting already has exactly this attendance: nothing written */
	cts_attendance_note *notes; /* in line order, missing members last; owned */
	size_t note_count;
	json_t *rows; /* new array: one object per sheet row: line, last_name, first_name,
	                 college, status, action, member (id or null), notes (the row's
	                 notes, as cts_attendance_notes_json writes them) */
} cts_attendance_result;

typedef struct {
	int create_missing; /* create members for unknown names (never for near ones) */
	int absent_missing; /* record absent the titular members missing from the sheet */
	int replace;        /* replace attendance the meeting already has */
	int dry_run;        /* compute everything, write nothing */
} cts_attendance_options;

/* Import a sheet (bytes) as the attendance of `meeting` (a meeting of this
 * territory that may take attendance: cts_meeting_require). Rows are matched
 * to the roll by folded name; a member row is recorded with the names and
 * organisation the sheet gives, under the roll's college. Refused (CTS_EINVAL, nothing written):
 *  - a sheet cts_sheet_parse refuses; the same person twice as a member
 *    (or twice as a guest);
 *  - member rows close to a member of the roll (a suggestion each), and
 *    without create_missing, rows matching nobody;
 *  - a meeting that already has attendance this sheet would change, unless
 *    opt->replace (the message gives the counts before and the changes).
 * The identical sheet again writes nothing (res->unchanged). Otherwise
 * only what differs is written: new records, changed fields, removed
 * records; all or nothing, nothing with dry_run.
 * *out (may be NULL) receives the result on success and on the refusals
 * above that concern rows or the existing attendance (not on a sheet that
 * does not parse); free with cts_attendance_result_free. */
int cts_attendance_import_sheet(cts_node *n, const char *meeting, const char *buf, size_t len,
                                const cts_attendance_options *opt, cts_attendance_result **out);

/* cts_attendance_import_sheet without absent_missing nor replace. */
int cts_attendance_import(cts_node *n, const char *meeting, const char *buf, size_t len,
                          int create_missing, int dry_run, cts_attendance_result **out);
void cts_attendance_result_free(cts_attendance_result *r);

/* The notes of a result as a new JSON array of objects: line, other_line,
 * kind (code), blocking, message, member, member_name. */
json_t *cts_attendance_notes_json(const cts_attendance_result *r);

/* Attendance of a meeting of this node's territory, as a new JSON array:
 * last_name, first_name, organisation, college, status, member, guest. */
int cts_attendance_list(cts_node *n, const char *meeting, json_t **out);

/* What a one-person change did. */
typedef struct {
	int changed;        /* 0: nothing was written */
	const char *before; /* status code before (static), NULL when none */
	const char *after;  /* status code after (static), NULL when removed or none */
	char date[11];      /* the meeting's date, YYYY-MM-DD */
	char message[1024]; /* one French line: "GESLIN Annie : Absent → Excusé
	                       (réunion du 16/06/2020)" */
} cts_attendance_change;

/* Set member `member`'s (an id of this territory's roll) attendance at
 * `meeting` to `status` (present, excused, absent): one journaled put of
 * the record a sheet import of that person writes (same id), with only
 * the status when the record exists, or the whole record under the roll's
 * names and college. The same status again writes nothing. */
int cts_attendance_set(cts_node *n, const char *meeting, const char *member, const char *status,
                       cts_attendance_change *out);

/* Remove member `member`'s attendance at `meeting`: one journaled del;
 * nothing written when there is none. */
int cts_attendance_remove(cts_node *n, const char *meeting, const char *member,
                          cts_attendance_change *out);

#endif
