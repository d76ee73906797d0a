#include "roll.h"

#include "error.h"
#include "strbuf.h"
#include "text.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names longer than this (code points) are never near anything: the
 * distance is computed on bounded arrays (a name is at most 200 bytes in
 * the tables, 512 on a sheet). */
#define MAX_CP 1100

static char *dup_or_empty(const unsigned char *s)
{
	const char *v = s ? (const char *)s : "";
	size_t n = strlen(v) + 1;
	char *d = malloc(n);

	if (d)
		memcpy(d, v, n);
	return d;
}

/* Folded copy of s; a value that does not fold (invalid UTF-8) is kept. */
static char *fold_or_copy(const char *s)
{
	char *f = NULL;

	if (cts_text_fold(&f, s) == 0)
		return f;
	return dup_or_empty((const unsigned char *)s);
}

/* "a b", or the non-empty one of a and b. */
static char *join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), sp = la && lb;
	char *s = malloc(la + lb + 2);

	if (!s)
		return NULL;
	memcpy(s, a, la);
	s[la] = ' ';
	memcpy(s + la + sp, b, lb + 1);
	return s;
}

static void member_dispose(cts_roll_member *m)
{
	free(m->last_name);
	free(m->first_name);
	free(m->organisation);
	free(m->college);
	free(m->seat);
	free(m->mandate_start);
	free(m->mandate_end);
	free(m->fold_last);
	free(m->fold_first);
	free(m->key);
}

void cts_roll_free(cts_roll *roll)
{
	if (!roll)
		return;
	CTS_ARRAY_FREE(roll->members, roll->count, member_dispose);
	free(roll);
}

static int member_from_row(cts_roll_member *m, sqlite3_stmt *s)
{
	const unsigned char *seat = sqlite3_column_text(s, 5);

	memset(m, 0, sizeof(*m));
	snprintf(m->id, sizeof(m->id), "%s", (const char *)sqlite3_column_text(s, 0));
	m->last_name = dup_or_empty(sqlite3_column_text(s, 1));
	m->first_name = dup_or_empty(sqlite3_column_text(s, 2));
	m->organisation = dup_or_empty(sqlite3_column_text(s, 3));
	m->college = dup_or_empty(sqlite3_column_text(s, 4));
	m->seat = dup_or_empty(seat && *seat ? seat : (const unsigned char *)"titulaire");
	m->mandate_start = dup_or_empty(sqlite3_column_text(s, 6));
	m->mandate_end = dup_or_empty(sqlite3_column_text(s, 7));
	if (m->last_name && m->first_name) {
		m->fold_last = fold_or_copy(m->last_name);
		m->fold_first = fold_or_copy(m->first_name);
	}
	if (m->fold_last && m->fold_first)
		m->key = join(m->fold_last, m->fold_first);
	if (!m->organisation || !m->college || !m->seat || !m->mandate_start || !m->mandate_end ||
	    !m->key) {
		member_dispose(m);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	return 0;
}

int cts_roll_load(cts_node *n, const char *territory, cts_roll **out)
{
	cts_roll *roll = calloc(1, sizeof(*roll));
	size_t cap = 0;
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if (!roll)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT id, last_name, first_name, organisation, college, seat,"
	         " mandate_start, mandate_end FROM member WHERE territory = ?"
	         " ORDER BY last_name COLLATE NOCASE, first_name COLLATE NOCASE, id")) < 0) {
		free(roll);
		return rc;
	}
	sqlite3_bind_text(s, 1, territory ? territory : n->territory, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (roll->count == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			cts_roll_member *nm = realloc(roll->members, ncap * sizeof(*nm));
			if (!nm) {
				rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
				goto fail;
			}
			roll->members = nm;
			cap = ncap;
		}
		if ((rc = member_from_row(&roll->members[roll->count], s)) < 0)
			goto fail;
		roll->count++;
	}
	if (rc != SQLITE_DONE) {
		rc = cts_store_error(n->store, "lecture de la liste des membres");
		goto fail;
	}
	sqlite3_reset(s);
	*out = roll;
	return 0;
fail:
	sqlite3_reset(s);
	cts_roll_free(roll);
	return rc;
}

/* Code points of valid UTF-8 s into cp (at most max); the count, or max + 1
 * when s is longer. */
static size_t decode(const char *s, uint32_t *cp, size_t max)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = 0;

	while (*u) {
		uint32_t c = *u++;
		int more = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;

		if (more)
			c &= 0x3Fu >> more;
		while (more-- > 0 && (*u & 0xC0) == 0x80)
			c = (c << 6) | (*u++ & 0x3Fu);
		if (n == max)
			return max + 1;
		cp[n++] = c;
	}
	return n;
}

static unsigned min3(unsigned a, unsigned b, unsigned c)
{
	unsigned m = a < b ? a : b;
	return m < c ? m : c;
}

/* Optimal string alignment distance restricted to the band |i - j| <= k:
 * cells outside it are worth more than k. */
static unsigned osa_banded(const uint32_t *a, size_t la, const uint32_t *b, size_t lb, unsigned k)
{
	unsigned *rows = malloc(3 * (lb + 1) * sizeof(unsigned)), *pp, *p, *c, best, res;
	const unsigned inf = k + 1;

	if (!rows)
		return inf; /* out of memory: no suggestion rather than a wrong one */
	pp = rows;
	p = rows + lb + 1;
	c = rows + 2 * (lb + 1);
	for (size_t j = 0; j <= lb; j++)
		p[j] = pp[j] = j <= k ? (unsigned)j : inf;
	for (size_t i = 1; i <= la; i++) {
		size_t lo = i > k ? i - k : 1, hi = i + k < lb ? i + k : lb;

		for (size_t j = 0; j <= lb; j++)
			c[j] = inf;
		c[0] = i <= k ? (unsigned)i : inf;
		best = c[0];
		for (size_t j = lo; j <= hi; j++) {
			unsigned cost = a[i - 1] != b[j - 1];
			unsigned v = min3(p[j] + 1, c[j - 1] + 1, p[j - 1] + cost);

			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			c[j] = v > inf ? inf : v;
			if (c[j] < best)
				best = c[j];
		}
		if (best > k) {
			free(rows);
			return inf;
		}
		unsigned *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	res = p[lb] > inf ? inf : p[lb];
	free(rows);
	return res;
}

unsigned cts_roll_distance(const char *a, const char *b, unsigned bound)
{
	uint32_t *ca = malloc(2 * (MAX_CP + 1) * sizeof(uint32_t)), *cb;
	size_t la, lb;
	unsigned d;

	if (!ca)
		return bound + 1;
	cb = ca + MAX_CP + 1;
	la = decode(a, ca, MAX_CP);
	lb = decode(b, cb, MAX_CP);
	if (la > MAX_CP || lb > MAX_CP || (la > lb ? la - lb : lb - la) > bound)
		d = bound + 1;
	else
		d = osa_banded(ca, la, cb, lb, bound);
	free(ca);
	return d;
}

/* Edits allowed between two folded names: none under 4 characters, one up
 * to 8, two from 9 (counted on the shorter one). */
static unsigned bound_for(const char *a, const char *b)
{
	uint32_t tmp[MAX_CP + 1];
	size_t la = decode(a, tmp, MAX_CP), lb = decode(b, tmp, MAX_CP), n = la < lb ? la : lb;

	return n < 4 ? 0 : n < 9 ? 1 : 2;
}

/* Insert candidate idx at distance d, keeping the closest (then roll order). */
static void add_near(cts_roll_match *m, size_t idx, unsigned d)
{
	size_t pos = m->near_count;

	for (size_t i = 0; i < m->near_count; i++) {
		if (m->near[i] == idx) {
			if (d >= m->dist[i])
				return;
			memmove(&m->near[i], &m->near[i + 1],
			        (m->near_count - i - 1) * sizeof(size_t));
			memmove(&m->dist[i], &m->dist[i + 1],
			        (m->near_count - i - 1) * sizeof(unsigned));
			m->near_count--;
			pos = m->near_count;
			break;
		}
	}
	while (pos > 0 &&
	       (d < m->dist[pos - 1] || (d == m->dist[pos - 1] && idx < m->near[pos - 1])))
		pos--;
	if (pos >= CTS_ROLL_MAX_NEAR)
		return;
	if (m->near_count == CTS_ROLL_MAX_NEAR)
		m->near_count--;
	memmove(&m->near[pos + 1], &m->near[pos], (m->near_count - pos) * sizeof(size_t));
	memmove(&m->dist[pos + 1], &m->dist[pos], (m->near_count - pos) * sizeof(unsigned));
	m->near[pos] = idx;
	m->dist[pos] = d;
	m->near_count++;
}

/* Near candidates of a folded full name (one order or the other). */
static void near_by_distance(const cts_roll *roll, const char *key, cts_roll_match *m)
{
	for (size_t i = 0; i < roll->count; i++) {
		const char *mk = roll->members[i].key;
		unsigned k = bound_for(key, mk), d;

		if (k == 0)
			continue;
		d = cts_roll_distance(key, mk, k);
		if (d <= k)
			add_near(m, i, d == 0 ? 1 : d); /* 0: the other order, or spaces */
	}
}

static void match_init(cts_roll_match *m)
{
	memset(m, 0, sizeof(*m));
	m->exact = -1;
}

/* An empty first name or an initial ("p", "p." folded) of the member's. */
static int initial_of(const char *fold_first, const char *member_first)
{
	size_t n = strlen(fold_first);

	if (n == 0)
		return 1;
	if (n > 2 || (n == 2 && fold_first[1] != '.'))
		return 0;
	return member_first[0] == fold_first[0];
}

int cts_roll_match_person(const cts_roll *roll, const char *last, const char *first,
                          cts_roll_match *m)
{
	char *fl = NULL, *ff = NULL, *key = NULL, *swapped = NULL;
	int rc;

	match_init(m);
	if ((rc = cts_text_fold(&fl, last ? last : "")) < 0 ||
	    (rc = cts_text_fold(&ff, first ? first : "")) < 0)
		goto done;
	for (size_t i = 0; i < roll->count; i++) {
		if (strcmp(roll->members[i].fold_last, fl) == 0 &&
		    strcmp(roll->members[i].fold_first, ff) == 0) {
			if (m->exact < 0)
				m->exact = (long)i;
			m->exact_count++;
		}
	}
	if (m->exact >= 0)
		goto done;
	if (!(key = join(fl, ff)) || !(swapped = join(ff, fl))) {
		rc = cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
		goto done;
	}
	near_by_distance(roll, key, m);
	if (ff[0])
		near_by_distance(roll, swapped, m);
	for (size_t i = 0; fl[0] && i < roll->count; i++)
		if (strcmp(roll->members[i].fold_last, fl) == 0 &&
		    initial_of(ff, roll->members[i].fold_first))
			add_near(m, i, 1);
done:
	free(fl);
	free(ff);
	free(key);
	free(swapped);
	return rc;
}

/* The folded text is the member's folded "last first" or "first last". */
static int name_fits(const cts_roll_member *r, const char *key)
{
	size_t ll = strlen(r->fold_last), lf = strlen(r->fold_first);

	if (strcmp(r->key, key) == 0)
		return 1;
	return strlen(key) == ll + lf + 1 && strncmp(key, r->fold_first, lf) == 0 &&
	       key[lf] == ' ' && strcmp(key + lf + 1, r->fold_last) == 0;
}

int cts_roll_match_name(const cts_roll *roll, const char *name, cts_roll_match *m)
{
	char *key = NULL, *swapped = NULL;
	int rc;

	match_init(m);
	if ((rc = cts_text_fold(&key, name ? name : "")) < 0)
		return rc;
	for (size_t i = 0; i < roll->count; i++) {
		if (name_fits(&roll->members[i], key)) {
			if (m->exact < 0)
				m->exact = (long)i;
			m->exact_count++;
		}
	}
	if (m->exact < 0 && key[0]) {
		near_by_distance(roll, key, m);
		for (size_t i = 0; i < roll->count; i++) /* the last name alone */
			if (strcmp(roll->members[i].fold_last, key) == 0)
				add_near(m, i, 1);
		for (size_t i = 0; i < roll->count; i++) {
			const cts_roll_member *r = &roll->members[i];
			unsigned k, d;
			if (!(swapped = join(r->fold_first, r->fold_last)))
				continue;
			k = bound_for(key, swapped);
			d = k > 0 ? cts_roll_distance(key, swapped, k) : 1;
			if (k > 0 && d <= k)
				add_near(m, i, d == 0 ? 1 : d);
			free(swapped);
			swapped = NULL;
		}
	}
	free(key);
	return 0;
}

/* "NOM Prénom (1a2b3c4d)" of member i appended to b. */
static void add_candidate(cts_strbuf *b, const cts_roll *roll, size_t i, const char *sep)
{
	const cts_roll_member *m = &roll->members[i];

	cts_strbuf_addf(b, "%s%s%s%s (%.8s)", sep, m->last_name, m->first_name[0] ? " " : "",
	                m->first_name, m->id);
}

int cts_roll_refuse_unknown(const cts_roll *roll, const char *text)
{
	cts_strbuf b = { 0 };
	cts_roll_match m;
	char *msg = NULL;
	int rc;

	if ((rc = cts_roll_match_name(roll, text, &m)) < 0)
		return rc;
	cts_strbuf_addf(&b, "aucun membre « %.200s » dans la liste de ce territoire", text);
	for (size_t k = 0; k < m.near_count; k++)
		add_candidate(&b, roll, m.near[k], k == 0 ? " ; vouliez-vous dire " : " ou ");
	cts_strbuf_add(&b, m.near_count ? " ?" : " (ctsnode member list)");
	if ((rc = cts_strbuf_take(&b, &msg, NULL)) < 0)
		return rc;
	rc = cts_error_set(CTS_ENOTFOUND, "%s", msg);
	free(msg);
	return rc;
}

int cts_roll_in_mandate(const cts_roll_member *m, const char *date)
{
	if (m->mandate_start[0] && strcmp(date, m->mandate_start) < 0)
		return 0;
	if (m->mandate_end[0] && strcmp(date, m->mandate_end) > 0)
		return 0;
	return 1;
}
