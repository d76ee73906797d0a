/* ctsnode rebuild: the local view replayed from the signed history. */
#include "cli.h"

#include "error.h"
#include "importer.h"
#include "record.h"
#include "recover.h"

#include <stdlib.h>
#include <string.h>

static const char rebuild_help[] =
    "Usage : ctsnode [--home DOSSIER] rebuild [--json]\n"
    "        [--node NOEUD] [--territory CODE] [--authority-key \"ssh-ed25519 AAAA...\"]\n"
    "\n"
    "Efface la vue locale (SQLite) et la reconstruit en rejouant tout l'historique signé,\n"
    "vérifié à nouveau. L'empreinte du contenu (status) est la même avant et après.\n"
    "\n"
    "Base perdue ou endommagée (node.db absent, illisible, abîmé) : avec la clé du poste\n"
    "(node.key) et son historique (repo.git, et le dossier changesets/ d'une version\n"
    "antérieure s'il est encore là), rebuild recrée la base et\n"
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
static int print_recovery(cli_ctx *c, cts_node *n, const cts_recover_info *info,
                          const cts_import_stats *st)
{
	char digest[65];
	int rc;

	if ((rc = cts_record_digest(n->store, digest)) < 0)
		return cli_fail(c, rc);
	if (c->json) {
		json_t *o = json_pack("{s:b, s:s, s:s, s:s, s:I, s:i, s:s, s:i}", "recovered", 1,
		                      "node", n->id, "territory", n->territory, "role",
		                      n->role == CTS_ROLE_AUTHORITY ? "authority" : "territory",
		                      "last_seq", (json_int_t)info->last_seq, "accepted",
		                      st->accepted, "content_digest", digest, "restored_from_repo",
		                      info->restored_from_repo);
		json_object_set_new(o, "moved_to",
		                    info->moved_to ? json_string(info->moved_to) : json_null());
		json_object_set_new(o, "damage",
		                    info->damage ? json_string(info->damage) : json_null());
		json_object_set_new(o, "unsealed_lost",
		                    info->unsealed_lost >= 0 ? json_integer(info->unsealed_lost)
		                                             : json_null());
		json_object_set_new(o, "events",
		                    st->events ? json_incref(st->events) : json_array());
		cli_print_json(o);
		json_decref(o);
		return EXIT_OK;
	}
	if (info->moved_to)
		printf("Constat : %s.\nLa base endommagée a été mise de côté, sans rien effacer : "
		       "%s\n",
		       info->damage ? info->damage : "base du nœud endommagée", info->moved_to);
	else
		printf("La base du nœud (node.db) manquait.\n");
	printf("Base recréée depuis l'historique signé : nœud %s (%s %s), %d changeset(s) "
	       "vérifié(s) et rejoué(s), "
	       "dernier changeset du poste : n°%lld.\n",
	       n->id, n->role == CTS_ROLE_AUTHORITY ? "région" : "territoire", n->territory,
	       st->accepted, (long long)info->last_seq);
	if (info->restored_from_repo)
		printf("%d changeset(s) du poste retrouvé(s) dans repo.git et recopié(s) dans "
		       "l'historique de la base.\n",
		       info->restored_from_repo);
	printf("Empreinte du contenu : %s\n", digest);
	if (info->unsealed_lost > 0)
		printf("Attention : %lld saisie(s) n'avaient pas encore été scellées (seal ou "
		       "sync) dans l'ancienne base : elles "
		       "sont perdues. Vérifiez les dernières saisies et refaites celles qui "
		       "manquent.\n",
		       (long long)info->unsealed_lost);
	else if (info->unsealed_lost < 0)
		printf("Attention : les saisies qui n'avaient pas encore été scellées (seal ou "
		       "sync) avant la perte de la base "
		       "sont perdues. Vérifiez les dernières saisies et refaites celles qui "
		       "manquent.\n");
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
	if ((rc = cts_record_digest(n->store, before)) < 0 ||
	    (rc = cts_import_rebuild(n, st)) < 0 || (rc = cts_record_digest(n->store, after)) < 0) {
		cts_node_free(n);
		return cli_fail(c, rc);
	}
	if (c->json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:b, s:b}", "digest_before", before,
		                      "content_digest", after, "accepted", st->accepted, "same",
		                      strcmp(before, after) == 0, "recovered", 0);
		cli_print_json(o);
		json_decref(o);
	} else {
		printf("Vue reconstruite : %d changeset(s) rejoué(s).\nEmpreinte du contenu : %s "
		       "(%s)\n",
		       st->accepted, after,
		       strcmp(before, after) == 0 ? "inchangée" : "CHANGÉE : voir ctsnode status");
	}
	cts_node_free(n);
	return EXIT_OK;
}

int cmd_rebuild(cli_ctx *c, int argc, char **argv)
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
