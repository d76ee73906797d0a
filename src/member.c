#include "member.h"

#include "error.h"
#include "record.h"
#include "rules.h"
#include "tables.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How far after today a mandate may start, and end (a CTS mandate lasts
 * five years; a few more leave room for renewals typed in advance). */
#define MANDATE_START_YEARS 1
#define MANDATE_END_YEARS 10

static void set_opt(json_t *set, const char *key, const char *v)
{
	if (!v)
		return;
	json_object_set_new(set, key, cts_record_text(*v ? v : NULL));
}

/* Mandate dates as typed ("" clears): parsed, between the creation of
 * the CTS and their horizon. */
static int set_mandate(cts_node *n, json_t *set, const char *key, const char *label,
                       const char *typed, int years)
{
	char iso[11];
	int rc;

	if (!typed || !*typed) {
		set_opt(set, key, typed);
		return 0;
	}
	if ((rc = cts_change_input_date(n, label, typed, years, iso)) < 0)
		return rc;
	json_object_set_new(set, key, json_string(iso));
	return 0;
}

/* The typed fields as values to write, with the rules of every value. */
static int fields_to_set(cts_node *n, const cts_member_fields *f, int creating, json_t **out)
{
	json_t *set = json_object();
	int rc;

	*out = NULL;
	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	set_opt(set, "last_name", f->last_name);
	set_opt(set, "first_name", f->first_name);
	set_opt(set, "organisation", f->organisation);
	set_opt(set, "college", f->college);
	set_opt(set, "seat", f->seat);
	set_opt(set, "role", f->role);
	if ((rc = set_mandate(n, set, "mandate_start", "le début de mandat", f->mandate_start,
	                      MANDATE_START_YEARS)) < 0 ||
	    (rc = set_mandate(n, set, "mandate_end", "la fin de mandat", f->mandate_end,
	                      MANDATE_END_YEARS)) < 0 ||
	    (rc = creating ? cts_rules_check_new("member", set, NULL)
	                   : cts_rules_check_set("member", set, NULL)) < 0) {
		json_decref(set);
		return rc;
	}
	*out = set;
	return 0;
}

/* The value of `key` the record will have: the one written, else the
 * current one (row may be NULL). */
static const char *will_be(const json_t *set, const json_t *row, const char *key)
{
	json_t *v = json_object_get(set, key);

	return json_string_value(v ? v : json_object_get(row, key));
}

static int check_mandate(const json_t *set, const json_t *row)
{
	const char *start = will_be(set, row, "mandate_start"),
	           *end = will_be(set, row, "mandate_end");
	char a[32], b[32];

	if (start && end && strcmp(end, start) < 0)
		return cts_error_set(CTS_EINVAL, "la fin de mandat (%s) précède son début (%s)",
		                     cts_text_date_fr(a, sizeof(a), end),
		                     cts_text_date_fr(b, sizeof(b), start));
	return 0;
}

/* First member of `territory` (other than `exclude`) with this name,
 * folded; id_out "" when none. */
static int find_other(cts_node *n, const char *territory, const char *last_name,
                      const char *first_name, const char *exclude, char id_out[37])
{
	char *want_last = NULL, *want_first = NULL;
	sqlite3_stmt *s;
	int rc;

	id_out[0] = '\0';
	if ((rc = cts_text_fold(&want_last, last_name ? last_name : "")) < 0 ||
	    (rc = cts_text_fold(&want_first, first_name ? first_name : "")) < 0)
		goto cleanup;
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT id, last_name, first_name FROM member WHERE territory = ? "
	                         "AND id <> ? ORDER BY id")) < 0)
		goto cleanup;
	sqlite3_bind_text(s, 1, territory ? territory : n->territory, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 2, exclude ? exclude : "", -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char *l = NULL, *f = NULL;
		const char *cl = (const char *)sqlite3_column_text(s, 1),
		           *cf = (const char *)sqlite3_column_text(s, 2);
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
	cts_error_clear();
	rc = (rc == SQLITE_ROW || rc == SQLITE_DONE)
	         ? 0
	         : cts_store_error(n->store, "recherche d'un membre");
cleanup:
	free(want_last);
	free(want_first);
	return rc;
}

int cts_member_find(cts_node *n, const char *territory, const char *last_name,
                    const char *first_name, char id_out[37])
{
	return find_other(n, territory, last_name, first_name, NULL, id_out);
}

/* The name the record will have is nobody else's. */
static int check_name_free(cts_node *n, const char *self, const json_t *set, const json_t *row)
{
	const char *last = will_be(set, row, "last_name"), *first = will_be(set, row, "first_name");
	char other[37];
	int rc;

	if ((rc = find_other(n, NULL, last, first, self, other)) < 0)
		return rc;
	if (other[0])
		return cts_error_set(CTS_EEXISTS, "le membre %s %s existe déjà (identifiant %.8s)",
		                     last ? last : "", first ? first : "", other);
	return 0;
}

int cts_member_add(cts_node *n, const cts_member_fields *f, char id_out[37])
{
	char id[37];
	cts_member_fields g = *f;
	json_t *set = NULL;
	int rc;

	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL, "le nœud régional ne tient pas de liste de "
		                                 "membres : utilisez un nœud de territoire");
	if (!g.seat)
		g.seat = "titulaire";
	if ((rc = fields_to_set(n, &g, 1, &set)) < 0)
		return rc;
	if ((rc = check_mandate(set, NULL)) < 0 || (rc = cts_store_begin(n->store)) < 0) {
		json_decref(set);
		return rc;
	}
	cts_record_new_id(id);
	if ((rc = check_name_free(n, NULL, set, NULL)) == 0)
		rc = cts_record_put(n->store, "member", id, set);
	json_decref(set);
	if ((rc = cts_change_end(n, rc)) == 0 && id_out)
		memcpy(id_out, id, 37);
	return rc;
}

/* An update keeps a coherent mandate and a name no other member has. */
static int check_update(cts_node *n, const json_t *set, const json_t *row, void *ctx)
{
	int rc = check_mandate(set, row);

	return rc < 0 ? rc : check_name_free(n, ctx, set, row);
}

int cts_member_update(cts_node *n, const char *id, const cts_member_fields *f, cts_change *out)
{
	json_t *set = NULL;
	int rc;

	if ((rc = fields_to_set(n, f, 0, &set)) < 0)
		return rc;
	rc = cts_change_update(n, "member", id, set, "rien à modifier : indiquez au moins un champ",
	                       check_update, (void *)id, out);
	json_decref(set);
	return rc;
}

int cts_member_remove(cts_node *n, const char *id, cts_change *out)
{
	json_t *row = NULL;
	char *name = NULL;
	int rc;

	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = cts_change_current(n, "member", id, &row)) == 0 &&
	    (rc = cts_change_name(n, "member", row, &name)) == 0 &&
	    (rc = cts_record_del(n->store, "member", id)) == 0)
		rc = cts_change_say(out, 1,
		                    "%s retiré de la liste (l'historique le garde ; pour le "
		                    "rétablir : ctsnode member restore %.8s).",
		                    name, id);
	free(name);
	json_decref(row);
	return cts_change_end(n, rc);
}

int cts_member_restore(cts_node *n, const char *id, cts_change *out)
{
	json_t *set = NULL;
	char *name = NULL;
	int hidden, rc;

	if (!id || !cts_valid_uuid(id))
		return cts_error_set(CTS_EINVAL, "identifiant de membre invalide « %.40s »",
		                     id ? id : "");
	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = cts_record_last_values(n->store, "member", n->territory, id, &set, &hidden)) <
	        0 ||
	    (rc = cts_change_name(n, "member", set, &name)) < 0)
		goto done;
	if (json_object_size(set) == 0) {
		rc = cts_error_set(CTS_ENOTFOUND,
		                   "aucun membre d'identifiant « %.40s » dans ce territoire "
		                   "(ctsnode member list --removed)",
		                   id);
	} else if (hidden == 0) {
		rc = cts_change_say(out, 0, "Rien à changer : %s n'est pas retiré de la liste.",
		                    name);
	} else if ((rc = check_name_free(n, id, set, NULL)) == 0 &&
	           (rc = cts_rules_check_new("member", set, NULL)) == 0 &&
	           (rc = cts_record_put(n->store, "member", id, set)) == 0) {
		const char *college = json_string_value(json_object_get(set, "college"));
		int c = cts_code_index(cts_colleges, college);
		rc = cts_change_say(
		    out, 1, "%s rétabli dans la liste avec ses dernières valeurs (%s).", name,
		    c >= 0    ? cts_college_labels[c]
		    : college ? college
		              : "collège inconnu");
	}
done:
	free(name);
	json_decref(set);
	return cts_change_end(n, rc);
}

int cts_member_list_removed(cts_node *n, const char *territory, json_t **out)
{
	static const char *const fields[] = { "last_name",     "first_name", "organisation",
		                              "college",       "seat",       "role",
		                              "mandate_start", "mandate_end" };

	return cts_record_list_removed(n->store, "member", fields,
	                               sizeof(fields) / sizeof(fields[0]), territory,
	                               "3 COLLATE NOCASE, 4 COLLATE NOCASE", out);
}
