#include "resolve.h"

#include "error.h"
#include "record.h"
#include "strbuf.h"
#include "tables.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Columns 1..4 of every candidate query, by kind:
 *   member:       last_name, first_name, college, -
 *   meeting:      date, title, body, status
 *   opinion:      subject, meeting date, status, -
 *   contribution: title, theme, status, -
 * ?1 territory, ?2 an id prefix or NULL (every record). */
#define ID_RANGE(col) " AND (?2 IS NULL OR (" col " >= ?2 AND " col " < ?2 || char(127)))"

static const char *const live_sql[] = {
	[CTS_REF_MEMBER] = "SELECT id, last_name, first_name, college, NULL FROM member WHERE "
	                   "territory = ?1" ID_RANGE("id"),
	[CTS_REF_MEETING] =
	    "SELECT id, date, title, body, status FROM meeting WHERE territory = ?1" ID_RANGE("id"),
	[CTS_REF_OPINION] =
	    "SELECT o.id, o.subject, m.date, o.status, NULL FROM opinion o LEFT JOIN meeting m"
	    " ON m.territory = o.territory AND m.id = o.meeting WHERE o.territory = ?1" ID_RANGE(
	        "o.id"),
	[CTS_REF_CONTRIBUTION] =
	    "SELECT id, title, theme, status, NULL FROM contribution WHERE territory = ?1" ID_RANGE(
	        "id"),
};

/* Removed members: a tombstone hides some of their last known values
 * (member.c, last_values). */
/* One SQL statement, laid out by clause. */
/* clang-format off */
static const char removed_sql[] =
	"SELECT r.rid, r.st ->> '$.last_name[0]', r.st ->> '$.first_name[0]',"
	" r.st ->> '$.college[0]', NULL FROM rstate r"
	" WHERE r.tbl = 'member' AND r.territory = ?1" ID_RANGE("r.rid")
	" AND r.tomb_hlc IS NOT NULL AND EXISTS (SELECT 1 FROM json_each(r.st) j"
	" WHERE j.value ->> 0 IS NOT NULL AND " CTS_RSTATE_HIDDEN ")";
/* clang-format on */

static const struct {
	const char *none;    /* "aucune réunion" */
	const char *plural;  /* "réunions" */
	const char *listing; /* where to look */
} kinds[] = {
	[CTS_REF_MEMBER] = { "aucun membre", "membres", "ctsnode member list" },
	[CTS_REF_MEETING] = { "aucune réunion", "réunions", "ctsnode meeting list" },
	[CTS_REF_OPINION] = { "aucun avis", "avis", "ctsnode opinion list" },
	[CTS_REF_CONTRIBUTION] = { "aucune contribution", "contributions",
	                           "ctsnode contribution list" },
};

/* What was typed, in every form it may take. */
typedef struct {
	const char *raw;
	char hex[37]; /* lowercase id prefix, "" when ref cannot be one */
	int uuid;     /* a whole id */
	char date[11];
	char *fold;
} parsed_ref;

typedef struct {
	char id[37];
	char *col[4];
} cand;

typedef struct {
	cand *v;
	size_t n, cap;
	int best; /* tier of the kept candidates (1 best); 0 none yet */
} cands;

static void cands_clear(cands *c)
{
	for (size_t i = 0; i < c->n; i++)
		for (int k = 0; k < 4; k++)
			free(c->v[i].col[k]);
	c->n = 0;
}

static void cands_dispose(cands *c)
{
	cands_clear(c);
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* Keep the row if its tier is at least as good as the kept ones. */
static int cands_offer(cands *c, sqlite3_stmt *s, int tier)
{
	cand *x;

	if (tier <= 0 || (c->best && tier > c->best))
		return 0;
	if (tier < c->best || !c->best) {
		cands_clear(c);
		c->best = tier;
	}
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		cand *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		c->v = v;
		c->cap = cap;
	}
	x = &c->v[c->n++];
	memset(x, 0, sizeof(*x));
	snprintf(x->id, sizeof(x->id), "%s", (const char *)sqlite3_column_text(s, 0));
	for (int k = 0; k < 4; k++) {
		const char *v = (const char *)sqlite3_column_text(s, k + 1);
		if (v && !(x->col[k] = strdup(v)))
			return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	return 0;
}

/* Folded text equal to the folded reference? */
static int fold_eq(const char *text, const char *want)
{
	char *f = NULL;
	int eq;

	if (!text || !want || cts_text_fold(&f, text) < 0) {
		cts_error_clear();
		return 0;
	}
	eq = strcmp(f, want) == 0;
	free(f);
	return eq;
}

static int member_name_eq(const char *a, const char *b, const char *want)
{
	char buf[512];

	snprintf(buf, sizeof(buf), "%s %s", a ? a : "", b ? b : "");
	return fold_eq(buf, want);
}

/* Tier of a row (columns as the queries give them) for a text reference:
 * 0 no match, 1 best. */
static int text_tier(cts_ref_kind kind, sqlite3_stmt *s, const parsed_ref *r)
{
	const char *c1 = (const char *)sqlite3_column_text(s, 1),
	           *c2 = (const char *)sqlite3_column_text(s, 2);
	const char *c3 = (const char *)sqlite3_column_text(s, 3),
	           *c4 = (const char *)sqlite3_column_text(s, 4);

	switch (kind) {
	case CTS_REF_MEMBER:
		if (member_name_eq(c1, c2, r->fold) || member_name_eq(c2, c1, r->fold))
			return 1;
		return fold_eq(c1, r->fold) ? 2 : 0;
	case CTS_REF_MEETING:
		if (r->date[0] && c1 && strcmp(c1, r->date) == 0)
			return c4 && strcmp(c4, "annulee") == 0 ? 2 : 1;
		return fold_eq(c2, r->fold) ? 3 : 0;
	case CTS_REF_OPINION:
		return fold_eq(c1, r->fold) ? (c3 && strcmp(c3, "retire") == 0 ? 2 : 1) : 0;
	case CTS_REF_CONTRIBUTION:
		return fold_eq(c1, r->fold) ? (c3 && strcmp(c3, "retiree") == 0 ? 2 : 1) : 0;
	}
	return 0;
}

/* Run the kind's query (prefix NULL: every record of the territory). */
static int scan(cts_node *n, cts_ref_kind kind, unsigned flags, const char *territory,
                const char *prefix, const parsed_ref *r, cands *out)
{
	sqlite3_stmt *s;
	const char *sql =
	    kind == CTS_REF_MEMBER && (flags & CTS_RESOLVE_REMOVED) ? removed_sql : live_sql[kind];
	int rc;

	if ((rc = cts_store_stmt(n->store, &s, sql)) < 0)
		return rc;
	sqlite3_bind_text(s, 1, territory, -1, SQLITE_TRANSIENT);
	if (prefix)
		sqlite3_bind_text(s, 2, prefix, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int tier = prefix ? 1 : text_tier(kind, s, r);
		if ((rc = cands_offer(out, s, tier)) < 0) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : cts_store_error(n->store, "recherche d'un enregistrement");
}

/* A text for a label: at most about 60 columns. */
static void add_cut(cts_strbuf *b, const char *s)
{
	size_t keep;

	if (!s)
		return;
	keep = cts_text_width_prefix(s, 60);
	cts_strbuf_addn(b, s, keep);
	if (s[keep])
		cts_strbuf_add(b, "…");
}

/* The French label of a candidate (without its id). */
static void label(cts_strbuf *b, cts_ref_kind kind, const cand *c)
{
	char d[32];

	switch (kind) {
	case CTS_REF_MEMBER:
		add_cut(b, c->col[0]);
		cts_strbuf_add(b, " ");
		add_cut(b, c->col[1]);
		cts_strbuf_addf(b, " (%s)",
		                cts_code_label(cts_colleges, cts_college_labels, c->col[2]));
		break;
	case CTS_REF_MEETING:
		cts_strbuf_addf(b, "%s %s « ", cts_text_date_fr(d, sizeof(d), c->col[0]),
		                cts_code_label(cts_bodies, cts_body_labels, c->col[2]));
		add_cut(b, c->col[1]);
		cts_strbuf_add(b, " »");
		if (c->col[3] && strcmp(c->col[3], "tenue") != 0)
			cts_strbuf_addf(b, " (%s)",
			                cts_code_label(cts_meeting_statuses,
			                               cts_meeting_status_labels, c->col[3]));
		break;
	case CTS_REF_OPINION:
		cts_strbuf_add(b, "« ");
		add_cut(b, c->col[0]);
		cts_strbuf_addf(b, " » (réunion du %s)%s",
		                cts_text_date_fr(d, sizeof(d), c->col[1]),
		                c->col[2] && strcmp(c->col[2], "retire") == 0 ? " (retiré)" : "");
		break;
	case CTS_REF_CONTRIBUTION:
		cts_strbuf_add(b, "« ");
		add_cut(b, c->col[0]);
		cts_strbuf_addf(b, " » (%s)%s", c->col[1] ? c->col[1] : "",
		                c->col[2] && strcmp(c->col[2], "retiree") == 0 ? " (retirée)" : "");
		break;
	}
}

static int parse_ref(const char *ref, parsed_ref *r)
{
	size_t len, hexdigits = 0;
	int rc;

	memset(r, 0, sizeof(*r));
	if (!ref)
		ref = "";
	len = strlen(ref);
	if (len > CTS_RESOLVE_MAX_REF)
		return cts_error_set(CTS_ELIMIT, "désignation trop longue (%zu octets, %d au plus)",
		                     len, CTS_RESOLVE_MAX_REF);
	if ((rc = cts_text_fold(&r->fold, ref)) < 0)
		return rc;
	if (!r->fold[0])
		return cts_error_set(CTS_EINVAL,
		                     "désignation vide : indiquez un identifiant (au moins %d "
		                     "caractères), un nom ou une date",
		                     CTS_RESOLVE_MIN_PREFIX);
	r->raw = ref;
	if (len <= 36) {
		size_t i;
		for (i = 0; i < len; i++) {
			char ch = ref[i];
			if (ch >= 'A' && ch <= 'F')
				ch = (char)(ch - 'A' + 'a');
			if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || ch == '-'))
				break;
			hexdigits += ch != '-';
			r->hex[i] = ch;
		}
		r->hex[i] = '\0';
		if (i < len || hexdigits < CTS_RESOLVE_MIN_PREFIX)
			r->hex[0] = '\0';
	}
	r->uuid = r->hex[0] && cts_valid_uuid(r->hex);
	if (cts_text_date_parse(ref, r->date) < 0)
		r->date[0] = '\0';
	return 0;
}

static int not_found(cts_ref_kind kind, unsigned flags, const parsed_ref *r)
{
	int removed = kind == CTS_REF_MEMBER && (flags & CTS_RESOLVE_REMOVED);
	size_t hexlen = strspn(r->raw, "0123456789abcdefABCDEF");
	const char *short_hint = hexlen == strlen(r->raw) && hexlen < CTS_RESOLVE_MIN_PREFIX
	                             ? " ; un identifiant abrégé compte au moins 4 caractères"
	                             : "";

	return cts_error_set(CTS_ENOTFOUND,
	                     "%s%s ne correspond à « %.80s » dans ce territoire (%s%s%s)",
	                     kinds[kind].none, removed ? " retiré" : "", r->raw,
	                     kinds[kind].listing, removed ? " --removed" : "", short_hint);
}

static int ambiguous(cts_ref_kind kind, const parsed_ref *r, const cands *c)
{
	cts_strbuf b = { 0 };
	int rc;

	cts_strbuf_addf(&b, "« %.80s » désigne %zu %s : ", r->raw, c->n, kinds[kind].plural);
	for (size_t i = 0; i < c->n && i < 8; i++) {
		cts_strbuf_addf(&b, "%s%.8s ", i ? " ; " : "", c->v[i].id);
		label(&b, kind, &c->v[i]);
	}
	if (c->n > 8)
		cts_strbuf_addf(&b, " ; et %zu autres", c->n - 8);
	cts_strbuf_addf(&b, ". Précisez avec le début de l'identifiant (par exemple %.8s)",
	                c->v[0].id);
	rc = cts_error_set(CTS_EAMBIGUOUS, "%s", b.ptr && !b.oom ? b.ptr : "désignation ambiguë");
	cts_strbuf_dispose(&b);
	return rc;
}

static int id_cmp(const void *a, const void *b)
{
	return strcmp(((const cand *)a)->id, ((const cand *)b)->id);
}

/* The best candidates for ref: by id first, else by the kind's texts. */
static int find(cts_node *n, cts_ref_kind kind, const char *territory, const parsed_ref *r,
                unsigned flags, cands *c)
{
	int rc;

	if ((unsigned)kind > CTS_REF_CONTRIBUTION)
		return cts_error_set(CTS_ERR, "type d'enregistrement inconnu");
	if (!territory)
		territory = n->territory;
	if (r->hex[0] && (rc = scan(n, kind, flags, territory, r->hex, r, c)) < 0)
		return rc;
	if (c->n == 0 && !r->uuid && (rc = scan(n, kind, flags, territory, NULL, r, c)) < 0)
		return rc;
	if (c->n > 1)
		qsort(c->v, c->n, sizeof(*c->v), id_cmp);
	return 0;
}

int cts_resolve(cts_node *n, cts_ref_kind kind, const char *territory, const char *ref,
                unsigned flags, char id_out[37])
{
	parsed_ref r;
	cands c = { 0 };
	int rc;

	id_out[0] = '\0';
	if ((rc = parse_ref(ref, &r)) == 0 && (rc = find(n, kind, territory, &r, flags, &c)) == 0) {
		if (c.n == 0)
			rc = not_found(kind, flags, &r);
		else if (c.n > 1)
			rc = ambiguous(kind, &r, &c);
		else
			memcpy(id_out, c.v[0].id, 37);
	}
	cands_dispose(&c);
	free(r.fold);
	return rc;
}

int cts_resolve_member(cts_node *n, const char *ref, char id_out[37])
{
	return cts_resolve(n, CTS_REF_MEMBER, NULL, ref, 0, id_out);
}

int cts_resolve_meeting(cts_node *n, const char *ref, char id_out[37])
{
	return cts_resolve(n, CTS_REF_MEETING, NULL, ref, 0, id_out);
}

int cts_resolve_opinion(cts_node *n, const char *ref, char id_out[37])
{
	return cts_resolve(n, CTS_REF_OPINION, NULL, ref, 0, id_out);
}

int cts_resolve_contribution(cts_node *n, const char *ref, char id_out[37])
{
	return cts_resolve(n, CTS_REF_CONTRIBUTION, NULL, ref, 0, id_out);
}

int cts_resolve_matches(cts_node *n, cts_ref_kind kind, const char *territory, const char *ref,
                        unsigned flags, json_t **out)
{
	parsed_ref r;
	cands c = { 0 };
	json_t *arr = NULL;
	int rc;

	*out = NULL;
	if ((rc = parse_ref(ref, &r)) == 0 && (rc = find(n, kind, territory, &r, flags, &c)) == 0) {
		if (!(arr = json_array()))
			rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		for (size_t i = 0; rc == 0 && i < c.n; i++) {
			cts_strbuf b = { 0 };
			char shortid[9];
			snprintf(shortid, sizeof(shortid), "%.8s", c.v[i].id);
			label(&b, kind, &c.v[i]);
			if (b.oom || json_array_append_new(
			                 arr, json_pack("{s:s, s:s, s:s?}", "id", c.v[i].id,
			                                "short", shortid, "label", b.ptr)) < 0)
				rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
			cts_strbuf_dispose(&b);
		}
	}
	if (rc == 0)
		*out = arr;
	else
		json_decref(arr);
	cands_dispose(&c);
	free(r.fold);
	return rc;
}
