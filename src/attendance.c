#include "attendance.h"
#include "attendance_impl.h"

#include "error.h"
#include "meeting.h"
#include "member.h"
#include "record.h"
#include "roll.h"
#include "rules.h"
#include "sheet.h"
#include "strbuf.h"
#include "tables.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OOM() CTS_ATT_OOM()

/* French label of a code of `codes` (tables.h), the code itself if unknown. */
static const char *label_of(const char *const *codes, const char *const *labels, const char *code)
{
	int i = code ? cts_code_index(codes, code) : -1;
	return i >= 0 ? labels[i] : code ? code : "";
}

const char *cts_att_status_label(const char *code)
{
	return label_of(cts_attendance_statuses, cts_attendance_status_labels, code);
}

const char *cts_att_college_label(const char *code)
{
	return label_of(cts_attendance_colleges, cts_attendance_college_labels, code);
}

/* The record id of one person's attendance at a meeting: a member by id, a
 * guest by folded name. A sheet import and `attendance set` of the same
 * member address the same record. */
int cts_att_rid(char rid[37], const char *meeting, const char *member_id, const char *last,
                const char *first)
{
	char *fl = NULL, *ff = NULL, *key = NULL;
	size_t len;
	int rc = 0;

	if (member_id) {
		char k[128];
		snprintf(k, sizeof(k), "attendance:%s:member:%s", meeting, member_id);
		cts_record_derived_id(rid, k);
		return 0;
	}
	if ((rc = cts_text_fold(&fl, last)) < 0 || (rc = cts_text_fold(&ff, first)) < 0)
		goto done;
	/* The historical key was cut at 599 bytes: keep it so, ids must not move. */
	len = strlen(meeting) + strlen(fl) + strlen(ff) + 32;
	if (!(key = malloc(len))) {
		rc = OOM();
		goto done;
	}
	snprintf(key, len, "attendance:%s:guest:%s:%s", meeting, fl, ff);
	if (strlen(key) > 599)
		key[599] = '\0';
	cts_record_derived_id(rid, key);
done:
	free(fl);
	free(ff);
	free(key);
	return rc;
}

/* The attendance records of a meeting, each with id and the fields above. */
int cts_att_records(cts_node *n, const char *meeting, json_t **out)
{
	return cts_store_rows_args(
	    n->store,
	    "SELECT id, meeting, member, last_name, first_name, organisation, college,"
	    " status FROM attendance WHERE territory = ? AND meeting = ? ORDER BY id",
	    (const char *const[]){ n->territory, meeting }, 2, out);
}

/* "NOM Prénom" of a row or member into buf. */
const char *cts_att_person(char *buf, size_t n, const char *last, const char *first)
{
	snprintf(buf, n, "%s%s%s", last, first[0] ? " " : "", first);
	return buf;
}

const json_t *cts_att_find(const json_t *rows, const char *rid)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
	{
		const char *id = json_string_value(json_object_get(row, "id"));
		if (id && strcmp(id, rid) == 0)
			return row;
	}
	return NULL;
}

int cts_attendance_list(cts_node *n, const char *meeting, json_t **out)
{
	size_t i;
	json_t *row;
	int rc;

	*out = NULL;
	if ((rc = cts_meeting_check(n, NULL, meeting)) < 0)
		return rc;
	if ((rc = cts_store_rows_args(
	         n->store,
	         "SELECT last_name, first_name, organisation, college, status, member, id,"
	         " (member IS NULL) AS guest FROM attendance WHERE territory = ? AND meeting = ?"
	         " ORDER BY (member IS NULL), college, last_name COLLATE NOCASE, first_name "
	         "COLLATE NOCASE",
	         (const char *const[]){ n->territory, meeting }, 2, out)) < 0)
		return rc;
	/* guest as a JSON boolean */
	json_array_foreach(*out, i, row) json_object_set_new(
	    row, "guest", json_boolean(json_integer_value(json_object_get(row, "guest"))));
	return 0;
}

/* ---- one person ---- */

/* The member `id` of this territory's roll (names, organisation, college). */
static int roll_member(cts_node *n, const char *id, json_t **out)
{
	json_t *rows = NULL;
	int rc;

	*out = NULL;
	if (!id || !cts_valid_uuid(id))
		return cts_error_set(
		    CTS_EINVAL, "identifiant de membre invalide « %.40s » (ctsnode member list)",
		    id ? id : "");
	if ((rc = cts_store_rows_args(
	         n->store,
	         "SELECT id, last_name, first_name, organisation, college FROM member"
	         " WHERE territory = ? AND id = ?",
	         (const char *const[]){ n->territory, id }, 2, &rows)) < 0)
		return rc;
	if (json_array_size(rows) == 0) {
		json_decref(rows);
		return cts_error_set(CTS_ENOTFOUND,
		                     "aucun membre d'identifiant %s dans la liste de ce territoire "
		                     "(ctsnode member list)",
		                     id);
	}
	*out = json_incref(json_array_get(rows, 0));
	json_decref(rows);
	return 0;
}

/* The checks and reads of a one-person change: meeting, member, record. */
typedef struct {
	json_t *member;    /* the roll's row */
	const json_t *rec; /* the existing attendance row, NULL if none */
	json_t *recs;      /* the meeting's rows (owns rec) */
	char rid[37];
	char who[600];
	char dfr[11];
} one_person;

static void one_dispose(one_person *p)
{
	json_decref(p->member);
	json_decref(p->recs);
}

static int one_load(cts_node *n, const char *meeting, const char *member, one_person *p,
                    cts_attendance_change *out)
{
	int rc;

	memset(p, 0, sizeof(*p));
	memset(out, 0, sizeof(*out));
	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL,
		                     "les présences sont saisies sur le nœud du territoire");
	if ((rc = cts_meeting_require(n, meeting, CTS_MEETING_ATTENDANCE, NULL)) < 0 ||
	    (rc = cts_meeting_date(n, meeting, out->date)) < 0 ||
	    (rc = roll_member(n, member, &p->member)) < 0 ||
	    (rc = cts_att_rid(p->rid, meeting, member, NULL, NULL)) < 0 ||
	    (rc = cts_att_records(n, meeting, &p->recs)) < 0)
		return rc;
	p->rec = cts_att_find(p->recs, p->rid);
	cts_text_date_fr(p->dfr, sizeof(p->dfr), out->date);
	cts_att_person(p->who, sizeof(p->who),
	               json_string_value(json_object_get(p->member, "last_name")),
	               json_string_value(json_object_get(p->member, "first_name"))
	                   ? json_string_value(json_object_get(p->member, "first_name"))
	                   : "");
	if (p->rec) {
		const char *st = json_string_value(json_object_get(p->rec, "status"));
		int i = st ? cts_code_index(cts_attendance_statuses, st) : -1;
		out->before = i >= 0 ? cts_attendance_statuses[i] : NULL;
	}
	return 0;
}

int cts_attendance_set(cts_node *n, const char *meeting, const char *member, const char *status,
                       cts_attendance_change *out)
{
	one_person p;
	json_t *set = NULL;
	int rc, i;

	if ((rc = one_load(n, meeting, member, &p, out)) < 0)
		goto done;
	if (!(set = json_object())) {
		rc = OOM();
		goto done;
	}
	json_object_set_new(set, "status", cts_record_text(status));
	if ((rc = cts_rules_check_set("attendance", set, NULL)) < 0)
		goto done;
	if ((i = cts_code_index(cts_attendance_statuses, status)) < 0) {
		rc = cts_error_set(CTS_EINVAL,
		                   "présence inconnue « %.40s » : present, excused ou absent",
		                   status ? status : "");
		goto done;
	}
	out->after = cts_attendance_statuses[i];
	if (out->before && strcmp(out->before, out->after) == 0) {
		snprintf(out->message, sizeof(out->message),
		         "%s est déjà noté %s (réunion du %s) : rien n'a changé", p.who,
		         cts_att_status_label(out->after), p.dfr);
		goto done;
	}
	if (!p.rec) {
		/* A new (or removed) record: written whole, as a sheet import would. */
		json_t *m = p.member;
		json_object_set_new(set, "meeting", cts_record_text(meeting));
		json_object_set_new(set, "member", cts_record_text(member));
		json_object_set(set, "last_name", json_object_get(m, "last_name"));
		json_object_set(set, "first_name", json_object_get(m, "first_name"));
		json_object_set(set, "organisation", json_object_get(m, "organisation"));
		json_object_set(set, "college", json_object_get(m, "college"));
	}
	if ((rc = cts_record_put(n->store, "attendance", p.rid, set)) < 0)
		goto done;
	out->changed = 1;
	snprintf(out->message, sizeof(out->message), "%s : %s → %s (réunion du %s)", p.who,
	         out->before ? cts_att_status_label(out->before) : "non noté",
	         cts_att_status_label(out->after), p.dfr);
done:
	json_decref(set);
	one_dispose(&p);
	return rc;
}

int cts_attendance_remove(cts_node *n, const char *meeting, const char *member,
                          cts_attendance_change *out)
{
	one_person p;
	int rc;

	if ((rc = one_load(n, meeting, member, &p, out)) < 0)
		goto done;
	if (!p.rec) {
		snprintf(out->message, sizeof(out->message),
		         "%s n'a pas de présence notée pour la réunion du %s : rien n'a changé",
		         p.who, p.dfr);
		goto done;
	}
	if ((rc = cts_record_del(n->store, "attendance", p.rid)) < 0)
		goto done;
	out->changed = 1;
	snprintf(out->message, sizeof(out->message),
	         "%s : %s → retiré des présences (réunion du %s)", p.who,
	         out->before ? cts_att_status_label(out->before) : "noté", p.dfr);
done:
	one_dispose(&p);
	return rc;
}
