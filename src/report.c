/* Reports: the driver (period, territories, region), the built document
 * and the written one; the territories are computed in report_terr.c. */
#include "report_impl.h"

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

json_t *rep_rate(json_int_t num, json_int_t den)
{
	if (den <= 0)
		return json_null();
	return json_real(round((double)num * 1000.0 / (double)den) / 10.0);
}

json_int_t rep_geti(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

void rep_addi(json_t *o, const char *k, json_int_t v)
{
	json_object_set_new(o, k, json_integer(rep_geti(o, k) + v));
}

int rep_stmt3(cts_node *n, sqlite3_stmt **s, const char *sql, const char *a, const char *b,
              const char *c)
{
	const char *v[3] = { a, b, c };
	int rc;

	if ((rc = cts_store_stmt(n->store, s, sql)) < 0)
		return rc;
	for (int i = 0; i < 3; i++)
		if (v[i])
			sqlite3_bind_text(*s, i + 1, v[i], -1, SQLITE_TRANSIENT);
	return 0;
}

int rep_query(cts_node *n, const char *sql, const char *a, const char *b, const char *c,
              json_t **out)
{
	sqlite3_stmt *s;
	int rc;

	if ((rc = rep_stmt3(n, &s, sql, a, b, c)) < 0)
		return rc;
	return cts_store_rows_json(n->store, s, out);
}

json_t *rep_col_json(sqlite3_stmt *s, int i)
{
	switch (sqlite3_column_type(s, i)) {
	case SQLITE_INTEGER:
		return json_integer(sqlite3_column_int64(s, i));
	case SQLITE_TEXT:
		return json_stringn((const char *)sqlite3_column_text(s, i),
		                    (size_t)sqlite3_column_bytes(s, i));
	default:
		return json_null();
	}
}

/* The record engine stores only text, integers and NULL (record.c,
 * bind_json) and TEXT affinity turns integers into text. One call: every
 * sqlite3_column_* takes the connection's mutex. */
const char *rep_col_text(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

int rep_each_row(cts_node *n, sqlite3_stmt *s, int (*fn)(void *ctx, sqlite3_stmt *s), void *ctx,
                 const char *what)
{
	int rc;

	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		if ((rc = fn(ctx, s)) < 0)
			break;
	sqlite3_reset(s);
	if (rc == SQLITE_DONE)
		return 0;
	return rc < 0 ? rc : cts_store_error(n->store, what);
}

void rep_check(const rep_sink *sink, const char *kind, json_t *territory, const char *detail)
{
	json_t *d, *o;

	if (!territory || !(d = json_string(detail)))
		return;
	if (!(o = json_object())) {
		json_decref(d);
		return;
	}
	json_object_set_new_nocheck(o, "kind", json_string_nocheck(kind));
	json_object_set_nocheck(o, "territory", territory);
	json_object_set_new_nocheck(o, "detail", d);
	sink->check(sink->ctx, o);
	json_decref(o);
}

static json_t *college_block(void)
{
	json_t *by = json_object();
	for (int i = 0; cts_colleges[i]; i++)
		json_object_set_new(by, cts_colleges[i],
		                    json_pack("{s:i, s:i, s:i, s:i}", "members", 0, "present", 0,
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
	return json_pack(
	    "{s:s, s:s, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o, s:i, s:o, s:o, s:o}",
	    "code", code, "name", name, "meetings", 0, "members", 0, "present", 0, "excused", 0,
	    "absent", 0, "guests", 0, "invited", 0, "ars", 0, "quorum_reached", 0,
	    "meetings_by_body", bodies, "by_college", college_block(), "opinions", 0,
	    "opinions_by_outcome", outcomes, "contributions_by_theme", json_object(), "roll",
	    json_object());
}

/* Heads of the history the report is computed from. */
static int heads(cts_node *n, json_t **out)
{
	sqlite3_stmt *s;
	json_t *rows = NULL, *row, *h = json_object();
	size_t i;
	int rc;

	/* One seek per node (skip-scan of the primary key), not a pass over
	 * every changeset. */
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "WITH RECURSIVE nd(node) AS (SELECT min(node) FROM changeset"
	         " UNION ALL SELECT (SELECT min(node) FROM changeset WHERE node > nd.node)"
	         " FROM nd WHERE nd.node IS NOT NULL)"
	         " SELECT c.node, c.seq, c.id FROM nd JOIN changeset c ON c.node = nd.node"
	         " AND c.seq = (SELECT max(seq) FROM changeset WHERE node = nd.node)"
	         " ORDER BY c.node")) < 0 ||
	    (rc = cts_store_rows_json(n->store, s, &rows)) < 0) {
		json_decref(h);
		return rc;
	}
	json_array_foreach(rows, i, row)
	    json_object_set_new(h, json_string_value(json_object_get(row, "node")),
	                        json_pack("{s:O, s:O}", "seq", json_object_get(row, "seq"), "id",
	                                  json_object_get(row, "id")));
	json_decref(rows);
	*out = h;
	return 0;
}

static void sum_into(json_t *region, const json_t *t)
{
	static const char *const keys[] = { "meetings",       "members", "present", "excused",
		                            "absent",         "guests",  "invited", "ars",
		                            "quorum_reached", "opinions" };
	const char *k;
	json_t *v;

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		rep_addi(region, keys[i], rep_geti(t, keys[i]));
	json_object_foreach(json_object_get(t, "meetings_by_body"), k, v)
	    rep_addi(json_object_get(region, "meetings_by_body"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "opinions_by_outcome"), k, v)
	    rep_addi(json_object_get(region, "opinions_by_outcome"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "contributions_by_theme"), k, v)
	    rep_addi(json_object_get(region, "contributions_by_theme"), k, json_integer_value(v));
	json_object_foreach(json_object_get(t, "by_college"), k, v)
	{
		json_t *to = json_object_get(json_object_get(region, "by_college"), k);
		rep_addi(to, "members", rep_geti(v, "members"));
		rep_addi(to, "present", rep_geti(v, "present"));
		rep_addi(to, "excused", rep_geti(v, "excused"));
		rep_addi(to, "absent", rep_geti(v, "absent"));
	}
	json_object_foreach(json_object_get(t, "roll"), k, v)
	{
		json_t *to = json_object_get(json_object_get(region, "roll"), k);
		if (!to) {
			to = json_pack("{s:i, s:i}", "titulaires", 0, "suppleants", 0);
			json_object_set_new(json_object_get(region, "roll"), k, to);
		}
		rep_addi(to, "titulaires", rep_geti(v, "titulaires"));
		rep_addi(to, "suppleants", rep_geti(v, "suppleants"));
	}
}

/* The code of the region: the authority's territory. NULL: no memory. */
static char *region_of(cts_node *n)
{
	char *region_code = NULL;
	sqlite3_stmt *s;

	if (n->role == CTS_ROLE_AUTHORITY)
		return strdup(n->territory);
	if (cts_store_meta_get(n->store, "authority_node", &region_code) == 0) {
		free(region_code);
		region_code = NULL;
		if (cts_store_stmt(
		        n->store, &s,
		        "SELECT territory FROM changeset WHERE node = "
		        "(SELECT value FROM meta WHERE key = 'authority_node') LIMIT 1") == 0) {
			if (sqlite3_step(s) == SQLITE_ROW)
				region_code = strdup((const char *)sqlite3_column_text(s, 0));
			sqlite3_reset(s);
		}
	}
	cts_error_clear();
	return region_code ? region_code : strdup("region");
}

/* The territories named by the reference data or holding records; the
 * distinct territories of each table by skip-scan of its primary key. */
static int territory_codes(cts_node *n, const char *region_code, const char *only, json_t **codes)
{
	int rc;

	if ((rc = rep_query(
	         n,
	         "WITH RECURSIVE"
	         " tm(t) AS (SELECT min(territory) FROM member UNION ALL"
	         "  SELECT (SELECT min(territory) FROM member WHERE territory > tm.t) FROM tm "
	         "WHERE tm.t IS NOT NULL),"
	         " tg(t) AS (SELECT min(territory) FROM meeting UNION ALL"
	         "  SELECT (SELECT min(territory) FROM meeting WHERE territory > tg.t) FROM tg "
	         "WHERE tg.t IS NOT NULL),"
	         " tc(t) AS (SELECT min(territory) FROM contribution UNION ALL"
	         "  SELECT (SELECT min(territory) FROM contribution WHERE territory > tc.t) FROM "
	         "tc WHERE tc.t IS NOT NULL)"
	         " SELECT code, max(name) AS name FROM ("
	         " SELECT code, name FROM territory WHERE code IS NOT NULL"
	         " UNION ALL SELECT t, NULL FROM tm WHERE t IS NOT NULL UNION ALL SELECT t, NULL "
	         "FROM tg WHERE t IS NOT NULL"
	         " UNION ALL SELECT t, NULL FROM tc WHERE t IS NOT NULL)"
	         " WHERE code <> ?1 AND (?2 IS NULL OR code = ?2) GROUP BY code ORDER BY code",
	         region_code, only, NULL, codes)) < 0)
		return rc;
	if (only && json_array_size(*codes) == 0)
		return cts_error_set(CTS_ENOTFOUND, "territoire « %.64s » inconnu de ce nœud",
		                     only);
	return 0;
}

static int check_params(cts_report_params *p)
{
	if (!p->from || !p->to || !cts_valid_date(p->from) || !cts_valid_date(p->to) ||
	    strcmp(p->from, p->to) > 0)
		return cts_error_set(CTS_EINVAL,
		                     "période invalide (dates AAAA-MM-JJ, début avant fin)");
	if (p->quorum_den <= 0) {
		p->quorum_num = 1;
		p->quorum_den = 2;
	}
	if (p->quorum_num < 0 || p->quorum_num > p->quorum_den)
		return cts_error_set(
		    CTS_EINVAL, "règle de quorum invalide : une fraction entre 0 et 1 est attendue "
		                "(par exemple 1/2)");
	return 0;
}

/* The report's object without its territories and checks. */
static json_t *head_of(const cts_report_params *p, const char *region_code, json_t *h,
                       json_t *region)
{
	char rule[200];
	json_t *head;

	snprintf(rule, sizeof(rule),
	         "quorum atteint si les membres présents ayant voix délibérative "
	         "(titulaires, ou suppléants remplaçant un titulaire) dépassent %d/%d des sièges "
	         "de titulaires convoqués",
	         p->quorum_num, p->quorum_den);
	head = json_pack("{s:s, s:{s:s, s:s}, s:s, s:O, s:s, s:O}", "title",
	                 "Rapport d'activité des conseils territoriaux de santé", "period", "from",
	                 p->from, "to", p->to, "scope", p->territory ? p->territory : region_code,
	                 "heads", h, "quorum_rule", rule, "region", region);
	if (head && p->generated_at)
		json_object_set_new(head, "generated_at", json_string(p->generated_at));
	return head;
}

/* Compute the report: every territory to the sink, in code order. *head:
 * the report's object without territories and checks; *terrs: the
 * territories' objects as the sink left them. */
static int run(cts_node *n, const cts_report_params *p_in, const rep_sink *sink, json_t **head,
               json_t **terrs)
{
	cts_report_params p = *p_in;
	json_t *region = NULL, *codes = NULL, *h = NULL, *row;
	char *region_code = NULL;
	size_t i;
	int rc;

	*head = NULL;
	if (!(*terrs = json_array()))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = check_params(&p)) < 0)
		goto cleanup;
	if (!(region_code = region_of(n))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto cleanup;
	}
	if ((rc = heads(n, &h)) < 0 ||
	    (rc = territory_codes(n, region_code, p.territory, &codes)) < 0)
		goto cleanup;
	region = new_scope(region_code, "Région");
	json_array_foreach(codes, i, row)
	{
		const char *code = json_string_value(json_object_get(row, "code"));
		const char *name = json_string_value(json_object_get(row, "name"));
		json_t *t = new_scope(code, name ? name : code);
		if ((rc = rep_territory(n, &p, code, t, sink)) < 0) {
			json_decref(t);
			goto cleanup;
		}
		sum_into(region, t);
		json_array_append_new(*terrs, t);
	}
	json_object_set_new(region, "territories",
	                    json_integer((json_int_t)json_array_size(*terrs)));
	json_object_set_new(region, "attendance_rate",
	                    rep_rate(rep_geti(region, "present"), rep_geti(region, "members")));
	{
		const char *k;
		json_t *c;
		json_object_foreach(json_object_get(region, "by_college"), k, c)
		    json_object_set_new(c, "attendance_rate",
		                        rep_rate(rep_geti(c, "present"), rep_geti(c, "members")));
	}
	if (!(*head = head_of(&p, region_code, h, region)))
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
cleanup:
	json_decref(region);
	json_decref(codes);
	json_decref(h);
	free(region_code);
	return rc;
}

/* ---- the built document ---- */

static int append_item(void *ctx, const json_t *item)
{
	return json_array_append((json_t *)ctx, (json_t *)item) == 0
	           ? 0
	           : cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
}

/* Put a territory's lists into its object. */
static int dom_territory(void *ctx, const rep_terr *r)
{
	json_t *ml = json_array(), *ol = json_array();
	int rc;

	(void)ctx;
	if (!ml || !ol)
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	else if ((rc = r->meetings(r, append_item, ml)) == 0)
		rc = r->opinions(r, append_item, ol);
	if (rc < 0) {
		json_decref(ml);
		json_decref(ol);
		return rc;
	}
	json_object_set_new(r->t, "meeting_list", ml);
	json_object_set_new(r->t, "opinion_list", ol);
	return 0;
}

static void dom_check(void *ctx, const json_t *check)
{
	json_array_append((json_t *)ctx, (json_t *)check);
}

int cts_report_build(cts_node *n, const cts_report_params *p, json_t **out)
{
	json_t *checks = json_array(), *head = NULL, *terrs = NULL;
	rep_sink sink = { dom_territory, dom_check, checks };
	int rc;

	*out = NULL;
	if (!checks)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = run(n, p, &sink, &head, &terrs)) == 0) {
		json_object_set_new(head, "territories", terrs);
		json_object_set_new(head, "checks", checks);
		*out = head;
		return 0;
	}
	json_decref(checks);
	json_decref(terrs);
	json_decref(head);
	return rc;
}

/* ---- the written report ---- */

/* The stream's sink: the territory is written, then only its figures are
 * kept (its lists of meetings not counted were written with it). */
static int out_territory(void *ctx, const rep_terr *r)
{
	int rc = rep_out_territory(ctx, r);

	json_object_del(r->t, "cancelled_meetings");
	json_object_del(r->t, "planned_meetings");
	return rc;
}

int cts_report_write(cts_node *n, const cts_report_params *p, cts_report_format fmt,
                     cts_report_write_fn write, void *ctx)
{
	json_t *head = NULL, *terrs = NULL;
	rep_out *o = NULL;
	int rc;

	if ((rc = rep_out_new(fmt, write, ctx, &o)) < 0)
		return rc;
	{
		rep_sink sink = { out_territory, rep_out_check, o };
		if ((rc = run(n, p, &sink, &head, &terrs)) == 0)
			rc = rep_out_finish(o, head, terrs);
	}
	rep_out_free(o);
	json_decref(head);
	json_decref(terrs);
	return rc;
}

/* ---- a built document rendered ---- */

static int dom_list(const rep_terr *r, const char *key, rep_item_fn fn, void *ctx)
{
	size_t i;
	json_t *v;
	int rc;

	json_array_foreach(json_object_get(r->t, key), i, v) if ((rc = fn(ctx, v)) < 0) return rc;
	return 0;
}

static int dom_meetings(const rep_terr *r, rep_item_fn fn, void *ctx)
{
	return dom_list(r, "meeting_list", fn, ctx);
}

static int dom_opinions(const rep_terr *r, rep_item_fn fn, void *ctx)
{
	return dom_list(r, "opinion_list", fn, ctx);
}

static int to_strbuf(void *ctx, const char *buf, size_t len)
{
	cts_strbuf_addn(ctx, buf, len);
	return 0;
}

int cts_report_render(const json_t *report, cts_report_format fmt, char **out, size_t *len)
{
	const json_t *terrs = json_object_get(report, "territories");
	cts_strbuf b = { 0 };
	rep_out *o = NULL;
	json_t *v;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (fmt == CTS_REPORT_JSON) {
		char *s =
		    json_dumps(report, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
		if (!s)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		cts_strbuf_add(&b, s);
		cts_strbuf_add(&b, "\n");
		free(s);
		return cts_strbuf_take(&b, out, len);
	}
	if ((rc = rep_out_new(fmt, to_strbuf, &b, &o)) < 0)
		return rc;
	json_array_foreach(terrs, i, v)
	{
		rep_terr r = { v, dom_meetings, dom_opinions, NULL };
		if ((rc = rep_out_territory(o, &r)) < 0)
			break;
	}
	json_array_foreach(json_object_get(report, "checks"), i, v) rep_out_check(o, v);
	if (rc == 0)
		rc = rep_out_finish(o, report, terrs);
	rep_out_free(o);
	if (rc == 0)
		return cts_strbuf_take(&b, out, len);
	cts_strbuf_dispose(&b);
	return rc;
}
