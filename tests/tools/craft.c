/*
 * cts_craft: test tool that writes a changeset signed with a node key,
 * from operations given as JSON, bypassing every rule the CLI enforces.
 * The end-to-end tests use it to play hostile or buggy peers.
 *
 *   cts_craft --key HOME/node.key --node N --territory T --seq S
 *             [--prev ID|--prev-from FILE] [--time RFC3339] [--seen JSON]
 *             --ops OPS.json --out DIR
 *   cts_craft --key HOME/node.key --node N --seq S --raw FILE --out DIR
 *             (signs FILE's bytes as they are: non-canonical cases)
 *   cts_craft --derived-id NAME
 *             (prints the record id derived from NAME, e.g. "fork:<node>:<seq>")
 *
 * The key must be unencrypted (tests use --no-passphrase).
 */
#include "changeset.h"
#include "crypto.h"
#include "error.h"
#include "journal.h"
#include "key.h"
#include "node.h"
#include "record.h"
#include "sshsig.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *arg(int argc, char **argv, const char *name)
{
	for (int i = 1; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

static int die(const char *what)
{
	fprintf(stderr, "cts_craft: %s: %s\n", what, cts_error_message());
	return 1;
}

int main(int argc, char **argv)
{
	const char *keyp = arg(argc, argv, "--key"), *node = arg(argc, argv, "--node");
	const char *terr = arg(argc, argv, "--territory"), *seq_s = arg(argc, argv, "--seq");
	const char *prev = arg(argc, argv, "--prev"), *prev_from = arg(argc, argv, "--prev-from");
	const char *time_s = arg(argc, argv, "--time"), *seen_s = arg(argc, argv, "--seen");
	const char *ops_p = arg(argc, argv, "--ops"), *raw_p = arg(argc, argv, "--raw"),
	           *out = arg(argc, argv, "--out");
	char prevbuf[65], path[4096], *bytes = NULL, *sig = NULL;
	size_t len = 0, sig_len = 0;
	cts_changeset *cs = NULL;
	cts_key *key = NULL;
	long long seq;

	if (argc == 3 && strcmp(argv[1], "--derived-id") == 0) {
		char rid[37];
		cts_record_derived_id(rid, argv[2]);
		printf("%s\n", rid);
		return 0;
	}
	if (!keyp || !node || !seq_s || !out || (!ops_p && !raw_p)) {
		fprintf(stderr, "usage: see tests/tools/craft.c\n");
		return 2;
	}
	if (cts_crypto_init() < 0 || cts_key_load(&key, keyp, NULL) < 0)
		return die("clé");
	seq = atoll(seq_s);
	if (prev_from) {
		char *pb = NULL;
		size_t pl;
		if (cts_read_file(prev_from, CTS_CHANGESET_MAX_BYTES, &pb, &pl) < 0)
			return die("prev");
		cts_changeset_hash(pb, pl, prevbuf);
		free(pb);
		prev = prevbuf;
	}
	if (raw_p) {
		if (cts_read_file(raw_p, CTS_CHANGESET_MAX_BYTES, &bytes, &len) < 0)
			return die("raw");
	} else {
		json_error_t err;
		json_t *ops = json_load_file(ops_p, 0, &err);
		json_t *seen = seen_s ? json_loads(seen_s, 0, &err) : json_object();
		if (!ops || !seen || !terr) {
			fprintf(stderr, "cts_craft: ops/seen/territory: %s\n", err.text);
			return 1;
		}
		if (cts_changeset_build(&cs, node, terr, seq, prev,
		                        time_s ? time_s : "2026-01-01T00:00:00Z", seen, ops) < 0)
			return die("changeset");
		bytes = malloc(cs->len);
		memcpy(bytes, cs->bytes, cs->len);
		len = cs->len;
		json_decref(ops);
		json_decref(seen);
	}
	if (cts_sshsig_sign(&sig, &sig_len, key, CTS_SIG_NAMESPACE, (const unsigned char *)bytes,
	                    len) < 0)
		return die("signature");
	snprintf(path, sizeof(path), "%s/changesets/%s", out, node);
	if (cts_mkdirs(path) < 0)
		return die("dossier");
	snprintf(path, sizeof(path), "%s/changesets/%s/%012lld.json", out, node, seq);
	if (cts_write_file_atomic(path, bytes, len, 0644) < 0)
		return die("écriture");
	strcat(path, ".sig");
	if (cts_write_file_atomic(path, sig, sig_len, 0644) < 0)
		return die("écriture");
	printf("%s\n", cs ? cs->id : "");
	cts_changeset_free(cs);
	cts_key_free(key);
	free(bytes);
	free(sig);
	return 0;
}
