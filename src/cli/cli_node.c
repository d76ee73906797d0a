/* The node as the commands use it: open it, load its key, seal its pending
 * operations, and run a command on it (cli_run). */
#include "cli.h"

#include "error.h"
#include "journal.h"
#include "key.h"
#include "passphrase.h"
#include "record.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_open_node(cli_ctx *c, cts_node **out)
{
	char *home = NULL;
	int rc;

	*out = NULL;
	if ((rc = cts_node_home_resolve(&home, c->home_flag)) < 0)
		return cli_fail(c, rc);
	{
		/* How long to wait for another ctsnode command on the same
		 * node (CTSNODE_LOCK_TIMEOUT seconds, default 120). */
		const char *w = getenv("CTSNODE_LOCK_TIMEOUT");
		int wait_ms = w && *w ? atoi(w) * 1000 : 120 * 1000;
		rc = cts_node_open_wait(out, home, wait_ms < 0 ? 0 : wait_ms);
	}
	free(home);
	if (rc == 0 && (*out)->notice)
		fprintf(stderr, "%s\n", (*out)->notice);
	return rc < 0 ? cli_fail(c, rc) : 0;
}

int cli_resolve(cli_ctx *c, cts_node *n, cts_ref_kind kind, const char *ref, unsigned flags,
                char id_out[37])
{
	int rc = cts_resolve(n, kind, NULL, ref, flags, id_out);

	return rc < 0 ? cli_fail(c, rc) : 0;
}

/* Three tries when the passphrase is typed (terminal) or read line by line
 * (CTSNODE_PASSPHRASE_FD); one from CTSNODE_PASSPHRASE. */
static int key_tries(void)
{
	return getenv("CTSNODE_PASSPHRASE") ? 1 : 3;
}

int cli_load_key(cli_ctx *c, cts_node *n, cts_key **out)
{
	char *path = cts_node_path(n, "node.key"), *pass = NULL;
	int enc = 0, rc, tries = key_tries();

	*out = NULL;
	if (!path)
		return cli_fail(c, cts_error_set(CTS_ENOMEM, "mémoire insuffisante"));
	if (n->store->readonly) {
		/* The key only serves to sign, i.e. to write. */
		free(path);
		return cli_fail(c, cts_error_set(CTS_EIO, "%s", CTS_STORE_READ_ONLY));
	}
	if ((rc = cts_key_file_is_encrypted(path, &enc)) == 0 && !enc)
		rc = cts_key_load(out, path, NULL);
	else if (rc == 0 && c->pass)
		rc = cts_key_load(out, path, c->pass); /* asked once per command */
	else if (rc == 0) {
		char wrong[256] = "";
		for (int i = 1; i <= tries; i++) {
			if ((rc = cts_passphrase_get(&pass, "Phrase de passe du nœud : ", 0)) < 0) {
				if (wrong[0]) /* nothing more to read: the wrong one is the news */
					rc = cts_error_set(CTS_EAUTH, "%s", wrong);
				break;
			}
			if ((rc = cts_key_load(out, path, pass)) == 0 || rc != CTS_EAUTH ||
			    i == tries)
				break;
			snprintf(wrong, sizeof(wrong), "%s", cts_error_message());
			fprintf(stderr, "%s : essayez encore (%d essai(s) restant(s)).\n", wrong,
			        tries - i);
			cts_passphrase_free(pass);
			pass = NULL;
		}
		if (rc == 0) {
			c->pass = pass;
			pass = NULL;
		}
	}
	cts_passphrase_free(pass);
	free(path);
	return rc < 0 ? cli_fail(c, rc) : 0;
}

int cli_seal(cli_ctx *c, cts_node *n, int *sealed)
{
	int64_t pending = 0;
	cts_key *key = NULL;
	int rc, ec;

	*sealed = 0;
	if ((rc = cts_record_pending_ops(n->store, &pending)) < 0)
		return cli_fail(c, rc);
	if (pending == 0)
		return 0;
	if ((ec = cli_load_key(c, n, &key)) != 0)
		return ec;
	rc = cts_journal_seal(n, key, sealed);
	cts_key_free(key);
	return rc < 0 ? cli_fail(c, rc) : 0;
}

int cli_run_on_node(cli_ctx *c, const char *pos, cli_body body, void *arg)
{
	cts_node *n;
	int ec, rc;

	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	rc = body(c, n, pos, arg);
	cts_node_free(n);
	return rc < 0 ? cli_fail(c, rc) : rc;
}

int cli_run(cli_ctx *c, int argc, char **argv, const cli_spec *s, cli_body body, void *arg)
{
	char *pos[1] = { NULL };
	int npos, ec;

	if (cli_parse(c, argc, argv, s->opts, s->help, pos, s->pos_missing ? 1 : 0, &npos, &ec) < 0)
		return ec;
	if (s->pos_missing && npos != 1)
		return cli_usage(c, "%s", s->pos_missing);
	if (s->check && (ec = s->check(c, pos[0], arg)) != 0)
		return ec;
	return cli_run_on_node(c, pos[0], body, arg);
}

void cli_result(cli_ctx *c, json_t *o, const char *fmt, ...)
{
	va_list ap;

	if (c->json && o) {
		cli_print_json(o);
	} else if (!c->json && fmt) {
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
	}
	json_decref(o);
}

typedef struct {
	const cli_record *r;
	cli_change_fn fn;
	void *arg;
} change_call;

/* The record named, the change, its French line. */
static int change_body(cli_ctx *c, cts_node *n, const char *ref, void *arg)
{
	const change_call *k = arg;
	cts_change ch = { 0 };
	char id[37];
	int ec, rc;

	if ((ec = cli_resolve(c, n, k->r->kind, ref, k->r->flags, id)) != 0)
		return ec;
	if ((rc = k->fn(n, id, k->arg, &ch)) < 0)
		return rc;
	cli_result(
	    c, json_pack("{s:s, s:b, s:s?}", "id", id, "changed", ch.changed, "message", ch.line),
	    ch.line ? "%s\n" : NULL, ch.line);
	cts_change_dispose(&ch);
	return EXIT_OK;
}

int cli_change(cli_ctx *c, int argc, char **argv, const cli_opt *opts, const char *help,
               const cli_record *r, cli_change_fn fn, void *arg)
{
	change_call k = { r, fn, arg };
	const cli_spec s = { opts, help, r->missing, NULL };

	return cli_run(c, argc, argv, &s, change_body, &k);
}

static int op_change(cts_node *n, const char *id, void *arg, cts_change *out)
{
	const cli_cmd *k = arg;

	return k->op
	           ? k->op(n, id, out)
	           : cts_change_withdraw(n, k->record->table, id, k->withdraw == CLI_WITHDRAW, out);
}

int cli_change_op(cli_ctx *c, int argc, char **argv, const cli_cmd *k)
{
	return cli_change(c, argc, argv, NULL, k->help, k->record, op_change, (void *)k);
}

int cli_run_plain(cli_ctx *c, int argc, char **argv, const char *help, cli_body body)
{
	const cli_spec s = { NULL, help, NULL, NULL };

	return cli_run(c, argc, argv, &s, body, NULL);
}

int cli_form(cli_ctx *c, int argc, char **argv, const cli_cmd *k)
{
	const cli_form_spec *f = k->form;
	union {
		max_align_t align;
		unsigned char bytes[CLI_FORM_SIZE];
	} fields;
	cli_opt opts[CLI_FORM_FIELDS + 1] = { { NULL, 0, NULL, 0 } };
	const cli_spec s = { opts, k->help, NULL, NULL };
	size_t i;

	if (f->size > sizeof(fields))
		return cli_fail(
		    c, cts_error_set(CTS_ERR, "formulaire trop grand (%zu octets)", f->size));
	if (f->init)
		memcpy(fields.bytes, f->init, f->size);
	else
		memset(fields.bytes, 0, f->size);
	for (i = 0; i < CLI_FORM_FIELDS && f->fields[i].name; i++)
		opts[i] = (cli_opt){ f->fields[i].name, f->fields[i].kind,
			             fields.bytes + f->fields[i].offset,
			             !k->record && f->fields[i].add_required };
	if (f->fields[i].name)
		return cli_fail(
		    c, cts_error_set(CTS_ERR, "formulaire de plus de %d champs", CLI_FORM_FIELDS));
	if (k->record)
		return cli_change(c, argc, argv, opts, k->help, k->record, k->change, &fields);
	return cli_run(c, argc, argv, &s, k->body, &fields);
}
