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
