#include "member.h"

#include "error.h"
#include "record.h"
#include "tables.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int check_text(const char *what, const char *v, size_t max, int required)
{
	if (!v || !*v)
		return required ? cts_error_set(CTS_EINVAL, "%s est obligatoire", what) : 0;
	if (strlen(v) > max)
		return cts_error_set(CTS_ELIMIT, "%s est trop long (%zu caractères au plus)", what, max);
	if (!cts_text_utf8_valid(v, strlen(v)))
		return cts_error_set(CTS_EINVAL, "%s n'est pas un texte UTF-8 valide", what);
	return 0;
}

static int validate(const cts_member_fields *f, int creating)
{
	int rc;

	if ((rc = check_text("le nom (--last-name)", f->last_name, 200, creating)) < 0 ||
	    (rc = check_text("le prénom (--first-name)", f->first_name, 200, creating)) < 0 ||
	    (rc = check_text("la structure (--organisation)", f->organisation, 400, 0)) < 0 ||
	    (rc = check_text("le rôle (--role)", f->role, 200, 0)) < 0)
		return rc;
	if (creating && !f->college)
		return cts_error_set(CTS_EINVAL, "le collège (--college) est obligatoire : professionnels, usagers, collectivites, etat ou personnes-qualifiees");
	if (f->college && cts_code_index(cts_colleges, f->college) < 0)
		return cts_error_set(CTS_EINVAL, "collège inconnu « %.60s » : professionnels, usagers, collectivites, etat ou personnes-qualifiees", f->college);
	if (f->seat && strcmp(f->seat, "titulaire") != 0 && strcmp(f->seat, "suppleant") != 0)
		return cts_error_set(CTS_EINVAL, "siège inconnu « %.60s » : titulaire ou suppleant", f->seat);
	if (f->mandate_start && *f->mandate_start && !cts_valid_date(f->mandate_start))
		return cts_error_set(CTS_EINVAL, "date de début de mandat invalide « %.40s » : format AAAA-MM-JJ", f->mandate_start);
	if (f->mandate_end && *f->mandate_end && !cts_valid_date(f->mandate_end))
		return cts_error_set(CTS_EINVAL, "date de fin de mandat invalide « %.40s » : format AAAA-MM-JJ", f->mandate_end);
	if (f->mandate_start && f->mandate_end && *f->mandate_start && *f->mandate_end &&
	    strcmp(f->mandate_end, f->mandate_start) < 0)
		return cts_error_set(CTS_EINVAL, "la fin de mandat (%s) précède son début (%s)", f->mandate_end, f->mandate_start);
	return 0;
}

static void set_opt(json_t *set, const char *key, const char *v)
{
	if (!v)
		return;
	json_object_set_new(set, key, *v ? json_string(v) : json_null());
}

static json_t *fields_to_set(const cts_member_fields *f)
{
	json_t *set = json_object();

	set_opt(set, "last_name", f->last_name);
	set_opt(set, "first_name", f->first_name);
	set_opt(set, "organisation", f->organisation);
	set_opt(set, "college", f->college);
	set_opt(set, "seat", f->seat);
	set_opt(set, "role", f->role);
	set_opt(set, "mandate_start", f->mandate_start);
	set_opt(set, "mandate_end", f->mandate_end);
	return set;
}

int cts_member_find(cts_node *n, const char *territory, const char *last_name,
		    const char *first_name, char id_out[37])
{
	char *want_last = NULL, *want_first = NULL;
	sqlite3_stmt *s;
	int rc;

	id_out[0] = '\0';
	if ((rc = cts_text_fold(&want_last, last_name ? last_name : "")) < 0 ||
	    (rc = cts_text_fold(&want_first, first_name ? first_name : "")) < 0)
		goto cleanup;
	if ((rc = cts_store_stmt(n->store, &s, "SELECT id, last_name, first_name FROM member WHERE territory = ?")) < 0)
		goto cleanup;
	sqlite3_bind_text(s, 1, territory ? territory : n->territory, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *l = NULL, *f = NULL;
		const char *cl = (const char *)sqlite3_column_text(s, 1), *cf = (const char *)sqlite3_column_text(s, 2);
		int match;

		if (cts_text_fold(&l, cl ? cl : "") < 0 || cts_text_fold(&f, cf ? cf : "") < 0) {
			free(l);
			free(f);
			continue;
		}
		match = strcmp(l, want_last) == 0 && strcmp(f, want_first) == 0;
		free(l);
		free(f);
		if (match) {
			snprintf(id_out, 37, "%s", (const char *)sqlite3_column_text(s, 0));
			break;
		}
	}
	sqlite3_reset(s);
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? 0 : cts_store_error(n->store, "recherche d'un membre");
cleanup:
	free(want_last);
	free(want_first);
	return rc;
}

int cts_member_add(cts_node *n, const cts_member_fields *f, char id_out[37])
{
	char id[37], existing[37];
	cts_member_fields g = *f;
	json_t *set = NULL;
	int rc;

	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL, "le nœud régional ne tient pas de liste de membres : utilisez un nœud de territoire");
	if (!g.seat)
		g.seat = "titulaire";
	if ((rc = validate(&g, 1)) < 0)
		return rc;
	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = cts_member_find(n, NULL, g.last_name, g.first_name, existing)) < 0)
		goto cleanup;
	if (existing[0]) {
		rc = cts_error_set(CTS_EEXISTS, "le membre %s %s existe déjà (identifiant %s)", g.first_name, g.last_name, existing);
		goto cleanup;
	}
	cts_record_new_id(id);
	set = fields_to_set(&g);
	if (!set) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	rc = cts_record_put(n->store, "member", id, set);
cleanup:
	json_decref(set);
	if (rc == 0 && (rc = cts_store_commit(n->store)) == 0) {
		if (id_out)
			memcpy(id_out, id, 37);
		return 0;
	}
	cts_store_rollback(n->store);
	return rc;
}

static int member_exists(cts_node *n, const char *id)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "SELECT 1 FROM member WHERE territory = ? AND id = ?")) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc == SQLITE_ROW)
		return 0;
	if (rc == SQLITE_DONE)
		return cts_error_set(CTS_ENOTFOUND, "aucun membre d'identifiant « %.40s » dans ce territoire (ctsnode member list)", id);
	return cts_store_error(n->store, "recherche d'un membre");
}

int cts_member_update(cts_node *n, const char *id, const cts_member_fields *f)
{
	json_t *set;
	int rc;

	if ((rc = validate(f, 0)) < 0 || (rc = member_exists(n, id)) < 0)
		return rc;
	if ((f->last_name && !*f->last_name) || (f->first_name && !*f->first_name) || (f->college && !*f->college))
		return cts_error_set(CTS_EINVAL, "le nom, le prénom et le collège ne peuvent pas être vidés");
	set = fields_to_set(f);
	if (json_object_size(set) == 0) {
		json_decref(set);
		return cts_error_set(CTS_EINVAL, "rien à modifier : indiquez au moins un champ");
	}
	rc = cts_record_put(n->store, "member", id, set);
	json_decref(set);
	return rc;
}

int cts_member_remove(cts_node *n, const char *id)
{
	int rc = member_exists(n, id);

	return rc < 0 ? rc : cts_record_del(n->store, "member", id);
}

int cts_member_list(cts_node *n, const char *territory, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_store_stmt(n->store, &s,
				 "SELECT territory, id, last_name, first_name, organisation, college, seat, role,"
				 " mandate_start, mandate_end FROM member WHERE ?1 IS NULL OR territory = ?1"
				 " ORDER BY territory, last_name COLLATE NOCASE, first_name COLLATE NOCASE, id")) < 0)
		return rc;
	if (territory)
		sqlite3_bind_text(s, 1, territory, -1, SQLITE_TRANSIENT);
	return cts_store_rows_json(n->store, s, out);
}
