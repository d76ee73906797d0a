/* Reports written as they are computed (cts_report_write) against the
 * built document rendered (cts_report_build + cts_report_render): the same
 * bytes in every format, on a territory with enough meetings for the
 * spools to move to their temporary files (past 1 MiB), with text that
 * each format escapes, meetings not counted, checks of every kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "error.h"
#include "record.h"
#include "report.h"
#include "store.h"
#include "strbuf.h"
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEETINGS 700

static void put(cts_node *n, const char *table, const char *id, json_t *set)
{
	if (cts_record_put(n->store, table, id, set) < 0)
		fail_msg("%s %s : %s", table, id, cts_error_message());
	json_decref(set);
}

static void uuid(char out[37], char kind, int i)
{
	snprintf(out, 37, "%c%07x-0000-4000-8000-%012x", kind, i, i);
}

/* Members (one past its mandate), meetings with attendance and opinions,
 * contributions with a theme nobody published. */
static void fill(cts_node *n)
{
	static const char *const statuses[] = { "tenue", "approuvee", "annulee", "prevue" };
	static const char *const att[] = { "present", "excused", "absent" };
	char mid[37], id[37], date[11], title[96];

	assert_int_equal(cts_store_begin(n->store), 0);
	for (int k = 0; k < 4; k++) {
		uuid(id, 'b', k);
		put(n, "member", id,
		    json_pack("{s:s, s:s, s:s, s:s, s:s}", "last_name",
		              k ? "Durand" : "Ancien | <b>", "first_name", "Anne", "college",
		              k % 2 ? "usagers" : "professionnels", "seat",
		              k == 3 ? "suppleant" : "titulaire", "mandate_end",
		              k ? "2099-12-31" : "2018-06-30"));
	}
	for (int i = 0; i < MEETINGS; i++) {
		uuid(mid, 'a', i);
		snprintf(date, sizeof(date), "%04d-%02d-%02d", 2015 + i % 8, 1 + i % 12,
		         1 + i % 28);
		snprintf(title, sizeof(title), "Séance n°%d ; « spéciale » *_`|<&\"'=%s", i,
		         i % 7 ? "" : " (bis)");
		put(n, "meeting", mid,
		    json_pack("{s:s, s:s, s:s, s:s}", "body", i % 3 ? "pleniere" : "bureau", "date",
		              date, "title", title, "status",
		              statuses[i % 13 == 0 ? 2 + i % 2 : i % 5 == 0]));
		for (int k = 0; k < 4 && i % 11; k++) {
			uuid(id, 'c', i * 4 + k);
			uuid(title, 'b', k);
			put(n, "attendance", id,
			    json_pack("{s:s, s:s, s:s, s:s, s:s}", "meeting", mid, "member", title,
			              "last_name", "Durand", "college",
			              k % 2 ? "usagers" : "professionnels", "status",
			              att[(i + k) % 3]));
		}
		uuid(id, 'd', i);
		put(n, "opinion", id,
		    json_pack("{s:s, s:s, s:i, s:i, s:i, s:s}", "meeting", mid, "subject",
		              "Avis ; \"projet\" <régional>", "votes_for", i % 9, "votes_against",
		              2, "votes_abstain", 1, "outcome",
		              i % 4 ? "favorable" : "defavorable"));
		if (i % 10 == 0) {
			uuid(id, 'e', i);
			put(n, "contribution", id,
			    json_pack("{s:s, s:s, s:s, s:s}", "theme",
			              i % 20 ? "segur-pilier-2" : "theme-inconnu", "title",
			              "Proposition | *", "text", "Texte.", "meeting", mid));
		}
	}
	assert_int_equal(cts_store_commit(n->store), 0);
}

static int to_strbuf(void *ctx, const char *buf, size_t len)
{
	cts_strbuf_addn(ctx, buf, len);
	return 0;
}

/* Fails once `left` bytes were taken. */
static int failing(void *ctx, const char *buf, size_t len)
{
	size_t *left = ctx;

	(void)buf;
	if (len > *left)
		return cts_error_set(CTS_EIO, "écriture refusée (test)");
	*left -= len;
	return 0;
}

static void same_bytes(cts_node *n, const cts_report_params *p)
{
	json_t *rep = NULL;

	assert_int_equal(cts_report_build(n, p, &rep), 0);
	for (int f = CTS_REPORT_JSON; f <= CTS_REPORT_CSV; f++) {
		char *built = NULL, *streamed = NULL;
		size_t blen = 0, slen = 0;
		cts_strbuf b = { 0 };
		assert_int_equal(cts_report_render(rep, (cts_report_format)f, &built, &blen), 0);
		assert_int_equal(cts_report_write(n, p, (cts_report_format)f, to_strbuf, &b), 0);
		assert_int_equal(cts_strbuf_take(&b, &streamed, &slen), 0);
		assert_true(blen > 1000);
		assert_int_equal(slen, blen);
		assert_memory_equal(streamed, built, blen);
		free(built);
		free(streamed);
	}
	json_decref(rep);
}

static void test_stream_equals_built(void **state)
{
	(void)state;
	char *root = tu_tmpdir();
	cts_node *n = tu_territory_node(root, "le-havre-poste", "le-havre");
	cts_report_params p = { .from = "2000-01-01",
		                .to = "2099-12-31",
		                .quorum_num = 1,
		                .quorum_den = 2,
		                .generated_at = "2024-01-01" };
	char from[11], to[11];

	fill(n);
	same_bytes(n, &p); /* all history: past the spools' 1 MiB for json */
	cts_report_year(&p, 2019, from, to);
	p.generated_at = NULL;
	same_bytes(n, &p);
	p.territory = "le-havre";
	same_bytes(n, &p);
	cts_node_free(n);
	tu_rmtree(root);
	free(root);
}

static void test_write_error_stops(void **state)
{
	(void)state;
	char *root = tu_tmpdir();
	cts_node *n = tu_territory_node(root, "le-havre-poste", "le-havre");
	cts_report_params p = {
		.from = "2000-01-01", .to = "2099-12-31", .quorum_num = 1, .quorum_den = 2
	};
	size_t left = 100;

	fill(n);
	assert_int_equal(cts_report_write(n, &p, CTS_REPORT_MD, failing, &left), CTS_EIO);
	assert_non_null(strstr(cts_error_message(), "écriture refusée"));
	left = 100;
	assert_int_equal(cts_report_write(n, &p, CTS_REPORT_JSON, failing, &left), CTS_EIO);
	p.from = "2020-13-01";
	assert_int_equal(cts_report_write(n, &p, CTS_REPORT_CSV, to_strbuf, NULL), CTS_EINVAL);
	cts_node_free(n);
	tu_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stream_equals_built),
		cmocka_unit_test(test_write_error_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
