#include "meeting.h"

#include "error.h"
#include "record.h"
#include "rules.h"
#include "tables.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Status as stored (no value: held). */
static const char *status_of(const json_t *row)
{
	const char *st = json_string_value(json_object_get(row, "status"));

	return st ? st : "tenue";
}

static int after_today(cts_node *n, const char *date)
{
	char today[11];

	cts_change_today(n, 0, today);
	return date && strcmp(date, today) > 0;
}

/* The typed fields as values to write: date parsed and in the window,
 * "" clearing the place; the rules of every value. */
static int build_want(cts_node *n, const cts_meeting_fields *f, json_t *want)
{
	char iso[11];
	int rc;

	cts_record_set_text(want, "body", f->body);
	if (f->date) {
		if ((rc = cts_change_input_date(n, "la date de la réunion", f->date, 1, iso)) < 0)
			return rc;
		json_object_set_new(want, "date", json_string(iso));
	}
	cts_record_set_text(want, "title", f->title);
	if (f->place)
		json_object_set_new(want, "place", cts_record_text(*f->place ? f->place : NULL));
	cts_record_set_text(want, "status", f->status);
	return cts_rules_check_set("meeting", want, NULL);
}

/* Another meeting (not cancelled, not `self`) of the same body on the
 * same date refuses the write, unless again. */
static int check_duplicate(cts_node *n, const char *self, const char *body, const char *date,
                           int again)
{
	sqlite3_stmt *s;
	char d[32], found[37] = "", title[128] = "";
	int rc;

	if (again || !body || !date)
		return 0;
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT id, title FROM meeting WHERE territory = ? AND date = ? AND body = ?"
	         " AND id <> ? AND coalesce(status, 'tenue') <> 'annulee' ORDER BY id LIMIT 1")) <
	    0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, date, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 3, body, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 4, self ? self : "", -1, SQLITE_TRANSIENT);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		snprintf(found, sizeof(found), "%s", (const char *)sqlite3_column_text(s, 0));
		snprintf(title, sizeof(title), "%s",
		         sqlite3_column_text(s, 1) ? (const char *)sqlite3_column_text(s, 1) : "");
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cts_store_error(n->store, "recherche d'une réunion");
	if (!found[0])
		return 0;
	return cts_error_set(
	    CTS_EEXISTS,
	    "une réunion %s du %s est déjà enregistrée : « %s » (identifiant %.8s) ;"
	    " corrigez-la plutôt (ctsnode meeting update %.8s), ou, s'il s'agit bien d'une autre"
	    " réunion le même jour, ajoutez --again",
	    cts_body_labels[cts_code_index(cts_bodies, body) >= 0 ? cts_code_index(cts_bodies, body)
	                                                          : 0],
	    cts_text_date_fr(d, sizeof(d), date), title, found, found);
}

/* May a meeting dated `date`, now `from`, take status `to`? (The same
 * status is left to cts_change_put, which says there is nothing to do.) */
static int check_status(cts_node *n, const char *id, const char *date, const char *from,
                        const char *to)
{
	char d[32];

	if (strcmp(from, to) == 0)
		return 0;
	if (strcmp(from, "approuvee") == 0) /* the lock's own message */
		return cts_meeting_require(n, id, CTS_MEETING_EDIT, NULL);
	if (strcmp(to, "approuvee") == 0 && strcmp(from, "tenue") != 0)
		return cts_error_set(
		    CTS_EINVAL,
		    strcmp(from, "annulee") == 0
		        ? "cette réunion est annulée : son compte rendu ne peut pas être approuvé"
		          " (pour la rétablir : ctsnode meeting restore %.8s)"
		        : "cette réunion est prévue, pas encore tenue : son compte rendu "
		          "s'approuve une fois"
		          " la réunion tenue (ctsnode meeting update %.8s --status tenue)",
		    id);
	if ((strcmp(to, "tenue") == 0 || strcmp(to, "approuvee") == 0) && after_today(n, date))
		return cts_error_set(
		    CTS_EINVAL,
		    "la réunion du %s n'a pas encore eu lieu : elle ne peut pas être %s",
		    cts_text_date_fr(d, sizeof(d), date),
		    strcmp(to, "tenue") == 0 ? "tenue" : "approuvée");
	return 0;
}

/* A new meeting: no duplicate (unless cancelled or asked again), a status
 * its date allows. */
static int check_new(cts_node *n, const json_t *set, const json_t *row, void *ctx)
{
	const cts_meeting_fields *f = ctx;
	const char *date = json_string_value(json_object_get(set, "date"));
	const char *status = json_string_value(json_object_get(set, "status"));
	int rc = 0;

	(void)row;
	if (strcmp(status, "annulee") != 0)
		rc = check_duplicate(n, NULL, f->body, date, f->again);
	if (rc == 0)
		rc = check_status(n, "", date,
		                  strcmp(status, "approuvee") == 0 ? "tenue" : "prevue", status);
	return rc;
}

int cts_meeting_add(cts_node *n, const cts_meeting_fields *f, char id_out[37])
{
	json_t *set;
	int rc;

	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL,
		                     "les réunions sont saisies sur le nœud du territoire");
	if (!(set = json_object()))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = build_want(n, f, set)) == 0 && !f->status) {
		const char *date = json_string_value(json_object_get(set, "date"));
		json_object_set_new(set, "status",
		                    json_string(after_today(n, date) ? "prevue" : "tenue"));
	}
	if (rc == 0 && (f->place && !*f->place))
		json_object_del(set, "place");
	if (rc == 0)
		rc = cts_change_add(n, "meeting", set, check_new, (void *)f, id_out);
	json_decref(set);
	return rc;
}

int cts_meeting_update(cts_node *n, const char *id, const cts_meeting_fields *f, cts_change *out)
{
	json_t *want = json_object(), *row = NULL;
	int rc;

	if (!want)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = build_want(n, f, want)) < 0 || (rc = cts_store_begin(n->store)) < 0) {
		json_decref(want);
		return rc;
	}
	if ((rc = cts_meeting_require(n, id, CTS_MEETING_EDIT, NULL)) == 0 &&
	    (rc = cts_change_current(n, "meeting", id, &row)) == 0) {
		const char *body = json_string_value(json_object_get(f->body ? want : row, "body"));
		const char *date = json_string_value(json_object_get(f->date ? want : row, "date"));
		const char *status = f->status ? f->status : status_of(row);
		const char *was = status_of(row);
		int moved = (f->body && !json_equal(json_object_get(want, "body"),
		                                    json_object_get(row, "body"))) ||
		            (f->date && !json_equal(json_object_get(want, "date"),
		                                    json_object_get(row, "date")));

		if (json_object_size(want) == 0)
			rc = cts_error_set(CTS_EINVAL,
			                   "rien à modifier : indiquez au moins un champ (--date, "
			                   "--title, --body, --place, --status)");
		if (rc == 0 && strcmp(status, "annulee") != 0 && moved)
			rc = check_duplicate(n, id, body, date, f->again);
		if (rc == 0 && (f->status || f->date))
			rc = check_status(n, id, date,
			                  f->date && strcmp(was, status) == 0 ? "prevue" : was,
			                  status);
		if (rc == 0)
			rc = cts_change_put(n, "meeting", id, want, out);
	}
	rc = cts_change_end(n, rc);
	json_decref(want);
	json_decref(row);
	return rc;
}

/* Nothing to do: say why, in the record's name. */
static int say_nothing(cts_node *n, const json_t *row, cts_change *out, const char *why)
{
	char *name = NULL;
	int rc;

	if ((rc = cts_change_name(n, "meeting", row, &name)) == 0)
		rc = cts_change_say(out, 0, "Rien à changer : %s %s.", name, why);
	free(name);
	return rc;
}

typedef enum { ST_APPROVE, ST_REOPEN, ST_CANCEL, ST_RESTORE } status_op;

/* The status lifecycle (meeting.h), one put. */
static int set_status(cts_node *n, const char *id, status_op op, const char *reason,
                      cts_change *out)
{
	json_t *row = NULL, *want = NULL;
	const char *from, *to = NULL, *date;
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = cts_meeting_check(n, NULL, id)) < 0 ||
	    (rc = cts_change_current(n, "meeting", id, &row)) < 0)
		goto done;
	from = status_of(row);
	date = json_string_value(json_object_get(row, "date"));
	switch (op) {
	case ST_APPROVE:
		to = "approuvee";
		break;
	case ST_CANCEL:
		to = "annulee";
		break;
	case ST_RESTORE:
		if (strcmp(from, "annulee") != 0) {
			rc = say_nothing(n, row, out, "n'est pas annulée");
			goto done;
		}
		to = after_today(n, date) ? "prevue" : "tenue";
		break;
	case ST_REOPEN:
		if (strcmp(from, "approuvee") != 0) {
			rc = say_nothing(n, row, out,
			                 "n'est pas approuvée : elle n'est pas verrouillée");
			goto done;
		}
		to = "tenue";
		break;
	}
	if (op != ST_REOPEN && (rc = check_status(n, id, date, from, to)) < 0)
		goto done;
	if (!(want = json_pack("{s:s}", "status", to))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto done;
	}
	if (op == ST_REOPEN)
		json_object_set_new(want, "reopen_reason", cts_record_text(reason));
	if ((rc = cts_rules_check_set("meeting", want, NULL)) == 0)
		rc = cts_change_put(n, "meeting", id, want, out);
done:
	rc = cts_change_end(n, rc);
	json_decref(row);
	json_decref(want);
	return rc;
}

int cts_meeting_approve(cts_node *n, const char *id, cts_change *out)
{
	return set_status(n, id, ST_APPROVE, NULL, out);
}

int cts_meeting_cancel(cts_node *n, const char *id, cts_change *out)
{
	return set_status(n, id, ST_CANCEL, NULL, out);
}

int cts_meeting_restore(cts_node *n, const char *id, cts_change *out)
{
	return set_status(n, id, ST_RESTORE, NULL, out);
}

int cts_meeting_reopen(cts_node *n, const char *id, const char *reason, cts_change *out)
{
	const char *p = reason;

	while (p && (*p == ' ' || *p == '\t'))
		p++;
	if (!p || !*p)
		return cts_error_set(
		    CTS_EINVAL,
		    "indiquez pourquoi la réunion est rouverte (--reason \"...\") : le motif est"
		    " enregistré dans l'historique");
	return set_status(n, id, ST_REOPEN, reason, out);
}

int cts_meeting_check(cts_node *n, const char *territory, const char *id)
{
	sqlite3_stmt *s;
	int rc;

	if (!id || !cts_valid_uuid(id))
		return cts_error_set(
		    CTS_EINVAL, "identifiant de réunion invalide « %.40s » (ctsnode meeting list)",
		    id ? id : "");
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT 1 FROM meeting WHERE territory = ? AND id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, territory ? territory : n->territory, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_TRANSIENT);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return cts_error_set(
		    CTS_ENOTFOUND,
		    "aucune réunion d'identifiant %s dans ce territoire (ctsnode meeting list)",
		    id);
	return cts_store_error(n->store, "recherche d'une réunion");
}

int cts_meeting_date(cts_node *n, const char *id, char date[11])
{
	sqlite3_stmt *s;
	int rc;

	date[0] = '\0';
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT date FROM meeting WHERE territory = ? AND id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(s)) == SQLITE_ROW && sqlite3_column_text(s, 0))
		snprintf(date, 11, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return cts_store_error(n->store, "lecture d'une réunion");
	return 0;
}

int cts_meeting_require(cts_node *n, const char *id, cts_meeting_use use, const char **status_out)
{
	sqlite3_stmt *s;
	const char *status = NULL;
	int idx, rc;

	if ((rc = cts_meeting_check(n, NULL, id)) < 0)
		return rc;
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT status FROM meeting WHERE territory = ? AND id = ?")) < 0)
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
		return cts_error_set(
		    CTS_EINVAL,
		    "le compte rendu de cette réunion est approuvé : elle est verrouillée"
		    " (pour la corriger : ctsnode meeting reopen %.8s --reason \"pourquoi\")",
		    id);
	if (status && strcmp(status, "annulee") == 0 && use != CTS_MEETING_EDIT)
		return cts_error_set(CTS_EINVAL, "cette réunion est annulée : elle ne reçoit ni "
		                                 "présences, ni avis, ni contributions");
	if (status && strcmp(status, "prevue") == 0 && use == CTS_MEETING_ATTENDANCE)
		return cts_error_set(
		    CTS_EINVAL,
		    "cette réunion est prévue, pas encore tenue : les présences se saisissent une "
		    "fois"
		    " la réunion tenue (ctsnode meeting update %.8s --status tenue)",
		    id);
	if (status_out)
		*status_out = status;
	return 0;
}
