#include "attendance.h"

#include "error.h"
#include "meeting.h"
#include "member.h"
#include "record.h"
#include "sheet.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *mark_status(cts_mark m)
{
	return m == CTS_MARK_PRESENT ? "present" : m == CTS_MARK_EXCUSED ? "excused" : "absent";
}

void cts_attendance_result_free(cts_attendance_result *r)
{
	if (!r)
		return;
	json_decref(r->rows);
	free(r);
}

/* Two rows naming the same person would silently overwrite each other. */
static int check_duplicates(const cts_sheet *sh)
{
	char **keys = calloc(sh->count ? sh->count : 1, sizeof(char *));
	int rc = 0;

	if (!keys)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	for (size_t i = 0; i < sh->count && rc == 0; i++) {
		char *l = NULL, *f = NULL;
		size_t len;
		if ((rc = cts_text_fold(&l, sh->rows[i].last_name)) < 0 || (rc = cts_text_fold(&f, sh->rows[i].first_name)) < 0) {
			free(l);
			free(f);
			break;
		}
		len = strlen(l) + strlen(f) + 2;
		keys[i] = malloc(len);
		if (keys[i])
			snprintf(keys[i], len, "%s\x1f%s", l, f);
		free(l);
		free(f);
		if (!keys[i]) {
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			break;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(keys[i], keys[j]) == 0) {
				rc = cts_error_set(CTS_EINVAL, "ligne %u : %s %s figure déjà à la ligne %u de la feuille",
						   sh->rows[i].line, sh->rows[i].first_name, sh->rows[i].last_name,
						   sh->rows[j].line);
				break;
			}
		}
	}
	for (size_t i = 0; i < sh->count; i++)
		free(keys[i]);
	free(keys);
	return rc;
}

static int put_attendance(cts_node *n, const char *meeting, const cts_sheet_row *r, const char *member_id,
			  json_t *kept)
{
	char key[600], rid[37], *fl = NULL, *ff = NULL;
	json_t *set;
	int rc;

	if (member_id) {
		snprintf(key, sizeof(key), "attendance:%s:member:%s", meeting, member_id);
	} else {
		if ((rc = cts_text_fold(&fl, r->last_name)) < 0 || (rc = cts_text_fold(&ff, r->first_name)) < 0) {
			free(fl);
			return rc;
		}
		snprintf(key, sizeof(key), "attendance:%s:guest:%s:%s", meeting, fl, ff);
		free(fl);
		free(ff);
	}
	cts_record_derived_id(rid, key);
	set = json_pack("{s:s, s:s?, s:s, s:s, s:s, s:s, s:s}", "meeting", meeting, "member", member_id,
			"last_name", r->last_name, "first_name", r->first_name,
			"organisation", r->organisation ? r->organisation : "", "college", r->college,
			"status", mark_status(r->mark));
	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (!member_id)
		json_object_set_new(set, "member", json_null());
	rc = cts_record_put(n->store, "attendance", rid, set);
	json_decref(set);
	if (rc == 0)
		json_object_set_new(kept, rid, json_true());
	return rc;
}

/* Remove earlier attendance rows of the meeting that the sheet no longer has. */
static int drop_stale(cts_node *n, const char *meeting, json_t *kept)
{
	json_t *rows = NULL, *row;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "SELECT id FROM attendance WHERE territory = ? AND meeting = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, meeting, -1, SQLITE_STATIC);
	if ((rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	json_array_foreach(rows, i, row) {
		const char *id = json_string_value(json_object_get(row, "id"));
		if (id && !json_object_get(kept, id) && (rc = cts_record_del(n->store, "attendance", id)) < 0)
			break;
	}
	json_decref(rows);
	return rc;
}

int cts_attendance_import(cts_node *n, const char *meeting, const char *buf, size_t len,
			  int create_missing, int dry_run, cts_attendance_result **out)
{
	cts_attendance_result *res = NULL;
	cts_sheet *sh = NULL;
	json_t *kept = NULL;
	char unknown_list[1024] = "";
	size_t ulen = 0;
	int rc, in_tx = 0;

	if (out)
		*out = NULL;
	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL, "les présences sont saisies sur le nœud du territoire");
	if ((rc = cts_meeting_check(n, NULL, meeting)) < 0)
		return rc;
	if ((rc = cts_sheet_parse(&sh, buf, len)) < 0)
		return rc;
	if ((rc = check_duplicates(sh)) < 0)
		goto cleanup;
	if (!(res = calloc(1, sizeof(*res))) || !(res->rows = json_array()) || !(kept = json_object())) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	if ((rc = cts_store_begin(n->store)) < 0)
		goto cleanup;
	in_tx = 1;
	for (size_t i = 0; i < sh->count; i++) {
		const cts_sheet_row *r = &sh->rows[i];
		char mid[37] = "";
		const char *action = "invite";

		if (!r->guest) {
			res->members++;
			if ((rc = cts_member_find(n, NULL, r->last_name, r->first_name, mid)) < 0)
				goto cleanup;
			action = "membre";
			if (!mid[0]) {
				res->unknown++;
				if (!create_missing) {
					int w = snprintf(unknown_list + ulen, sizeof(unknown_list) - ulen,
							 "%s ligne %u : %s %s", ulen ? ";" : "", r->line, r->first_name, r->last_name);
					if (w > 0 && (size_t)w < sizeof(unknown_list) - ulen)
						ulen += (size_t)w;
					action = "inconnu";
				} else {
					cts_member_fields f = { .last_name = r->last_name, .first_name = r->first_name,
								.organisation = r->organisation, .college = r->college,
								.seat = "titulaire" };
					if ((rc = cts_member_add(n, &f, mid)) < 0) {
						cts_error_prefix(rc, "ligne %u : ", r->line);
						goto cleanup;
					}
					res->created++;
					action = "membre créé";
				}
			}
			if (r->mark == CTS_MARK_PRESENT)
				res->present++;
			else if (r->mark == CTS_MARK_EXCUSED)
				res->excused++;
			else
				res->absent++;
		} else {
			res->guests++;
			if (strcmp(r->college, "ars") == 0)
				res->ars++;
			else
				res->invited++;
		}
		json_array_append_new(res->rows, json_pack("{s:i, s:s, s:s, s:s, s:s, s:s}", "line", (int)r->line,
							   "last_name", r->last_name, "first_name", r->first_name,
							   "college", r->college, "status", mark_status(r->mark),
							   "action", action));
		if ((mid[0] || r->guest) && (rc = put_attendance(n, meeting, r, r->guest ? NULL : mid, kept)) < 0) {
			cts_error_prefix(rc, "ligne %u : ", r->line);
			goto cleanup;
		}
	}
	if (res->unknown > 0 && !create_missing) {
		rc = cts_error_set(CTS_EINVAL,
				   "%ld personne(s) de la feuille ne figurent pas parmi les membres :%s%s. Rien n'a été importé. "
				   "Ajoutez-les (ctsnode member add) ou relancez avec --create-missing pour les créer.",
				   res->unknown, unknown_list, ulen >= sizeof(unknown_list) - 64 ? "…" : "");
		goto cleanup;
	}
	if ((rc = drop_stale(n, meeting, kept)) < 0)
		goto cleanup;
	if (dry_run) {
		cts_store_rollback(n->store);
		in_tx = 0;
	} else {
		if ((rc = cts_store_commit(n->store)) < 0)
			goto cleanup;
		in_tx = 0;
	}
cleanup:
	if (in_tx)
		cts_store_rollback(n->store);
	if (out && res && (rc == 0 || res->unknown > 0)) {
		*out = res;
		res = NULL;
	}
	cts_attendance_result_free(res);
	json_decref(kept);
	cts_sheet_free(sh);
	return rc;
}

int cts_attendance_list(cts_node *n, const char *meeting, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_meeting_check(n, NULL, meeting)) < 0)
		return rc;
	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT last_name, first_name, organisation, college, status, member, id,"
				 " (member IS NULL) AS guest FROM attendance WHERE territory = ? AND meeting = ?"
				 " ORDER BY (member IS NULL), college, last_name COLLATE NOCASE, first_name COLLATE NOCASE")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, meeting, -1, SQLITE_STATIC);
	if ((rc = cts_store_rows_json(n->store, s, out)) < 0)
		return rc;
	/* guest as a JSON boolean */
	{
		size_t i;
		json_t *row;
		json_array_foreach(*out, i, row)
			json_object_set_new(row, "guest", json_boolean(json_integer_value(json_object_get(row, "guest"))));
	}
	return 0;
}
