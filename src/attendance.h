/* Attendance at a meeting: members (present / excused / absent) and guests
 * (invited persons and ARS staff), usually imported from a sheet. */
#ifndef CTS_ATTENDANCE_H
#define CTS_ATTENDANCE_H

#include "node.h"

#include <jansson.h>

typedef struct {
	long members, present, excused, absent;
	long guests, invited, ars;
	long created;  /* members created by --create-missing */
	long unknown;  /* member rows matching no member */
	json_t *rows;  /* new array: one object per sheet row, with "action" */
} cts_attendance_result;

/* Import a sheet (bytes) as the attendance of `meeting`, replacing any
 * earlier attendance of that meeting. All or nothing: on any error, or
 * with dry_run, the database is left untouched. Unknown persons refuse
 * the import (CTS_EINVAL, listing them) unless create_missing.
 * *out (may be NULL) receives the summary even when unknown persons
 * refused the import; free with cts_attendance_result_free. */
int cts_attendance_import(cts_node *n, const char *meeting, const char *buf, size_t len,
			  int create_missing, int dry_run, cts_attendance_result **out);
void cts_attendance_result_free(cts_attendance_result *r);

/* Attendance of a meeting of this node's territory, as a new JSON array:
 * last_name, first_name, organisation, college, status, member, guest. */
int cts_attendance_list(cts_node *n, const char *meeting, json_t **out);

#endif
