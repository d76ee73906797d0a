#include "contribution.h"

#include "error.h"
#include "meeting.h"
#include "record.h"
#include "rules.h"
#include "tables.h"

#include <stdlib.h>
#include <string.h>

int cts_theme_known(cts_node *n, const char *code)
{
	sqlite3_stmt *s;
	int found;

	if (!code)
		return 0;
	if (cts_code_index(cts_builtin_themes, code) >= 0)
		return 1;
	if (cts_store_stmt(n->store, &s, "SELECT 1 FROM theme WHERE code = ?") < 0)
		return 0;
	sqlite3_bind_text(s, 1, code, -1, SQLITE_TRANSIENT);
	found = sqlite3_step(s) == SQLITE_ROW;
	sqlite3_reset(s);
	return found;
}

/* The typed fields as values to write ("" clears the optional ones),
 * with the rules of every value and the theme known. */
static int fields_to_set(cts_node *n, const cts_contribution_fields *f, json_t **out)
{
	json_t *set = json_object();
	char iso[11];
	int rc = 0;

	*out = NULL;
	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	cts_record_set_text(set, "theme", f->theme);
	cts_record_set_text(set, "title", f->title);
	cts_record_set_text(set, "text", f->text);
	if (f->meeting)
		json_object_set_new(set, "meeting",
		                    cts_record_text(*f->meeting ? f->meeting : NULL));
	if (f->date && *f->date &&
	    (rc = cts_change_input_date(n, "la date de réception", f->date, 0, iso)) == 0)
		json_object_set_new(set, "date", json_string(iso));
	else if (f->date && !*f->date)
		json_object_set_new(set, "date", json_null());
	if (rc == 0 && (rc = cts_rules_check_set("contribution", set, NULL)) == 0 && f->theme &&
	    !cts_theme_known(n, f->theme))
		rc = cts_error_set(CTS_EINVAL,
		                   "thème inconnu « %.64s » : segur-pilier-1 à segur-pilier-4, ou "
		                   "un thème publié par la région",
		                   f->theme);
	if (rc < 0) {
		json_decref(set);
		return rc;
	}
	*out = set;
	return 0;
}

static int check_meetings(cts_node *n, const json_t *set, const json_t *row, void *ctx)
{
	(void)ctx;
	return cts_change_require_meetings(n, set, row);
}

int cts_contribution_add(cts_node *n, const cts_contribution_fields *f, char id_out[37])
{
	cts_contribution_fields g = *f;
	json_t *set = NULL;
	int rc;

	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL,
		                     "les contributions sont saisies sur le nœud du territoire");
	if (g.meeting && !*g.meeting)
		g.meeting = NULL;
	if (g.date && !*g.date)
		g.date = NULL;
	if ((rc = fields_to_set(n, &g, &set)) < 0)
		return rc;
	rc = cts_change_add(n, "contribution", set, check_meetings, NULL, id_out);
	json_decref(set);
	return rc;
}

int cts_contribution_update(cts_node *n, const char *id, const cts_contribution_fields *f,
                            cts_change *out)
{
	json_t *set = NULL;
	int rc;

	if ((rc = fields_to_set(n, f, &set)) < 0)
		return rc;
	rc = cts_change_update(n, "contribution", id, set,
	                       "rien à modifier : indiquez au moins un champ (--theme, --title, "
	                       "--text, --meeting, --date)",
	                       check_meetings, NULL, out);
	json_decref(set);
	return rc;
}

int cts_theme_list(cts_node *n, json_t **out)
{
	json_t *arr = json_array(), *pub = NULL, *row;
	sqlite3_stmt *s;
	size_t i;
	int rc;

	*out = NULL;
	if (!arr)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	for (i = 0; cts_builtin_themes[i]; i++)
		json_array_append_new(arr, json_pack("{s:s, s:s}", "code", cts_builtin_themes[i],
		                                     "label", cts_builtin_theme_labels[i]));
	if ((rc = cts_store_stmt(n->store, &s,
	                         "SELECT code, coalesce(label, code) AS label FROM theme WHERE "
	                         "code IS NOT NULL ORDER BY code")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &pub)) < 0) {
		json_decref(arr);
		return rc;
	}
	json_array_foreach(
	    pub, i, row) if (cts_code_index(cts_builtin_themes,
	                                    json_string_value(json_object_get(row, "code"))) < 0)
	    json_array_append(arr, row);
	json_decref(pub);
	*out = arr;
	return 0;
}
