#include "handover.h"

#include "csvout.h"
#include "error.h"
#include "hlc.h"
#include "region.h"
#include "strbuf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define HANDOVER_MAX_ROWS 1000000

static int unaccepted_rows(cts_node *n, json_t **out)
{
	int64_t after = -1;
	sqlite3_stmt *s;
	int rc;

	*out = NULL;
	if ((rc = cts_region_self_revocation(n, &after, NULL, 0)) < 0)
		return rc;
	if ((rc = cts_store_stmt(
	         n->store, &s,
	         "SELECT hlc, tbl AS \"table\", rid AS id, op, set_json, sealed_seq FROM journal"
	         " WHERE sealed_seq IS NULL OR (?1 >= 0 AND sealed_seq > ?1) ORDER BY id LIMIT "
	         "?2")) < 0)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int64(s, 2, HANDOVER_MAX_ROWS);
	return cts_store_rows_json(n->store, s, out);
}

/* "AAAA-MM-JJ hh:mm:ss" of an HLC. */
static void hlc_date(char *buf, size_t size, json_int_t hlc)
{
	time_t t = (time_t)(CTS_HLC_MS((uint64_t)hlc) / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
}

static int write_csv(const char *path, json_t *rows)
{
	static const char *const head[] = { "date (UTC)", "table", "enregistrement", "opération",
		                            "champs" };
	cts_strbuf b = { 0 };
	char *text = NULL;
	size_t i, len = 0;
	json_t *r;
	int rc;

	cts_csv_bom(&b);
	cts_csv_row(&b, head, 5);
	json_array_foreach(rows, i, r)
	{
		char date[32];
		const char *set = json_string_value(json_object_get(r, "set_json"));
		const char *cells[5];
		hlc_date(date, sizeof(date), json_integer_value(json_object_get(r, "hlc")));
		cells[0] = date;
		cells[1] = json_string_value(json_object_get(r, "table"));
		cells[2] = json_string_value(json_object_get(r, "id"));
		cells[3] = strcmp(json_string_value(json_object_get(r, "op")), "del") == 0
		               ? "suppression"
		               : "saisie";
		cells[4] = set ? set : "";
		cts_csv_row(&b, cells, 5);
	}
	if ((rc = cts_strbuf_take(&b, &text, &len)) < 0)
		return rc;
	rc = cts_write_file_atomic(path, text, len, 0600);
	free(text);
	return rc;
}

/* The JSON file: "set" parsed back from set_json. */
static int write_json(const char *path, json_t *rows)
{
	size_t i;
	json_t *r;
	char *text;
	int rc;

	json_array_foreach(rows, i, r)
	{
		const char *set = json_string_value(json_object_get(r, "set_json"));
		json_object_set_new(r, "set", set ? json_loads(set, 0, NULL) : json_null());
		json_object_del(r, "set_json");
	}
	if (!(text = json_dumps(rows, JSON_INDENT(2) | JSON_ENSURE_ASCII)))
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	rc = cts_write_file_atomic(path, text, strlen(text), 0600);
	free(text);
	return rc;
}

int cts_handover_export(cts_node *n, const char *dir, int *count)
{
	char csv[4096], js[4096];
	json_t *rows = NULL;
	int rc;

	*count = 0;
	if (snprintf(csv, sizeof(csv), "%s/saisies-non-acceptees.csv", dir) >= (int)sizeof(csv) ||
	    snprintf(js, sizeof(js), "%s/saisies-non-acceptees.json", dir) >= (int)sizeof(js))
		return cts_error_set(CTS_EINVAL, "chemin trop long : %.200s", dir);
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return cts_error_set(CTS_EIO, "impossible de créer le dossier %s : %s", dir,
		                     strerror(errno));
	if ((rc = unaccepted_rows(n, &rows)) < 0)
		return rc;
	if ((rc = write_csv(csv, rows)) == 0 && (rc = write_json(js, rows)) == 0)
		*count = (int)json_array_size(rows);
	json_decref(rows);
	return rc;
}
