#include "meeting.h"

#include "error.h"
#include "record.h"
#include "tables.h"
#include "text.h"

#include <string.h>

static const char *const statuses[] = { "prevue", "tenue", "annulee", NULL };

int cts_meeting_add(cts_node *n, const cts_meeting_fields *f, char id_out[37])
{
	const char *status = f->status ? f->status : "tenue";
	json_t *set;
	char id[37];
	int rc;

	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL, "les réunions sont saisies sur le nœud du territoire");
	if (!f->body || cts_code_index(cts_bodies, f->body) < 0)
		return cts_error_set(CTS_EINVAL, "instance inconnue « %.60s » : pleniere, bureau, sante-mentale ou usagers",
				     f->body ? f->body : "");
	if (!f->date || !cts_valid_date(f->date))
		return cts_error_set(CTS_EINVAL, "date invalide « %.40s » : format AAAA-MM-JJ (par exemple 2020-06-16)",
				     f->date ? f->date : "");
	if (!f->title || !*f->title)
		return cts_error_set(CTS_EINVAL, "le titre (--title) est obligatoire");
	if (strlen(f->title) > 400 || (f->place && strlen(f->place) > 400))
		return cts_error_set(CTS_ELIMIT, "titre ou lieu trop long (400 caractères au plus)");
	if (!cts_text_utf8_valid(f->title, strlen(f->title)) ||
	    (f->place && !cts_text_utf8_valid(f->place, strlen(f->place))))
		return cts_error_set(CTS_EINVAL, "titre ou lieu : texte UTF-8 invalide");
	if (cts_code_index(statuses, status) < 0)
		return cts_error_set(CTS_EINVAL, "statut inconnu « %.40s » : prevue, tenue ou annulee", status);
	cts_record_new_id(id);
	set = json_pack("{s:s, s:s, s:s, s:s}", "body", f->body, "date", f->date, "title", f->title, "status", status);
	if (f->place && *f->place)
		json_object_set_new(set, "place", json_string(f->place));
	rc = cts_record_put(n->store, "meeting", id, set);
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
