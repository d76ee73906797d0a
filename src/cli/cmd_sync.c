/* ctsnode seal | import | rebuild: the signed history on this node. */
#include "cli.h"

#include "error.h"
#include "importer.h"
#include "journal.h"
#include "key.h"
#include "passphrase.h"
#include "record.h"
#include "recover.h"

#include <stdlib.h>
#include <string.h>

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
			if ((rc = cts_key_load(out, path, pass)) == 0 || rc != CTS_EAUTH || i == tries)
				break;
			snprintf(wrong, sizeof(wrong), "%s", cts_error_message());
			fprintf(stderr, "%s : essayez encore (%d essai(s) restant(s)).\n", wrong, tries - i);
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

int cli_print_import(cli_ctx *c, const cts_import_stats *st);

int cli_print_import(cli_ctx *c, const cts_import_stats *st)
{
	size_t i;
	json_t *e;

	if (c->json)
		return 0;
	printf("%d changeset(s) appliqué(s)", st->accepted);
	if (st->duplicates)
		printf(", %d déjà connu(s)", st->duplicates);
	printf(".\n");
	if (st->rebuilt)
		printf("La vue locale a été reconstruite (révocation ou bifurcation détectée).\n");
	if (st->forks)
		printf("%d bifurcation(s) constatée(s) : un nœud a signé deux versions d'un même changeset ; les deux\n"
		       "et tous ses changesets suivants sont refusés (ctsnode status, incidents).\n", st->forks);
	if (st->evidence)
		printf("%d preuve(s) de bifurcation enregistrée(s) par ce poste : elles partent avec le sync.\n", st->evidence);
	json_array_foreach(st->events, i, e) {
		const char *state = cli_str(e, "state");
		if (strcmp(state, "ignored") == 0)
			continue; /* a revoked node's later work: summed up by the caller */
		printf("  %s %s n°%lld : %s\n",
		       strcmp(state, "refused") == 0 ? "REFUSÉ" : strcmp(state, "held") == 0 ? "retenu" : "en attente",
		       cli_str(e, "node"), (long long)json_integer_value(json_object_get(e, "seq")), cli_str(e, "reason"));
	}
	return 0;
}

static int has_refusals(const cts_import_stats *st)
{
	size_t i;
	json_t *e;

	json_array_foreach(st->events, i, e)
		if (strcmp(cli_str(e, "state"), "refused") == 0)
			return 1;
	return 0;
}

static const char seal_help[] =
	"Usage : ctsnode [--home DOSSIER] seal\n"
	"\n"
	"Scelle les opérations saisies dans le prochain changeset signé du nœud, sans réseau.\n"
	"(sync le fait aussi avant d'envoyer.)\n";

static int cmd_seal_run(cli_ctx *c, int argc, char **argv)
{
	cts_node *n;
	char *pos[1];
	int npos, ec, sealed = 0;
	int64_t last = 0;

	if (cli_parse(c, argc, argv, NULL, seal_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if ((ec = cli_seal(c, n, &sealed)) != 0) {
		cts_node_free(n);
		return ec;
	}
	cts_store_meta_get_int(n->store, "last_seq", &last, 0);
	if (c->json) {
		json_t *o = json_pack("{s:i, s:I}", "sealed", sealed, "last_seq", (json_int_t)last);
		cli_print_json(o);
		json_decref(o);
	} else if (sealed) {
		printf("%d changeset(s) scellé(s) et signé(s) ; dernier : n°%lld.\n", sealed, (long long)last);
	} else {
		printf("Rien à sceller.\n");
	}
	cts_node_free(n);
	return EXIT_OK;
}

static const char import_help[] =
	"Usage : ctsnode [--home DOSSIER] import DOSSIER [--json]\n"
	"\n"
	"Importe les changesets signés trouvés dans DOSSIER/changesets/<nœud>/<numéro>.json (+ .sig) :\n"
	"vérifie signature, forme canonique, chaîne, inscription et droits, puis applique.\n"
	"Les changesets en attente, retenus ou refusés sont gardés avec leur raison (ctsnode status).\n"
	"Code de sortie 1 si un changeset est refusé.\n";

static int import_run(cli_ctx *c, int argc, char **argv)
{
	cts_import_stats st = { 0 };
	cts_node *n;
	char *pos[1];
	int npos, ec, rc, sealed;

	if (cli_parse(c, argc, argv, NULL, import_help, pos, 1, &npos, &ec) < 0)
		return ec;
	if (npos != 1)
		return cli_usage(c, "le dossier à importer est attendu");
	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	/* Local edits are sealed first: their causal context is what we had
	 * seen when they were made. */
	if ((ec = cli_seal(c, n, &sealed)) != 0) {
		cts_node_free(n);
		return ec;
	}
	if (cli_progress_wanted())
		st.progress = cli_progress;
	if ((rc = cts_import_dir(n, pos[0], &st)) < 0 || (rc = cts_import_process(n, &st)) < 0) {
		cts_import_stats_dispose(&st);
		cts_node_free(n);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o = json_pack("{s:i, s:i, s:i, s:b, s:o}", "offered", st.offered, "accepted", st.accepted,
				      "duplicates", st.duplicates, "rebuilt", st.rebuilt, "events",
				      st.events ? json_incref(st.events) : json_array());
		json_object_set_new(o, "forks", json_integer(st.forks));
		json_object_set_new(o, "fork_records", json_integer(st.evidence));
		cli_print_json(o);
		json_decref(o);
	} else {
		cli_print_import(c, &st);
	}
	ec = has_refusals(&st) ? EXIT_FINDINGS : EXIT_OK;
	cts_import_stats_dispose(&st);
	cts_node_free(n);
	return ec;
}

static const char rebuild_help[] =
	"Usage : ctsnode [--home DOSSIER] rebuild [--json]\n"
	"        [--node NOEUD] [--territory CODE] [--authority-key \"ssh-ed25519 AAAA...\"]\n"
	"\n"
	"Efface la vue locale (SQLite) et la reconstruit en rejouant tout l'historique signé,\n"
	"vérifié à nouveau. L'empreinte du contenu (status) est la même avant et après.\n"
	"\n"
	"Base perdue ou endommagée (node.db absent, illisible, abîmé) : avec la clé du poste\n"
	"(node.key) et son historique (changesets/ et/ou repo.git), rebuild recrée la base et\n"
	"retrouve l'identité du poste (nœud, territoire, rôle, clé de l'autorité, dépôt, dernier\n"
	"changeset) dans ce qui est signé. La base abîmée est mise de côté (node.db.damaged-DATE),\n"
	"jamais effacée. Les saisies qui n'avaient pas encore été scellées (seal ou sync) sont\n"
	"perdues avec l'ancienne base. Les options ne servent que si l'historique ne suffit pas :\n"
	"  --node NOEUD, --territory CODE   identité d'un poste qui n'a encore rien signé\n"
	"  --authority-key CLE              clé de l'autorité, si plusieurs nœuds s'en réclament\n"
	"\n"
	"Base intacte : --authority-key CLE corrige la clé de l'autorité donnée par erreur à\n"
	"l'initialisation, tant que rien n'a été accepté de l'autorité (le premier sync le dit).\n";

/* The database was lost or damaged and has just been rebuilt. */
static int print_recovery(cli_ctx *c, cts_node *n, const cts_recover_info *info, const cts_import_stats *st)
{
	char digest[65];
	int rc;

	if ((rc = cts_record_digest(n->store, digest)) < 0)
		return cli_fail(c, rc);
	if (c->json) {
		json_t *o = json_pack("{s:b, s:s, s:s, s:s, s:I, s:i, s:s, s:i}", "recovered", 1, "node", n->id, "territory",
				      n->territory, "role", n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory", "last_seq",
				      (json_int_t)info->last_seq, "accepted", st->accepted, "content_digest", digest,
				      "restored_from_repo", info->restored_from_repo);
		json_object_set_new(o, "moved_to", info->moved_to ? json_string(info->moved_to) : json_null());
		json_object_set_new(o, "damage", info->damage ? json_string(info->damage) : json_null());
		json_object_set_new(o, "unsealed_lost", info->unsealed_lost >= 0 ? json_integer(info->unsealed_lost) : json_null());
		json_object_set_new(o, "events", st->events ? json_incref(st->events) : json_array());
		cli_print_json(o);
		json_decref(o);
		return EXIT_OK;
	}
	if (info->moved_to)
		printf("Constat : %s.\nLa base endommagée a été mise de côté, sans rien effacer : %s\n",
		       info->damage ? info->damage : "base du nœud endommagée", info->moved_to);
	else
		printf("La base du nœud (node.db) manquait.\n");
	printf("Base recréée depuis l'historique signé : nœud %s (%s %s), %d changeset(s) vérifié(s) et rejoué(s), "
	       "dernier changeset du poste : n°%lld.\n",
	       n->id, n->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", n->territory, st->accepted,
	       (long long)info->last_seq);
	if (info->restored_from_repo)
		printf("%d changeset(s) du poste retrouvé(s) dans repo.git et recopié(s) dans changesets/.\n",
		       info->restored_from_repo);
	printf("Empreinte du contenu : %s\n", digest);
	if (info->unsealed_lost > 0)
		printf("Attention : %lld saisie(s) n'avaient pas encore été scellées (seal ou sync) dans l'ancienne base : elles "
		       "sont perdues. Vérifiez les dernières saisies et refaites celles qui manquent.\n",
		       (long long)info->unsealed_lost);
	else if (info->unsealed_lost < 0)
		printf("Attention : les saisies qui n'avaient pas encore été scellées (seal ou sync) avant la perte de la base "
		       "sont perdues. Vérifiez les dernières saisies et refaites celles qui manquent.\n");
	printf("Prochaine étape : ctsnode sync\n");
	return EXIT_OK;
}

/* node.db intact: drop the view and replay (the same digest expected). */
static int rebuild_intact(cli_ctx *c, cts_import_stats *st, const char *authority_key)
{
	cts_node *n;
	char before[65], after[65];
	int ec, rc;

	if ((ec = cli_open_node(c, &n)) != 0)
		return ec;
	if (n->store->readonly) {
		cts_node_free(n);
		return cli_fail(c, cts_error_set(CTS_EIO, "%s", CTS_STORE_READ_ONLY));
	}
	/* The authority key given at init was wrong: corrected, then replayed. */
	if (authority_key && (rc = cts_node_set_authority_key(n, authority_key)) < 0) {
		cts_node_free(n);
		return cli_fail(c, rc);
	}
	if (authority_key && !c->json)
		printf("Clé de l'autorité corrigée : %s\n", n->authority_key);
	if ((rc = cts_record_digest(n->store, before)) < 0 || (rc = cts_import_rebuild(n, st)) < 0 ||
	    (rc = cts_record_digest(n->store, after)) < 0) {
		cts_node_free(n);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:b, s:b}", "digest_before", before, "content_digest", after,
				      "accepted", st->accepted, "same", strcmp(before, after) == 0, "recovered", 0);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("Vue reconstruite : %d changeset(s) rejoué(s).\nEmpreinte du contenu : %s (%s)\n", st->accepted, after,
		       strcmp(before, after) == 0 ? "inchangée" : "CHANGÉE : voir ctsnode status");
	}
	cts_node_free(n);
	return EXIT_OK;
}

static int rebuild_run(cli_ctx *c, int argc, char **argv)
{
	cts_recover_hints h = { 0 };
	const cli_opt opts[] = {
		{ "node", OPT_STR, &h.node_id, 0 },
		{ "territory", OPT_STR, &h.territory, 0 },
		{ "authority-key", OPT_STR, &h.authority_key, 0 },
		{ NULL, 0, NULL, 0 },
	};
	cts_import_stats st = { 0 };
	cts_recover_info info;
	cts_node *n = NULL;
	char *pos[1], *home = NULL;
	int npos, ec, rc;

	if (cli_parse(c, argc, argv, opts, rebuild_help, pos, 0, &npos, &ec) < 0)
		return ec;
	if ((rc = cts_node_home_resolve(&home, c->home_flag)) < 0)
		return cli_fail(c, rc);
	if (cli_progress_wanted())
		st.progress = cli_progress;
	rc = cts_recover_node(&n, home, &h, &st, &info);
	free(home);
	if (rc < 0)
		ec = cli_fail(c, rc);
	else if (!info.needed)
		ec = rebuild_intact(c, &st, h.authority_key);
	else
		ec = print_recovery(c, n, &info, &st);
	cts_recover_info_dispose(&info);
	cts_import_stats_dispose(&st);
	cts_node_free(n);
	return ec;
}

int cmd_seal(cli_ctx *c, int argc, char **argv)
{
	return cmd_seal_run(c, argc, argv);
}

int cmd_import(cli_ctx *c, int argc, char **argv)
{
	return import_run(c, argc, argv);
}

int cmd_rebuild(cli_ctx *c, int argc, char **argv)
{
	return rebuild_run(c, argc, argv);
}
