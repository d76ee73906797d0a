#include "member.h"

#include "error.h"
#include "record.h"
#include "rules.h"
#include "tables.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_opt(json_t *set, const char *key, const char *v)
{
	if (!v)
		return;
	json_object_set_new(set, key, cts_record_text(*v ? v : NULL));
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

/* The domain rules (rules.h) of the set, and the mandate's order when both
 * ends are given. */
static int validate(const json_t *set, const cts_member_fields *f, int creating)
{
	int rc = creating ? cts_rules_check_new("member", set, NULL) : cts_rules_check_set("member", set, NULL);

	if (rc < 0)
		return rc;
	if (f->mandate_start && f->mandate_end && *f->mandate_start && *f->mandate_end &&
	    strcmp(f->mandate_end, f->mandate_start) < 0)
		return cts_error_set(CTS_EINVAL, "la fin de mandat (%s) précède son début (%s)", f->mandate_end, f->mandate_start);
	return 0;
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
	if (!(set = fields_to_set(&g)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = validate(set, &g, 1)) < 0 || (rc = cts_store_begin(n->store)) < 0) {
		json_decref(set);
		return rc;
	}
	if ((rc = cts_member_find(n, NULL, g.last_name, g.first_name, existing)) < 0)
		goto cleanup;
	if (existing[0]) {
		rc = cts_error_set(CTS_EEXISTS, "le membre %s %s existe déjà (identifiant %s)", g.first_name, g.last_name, existing);
		goto cleanup;
	}
	cts_record_new_id(id);
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

	if ((rc = member_exists(n, id)) < 0)
		return rc;
	if (!(set = fields_to_set(f)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if (json_object_size(set) == 0)
		rc = cts_error_set(CTS_EINVAL, "rien à modifier : indiquez au moins un champ");
	else if ((rc = validate(set, f, 0)) == 0)
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
