#include "meeting.h"

#include "error.h"
#include "record.h"
#include "rules.h"
#include "tables.h"

#include <string.h>

int cts_meeting_add(cts_node *n, const cts_meeting_fields *f, char id_out[37])
{
	json_t *set;
	char id[37];
	int rc;

	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL, "les réunions sont saisies sur le nœud du territoire");
	if (!(set = json_object()))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	json_object_set_new(set, "body", cts_record_text(f->body));
	json_object_set_new(set, "date", cts_record_text(f->date));
	json_object_set_new(set, "title", cts_record_text(f->title));
	json_object_set_new(set, "status", cts_record_text(f->status ? f->status : "tenue"));
	if (f->place && *f->place)
		json_object_set_new(set, "place", cts_record_text(f->place));
	if ((rc = cts_rules_check_new("meeting", set, NULL)) == 0) {
		cts_record_new_id(id);
		rc = cts_record_put(n->store, "meeting", id, set);
	}
	json_decref(set);
	if (rc == 0 && id_out)
		memcpy(id_out, id, 37);
	return rc;
}

int cts_meeting_check(cts_node *n, const char *territory, const char *id)
{
	sqlite3_stmt *s;
	int rc;

	if (!id || !cts_valid_uuid(id))
		return cts_error_set(CTS_EINVAL, "identifiant de réunion invalide « %.40s » (ctsnode meeting list)", id ? id : "");
	if ((rc = cts_store_stmt(n->store, &s, "SELECT 1 FROM meeting WHERE territory = ? AND id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, territory ? territory : n->territory, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return cts_error_set(CTS_ENOTFOUND, "aucune réunion d'identifiant %s dans ce territoire (ctsnode meeting list)", id);
	return cts_store_error(n->store, "recherche d'une réunion");
}

int cts_meeting_require(cts_node *n, const char *id, cts_meeting_use use, const char **status_out)
{
	sqlite3_stmt *s;
	const char *status = NULL;
	int idx, rc;

	if ((rc = cts_meeting_check(n, NULL, id)) < 0)
		return rc;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT status FROM meeting WHERE territory = ? AND id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_type(s, 0) == SQLITE_TEXT)
		idx = cts_code_index(cts_meeting_statuses, (const char *)sqlite3_column_text(s, 0));
	else
		idx = cts_code_index(cts_meeting_statuses, "tenue"); /* no status written: held */
	sqlite3_reset(s);
	if (idx >= 0)
		status = cts_meeting_statuses[idx];
	if (status && strcmp(status, "approuvee") == 0)
		return cts_error_set(CTS_EINVAL,
				     "le compte rendu de cette réunion est approuvé : elle est verrouillée"
				     " (pour la corriger : ctsnode meeting reopen %.8s --reason \"pourquoi\")", id);
	if (status && strcmp(status, "annulee") == 0 && use != CTS_MEETING_EDIT)
		return cts_error_set(CTS_EINVAL, "cette réunion est annulée : elle ne reçoit ni présences, ni avis, ni contributions");
	if (status && strcmp(status, "prevue") == 0 && use == CTS_MEETING_ATTENDANCE)
		return cts_error_set(CTS_EINVAL,
				     "cette réunion est prévue, pas encore tenue : les présences se saisissent une fois"
				     " la réunion tenue (ctsnode meeting update %.8s --status tenue)", id);
	if (status_out)
		*status_out = status;
	return 0;
}

int cts_meeting_list(cts_node *n, const char *territory, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT territory, id, body, date, title, place, status FROM meeting"
				 " WHERE ?1 IS NULL OR territory = ?1 ORDER BY territory, date, title, id")) < 0)
		return rc;
	if (territory)
		sqlite3_bind_text(s, 1, territory, -1, SQLITE_TRANSIENT);
	return cts_store_rows_json(n->store, s, out);
}
