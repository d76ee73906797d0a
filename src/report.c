#include "report.h"

#include "error.h"
#include "tables.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cts_report_year(cts_report_params *p, int year, char from[11], char to[11])
{
	snprintf(from, 11, "%04d-01-01", year);
	snprintf(to, 11, "%04d-12-31", year);
	p->from = from;
	p->to = to;
}

int cts_report_format_parse(const char *s)
{
	if (!s)
		return -1;
	if (strcmp(s, "json") == 0)
		return CTS_REPORT_JSON;
	if (strcmp(s, "md") == 0)
		return CTS_REPORT_MD;
	if (strcmp(s, "html") == 0)
		return CTS_REPORT_HTML;
	if (strcmp(s, "csv") == 0)
		return CTS_REPORT_CSV;
	return -1;
}

/* Percentage with one decimal, or null when there is no denominator. */
static json_t *rate(json_int_t num, json_int_t den)
{
	if (den <= 0)
		return json_null();
	return json_real(round((double)num * 1000.0 / (double)den) / 10.0);
}

static json_int_t geti(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void addi(json_t *o, const char *k, json_int_t v)
{
	json_object_set_new(o, k, json_integer(geti(o, k) + v));
}

static json_t *college_block(void)
{
	json_t *by = json_object();
	for (int i = 0; cts_colleges[i]; i++)
		json_object_set_new(by, cts_colleges[i], json_pack("{s:i, s:i, s:i, s:i}", "members", 0, "present", 0,
								    "excused", 0, "absent", 0));
	return by;
}

static json_t *new_scope(const char *code, const char *name)
{
	json_t *bodies = json_object(), *outcomes = json_object();

	for (int i = 0; cts_bodies[i]; i++)
		json_object_set_new(bodies, cts_bodies[i], json_integer(0));
	json_object_set_new(outcomes, "favorable", json_integer(0));
	json_object_set_new(outcomes, "defavorable", json_integer(0));
	json_object_set_new(outcomes, "reserve", json_integer(0));
	return json_pack("{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:i, s:o, s:o, s:o}", "code", code,
			 "name", name, "meetings", 0, "members", 0, "present", 0, "excused", 0, "absent", 0, "guests", 0,
			 "invited", 0, "ars", 0, "quorum_reached", 0, "meetings_by_body", bodies, "by_college",
			 college_block(), "opinions", 0, "opinions_by_outcome", outcomes, "contributions_by_theme",
			 json_object(), "roll", json_object());
}

static void add_check(json_t *checks, const char *kind, const char *territory, const char *detail)
{
	json_array_append_new(checks, json_pack("{s:s, s:s, s:s}", "kind", kind, "territory", territory, "detail", detail));
}

/* Heads of the history the report is computed from. */
static int heads(cts_node *n, json_t **out)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row, *h = json_object();
	size_t i;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, "SELECT c.node, c.seq, c.id FROM changeset c WHERE c.seq ="
					       " (SELECT max(seq) FROM changeset WHERE node = c.node) ORDER BY c.node")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0) {
		json_decref(h);
		return rc;
	}
	json_array_foreach(rows, i, row)
		json_object_set_new(h, json_string_value(json_object_get(row, "node")),
				    json_pack("{s:O, s:O}", "seq", json_object_get(row, "seq"), "id", json_object_get(row, "id")));
	json_decref(rows);
	*out = h;
	return 0;
}

static int query(cts_node *n, const char *sql, const char *a, const char *b, const char *c, json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, sql)) < 0)
		return rc;
	if (a)
		sqlite3_bind_text(s, 1, a, -1, SQLITE_TRANSIENT);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_TRANSIENT);
	if (c)
		sqlite3_bind_text(s, 3, c, -1, SQLITE_TRANSIENT);
	return cts_store_rows_json(n->store, s, out);
}

static int territory_report(cts_node *n, const cts_report_params *p, const char *code, json_t *t, json_t *checks)
{
	json_t *meetings = NULL, *m, *rows = NULL, *row, *list = json_array(), *ops = json_array(), *contribs = NULL;
	size_t i, j;
	int rc;

	/* The roll: members by college and seat. */
	if ((rc = query(n, "SELECT college, coalesce(seat, 'titulaire') AS seat, count(*) AS n FROM member"
			   " WHERE territory = ?1 GROUP BY 1, 2 ORDER BY 1, 2", code, NULL, NULL, &rows)) < 0)
		goto cleanup;
	{
		json_t *roll = json_object_get(t, "roll");
		for (int k = 0; cts_colleges[k]; k++)
			json_object_set_new(roll, cts_colleges[k], json_pack("{s:i, s:i}", "titulaires", 0, "suppleants", 0));
		json_array_foreach(rows, i, row) {
			json_t *c = json_object_get(roll, json_string_value(json_object_get(row, "college")));
			if (c)
				addi(c, strcmp(json_string_value(json_object_get(row, "seat")), "suppleant") == 0 ? "suppleants"
														    : "titulaires",
				     geti(row, "n"));
		}
	}
	json_decref(rows);
	rows = NULL;

	if ((rc = query(n, "SELECT id, date, body, title, status FROM meeting WHERE territory = ?1 AND date BETWEEN ?2 AND ?3"
			   " AND coalesce(status, 'tenue') <> 'annulee' ORDER BY date, body, title, id",
			code, p->from, p->to, &meetings)) < 0)
		goto cleanup;
	json_array_foreach(meetings, i, m) {
		const char *mid = json_string_value(json_object_get(m, "id"));
		const char *date = json_string_value(json_object_get(m, "date"));
		json_t *mm = json_pack("{s:O, s:O, s:O, s:O, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o}", "id",
				       json_object_get(m, "id"), "date", json_object_get(m, "date"), "body",
				       json_object_get(m, "body"), "title", json_object_get(m, "title"), "members", 0,
				       "present", 0, "excused", 0, "absent", 0, "guests", 0, "invited", 0, "ars", 0,
				       "by_college", college_block(), "opinions", json_array());
		json_int_t seats = 0, present_tit = 0, present_sup = 0;
		char detail[600];

		json_object_set_new(t, "meetings", json_integer(geti(t, "meetings") + 1));
		addi(json_object_get(t, "meetings_by_body"), json_string_value(json_object_get(m, "body")), 1);
		if ((rc = query(n, "SELECT a.member, a.college, a.status, a.last_name, a.first_name, mb.seat, mb.mandate_end"
				   " FROM attendance a LEFT JOIN member mb ON mb.territory = a.territory AND mb.id = a.member"
				   " WHERE a.territory = ?1 AND a.meeting = ?2 ORDER BY a.id",
				code, mid, NULL, &rows)) < 0) {
			json_decref(mm);
			goto cleanup;
		}
		if (json_array_size(rows) == 0) {
			snprintf(detail, sizeof(detail), "réunion du %s (%s) sans feuille de présence", date,
				 json_string_value(json_object_get(m, "title")));
			add_check(checks, "meeting_without_attendance", code, detail);
		}
		json_array_foreach(rows, j, row) {
			const char *college = json_string_value(json_object_get(row, "college"));
			const char *status = json_string_value(json_object_get(row, "status"));
			if (json_is_null(json_object_get(row, "member"))) {
				addi(mm, "guests", 1);
				addi(mm, college && strcmp(college, "ars") == 0 ? "ars" : "invited", 1);
				continue;
			}
			json_t *c = json_object_get(json_object_get(mm, "by_college"), college ? college : "");
			int is_sup = json_is_string(json_object_get(row, "seat")) &&
				     strcmp(json_string_value(json_object_get(row, "seat")), "suppleant") == 0;
			addi(mm, "members", 1);
			if (c)
				addi(c, "members", 1);
			if (!is_sup)
				seats++;
			if (status && (strcmp(status, "present") == 0 || strcmp(status, "excused") == 0 ||
				       strcmp(status, "absent") == 0)) {
				addi(mm, status, 1);
				if (c)
					addi(c, status, 1);
			}
			if (status && strcmp(status, "present") == 0) {
				if (is_sup)
					present_sup++;
				else
					present_tit++;
				const char *end = json_string_value(json_object_get(row, "mandate_end"));
				if (end && *end && strcmp(date, end) > 0) {
					snprintf(detail, sizeof(detail), "%s %s siège le %s après la fin de son mandat (%s)",
						 json_string_value(json_object_get(row, "first_name")),
						 json_string_value(json_object_get(row, "last_name")), date, end);
					add_check(checks, "member_past_mandate", code, detail);
				}
			}
		}
		json_decref(rows);
		rows = NULL;
		if (seats == 0)
			seats = geti(mm, "members");
		{
			json_int_t voting = present_tit + present_sup < seats ? present_tit + present_sup : seats;
			int reached = seats > 0 && voting * p->quorum_den > seats * p->quorum_num;
			json_object_set_new(mm, "quorum", json_pack("{s:I, s:I, s:b}", "voting_seats", (json_int_t)seats,
								    "voting_present", voting, "reached", reached));
			if (reached)
				addi(t, "quorum_reached", 1);
		}
		json_object_set_new(mm, "attendance_rate", rate(geti(mm, "present"), geti(mm, "members")));
		/* Opinions of this meeting. */
		if ((rc = query(n, "SELECT id, subject, votes_for, votes_against, votes_abstain, outcome FROM opinion"
				   " WHERE territory = ?1 AND meeting = ?2 ORDER BY subject, id",
				code, mid, NULL, &rows)) < 0) {
			json_decref(mm);
			goto cleanup;
		}
		json_array_foreach(rows, j, row) {
			json_int_t votes = geti(row, "votes_for") + geti(row, "votes_against") + geti(row, "votes_abstain");
			json_t *o = json_deep_copy(row);
			json_object_set_new(o, "territory", json_string(code));
			json_object_set_new(o, "meeting", json_string(mid));
			json_object_set_new(o, "date", json_string(date));
			json_array_append(json_object_get(mm, "opinions"), o);
			json_array_append_new(ops, o);
			addi(t, "opinions", 1);
			if (json_is_string(json_object_get(row, "outcome")))
				addi(json_object_get(t, "opinions_by_outcome"), json_string_value(json_object_get(row, "outcome")), 1);
			if (geti(mm, "members") > 0 && votes > geti(mm, "present")) {
				snprintf(detail, sizeof(detail), "avis « %.200s » du %s : %lld voix pour %lld membres présents",
					 json_string_value(json_object_get(row, "subject")), date, (long long)votes,
					 (long long)geti(mm, "present"));
				add_check(checks, "votes_exceed_present", code, detail);
			}
			if (!json_is_true(json_object_get(json_object_get(mm, "quorum"), "reached"))) {
				snprintf(detail, sizeof(detail), "avis « %.200s » rendu le %s sans quorum",
					 json_string_value(json_object_get(row, "subject")), date);
				add_check(checks, "opinion_without_quorum", code, detail);
			}
		}
		json_decref(rows);
		rows = NULL;
		/* Sum into the territory. */
		static const char *const keys[] = { "members", "present", "excused", "absent", "guests", "invited", "ars" };
		for (size_t k = 0; k < 7; k++)
			addi(t, keys[k], geti(mm, keys[k]));
		for (int k = 0; cts_colleges[k]; k++) {
			json_t *from = json_object_get(json_object_get(mm, "by_college"), cts_colleges[k]);
			json_t *to = json_object_get(json_object_get(t, "by_college"), cts_colleges[k]);
			addi(to, "members", geti(from, "members"));
			addi(to, "present", geti(from, "present"));
			addi(to, "excused", geti(from, "excused"));
			addi(to, "absent", geti(from, "absent"));
		}
		json_array_append_new(list, mm);
	}
	/* Contributions: dated by their meeting, else by their first write. */
	if ((rc = query(n, "SELECT c.id, c.theme, c.title, coalesce(m.date, (SELECT date(min(f.hlc >> 16) / 1000, 'unixepoch')"
			   " FROM fstate f WHERE f.tbl = 'contribution' AND f.territory = c.territory AND f.rid = c.id)) AS date,"
			   " (t.code IS NOT NULL) AS known FROM contribution c"
			   " LEFT JOIN meeting m ON m.territory = c.territory AND m.id = c.meeting"
			   " LEFT JOIN (SELECT DISTINCT code FROM theme) t ON t.code = c.theme"
			   " WHERE c.territory = ?1 ORDER BY c.theme, c.title, c.id",
			code, NULL, NULL, &contribs)) < 0)
		goto cleanup;
	json_array_foreach(contribs, i, row) {
		const char *date = json_string_value(json_object_get(row, "date"));
		const char *theme = json_string_value(json_object_get(row, "theme"));
		if (!date || strcmp(date, p->from) < 0 || strcmp(date, p->to) > 0 || !theme)
			continue;
		addi(json_object_get(t, "contributions_by_theme"), theme, 1);
		if (!geti(row, "known") && cts_code_index(cts_builtin_themes, theme) < 0) {
			char detail[600];
			snprintf(detail, sizeof(detail), "contribution « %.200s » : thème inconnu « %.64s »",
				 json_string_value(json_object_get(row, "title")), theme);
			add_check(checks, "unknown_theme", code, detail);
		}
	}
	json_object_set_new(t, "meeting_list", list);
	list = NULL;
	json_object_set_new(t, "opinion_list", ops);
	ops = NULL;
	json_object_set_new(t, "attendance_rate", rate(geti(t, "present"), geti(t, "members")));
	{
		const char *k;
		json_t *c;
		json_object_foreach(json_object_get(t, "by_college"), k, c)
			json_object_set_new(c, "attendance_rate", rate(geti(c, "present"), geti(c, "members")));
	}
	rc = 0;
cleanup:
	json_decref(meetings);
	json_decref(rows);
	json_decref(contribs);
	json_decref(list);
	json_decref(ops);
	return rc;
}

static void sum_into(json_t *region, const json_t *t)
{
	static const char *const keys[] = { "meetings", "members", "present", "excused", "absent", "guests",
					    "invited", "ars", "quorum_reached", "opinions" };
	const char *k;
	json_t *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		addi(region, keys[i], geti(t, keys[i]));
	json_object_foreach(json_object_get(t, "meetings_by_body"), k, v)
		addi(json_object_get(region, "meetings_by_body"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "opinions_by_outcome"), k, v)
		addi(json_object_get(region, "opinions_by_outcome"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "contributions_by_theme"), k, v)
		addi(json_object_get(region, "contributions_by_theme"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "by_college"), k, v) {
		json_t *to = json_object_get(json_object_get(region, "by_college"), k);
		addi(to, "members", geti(v, "members"));
		addi(to, "present", geti(v, "present"));
		addi(to, "excused", geti(v, "excused"));
		addi(to, "absent", geti(v, "absent"));
	}
	json_object_foreach(json_object_get(t, "roll"), k, v) {
		json_t *to = json_object_get(json_object_get(region, "roll"), k);
		if (!to) {
			to = json_pack("{s:i, s:i}", "titulaires", 0, "suppleants", 0);
			json_object_set_new(json_object_get(region, "roll"), k, to);
		}
		addi(to, "titulaires", geti(v, "titulaires"));
		addi(to, "suppleants", geti(v, "suppleants"));
	}
}

int cts_report_build(cts_node *n, const cts_report_params *p_in, json_t **out)
{
	cts_report_params p = *p_in;
	json_t *report = NULL, *region = NULL, *terrs = json_array(), *checks = json_array(), *codes = NULL, *h = NULL, *row;
	char *region_code = NULL;
	size_t i;
	int rc;

	*out = NULL;
	if (!p.from || !p.to || !cts_valid_date(p.from) || !cts_valid_date(p.to) || strcmp(p.from, p.to) > 0) {
		rc = cts_error_set(CTS_EINVAL, "période invalide (dates AAAA-MM-JJ, début avant fin)");
		goto cleanup;
	}
	if (p.quorum_den <= 0) {
		p.quorum_num = 1;
		p.quorum_den = 2;
	}
	if (p.quorum_num < 0 || p.quorum_num > p.quorum_den) {
		rc = cts_error_set(CTS_EINVAL, "règle de quorum invalide : une fraction entre 0 et 1 est attendue (par exemple 1/2)");
		goto cleanup;
	}
	if (n->role == CTS_ROLE_TERRITORY && p.territory && strcmp(p.territory, n->territory) != 0) {
		/* Any node may report on any territory it holds; nothing to refuse. */
	}
	if (n->role == CTS_ROLE_AUTHORITY)
		region_code = strdup(n->territory);
	else if (cts_store_meta_get(n->store, "authority_node", &region_code) == 0) {
		free(region_code);
		region_code = NULL;
		sqlite3_stmt *s;
		if (cts_store_stmt(n->store, &s, "SELECT territory FROM changeset WHERE node = (SELECT value FROM meta WHERE key = 'authority_node') LIMIT 1") == 0) {
			if (sqlite3_step(s) == SQLITE_ROW)
				region_code = strdup((const char *)sqlite3_column_text(s, 0));
			sqlite3_reset(s);
		}
	}
	cts_error_clear();
	if (!region_code)
		region_code = strdup("region");
	if ((rc = heads(n, &h)) < 0)
		goto cleanup;
	if ((rc = query(n, "SELECT code, max(name) AS name FROM ("
			   " SELECT code, name FROM territory WHERE code IS NOT NULL"
			   " UNION ALL SELECT territory, NULL FROM member UNION ALL SELECT territory, NULL FROM meeting"
			   " UNION ALL SELECT territory, NULL FROM contribution)"
			   " WHERE code <> ?1 AND (?2 IS NULL OR code = ?2) GROUP BY code ORDER BY code",
			region_code, p.territory, NULL, &codes)) < 0)
		goto cleanup;
	if (p.territory && json_array_size(codes) == 0) {
		rc = cts_error_set(CTS_ENOTFOUND, "territoire « %.64s » inconnu de ce nœud", p.territory);
		goto cleanup;
	}
	region = new_scope(region_code, "Région");
	json_array_foreach(codes, i, row) {
		const char *code = json_string_value(json_object_get(row, "code"));
		const char *name = json_string_value(json_object_get(row, "name"));
		json_t *t = new_scope(code, name ? name : code);
		if ((rc = territory_report(n, &p, code, t, checks)) < 0) {
			json_decref(t);
			goto cleanup;
		}
		sum_into(region, t);
		json_array_append_new(terrs, t);
	}
	json_object_set_new(region, "territories", json_integer((json_int_t)json_array_size(terrs)));
	json_object_set_new(region, "attendance_rate", rate(geti(region, "present"), geti(region, "members")));
	{
		const char *k;
		json_t *c;
		json_object_foreach(json_object_get(region, "by_college"), k, c)
			json_object_set_new(c, "attendance_rate", rate(geti(c, "present"), geti(c, "members")));
	}
	{
		char rule[200];
		snprintf(rule, sizeof(rule), "quorum atteint si les membres présents ayant voix délibérative "
					     "(titulaires, ou suppléants remplaçant un titulaire) dépassent %d/%d des sièges de titulaires convoqués",
			 p.quorum_num, p.quorum_den);
		report = json_pack("{s:s, s:{s:s, s:s}, s:s, s:o, s:s, s:O, s:O, s:O}", "title",
				   "Rapport d'activité des conseils territoriaux de santé", "period", "from", p.from, "to", p.to,
				   "scope", p.territory ? p.territory : region_code, "heads", h, "quorum_rule", rule, "region",
				   region, "territories", terrs, "checks", checks);
		h = NULL;
	}
	if (p.generated_at)
		json_object_set_new(report, "generated_at", json_string(p.generated_at));
	*out = report;
	report = NULL;
	rc = 0;
cleanup:
	json_decref(report);
	json_decref(region);
	json_decref(terrs);
	json_decref(checks);
	json_decref(codes);
	json_decref(h);
	free(region_code);
	return rc;
}
