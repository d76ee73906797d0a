/*
 * Changeset validation (sync/changeset.h): envelope and operations of
 * SPEC §3. Properties of an accepted changeset, each checked here
 * independently of the parser's own code:
 *  - the bytes are kept as given, end with one "\n", are canonical JCS, and
 *    the id is the SHA-256 of the bytes;
 *  - envelope members have the SPEC's shapes as whole strings (no NUL
 *    hiding a suffix): node [a-z0-9-]{3,64}, territory [a-z0-9-]{2,64},
 *    prev null iff seq is 1 else 64 lowercase hex, time "...Z", seen maps
 *    other node ids to seq >= 1;
 *  - every op has exactly its members, a 16-lowercase-hex hlc, a known
 *    table, a lowercase UUID id, a non-empty set for put; hlc_min/hlc_max
 *    are the extremes of the ops' clocks;
 *  - rebuilding it with cts_changeset_build from the parsed parts gives the
 *    same bytes and id; the text without its final newline is refused;
 *  - the domain rules (src/rules.h) judge every put's set: accepted, or
 *    refused with CTS_EINVAL/CTS_ELIMIT naming the table and a field of
 *    it, with a message and value excerpt that are printable UTF-8 (they
 *    end up in status --json and audit reports).
 * A refused text gives CTS_EINVAL or CTS_ELIMIT with a message.
 */
#include "harness.h"

#include "changeset.h"
#include "error.h"
#include "jcs.h"
#include "rules.h"
#include "text.h"
#include "tables.h"

#include <sodium.h>
#include <string.h>

/* A JSON string with no NUL inside, of length lo..hi, every byte in set. */
static int str_of(const json_t *v, size_t lo, size_t hi, const char *set)
{
	const char *s = json_string_value(v);
	size_t n;

	if (!s)
		return 0;
	n = json_string_length(v);
	if (strlen(s) != n || n < lo || n > hi)
		return 0;
	return strspn(s, set) == n;
}

#define NODE_SET "abcdefghijklmnopqrstuvwxyz0123456789-"
#define HEX_SET "0123456789abcdef"

static int uuid_shape(const json_t *v)
{
	const char *s = json_string_value(v);

	if (!str_of(v, 36, 36, HEX_SET "-"))
		return 0;
	for (int i = 0; i < 36; i++)
		if ((s[i] == '-') != (i == 8 || i == 13 || i == 18 || i == 23))
			return 0;
	return 1;
}

static uint64_t hex_u64(const char *s)
{
	uint64_t v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 4 | (uint64_t)(s[i] <= '9' ? s[i] - '0' : s[i] - 'a' + 10);
	return v;
}

static void check_ops(const cts_changeset *cs)
{
	uint64_t lo = UINT64_MAX, hi = 0;
	size_t i;
	json_t *op;

	FUZZ_CHECK(json_is_array(cs->ops));
	FUZZ_CHECK(json_array_size(cs->ops) >= 1 &&
	           json_array_size(cs->ops) <= CTS_CHANGESET_MAX_OPS);
	json_array_foreach(cs->ops, i, op)
	{
		json_t *kind = json_object_get(op, "op"), *set = json_object_get(op, "set");
		int put;
		uint64_t h;

		FUZZ_CHECK(json_is_object(op));
		FUZZ_CHECK(str_of(kind, 3, 3, "delputs"));
		put = strcmp(json_string_value(kind), "put") == 0;
		FUZZ_CHECK(put || strcmp(json_string_value(kind), "del") == 0);
		FUZZ_CHECK(json_object_size(op) == (put ? 5u : 4u));
		FUZZ_CHECK(str_of(json_object_get(op, "hlc"), 16, 16, HEX_SET));
		FUZZ_CHECK(
		    str_of(json_object_get(op, "table"), 1, 64, "abcdefghijklmnopqrstuvwxyz_"));
		FUZZ_CHECK(cts_table_find(json_string_value(json_object_get(op, "table"))) != NULL);
		FUZZ_CHECK(uuid_shape(json_object_get(op, "id")));
		if (put)
			FUZZ_CHECK(json_is_object(set) && json_object_size(set) > 0);
		else
			FUZZ_CHECK(set == NULL);
		h = hex_u64(json_string_value(json_object_get(op, "hlc")));
		if (h < lo)
			lo = h;
		if (h > hi)
			hi = h;
	}
	FUZZ_CHECK(cs->hlc_min == lo);
	FUZZ_CHECK(cs->hlc_max == hi);
}

/* Printable UTF-8 of at most max bytes: no control character. */
static int printable(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n >= max || !cts_text_utf8_valid(s, n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c == 0x7f || (c == 0xC2 && (unsigned char)s[i + 1] < 0xA0))
			return 0;
	}
	return 1;
}

static void check_rules(const cts_changeset *cs)
{
	size_t i;
	json_t *op;

	json_array_foreach(cs->ops, i, op)
	{
		const char *table = json_string_value(json_object_get(op, "table"));
		json_t *set = json_object_get(op, "set");
		cts_rule_violation why;
		int rc;

		if (!set)
			continue;
		cts_error_clear();
		rc = cts_rules_check_set(table, set, &why);
		if (rc == 0)
			continue;
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL || rc == CTS_ELIMIT);
		FUZZ_CHECK(strcmp(why.table, table) == 0);
		/* The parser already refused unknown fields: a field is named. */
		FUZZ_CHECK(why.field && json_object_get(set, why.field));
		FUZZ_CHECK(printable(why.value, sizeof(why.value)));
		FUZZ_CHECK(printable(why.message, sizeof(why.message)));
	}
}

static void check_envelope(const cts_changeset *cs, const char *buf, size_t size)
{
	json_t *r = cs->root, *v;
	unsigned char h[crypto_hash_sha256_BYTES];
	char hex[65];
	const char *key;

	FUZZ_CHECK(cs->len == size && memcmp(cs->bytes, buf, size) == 0);
	FUZZ_CHECK(size >= 2 && buf[size - 1] == '\n');
	FUZZ_CHECK(cts_jcs_is_canonical(buf, size - 1) == 1);
	crypto_hash_sha256(h, (const unsigned char *)buf, size);
	sodium_bin2hex(hex, sizeof(hex), h, sizeof(h));
	FUZZ_CHECK(strcmp(hex, cs->id) == 0);

	FUZZ_CHECK(json_is_object(r) && json_object_size(r) == 8);
	FUZZ_CHECK(json_integer_value(json_object_get(r, "v")) == 1);
	FUZZ_CHECK(str_of(json_object_get(r, "node"), 3, 64, NODE_SET));
	FUZZ_CHECK(cs->node == json_string_value(json_object_get(r, "node")));
	FUZZ_CHECK(str_of(json_object_get(r, "territory"), 2, 64, NODE_SET));
	FUZZ_CHECK(cs->territory == json_string_value(json_object_get(r, "territory")));
	FUZZ_CHECK(cs->seq >= 1 && cs->seq == json_integer_value(json_object_get(r, "seq")));
	if (cs->seq == 1) {
		FUZZ_CHECK(cs->prev == NULL && json_is_null(json_object_get(r, "prev")));
	} else {
		FUZZ_CHECK(str_of(json_object_get(r, "prev"), 64, 64, HEX_SET));
		FUZZ_CHECK(cs->prev == json_string_value(json_object_get(r, "prev")));
	}
	FUZZ_CHECK(str_of(json_object_get(r, "time"), 20, 40, "0123456789-:.TZ"));
	FUZZ_CHECK(cs->time[strlen(cs->time) - 1] == 'Z');
	FUZZ_CHECK(json_is_object(cs->seen) && cs->seen == json_object_get(r, "seen"));
	json_object_foreach(cs->seen, key, v)
	{
		FUZZ_CHECK(strlen(key) >= 3 && strlen(key) <= 64 &&
		           strspn(key, NODE_SET) == strlen(key));
		FUZZ_CHECK(strcmp(key, cs->node) != 0);
		FUZZ_CHECK(json_is_integer(v) && json_integer_value(v) >= 1);
	}
	FUZZ_CHECK(cs->ops == json_object_get(r, "ops"));
}

int cts_fuzz_changeset(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	cts_changeset *cs = NULL, *again = NULL, *cut = NULL;
	int rc;

	cts_error_clear();
	rc = cts_changeset_parse(&cs, buf, size);
	if (rc < 0) {
		cts_fuzz_check_error(rc);
		FUZZ_CHECK(rc == CTS_EINVAL || rc == CTS_ELIMIT);
		FUZZ_CHECK(cs == NULL);
		return 0;
	}
	FUZZ_CHECK(cs != NULL);
	check_envelope(cs, buf, size);
	check_ops(cs);
	check_rules(cs);

	/* The same parts build the same bytes. */
	rc = cts_changeset_build(&again, cs->node, cs->territory, cs->seq, cs->prev, cs->time,
	                         cs->seen, cs->ops);
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(again->len == cs->len && memcmp(again->bytes, cs->bytes, cs->len) == 0);
	FUZZ_CHECK(strcmp(again->id, cs->id) == 0);

	/* The final newline is part of the format. */
	cts_error_clear();
	rc = cts_changeset_parse(&cut, buf, size - 1);
	cts_fuzz_check_error(rc);
	FUZZ_CHECK(cut == NULL);

	cts_changeset_free(again);
	cts_changeset_free(cs);
	return 0;
}
