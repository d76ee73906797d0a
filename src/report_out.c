/* A report written as it is computed (report_impl.h): the output, the
 * spools, and the JSON format (the same bytes as json_dumps of the built
 * document with JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6),
 * written part by part with json_dump_callback). */
#include "report_impl.h"

#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SPOOLS 4
#define SPOOL_MEM (1u << 20)  /* a spool moves to a temporary file past this */
#define OUT_CHUNK (64u << 10) /* the output is handed over by pieces of this */
#define JSON_FLAGS (JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(6))

struct spool {
	cts_strbuf b; /* what is not in the file yet */
	FILE *f;      /* NULL until b grew past SPOOL_MEM */
	size_t items;
};

struct rep_out {
	cts_report_format fmt;
	cts_report_write_fn write;
	void *ctx;
	cts_strbuf out; /* not handed over yet */
	struct spool sp[SPOOLS];
	int err; /* the first error */
};

int rep_out_new(cts_report_format fmt, cts_report_write_fn write, void *ctx, rep_out **out)
{
	if (!(*out = calloc(1, sizeof(**out))))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	(*out)->fmt = fmt;
	(*out)->write = write;
	(*out)->ctx = ctx;
	return 0;
}

void rep_out_free(rep_out *o)
{
	if (!o)
		return;
	for (int i = 0; i < SPOOLS; i++) {
		cts_strbuf_dispose(&o->sp[i].b);
		if (o->sp[i].f)
			fclose(o->sp[i].f);
	}
	cts_strbuf_dispose(&o->out);
	free(o);
}

void rep_out_fail(rep_out *o, int rc)
{
	if (!o->err && rc < 0)
		o->err = rc;
}

cts_strbuf *rep_out_buf(rep_out *o, int sp)
{
	return sp == REP_OUT ? &o->out : &o->sp[sp].b;
}

void rep_out_item(rep_out *o, int sp)
{
	o->sp[sp].items++;
}

size_t rep_out_items(const rep_out *o, int sp)
{
	return o->sp[sp].items;
}

/* Hand the output's buffer over. */
static void out_drain(rep_out *o)
{
	if (o->out.oom)
		rep_out_fail(o, cts_error_set(CTS_ENOMEM, "mémoire insuffisante"));
	if (!o->err && o->out.len)
		rep_out_fail(o, o->write(o->ctx, o->out.ptr, o->out.len));
	o->out.len = 0;
}

static int spool_error(void)
{
	return cts_error_set(CTS_EIO, "rapport : fichier temporaire inutilisable (%s)",
	                     strerror(errno));
}

void rep_out_flush(rep_out *o, int sp)
{
	struct spool *s;

	if (sp == REP_OUT) {
		if (o->out.len >= OUT_CHUNK || o->out.oom)
			out_drain(o);
		return;
	}
	s = &o->sp[sp];
	if (s->b.oom)
		rep_out_fail(o, cts_error_set(CTS_ENOMEM, "mémoire insuffisante"));
	if (o->err || s->b.len < SPOOL_MEM)
		return;
	if (!s->f && !(s->f = tmpfile())) {
		rep_out_fail(o, spool_error());
		return;
	}
	if (fwrite(s->b.ptr, 1, s->b.len, s->f) != s->b.len)
		rep_out_fail(o, spool_error());
	s->b.len = 0;
}

void rep_out_copy(rep_out *o, int sp)
{
	struct spool *s = &o->sp[sp];
	char buf[OUT_CHUNK];
	size_t got;

	if (s->f && !o->err) {
		out_drain(o);
		if (fflush(s->f) != 0 || fseek(s->f, 0, SEEK_SET) != 0) {
			rep_out_fail(o, spool_error());
			return;
		}
		while (!o->err && (got = fread(buf, 1, sizeof(buf), s->f)) > 0)
			rep_out_fail(o, o->write(o->ctx, buf, got));
		if (ferror(s->f))
			rep_out_fail(o, spool_error());
	}
	if (s->b.len)
		cts_strbuf_addn(&o->out, s->b.ptr, s->b.len);
	rep_out_flush(o, REP_OUT);
}

/* ---- JSON ---- */

/* json_dump_callback's output at a depth: each new line indented by two
 * more spaces per level (a JSON text has no raw newline inside strings). */
struct jw {
	cts_strbuf *b;
	int depth;
};

static int jw_cb(const char *buf, size_t size, void *data)
{
	struct jw *w = data;
	const char *nl;

	while (size && (nl = memchr(buf, '\n', size))) {
		size_t run = (size_t)(nl - buf) + 1;
		cts_strbuf_addn(w->b, buf, run);
		for (int i = 0; i < w->depth; i++)
			cts_strbuf_addn(w->b, "  ", 2);
		buf += run;
		size -= run;
	}
	if (size)
		cts_strbuf_addn(w->b, buf, size);
	return 0;
}

static void jw_value(cts_strbuf *b, int depth, const json_t *v)
{
	struct jw w = { b, depth };

	if (json_dump_callback(v, jw_cb, &w, JSON_FLAGS | JSON_ENCODE_ANY) != 0)
		b->oom = 1;
}

/* A new line at a depth. */
static void jw_indent(cts_strbuf *b, int depth)
{
	cts_strbuf_addn(b, "\n", 1);
	for (int i = 0; i < depth; i++)
		cts_strbuf_addn(b, "  ", 2);
}

/* A key of an object with what follows it. */
static void jw_key(cts_strbuf *b, const char *key)
{
	json_t *k = json_string(key);

	jw_value(b, 0, k);
	json_decref(k);
	cts_strbuf_addn(b, ": ", 2);
}

/* A member whose value is written by a function. */
struct lazy {
	const char *key;
	void (*fn)(rep_out *o, int sp, int depth, const void *arg);
	const void *arg;
};

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* obj's members and the lazy ones (which replace obj's of the same key),
 * in key order, at depth, into spool sp (or the output). */
static void jw_object(rep_out *o, int sp, int depth, const json_t *obj, const struct lazy *lz,
                      size_t nlz)
{
	size_t n = 0, cap = json_object_size(obj) + nlz;
	const char **keys = malloc((cap ? cap : 1) * sizeof(*keys)), *k;
	cts_strbuf *b = rep_out_buf(o, sp);
	json_t *v;

	if (!keys) {
		rep_out_fail(o, cts_error_set(CTS_ENOMEM, "mémoire insuffisante"));
		return;
	}
	json_object_foreach((json_t *)obj, k, v)
	{
		size_t j = 0;
		while (j < nlz && strcmp(lz[j].key, k) != 0)
			j++;
		if (j == nlz)
			keys[n++] = k;
	}
	for (size_t j = 0; j < nlz; j++)
		keys[n++] = lz[j].key;
	qsort(keys, n, sizeof(*keys), key_cmp);
	cts_strbuf_addn(b, "{", 1);
	for (size_t i = 0; i < n; i++) {
		size_t j = 0;
		jw_indent(b, depth + 1);
		jw_key(b, keys[i]);
		while (j < nlz && strcmp(lz[j].key, keys[i]) != 0)
			j++;
		if (j < nlz)
			lz[j].fn(o, sp, depth + 1, lz[j].arg);
		else
			jw_value(b, depth + 1, json_object_get(obj, keys[i]));
		if (i + 1 < n)
			cts_strbuf_addn(b, ",", 1);
	}
	if (n)
		jw_indent(b, depth);
	cts_strbuf_addn(b, n ? "}" : "{}", n ? 1 : 2);
	free(keys);
}

/* An array read item by item. */
struct jarr {
	rep_out *o;
	int sp, depth;
	size_t n;
};

static int jarr_item(void *ctx, const json_t *item)
{
	struct jarr *a = ctx;
	cts_strbuf *b = rep_out_buf(a->o, a->sp);

	if (a->n++)
		cts_strbuf_addn(b, ",", 1);
	jw_indent(b, a->depth + 1);
	jw_value(b, a->depth + 1, item);
	rep_out_flush(a->o, a->sp);
	return a->o->err;
}

static void jarr_end(struct jarr *a)
{
	cts_strbuf *b = rep_out_buf(a->o, a->sp);

	if (a->n)
		jw_indent(b, a->depth);
	cts_strbuf_addn(b, "]", 1);
}

static void lazy_list(rep_out *o, int sp, int depth, const rep_terr *r,
                      int (*list)(const rep_terr *r, rep_item_fn fn, void *ctx))
{
	struct jarr a = { o, sp, depth, 0 };
	int rc;

	cts_strbuf_addn(rep_out_buf(o, sp), "[", 1);
	if ((rc = list(r, jarr_item, &a)) < 0)
		rep_out_fail(o, rc);
	jarr_end(&a);
}

static void lazy_meetings(rep_out *o, int sp, int depth, const void *arg)
{
	const rep_terr *r = arg;
	lazy_list(o, sp, depth, r, r->meetings);
}

static void lazy_opinions(rep_out *o, int sp, int depth, const void *arg)
{
	const rep_terr *r = arg;
	lazy_list(o, sp, depth, r, r->opinions);
}

/* An element of the top object's array in spool sp (depth 2). */
static void json_element(rep_out *o, int sp)
{
	cts_strbuf *b = rep_out_buf(o, sp);

	if (o->sp[sp].items++)
		cts_strbuf_addn(b, ",", 1);
	jw_indent(b, 2);
}

static void json_territory(rep_out *o, const rep_terr *r)
{
	const struct lazy lz[] = { { "meeting_list", lazy_meetings, r },
		                   { "opinion_list", lazy_opinions, r } };

	json_element(o, REP_SP_TERR);
	jw_object(o, REP_SP_TERR, 2, r->t, lz, 2);
	rep_out_flush(o, REP_SP_TERR);
}

/* The top object's array whose elements are in spool sp. */
static void lazy_spool(rep_out *o, int sp, int depth, const void *arg)
{
	int from = *(const int *)arg;

	(void)sp;
	cts_strbuf_addn(&o->out, "[", 1);
	if (o->sp[from].items) {
		rep_out_copy(o, from);
		jw_indent(&o->out, depth);
	}
	cts_strbuf_addn(&o->out, "]", 1);
}

static void json_finish(rep_out *o, const json_t *head)
{
	static const int terr = REP_SP_TERR, check = REP_SP_CHECK;
	const struct lazy lz[] = { { "territories", lazy_spool, &terr },
		                   { "checks", lazy_spool, &check } };

	jw_object(o, REP_OUT, 0, head, lz, 2);
	cts_strbuf_addn(&o->out, "\n", 1);
}

/* ---- the sink ---- */

int rep_out_territory(void *ctx, const rep_terr *r)
{
	rep_out *o = ctx;

	if (o->fmt == CTS_REPORT_JSON)
		json_territory(o, r);
	else
		rep_render_territory(o, o->fmt, r);
	return o->err;
}

void rep_out_check(void *ctx, const json_t *check)
{
	rep_out *o = ctx;

	if (o->err)
		return;
	if (o->fmt == CTS_REPORT_JSON) {
		json_element(o, REP_SP_CHECK);
		jw_value(rep_out_buf(o, REP_SP_CHECK), 2, check);
		rep_out_flush(o, REP_SP_CHECK);
	} else {
		rep_render_check(o, o->fmt, check);
	}
}

int rep_out_finish(rep_out *o, const json_t *head, const json_t *terrs)
{
	if (!o->err) {
		if (o->fmt == CTS_REPORT_JSON)
			json_finish(o, head);
		else
			rep_render_finish(o, o->fmt, head, terrs);
	}
	out_drain(o);
	return o->err;
}
