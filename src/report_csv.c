/* Rendering of a report in CSV for French spreadsheets (report_impl.h):
 * UTF-8 BOM, ';', decimal comma, CRLF. */
#include "report_impl.h"

#include "csvout.h"
#include "strbuf.h"

#include <stdio.h>
#include <string.h>

/* ---- CSV (French Excel: UTF-8 BOM, ';', decimal comma, CRLF) ---- */

static void csv_meeting(cts_strbuf *b, const void *fmt, const json_t *t, const json_t *m)
{
	char n[5][32], title[1100];
	const char *row[10] = { rep_gets(t, "code"),
		                rep_gets(m, "date"),
		                rep_gets(m, "body"),
		                title,
		                n[0],
		                n[1],
		                n[2],
		                n[3],
		                n[4],
		                rep_quorum_word(m) };
	static const char *const keys[5] = { "members", "present", "excused", "absent", "guests" };

	(void)fmt;
	for (int k = 0; k < 5; k++)
		snprintf(n[k], 32, "%lld", (long long)rep_geti(m, keys[k]));
	snprintf(title, sizeof(title), "%s%s", rep_gets(m, "title"), rep_approved_mark(m));
	cts_csv_row(b, row, 10);
}

static void csv_opinion(cts_strbuf *b, const void *fmt, const json_t *t, const json_t *m)
{
	char n[3][32];
	const char *row[7] = { rep_gets(t, "code"),
		               rep_gets(m, "date"),
		               rep_gets(m, "subject"),
		               n[0],
		               n[1],
		               n[2],
		               rep_outcome_label(rep_gets(m, "outcome")) };
	static const char *const keys[3] = { "votes_for", "votes_against", "votes_abstain" };

	(void)fmt;
	for (int k = 0; k < 3; k++)
		snprintf(n[k], 32, "%lld", (long long)rep_geti(m, keys[k]));
	cts_csv_row(b, row, 7);
}

void rep_csv_territory(rep_out *o, const rep_terr *r)
{
	cts_strbuf *b = rep_out_buf(o, REP_SP_UNC);
	const json_t *m;
	size_t j;

	rep_table(o, REP_SP_MEET, r, r->meetings, NULL, csv_meeting, NULL, NULL);
	for (size_t u = 0; u < 2; u++)
		json_array_foreach(json_object_get(r->t, rep_uncounted[u].key), j, m)
		{
			const char *row[5] = { rep_gets(r->t, "code"), rep_gets(m, "date"),
				               rep_gets(m, "body"), rep_gets(m, "title"),
				               rep_uncounted[u].label };
			cts_csv_row(b, row, 5);
			rep_out_item(o, REP_SP_UNC);
		}
	rep_out_flush(o, REP_SP_UNC);
	rep_table(o, REP_SP_OPIN, r, r->opinions, NULL, csv_opinion, NULL, NULL);
}

static void csv_rate(char *buf, size_t size, const json_t *v)
{
	rep_fmt_rate(buf, size, v);
	if (strcmp(buf, "—") == 0)
		buf[0] = '\0';
}

/* The synthesis and the attendance by college: each territory, then the region. */
static void csv_figures(cts_strbuf *b, const json_t *terrs, const json_t *region)
{
	static const char *const keys[] = { "meetings", "members", "present", "excused",
		                            "absent",   "guests",  "ars" };
	const char *h[] = { "Territoire",
		            "Réunions",
		            "Sièges convoqués",
		            "Présents",
		            "Excusés",
		            "Absents",
		            "Invités",
		            "dont ARS",
		            "Taux de présence (%)",
		            "Réunions avec quorum",
		            "Avis" };
	const char *h2[] = { "Territoire", "Collège", "Convoqués",           "Présents",
		             "Excusés",    "Absents", "Taux de présence (%)" };
	char c[11][64];
	const char *cells[11];
	size_t nt = json_array_size(terrs);
	const char *k;
	json_t *v;

	for (int x = 0; x < 11; x++)
		cells[x] = c[x];
	cts_strbuf_add(b, "\r\nSynthèse\r\n");
	cts_csv_row(b, h, 11);
	for (size_t i = 0; i <= nt; i++) {
		const json_t *t = i < nt ? json_array_get(terrs, i) : region;
		snprintf(c[0], 64, "%s", i < nt ? rep_gets(t, "code") : "Région");
		for (int x = 0; x < 7; x++)
			snprintf(c[x + 1], 64, "%lld", (long long)rep_geti(t, keys[x]));
		csv_rate(c[8], 64, json_object_get(t, "attendance_rate"));
		snprintf(c[9], 64, "%lld", (long long)rep_geti(t, "quorum_reached"));
		snprintf(c[10], 64, "%lld", (long long)rep_geti(t, "opinions"));
		cts_csv_row(b, cells, 11);
	}
	cts_strbuf_add(b, "\r\nPrésence par collège\r\n");
	cts_csv_row(b, h2, 7);
	for (size_t i = 0; i <= nt; i++) {
		const json_t *t = i < nt ? json_array_get(terrs, i) : region;
		json_object_foreach(json_object_get(t, "by_college"), k, v)
		{
			snprintf(c[0], 64, "%s", i < nt ? rep_gets(t, "code") : "Région");
			snprintf(c[1], 64, "%s", k);
			for (int x = 0; x < 4; x++)
				snprintf(c[x + 2], 64, "%lld", (long long)rep_geti(v, keys[x + 1]));
			csv_rate(c[6], 64, json_object_get(v, "attendance_rate"));
			cts_csv_row(b, cells, 7);
		}
	}
}

/* A section: its title and header, then its rows from a spool. */
static void csv_section(rep_out *o, const char *title, const char *const *h, size_t n, int sp)
{
	cts_strbuf *b = rep_out_buf(o, REP_OUT);

	cts_strbuf_add(b, title);
	cts_csv_row(b, h, n);
	rep_out_copy(o, sp);
}

void rep_csv_finish(rep_out *o, const json_t *rep, const json_t *terrs)
{
	static const char *const hm[] = { "Territoire", "Date",     "Instance", "Titre",
		                          "Convoqués",  "Présents", "Excusés",  "Absents",
		                          "Invités",    "Quorum" };
	static const char *const hu[] = { "Territoire", "Date", "Instance", "Titre", "Statut" };
	static const char *const ho[] = { "Territoire", "Date",        "Objet", "Pour",
		                          "Contre",     "Abstentions", "Sens" };
	static const char *const hc[] = { "Territoire", "Contrôle", "Détail" };
	static const char *const hh[] = { "Nœud", "N°", "Identifiant" };
	static const char *const ht[] = { "Territoire", "Thème", "Contributions" };
	const json_t *region = json_object_get(rep, "region");
	cts_strbuf *b = rep_out_buf(o, REP_OUT);
	size_t nt = json_array_size(terrs);
	const char *k;
	json_t *v;
	char n[32];

	cts_csv_bom(b);
	{
		const char *h[] = { "Rapport", rep_gets(rep, "title") };
		const char *p[] = { "Période", rep_gets(json_object_get(rep, "period"), "from"),
			            rep_gets(json_object_get(rep, "period"), "to") };
		cts_csv_row(b, h, 2);
		cts_csv_row(b, p, 3);
	}
	csv_figures(b, terrs, region);
	csv_section(o, "\r\nRéunions\r\n", hm, 10, REP_SP_MEET);
	if (rep_out_items(o, REP_SP_UNC))
		csv_section(o, "\r\nRéunions non comptées\r\n", hu, 5, REP_SP_UNC);
	csv_section(o, "\r\nAvis\r\n", ho, 7, REP_SP_OPIN);
	cts_strbuf_add(b, "\r\nContributions par thème\r\n");
	cts_csv_row(b, ht, 3);
	for (size_t i = 0; i <= nt; i++) {
		const json_t *t = i < nt ? json_array_get(terrs, i) : region;
		json_object_foreach(json_object_get(t, "contributions_by_theme"), k, v)
		{
			const char *row[3] = { i < nt ? rep_gets(t, "code") : "Région", k, n };
			snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
			cts_csv_row(b, row, 3);
		}
	}
	csv_section(o, "\r\nContrôles\r\n", hc, 3, REP_SP_CSVCHECK);
	cts_strbuf_add(b, "\r\nHistorique de référence\r\n");
	cts_csv_row(b, hh, 3);
	json_object_foreach(json_object_get(rep, "heads"), k, v)
	{
		const char *row[3] = { k, n, rep_gets(v, "id") };
		snprintf(n, sizeof(n), "%lld", (long long)rep_geti(v, "seq"));
		cts_csv_row(b, row, 3);
	}
}

void rep_csv_check(cts_strbuf *b, const json_t *c)
{
	const char *row[3] = { rep_gets(c, "territory"), rep_check_label(rep_gets(c, "kind")),
		               rep_gets(c, "detail") };
	cts_csv_row(b, row, 3);
}
