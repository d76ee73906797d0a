/* Internal to the attendance module (attendance.c, attendance_import.c):
 * helpers shared by the sheet import and the one-person changes. */
#ifndef CTS_ATTENDANCE_IMPL_H
#define CTS_ATTENDANCE_IMPL_H

#include "node.h"

#include <jansson.h>
#include <stddef.h>

#define CTS_ATT_OOM() cts_error_set(CTS_ENOMEM, "mémoire insuffisante")

/* French labels of an attendance status or college code (static); the code
 * itself when unknown. */
const char *cts_att_status_label(const char *code);
const char *cts_att_college_label(const char *code);

/* The record id of one person's attendance at a meeting: a member by id
 * (member_id non-NULL), else a guest by folded last and first name. A sheet
 * import and `attendance set` of the same member address the same record. */
int cts_att_rid(char rid[37], const char *meeting, const char *member_id, const char *last,
                const char *first);

/* The attendance records of a meeting of this territory (no checks), as a
 * new JSON array of objects: id, meeting, member, last_name, first_name,
 * organisation, college, status; ordered by id. */
int cts_att_records(cts_node *n, const char *meeting, json_t **out);

/* The record of id `rid` in such an array (borrowed), NULL if none. */
const json_t *cts_att_find(const json_t *records, const char *rid);

/* "NOM Prénom" into buf[0..n); returns buf. */
const char *cts_att_person(char *buf, size_t n, const char *last, const char *first);

#endif
