#include "attendance.h"
#include "attendance_impl.h"

#include "error.h"
#include "meeting.h"
#include "member.h"
#include "record.h"
#include "roll.h"
#include "sheet.h"
#include "strbuf.h"
#include "tables.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define OOM() CTS_ATT_OOM()

/* Fields of an attendance record, in the table's order. */
static const char *const att_fields[] = { "meeting",      "member",  "last_name", "first_name",
	                                  "organisation", "college", "status",    NULL };

static const char *mark_status(cts_mark m)
{
	return m == CTS_MARK_PRESENT ? "present" : m == CTS_MARK_EXCUSED ? "excused" : "absent";
}

/* Present beats excused beats absent (a person listed twice was there if
 * either line says so). */
static int mark_rank(cts_mark m)
{
	return m == CTS_MARK_PRESENT ? 2 : m == CTS_MARK_EXCUSED ? 1 : 0;
}

/* ---- results and notes ---- */

void cts_attendance_result_free(cts_attendance_result *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->note_count; i++) {
		free(r->notes[i].member_name);
		free(r->notes[i].message);
	}
	free(r->notes);
	json_decref(r->rows);
	free(r);
}

static json_t *note_json(const cts_attendance_note *no)
{
	return json_pack("{s:i, s:i, s:s, s:b, s:s, s:s?, s:s?}", "line", (int)no->line,
	                 "other_line", (int)no->other_line, "kind", no->code, "blocking",
	                 no->blocking, "message", no->message, "member",
	                 no->member[0] ? no->member : NULL, "member_name", no->member_name);
}

json_t *cts_attendance_notes_json(const cts_attendance_result *r)
{
	json_t *a = json_array();

	for (size_t i = 0; a && r && i < r->note_count; i++)
		json_array_append_new(a, note_json(&r->notes[i]));
	return a;
}

static const char *const note_codes[] = { "near_match",       "unknown",       "college",
	                                  "member_and_guest", "guest_in_roll", "missing" };

/* Add a note; the message is formatted (French, one line). */
__attribute__((format(printf, 6, 7))) static int
add_note(cts_attendance_result *res, cts_attendance_note_kind kind, unsigned line, unsigned other,
         const cts_roll_member *who, const char *fmt, ...)
{
	cts_attendance_note *nn, *no;
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!(nn = realloc(res->notes, (res->note_count + 1) * sizeof(*nn))))
		return OOM();
	res->notes = nn;
	no = &nn[res->note_count];
	memset(no, 0, sizeof(*no));
	no->kind = kind;
	no->code = note_codes[kind];
	no->blocking = kind == CTS_ATT_NEAR || kind == CTS_ATT_UNKNOWN;
	no->line = line;
	no->other_line = other;
	if (!(no->message = strdup(msg)))
		return OOM();
	res->note_count++;
	if (who) {
		size_t len = strlen(who->last_name) + strlen(who->first_name) + 2;
		snprintf(no->member, sizeof(no->member), "%s", who->id);
		if (!(no->member_name = malloc(len)))
			return OOM();
		snprintf(no->member_name, len, "%s%s%s", who->last_name,
		         who->first_name[0] ? " " : "", who->first_name);
	}
	if (!no->blocking && kind != CTS_ATT_MISSING)
		res->warnings++;
	return 0;
}
/* ---- matching the sheet to the roll ---- */

/* What the import does with one row of the sheet. */
typedef struct {
	const cts_sheet_row *row;
	char *key;          /* folded "last\x1ffirst", for duplicates */
	int skip;           /* a guest row merged into its member row */
	long roll;          /* roll index of a member row matched exactly, else -1 */
	cts_mark mark;      /* after merging a guest row */
	char member[37];    /* member id (roll or created), "" for guests */
	const char *action; /* membre, membre créé, proche, inconnu, invite, doublon */
} entry;

static int fold_keys(entry *e, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		char *l = NULL, *f = NULL;
		int rc;
		if ((rc = cts_text_fold(&l, e[i].row->last_name)) < 0 ||
		    (rc = cts_text_fold(&f, e[i].row->first_name)) < 0) {
			free(l);
			return cts_error_prefix(rc, "ligne %u : ", e[i].row->line);
		}
		size_t len = strlen(l) + strlen(f) + 2;
		if ((e[i].key = malloc(len)))
			snprintf(e[i].key, len, "%s\x1f%s", l, f);
		free(l);
		free(f);
		if (!e[i].key)
			return OOM();
	}
	return 0;
}

/* The same person twice: as a member twice (or a guest twice) is an error;
 * as a member and a guest, the guest row is merged into the member row. */
static int merge_duplicates(entry *e, size_t count, cts_attendance_result *res)
{
	char who[CTS_SHEET_MAX_FIELD * 2 + 2];
	int rc;

	for (size_t i = 0; i < count; i++) {
		for (size_t j = 0; j < i && !e[i].skip; j++) {
			entry *m, *g;
			if (e[j].skip || strcmp(e[i].key, e[j].key) != 0)
				continue;
			if (e[i].row->guest == e[j].row->guest)
				return cts_error_set(
				    CTS_EINVAL,
				    "ligne %u : %s figure déjà à la ligne %u de la feuille "
				    "(%s deux fois) ; ne gardez qu'une ligne",
				    e[i].row->line,
				    cts_att_person(who, sizeof(who), e[i].row->last_name,
				                   e[i].row->first_name),
				    e[j].row->line, e[i].row->guest ? "invité" : "membre");
			m = e[i].row->guest ? &e[j] : &e[i];
			g = e[i].row->guest ? &e[i] : &e[j];
			if (mark_rank(g->row->mark) > mark_rank(m->mark))
				m->mark = g->row->mark;
			g->skip = 1;
			g->action = "doublon";
			if ((rc = add_note(
			         res, CTS_ATT_MEMBER_GUEST, g->row->line, m->row->line, NULL,
			         "ligne %u : %s figure comme membre (ligne %u) et comme invité "
			         "(ligne %u) : compté une seule fois, comme membre (%s) ; la "
			         "ligne %u est ignorée",
			         g->row->line,
			         cts_att_person(who, sizeof(who), m->row->last_name,
			                        m->row->first_name),
			         m->row->line, g->row->line,
			         cts_att_status_label(mark_status(m->mark)), g->row->line)) < 0)
				return rc;
		}
	}
	return 0;
}

/* A member row: exact match (college checked), near (refused with a
 * suggestion), or unknown. */
static int match_member_row(entry *e, const cts_roll *roll, int create_missing,
                            cts_attendance_result *res)
{
	const cts_sheet_row *r = e->row;
	char who[CTS_SHEET_MAX_FIELD * 2 + 2], alt[600] = "";
	cts_roll_match m;
	int rc;

	if ((rc = cts_roll_match_person(roll, r->last_name, r->first_name, &m)) < 0)
		return cts_error_prefix(rc, "ligne %u : ", r->line);
	cts_att_person(who, sizeof(who), r->last_name, r->first_name);
	if (m.exact_count > 1)
		return cts_error_set(
		    CTS_EINVAL,
		    "ligne %u : %zu membres de la liste s'appellent %s : la feuille ne "
		    "permet pas de savoir lequel était là ; gardez-en un seul dans la liste "
		    "(ctsnode member list, puis member remove) avant d'importer",
		    r->line, m.exact_count, who);
	if (m.exact >= 0) {
		const cts_roll_member *rm = &roll->members[m.exact];
		e->roll = m.exact;
		e->action = "membre";
		snprintf(e->member, sizeof(e->member), "%s", rm->id);
		if (strcmp(rm->college, r->college) != 0)
			return add_note(
			    res, CTS_ATT_COLLEGE, r->line, 0, rm,
			    "ligne %u : %s est en « %s » sur la feuille mais en « %s » dans la "
			    "liste des membres : présence comptée en « %s »",
			    r->line, who, cts_att_college_label(r->college),
			    cts_att_college_label(rm->college), cts_att_college_label(rm->college));
		return 0;
	}
	if (m.near_count > 0) {
		const cts_roll_member *best = &roll->members[m.near[0]];
		size_t used = 0;
		char nb[600];
		for (size_t k = 1; k < m.near_count; k++) {
			const cts_roll_member *o = &roll->members[m.near[k]];
			int w =
			    snprintf(alt + used, sizeof(alt) - used, " ou %s",
			             cts_att_person(nb, sizeof(nb), o->last_name, o->first_name));
			if (w > 0 && (size_t)w < sizeof(alt) - used)
				used += (size_t)w;
		}
		res->near++;
		e->action = "proche";
		return add_note(res, CTS_ATT_NEAR, r->line, 0, best,
		                "ligne %u : %s — vouliez-vous dire %s%s ?", r->line, who,
		                cts_att_person(nb, sizeof(nb), best->last_name, best->first_name),
		                alt);
	}
	res->unknown++;
	if (create_missing) {
		e->action = "membre créé";
		return 0;
	}
	e->action = "inconnu";
	return add_note(res, CTS_ATT_UNKNOWN, r->line, 0, NULL,
	                "ligne %u : %s ne figure pas parmi les membres", r->line, who);
}

/* A guest row naming a member of the roll (who is not also a member row). */
static int match_guest_row(entry *e, const cts_roll *roll, cts_attendance_result *res)
{
	const cts_sheet_row *r = e->row;
	char who[CTS_SHEET_MAX_FIELD * 2 + 2];
	cts_roll_match m;
	int rc;

	e->action = "invite";
	if ((rc = cts_roll_match_person(roll, r->last_name, r->first_name, &m)) < 0)
		return cts_error_prefix(rc, "ligne %u : ", r->line);
	if (m.exact < 0)
		return 0;
	e->roll = m.exact;
	return add_note(
	    res, CTS_ATT_GUEST_IN_ROLL, r->line, 0, &roll->members[m.exact],
	    "ligne %u : %s, membre de la liste (%s), figure seulement parmi les invités : "
	    "compté comme invité ; s'il siégeait, mettez son collège sur la feuille",
	    r->line, cts_att_person(who, sizeof(who), r->last_name, r->first_name),
	    cts_att_college_label(roll->members[m.exact].college));
}

static void count_row(cts_attendance_result *res, const entry *e)
{
	if (e->skip)
		return;
	if (e->row->guest) {
		res->guests++;
		if (strcmp(e->row->college, "ars") == 0)
			res->ars++;
		else
			res->invited++;
		return;
	}
	res->members++;
	if (e->mark == CTS_MARK_PRESENT)
		res->present++;
	else if (e->mark == CTS_MARK_EXCUSED)
		res->excused++;
	else
		res->absent++;
}

/* The row objects of the result, with their notes. */
static int build_rows(cts_attendance_result *res, const entry *e, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		const cts_sheet_row *r = e[i].row;
		json_t *notes = json_array(), *o;
		for (size_t k = 0; notes && k < res->note_count; k++)
			if (res->notes[k].line == r->line)
				json_array_append_new(notes, note_json(&res->notes[k]));
		o = json_pack("{s:i, s:s, s:s, s:s, s:s, s:s, s:s?, s:o*}", "line", (int)r->line,
		              "last_name", r->last_name, "first_name", r->first_name, "college",
		              r->college, "status", mark_status(e[i].mark), "action", e[i].action,
		              "member", e[i].member[0] ? e[i].member : NULL, "notes", notes);
		if (!o || json_array_append_new(res->rows, o) < 0)
			return OOM();
	}
	return 0;
}

static int cmp_note(const void *a, const void *b)
{
	const cts_attendance_note *x = a, *y = b;
	unsigned lx = x->line ? x->line : ~0u, ly = y->line ? y->line : ~0u;
	return lx < ly ? -1 : lx > ly;
}

/* Classify every row against the roll; the refusal of blocking notes. */
static int classify(entry *e, size_t count, const cts_roll *roll, const cts_attendance_options *opt,
                    cts_attendance_result *res)
{
	int rc;

	if ((rc = fold_keys(e, count)) < 0 || (rc = merge_duplicates(e, count, res)) < 0)
		return rc;
	for (size_t i = 0; i < count; i++) {
		if (e[i].skip)
			continue;
		rc = e[i].row->guest ? match_guest_row(&e[i], roll, res)
		                     : match_member_row(&e[i], roll, opt->create_missing, res);
		if (rc < 0)
			return rc;
	}
	/* qsort is not stable: notes of one line keep their order by index. */
	for (size_t i = 1; i < res->note_count; i++)
		for (size_t j = i; j > 0 && cmp_note(&res->notes[j - 1], &res->notes[j]) > 0; j--) {
			cts_attendance_note t = res->notes[j];
			res->notes[j] = res->notes[j - 1];
			res->notes[j - 1] = t;
		}
	for (size_t i = 0; i < count; i++)
		count_row(res, &e[i]);
	return build_rows(res, e, count);
}

/* CTS_EINVAL listing the blocking notes, with what to do. */
static int refuse_rows(const cts_attendance_result *res, int create_missing)
{
	cts_strbuf b = { 0 };
	long n = res->near + (create_missing ? 0 : res->unknown), listed = 0;
	char *msg = NULL;
	int rc;

	cts_strbuf_addf(&b, "%ld personne%s de la feuille ne figure%s pas parmi les membres :", n,
	                n > 1 ? "s" : "", n > 1 ? "nt" : "");
	for (size_t i = 0; i < res->note_count; i++) {
		if (!res->notes[i].blocking)
			continue;
		if (b.len > 1400) {
			cts_strbuf_addf(&b, " ; … (%ld en tout)", n);
			break;
		}
		cts_strbuf_addf(&b, "%s %s", listed++ ? " ;" : "", res->notes[i].message);
	}
	cts_strbuf_add(&b, b.len && b.ptr[b.len - 1] == '?' ? " Rien n'a été importé."
	                                                    : ". Rien n'a été importé.");
	if (res->near)
		cts_strbuf_add(&b,
		               " Corrigez l'orthographe sur la feuille ; si c'est bien une autre "
		               "personne, ajoutez-la d'abord (ctsnode member add).");
	if (!create_missing && res->unknown)
		cts_strbuf_add(&b,
		               " Ajoutez les personnes inconnues (ctsnode member add) ou relancez "
		               "avec --create-missing pour les créer.");
	if ((rc = cts_strbuf_take(&b, &msg, NULL)) < 0)
		return rc;
	rc = cts_error_set(CTS_EINVAL, "%s", msg);
	free(msg);
	return rc;
}
/* ---- the records the sheet stands for ---- */

typedef struct {
	char rid[37];
	json_t *set;
} planned;

typedef struct {
	planned *p;
	size_t n, cap;
} plan;

static void plan_dispose(plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		json_decref(pl->p[i].set);
	free(pl->p);
}

static int plan_add(plan *pl, const char *meeting, const char *member, const char *last,
                    const char *first, const char *org, const char *college, cts_mark mark)
{
	planned *p;
	int rc;

	if (pl->n == pl->cap) {
		size_t ncap = pl->cap ? pl->cap * 2 : 64;
		if (!(p = realloc(pl->p, ncap * sizeof(*p))))
			return OOM();
		pl->p = p;
		pl->cap = ncap;
	}
	p = &pl->p[pl->n];
	if ((rc = cts_att_rid(p->rid, meeting, member, last, first)) < 0)
		return rc;
	p->set = json_object();
	if (!p->set)
		return OOM();
	json_object_set_new(p->set, "meeting", cts_record_text(meeting));
	json_object_set_new(p->set, "member", cts_record_text(member));
	json_object_set_new(p->set, "last_name", cts_record_text(last));
	json_object_set_new(p->set, "first_name", cts_record_text(first));
	json_object_set_new(p->set, "organisation", cts_record_text(org));
	json_object_set_new(p->set, "college", cts_record_text(college));
	json_object_set_new(p->set, "status", cts_record_text(mark_status(mark)));
	pl->n++;
	return 0;
}

/* Create the members of unknown rows (create_missing), in the open
 * transaction. */
static int create_members(cts_node *n, entry *e, size_t count, cts_attendance_result *res)
{
	int rc;

	for (size_t i = 0; i < count; i++) {
		const cts_sheet_row *r = e[i].row;
		if (e[i].skip || r->guest || strcmp(e[i].action, "membre créé") != 0)
			continue;
		cts_member_fields f = { .last_name = r->last_name,
			                .first_name = r->first_name,
			                .organisation = r->organisation,
			                .college = r->college,
			                .seat = "titulaire" };
		if ((rc = cts_member_add(n, &f, e[i].member)) < 0)
			return cts_error_prefix(rc, "ligne %u : ", r->line);
		res->created++;
	}
	return 0;
}

/* One record per row kept, names and organisation as the sheet writes them
 * (as imports always did); a member under the roll's college. */
static int plan_rows(plan *pl, const char *meeting, const entry *e, size_t count,
                     const cts_roll *roll)
{
	int rc = 0;

	for (size_t i = 0; i < count && rc == 0; i++) {
		const cts_sheet_row *r = e[i].row;
		if (e[i].skip)
			continue;
		if (r->guest) {
			rc = plan_add(pl, meeting, NULL, r->last_name, r->first_name,
			              r->organisation, r->college, r->mark);
		} else if (e[i].roll >= 0) {
			const cts_roll_member *m = &roll->members[e[i].roll];
			rc = plan_add(pl, meeting, m->id, r->last_name, r->first_name,
			              r->organisation, m->college, e[i].mark);
		} else {
			rc = plan_add(pl, meeting, e[i].member, r->last_name, r->first_name,
			              r->organisation, r->college, e[i].mark);
		}
	}
	return rc;
}

/* Titular members of the roll whose mandate covers the date and who are on
 * no row of the sheet: named, and recorded absent with absent_missing. */
static int plan_missing(plan *pl, const char *meeting, const char *date, const entry *e,
                        size_t count, const cts_roll *roll, const cts_attendance_options *opt,
                        cts_attendance_result *res)
{
	char who[600], dfr[11];
	int rc;

	cts_text_date_fr(dfr, sizeof(dfr), date);
	for (size_t i = 0; i < roll->count; i++) {
		const cts_roll_member *m = &roll->members[i];
		int on_sheet = 0;
		for (size_t k = 0; k < count && !on_sheet; k++)
			on_sheet = e[k].roll == (long)i;
		if (on_sheet || strcmp(m->seat, "suppleant") == 0 || !cts_roll_in_mandate(m, date))
			continue;
		res->missing++;
		if ((rc = add_note(
		         res, CTS_ATT_MISSING, 0, 0, m,
		         "%s (%s), membre titulaire en mandat le %s, n'est pas sur la feuille%s",
		         cts_att_person(who, sizeof(who), m->last_name, m->first_name),
		         cts_att_college_label(m->college), dfr,
		         opt->absent_missing ? " : noté absent" : "")) < 0)
			return rc;
		if (!opt->absent_missing)
			continue;
		if ((rc = plan_add(pl, meeting, m->id, m->last_name, m->first_name, m->organisation,
		                   m->college, CTS_MARK_ABSENT)) < 0)
			return rc;
		res->members++;
		res->absent++;
	}
	return 0;
}

/* ---- comparing with what the meeting has, and writing ---- */

static int same_value(const json_t *a, const json_t *b)
{
	const char *x = json_string_value(a), *y = json_string_value(b);
	if (!x || !*x)
		return !y || !*y;
	return y && strcmp(x, y) == 0;
}

/* The fields of p->set that differ from the existing row, as a new object. */
static json_t *diff_set(const planned *p, const json_t *row)
{
	json_t *d = json_object();

	for (int f = 0; d && att_fields[f]; f++) {
		json_t *want = json_object_get(p->set, att_fields[f]);
		if (!same_value(want, json_object_get(row, att_fields[f])))
			json_object_set(d, att_fields[f], want);
	}
	return d;
}

static void count_before(cts_attendance_result *res, const json_t *rows)
{
	size_t i;
	json_t *row;

	json_array_foreach(rows, i, row)
	{
		const char *st = json_string_value(json_object_get(row, "status"));
		if (!json_string_value(json_object_get(row, "member"))) {
			res->before.guests++;
			continue;
		}
		res->before.members++;
		if (st && strcmp(st, "present") == 0)
			res->before.present++;
		else if (st && strcmp(st, "excused") == 0)
			res->before.excused++;
		else
			res->before.absent++;
	}
}

/* Count what the plan changes in the existing rows. */
static int count_changes(cts_attendance_result *res, const plan *pl, const json_t *rows)
{
	size_t i;
	json_t *row;

	for (size_t k = 0; k < pl->n; k++) {
		const json_t *ex = cts_att_find(rows, pl->p[k].rid);
		json_t *d;
		if (!ex) {
			res->added++;
			continue;
		}
		if (!(d = diff_set(&pl->p[k], ex)))
			return OOM();
		res->changed += json_object_size(d) > 0;
		json_decref(d);
	}
	json_array_foreach(rows, i, row)
	{
		const char *id = json_string_value(json_object_get(row, "id"));
		int kept = 0;
		for (size_t k = 0; k < pl->n && !kept; k++)
			kept = strcmp(pl->p[k].rid, id) == 0;
		res->removed += !kept;
	}
	res->unchanged = res->added == 0 && res->changed == 0 && res->removed == 0;
	return 0;
}

static int refuse_existing(const cts_attendance_result *res)
{
	return cts_error_set(
	    CTS_EINVAL,
	    "cette réunion a déjà des présences (%ld membre(s) : %ld présent(s), %ld excusé(s), "
	    "%ld absent(s) ; %ld invité(s)) ; cette feuille les changerait : %ld ligne(s) "
	    "ajoutée(s), %ld modifiée(s), %ld retirée(s). Rien n'a été importé. Pour remplacer les "
	    "présences par cette feuille, relancez avec --replace ; pour corriger une seule "
	    "personne : ctsnode attendance set",
	    res->before.members, res->before.present, res->before.excused, res->before.absent,
	    res->before.guests, res->added, res->changed, res->removed);
}

/* Write the differences: new records whole, changed fields, removals. */
static int write_plan(cts_node *n, const plan *pl, const json_t *rows)
{
	size_t i;
	json_t *row;
	int rc = 0;

	for (size_t k = 0; k < pl->n && rc == 0; k++) {
		const json_t *ex = cts_att_find(rows, pl->p[k].rid);
		json_t *d = ex ? diff_set(&pl->p[k], ex) : json_incref(pl->p[k].set);
		if (!d)
			return OOM();
		if (json_object_size(d) > 0)
			rc = cts_record_put(n->store, "attendance", pl->p[k].rid, d);
		json_decref(d);
	}
	json_array_foreach(rows, i, row)
	{
		const char *id = json_string_value(json_object_get(row, "id"));
		int kept = 0;
		if (rc < 0)
			break;
		for (size_t k = 0; k < pl->n && !kept; k++)
			kept = strcmp(pl->p[k].rid, id) == 0;
		if (!kept)
			rc = cts_record_del(n->store, "attendance", id);
	}
	return rc;
}
/* ---- import ---- */

static void entries_free(entry *e, size_t count)
{
	for (size_t i = 0; e && i < count; i++)
		free(e[i].key);
	free(e);
}

/* Inside the transaction: create, plan, compare, write. */
static int apply_sheet(cts_node *n, const char *meeting, const char *date, entry *e, size_t count,
                       const cts_roll *roll, const cts_attendance_options *opt,
                       cts_attendance_result *res)
{
	plan pl = { 0 };
	json_t *rows = NULL;
	int rc;

	if ((rc = cts_att_records(n, meeting, &rows)) < 0)
		return rc;
	count_before(res, rows);
	if ((rc = create_members(n, e, count, res)) < 0 ||
	    (rc = plan_rows(&pl, meeting, e, count, roll)) < 0 ||
	    (rc = plan_missing(&pl, meeting, date, e, count, roll, opt, res)) < 0 ||
	    (rc = count_changes(res, &pl, rows)) < 0)
		goto done;
	if (res->unchanged)
		goto done;
	if (json_array_size(rows) > 0 && !opt->replace) {
		rc = refuse_existing(res);
		goto done;
	}
	rc = write_plan(n, &pl, rows);
done:
	plan_dispose(&pl);
	json_decref(rows);
	return rc;
}

int cts_attendance_import_sheet(cts_node *n, const char *meeting, const char *buf, size_t len,
                                const cts_attendance_options *opt, cts_attendance_result **out)
{
	cts_attendance_result *res = NULL;
	cts_sheet *sh = NULL;
	cts_roll *roll = NULL;
	entry *e = NULL;
	char date[11];
	static const cts_attendance_options defaults = { 0 };
	int rc, in_tx = 0, keep = 0;

	if (out)
		*out = NULL;
	if (!opt)
		opt = &defaults;
	if (n->role != CTS_ROLE_TERRITORY)
		return cts_error_set(CTS_EINVAL,
		                     "les présences sont saisies sur le nœud du territoire");
	if ((rc = cts_meeting_require(n, meeting, CTS_MEETING_ATTENDANCE, NULL)) < 0 ||
	    (rc = cts_meeting_date(n, meeting, date)) < 0 ||
	    (rc = cts_sheet_parse(&sh, buf, len)) < 0)
		return rc;
	if (!(res = calloc(1, sizeof(*res))) || !(res->rows = json_array()) ||
	    !(e = calloc(sh->count, sizeof(*e)))) {
		rc = OOM();
		goto cleanup;
	}
	for (size_t i = 0; i < sh->count; i++) {
		e[i].row = &sh->rows[i];
		e[i].roll = -1;
		e[i].mark = sh->rows[i].mark;
	}
	if ((rc = cts_roll_load(n, NULL, &roll)) < 0 ||
	    (rc = classify(e, sh->count, roll, opt, res)) < 0)
		goto cleanup;
	keep = 1;
	if (res->near > 0 || (res->unknown > 0 && !opt->create_missing)) {
		rc = refuse_rows(res, opt->create_missing);
		goto cleanup;
	}
	if ((rc = cts_store_begin(n->store)) < 0)
		goto cleanup;
	in_tx = 1;
	if ((rc = apply_sheet(n, meeting, date, e, sh->count, roll, opt, res)) < 0)
		goto cleanup;
	if (opt->dry_run || res->unchanged) {
		cts_store_rollback(n->store);
		in_tx = 0;
	} else if ((rc = cts_store_commit(n->store)) == 0) {
		in_tx = 0;
	}
cleanup:
	if (in_tx)
		cts_store_rollback(n->store);
	if (out && res && (rc == 0 || (keep && rc == CTS_EINVAL))) {
		*out = res;
		res = NULL;
	}
	cts_attendance_result_free(res);
	if (e)
		entries_free(e, sh->count);
	cts_roll_free(roll);
	cts_sheet_free(sh);
	return rc;
}

int cts_attendance_import(cts_node *n, const char *meeting, const char *buf, size_t len,
                          int create_missing, int dry_run, cts_attendance_result **out)
{
	cts_attendance_options opt = { .create_missing = create_missing, .dry_run = dry_run };
	return cts_attendance_import_sheet(n, meeting, buf, len, &opt, out);
}
