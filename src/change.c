#include "change.h"

#include "error.h"
#include "meeting.h"
#include "record.h"
#include "rules.h"
#include "strbuf.h"
#include "tables.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cts_change_dispose(cts_change *c)
{
	if (!c)
		return;
	free(c->line);
	c->line = NULL;
	c->changed = 0;
}

int cts_change_say(cts_change *out, int changed, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int len;

	if (!out)
		return 0;
	va_start(ap, fmt);
	len = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (len < 0 || !(s = malloc((size_t)len + 1)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	va_start(ap, fmt);
	vsnprintf(s, (size_t)len + 1, fmt, ap);
	va_end(ap);
	free(out->line);
	out->line = s;
	out->changed = changed;
	return 0;
}

/* Short names of fields in change lines. */
static const struct {
	const char *table, *field, *name;
} field_names[] = {
	{ "member", "last_name", "nom" },
	{ "member", "first_name", "prénom" },
	{ "member", "organisation", "structure" },
	{ "member", "college", "collège" },
	{ "member", "seat", "siège" },
	{ "member", "role", "rôle" },
	{ "member", "mandate_start", "début de mandat" },
	{ "member", "mandate_end", "fin de mandat" },
	{ "meeting", "body", "instance" },
	{ "meeting", "date", "date" },
	{ "meeting", "title", "titre" },
	{ "meeting", "place", "lieu" },
	{ "meeting", "status", "statut" },
	{ "meeting", "reopen_reason", "motif de réouverture" },
	{ "opinion", "meeting", "réunion" },
	{ "opinion", "subject", "objet" },
	{ "opinion", "votes_for", "voix pour" },
	{ "opinion", "votes_against", "voix contre" },
	{ "opinion", "votes_abstain", "abstentions" },
	{ "opinion", "outcome", "sens" },
	{ "opinion", "status", "état" },
	{ "contribution", "theme", "thème" },
	{ "contribution", "title", "titre" },
	{ "contribution", "text", "texte" },
	{ "contribution", "meeting", "réunion" },
	{ "contribution", "date", "date de réception" },
	{ "contribution", "status", "état" },
};

/* The record kinds the front ends list and correct: their listing (?1: a
 * territory or NULL), the code a record without status has, and the one of
 * a record withdrawn (entered by mistake; NULL: the kind has corrections of
 * its own, member.h and meeting.h). */
static const struct {
	const char *table, *list, *status, *withdrawn;
} kinds[] = {
	{ "member",
	  "SELECT territory, id, last_name, first_name, organisation, college, seat, role,"
	  " mandate_start, mandate_end FROM member WHERE ?1 IS NULL OR territory = ?1"
	  " ORDER BY territory, last_name COLLATE NOCASE, first_name COLLATE NOCASE, id",
	  NULL, NULL },
	{ "meeting",
	  "SELECT territory, id, body, date, title, place, status, reopen_reason FROM meeting"
	  " WHERE ?1 IS NULL OR territory = ?1 ORDER BY territory, date, title, id",
	  "tenue", NULL },
	{ "opinion",
	  "SELECT o.territory, o.id, o.meeting, m.date, o.subject, o.votes_for, o.votes_against,"
	  " o.votes_abstain, o.outcome, o.status FROM opinion o LEFT JOIN meeting m"
	  " ON m.territory = o.territory AND m.id = o.meeting"
	  " WHERE ?1 IS NULL OR o.territory = ?1 ORDER BY o.territory, m.date, o.subject, o.id",
	  "rendu", "retire" },
	{ "contribution",
	  "SELECT territory, id, theme, title, text, meeting, date, status FROM contribution"
	  " WHERE ?1 IS NULL OR territory = ?1 ORDER BY territory, theme, title, id",
	  "transmise", "retiree" },
};

static int kind_of(const char *table)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].table, table) == 0)
			return (int)i;
	return -1;
}

int cts_change_list(cts_node *n, const char *table, const char *territory, json_t **out)
{
	int k = kind_of(table);

	if (k < 0)
		return cts_error_set(CTS_EINVAL, "« %s » : aucune liste de ce nom", table);
	return cts_store_rows_of(n->store, kinds[k].list, territory, out);
}

/* The value a status field without value stands for. */
static const char *default_code(const char *table, const char *field)
{
	int k = kind_of(table);

	return k >= 0 && strcmp(field, "status") == 0 ? kinds[k].status : NULL;
}

static const char *field_name(const char *table, const char *field)
{
	for (size_t i = 0; i < sizeof(field_names) / sizeof(field_names[0]); i++)
		if (strcmp(field_names[i].table, table) == 0 &&
		    strcmp(field_names[i].field, field) == 0)
			return field_names[i].name;
	return field;
}

/* A text of at most about 60 columns between « ». */
static void add_quoted(cts_strbuf *b, const char *s)
{
	size_t keep = cts_text_width_prefix(s, 60);

	cts_strbuf_add(b, "« ");
	cts_strbuf_addn(b, s, keep);
	if (s[keep])
		cts_strbuf_add(b, "…");
	cts_strbuf_add(b, " »");
}

/* A value as people read it: dates DD/MM/YYYY, codes by their label,
 * record ids by their 8 first characters, texts quoted. */
static void add_value(cts_strbuf *b, const char *table, const char *field, const json_t *v)
{
	const cts_field_rule *r = cts_rules_find(table, field);
	const char *s = json_string_value(v);
	char d[32];

	if (!s && !json_is_integer(v))
		s = default_code(table, field);
	if (json_is_integer(v)) {
		cts_strbuf_addf(b, "%lld", (long long)json_integer_value(v));
	} else if (!s || !*s) {
		cts_strbuf_add(b, "(vide)");
	} else if (r && r->kind == CTS_RULE_DATE) {
		cts_strbuf_add(b, cts_text_date_fr(d, sizeof(d), s));
	} else if (r && r->kind == CTS_RULE_CODE && cts_code_index(r->codes->codes, s) >= 0) {
		cts_strbuf_add(b, r->codes->labels[cts_code_index(r->codes->codes, s)]);
	} else if (r && (r->kind == CTS_RULE_UUID || r->kind == CTS_RULE_REFCODE)) {
		cts_strbuf_addf(b, "%.*s", r->kind == CTS_RULE_UUID ? 8 : 64, s);
	} else {
		add_quoted(b, s);
	}
}

int cts_change_current(cts_node *n, const char *table, const char *id, json_t **out)
{
	const cts_table_def *t = cts_table_find(table);
	sqlite3_stmt *s;
	json_t *rows = NULL, *row;
	char sql[128];
	int rc;

	*out = NULL;
	if (!t || !id)
		return cts_error_set(CTS_ERR, "table inconnue %s", table ? table : "");
	snprintf(sql, sizeof(sql), "SELECT * FROM %s WHERE territory = ? AND id = ?", t->name);
	if ((rc = cts_store_stmt(n->store, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, n->territory, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_TRANSIENT);
	if ((rc = cts_store_rows_json(n->store, s, &rows)) < 0)
		return rc;
	if (!(row = json_array_get(rows, 0))) {
		static const struct {
			const char *table, *none;
		} nouns[] = { { "member", "aucun membre" },
			      { "meeting", "aucune réunion" },
			      { "opinion", "aucun avis" },
			      { "contribution", "aucune contribution" } };
		const char *none = "aucun enregistrement";
		for (size_t i = 0; i < sizeof(nouns) / sizeof(nouns[0]); i++)
			if (strcmp(nouns[i].table, table) == 0)
				none = nouns[i].none;
		json_decref(rows);
		return cts_error_set(
		    CTS_ENOTFOUND,
		    "%s d'identifiant « %.40s » dans ce territoire (ctsnode %s list)", none, id,
		    t->name);
	}
	*out = json_incref(row);
	json_decref(rows);
	return 0;
}

/* Date of a meeting (text, or NULL). */
static char *meeting_date(cts_node *n, const char *id)
{
	json_t *m = NULL;
	char *d = NULL;

	if (id && cts_change_current(n, "meeting", id, &m) == 0 &&
	    json_is_string(json_object_get(m, "date")))
		d = strdup(json_string_value(json_object_get(m, "date")));
	cts_error_clear();
	json_decref(m);
	return d;
}

int cts_change_name(cts_node *n, const char *table, const json_t *row, char **out)
{
	cts_strbuf b = { 0 };
	char d[32], *md;
	const char *s;

	*out = NULL;
	if (strcmp(table, "member") == 0) {
		cts_strbuf_add(&b, "Membre ");
		cts_strbuf_add(
		    &b, (s = json_string_value(json_object_get(row, "last_name"))) ? s : "?");
		cts_strbuf_add(&b, " ");
		cts_strbuf_add(
		    &b, (s = json_string_value(json_object_get(row, "first_name"))) ? s : "");
	} else if (strcmp(table, "meeting") == 0) {
		cts_strbuf_addf(&b, "Réunion du %s ",
		                cts_text_date_fr(d, sizeof(d),
		                                 json_string_value(json_object_get(row, "date"))));
		add_quoted(&b, (s = json_string_value(json_object_get(row, "title"))) ? s : "");
	} else if (strcmp(table, "opinion") == 0) {
		cts_strbuf_add(&b, "Avis ");
		add_quoted(&b, (s = json_string_value(json_object_get(row, "subject"))) ? s : "");
		md = meeting_date(n, json_string_value(json_object_get(row, "meeting")));
		if (md)
			cts_strbuf_addf(&b, " (réunion du %s)", cts_text_date_fr(d, sizeof(d), md));
		free(md);
	} else {
		cts_strbuf_add(&b, "Contribution ");
		add_quoted(&b, (s = json_string_value(json_object_get(row, "title"))) ? s : "");
	}
	return cts_strbuf_take(&b, out, NULL);
}

/* Does the record's value `a` of field (table, field) equal `b`? Absent
 * and null are the same, and a status without value is its default. */
static int same(const char *table, const char *field, const json_t *a, const json_t *b)
{
	const char *dflt = default_code(table, field);

	if ((!a || json_is_null(a)) && dflt && json_is_string(b))
		return strcmp(json_string_value(b), dflt) == 0;
	if (!a || json_is_null(a))
		return !b || json_is_null(b);
	return b && json_equal((json_t *)a, (json_t *)b);
}

int cts_change_put(cts_node *n, const char *table, const char *id, const json_t *want,
                   cts_change *out)
{
	json_t *row = NULL, *set = json_object(), *v;
	cts_strbuf diff = { 0 }, kept = { 0 };
	char *name = NULL;
	const char *field;
	int rc;

	if (!set)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_store_begin(n->store)) < 0) {
		json_decref(set);
		return rc;
	}
	if ((rc = cts_change_current(n, table, id, &row)) < 0 ||
	    (rc = cts_change_name(n, table, row, &name)) < 0)
		goto done;
	json_object_foreach((json_t *)want, field, v)
	{
		json_t *old = json_object_get(row, field);
		cts_strbuf *b = same(table, field, old, v) ? &kept : &diff;
		cts_strbuf_addf(b, "%s%s ", b->len ? ", " : "", field_name(table, field));
		if (b == &kept) {
			cts_strbuf_add(b, "déjà ");
			add_value(b, table, field, v);
			continue;
		}
		if (json_is_string(old) || json_is_integer(old) || default_code(table, field)) {
			add_value(b, table, field, old);
			cts_strbuf_add(b, " → ");
		}
		add_value(b, table, field, v);
		json_object_set(set, field, v);
	}
	if (diff.oom || kept.oom) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto done;
	}
	if (json_object_size(set) == 0) {
		rc = cts_change_say(out, 0, "Rien à changer : %s : %s.", name,
		                    kept.ptr ? kept.ptr : "aucun champ donné");
		goto done;
	}
	if ((rc = cts_record_put(n->store, table, id, set)) == 0)
		rc = cts_change_say(out, 1, "%s : %s.", name, diff.ptr);
done:
	if ((rc = cts_change_end(n, rc)) < 0)
		cts_change_dispose(out);
	free(name);
	json_decref(row);
	json_decref(set);
	cts_strbuf_dispose(&diff);
	cts_strbuf_dispose(&kept);
	return rc;
}

void cts_change_today(cts_node *n, int years, char out[11])
{
	time_t t = (time_t)(n->store->clock(n->store->clock_ctx) / 1000);
	struct tm tm;
	char buf[32];

	localtime_r(&t, &tm);
	tm.tm_year += years;
	if (tm.tm_mon == 1 && tm.tm_mday == 29) {
		int y = tm.tm_year + 1900;
		if (!((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
			tm.tm_mday = 28;
	}
	snprintf(buf, sizeof(buf), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

int cts_change_input_date(cts_node *n, const char *label, const char *typed, int max_years,
                          char out[11])
{
	char latest[11], words[64];

	if (cts_text_date_parse(typed, out) < 0)
		return cts_error_set(CTS_EINVAL,
		                     "%s « %.40s » n'est pas une date réelle (AAAA-MM-JJ ou "
		                     "JJ/MM/AAAA, par exemple 16/06/2020)",
		                     label, typed ? typed : "");
	cts_change_today(n, max_years, latest);
	if (max_years == 0)
		snprintf(words, sizeof(words), "après aujourd'hui");
	else if (max_years == 1)
		snprintf(words, sizeof(words), "plus d'un an après aujourd'hui");
	else
		snprintf(words, sizeof(words), "plus de %d ans après aujourd'hui", max_years);
	return cts_rules_check_date_window(label, out, latest, words);
}

/* The meeting the record hangs on (if any) allows the use *ctx. */
static int check_attached(cts_node *n, const json_t *set, const json_t *row, void *ctx)
{
	const char *meeting = json_string_value(json_object_get(row, "meeting"));

	(void)set;
	return meeting ? cts_meeting_require(n, meeting, *(const cts_meeting_use *)ctx, NULL) : 0;
}

int cts_change_withdraw(cts_node *n, const char *table, const char *id, int withdraw,
                        cts_change *out)
{
	int k = kind_of(table);
	cts_meeting_use u = withdraw ? CTS_MEETING_EDIT : CTS_MEETING_ATTACH;
	json_t *set;
	int rc;

	if (k < 0 || !kinds[k].withdrawn)
		return cts_error_set(CTS_EINVAL, "« %s » : ni un avis ni une contribution", table);
	if (!(set = json_pack("{s:s}", "status", withdraw ? kinds[k].withdrawn : kinds[k].status)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_change_update(n, table, id, set, "", check_attached, &u, out);
	json_decref(set);
	return rc;
}

int cts_change_end(cts_node *n, int rc)
{
	if (rc == 0)
		return cts_store_commit(n->store);
	cts_store_rollback(n->store);
	return rc;
}

int cts_change_add(cts_node *n, const char *table, const json_t *set, cts_change_check check,
                   void *ctx, char id_out[37])
{
	char id[37];
	int rc;

	if ((rc = cts_rules_check_new(table, set, NULL)) < 0 ||
	    (rc = cts_store_begin(n->store)) < 0)
		return rc;
	if (!check || (rc = check(n, set, NULL, ctx)) == 0) {
		cts_record_new_id(id);
		rc = cts_record_put(n->store, table, id, set);
	}
	if ((rc = cts_change_end(n, rc)) == 0 && id_out)
		memcpy(id_out, id, 37);
	return rc;
}

int cts_change_update(cts_node *n, const char *table, const char *id, const json_t *set,
                      const char *nothing, cts_change_check check, void *ctx, cts_change *out)
{
	json_t *row = NULL;
	int rc;

	if (json_object_size(set) == 0)
		return cts_error_set(CTS_EINVAL, "%s", nothing);
	if ((rc = cts_store_begin(n->store)) < 0)
		return rc;
	if ((rc = cts_change_current(n, table, id, &row)) == 0 &&
	    (!check || (rc = check(n, set, row, ctx)) == 0))
		rc = cts_change_put(n, table, id, set, out);
	json_decref(row);
	return cts_change_end(n, rc);
}

int cts_change_require_meetings(cts_node *n, const json_t *set, const json_t *row)
{
	const char *was = json_string_value(json_object_get(row, "meeting"));
	const char *to = json_string_value(json_object_get(set, "meeting"));
	int rc;

	if (was && (rc = cts_meeting_require(n, was, CTS_MEETING_ATTACH, NULL)) < 0)
		return rc;
	if (to && (!was || strcmp(to, was) != 0))
		return cts_meeting_require(n, to, CTS_MEETING_ATTACH, NULL);
	return 0;
}
