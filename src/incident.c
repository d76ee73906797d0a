#include "incident.h"

#include "error.h"

#include <time.h>

static void format_date(uint64_t ms, char buf[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cts_incident_add(cts_store *st, const char *kind, const char *node, int64_t seq,
                     const char *detail)
{
	sqlite3_stmt *s;
	char date[32];
	/* ?1 .. ?5 but ?3, the seq, bound below. */
	const char *args[] = { kind, node ? node : "", NULL, detail ? detail : "", date };
	int rc;

	format_date(st->clock(st->clock_ctx), date);
	if ((rc = cts_store_begin(st)) < 0)
		return rc;
	if ((rc = cts_store_stmt_args(st, &s,
	                              "INSERT INTO incident(kind, node, seq, detail, first_seen, "
	                              "last_seen) VALUES (?1, ?2, ?3, ?4, ?5, ?5)"
	                              " ON CONFLICT (kind, node, seq, detail) DO UPDATE SET "
	                              "last_seen = ?5, count = count + 1",
	                              args, 5)) < 0)
		goto fail;
	sqlite3_bind_int64(s, 3, seq);
	if ((rc = cts_store_done(st, s, "enregistrement d'un incident")) < 0)
		goto fail;
	return cts_store_commit(st);
fail:
	cts_store_rollback(st);
	return rc;
}

int cts_incident_list(cts_store *st, json_t **out)
{
	return cts_store_rows_args(st,
	                           "SELECT kind, node, seq, detail, first_seen AS date, last_seen, "
	                           "count FROM incident ORDER BY id",
	                           NULL, 0, out);
}

int cts_incident_count(cts_store *st, int64_t *out)
{
	sqlite3_stmt *s;
	int rc;

	*out = 0;
	if ((rc = cts_store_stmt(st, &s, "SELECT count(*) FROM incident")) < 0)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	else
		rc = cts_store_error(st, "lecture des incidents");
	sqlite3_reset(s);
	return rc;
}
