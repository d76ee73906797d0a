/* ctsnode: entry point, global options and the command table. */
#include "cli.h"

#include "passphrase.h"

#include "crypto.h"
#include "error.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

static const cli_cmd commands[] = {
	{ "init", "créer le nœud d'un territoire (clé, base locale)", .run = cmd_init },
	{ "region", "nœud régional : init, enroll, replace, list, revoke, pull, publish",
	  .sub = cmd_region_cmds },
	{ "key", "clé du nœud : show (clé publique), export (sauvegarde)", .sub = cmd_key_cmds },
	{ "member", "membres du conseil : add, list, update, remove, restore",
	  .sub = cmd_member_cmds },
	{ "meeting", "réunions : add, list, update, approve, reopen, cancel, restore",
	  .sub = cmd_meeting_cmds },
	{ "attendance", "présences : import d'une feuille, set, remove, list",
	  .sub = cmd_attendance_cmds },
	{ "opinion", "avis rendus : add, list, update, withdraw, restore",
	  .sub = cmd_opinion_cmds },
	{ "contribution", "contributions : add, list, update, withdraw, restore",
	  .sub = cmd_contribution_cmds },
	{ "sync", "sceller, envoyer au dépôt régional, récupérer et importer", .run = cmd_sync },
	{ "remote", "accès au dépôt régional : show, token (jeton https)", .sub = cmd_remote_cmds },
	{ "seal", "sceller et signer les opérations saisies (sans réseau)", .run = cmd_seal },
	{ "import", "importer les changesets signés d'un dossier", .run = cmd_import },
	{ "export", "écrire les saisies non acceptées par la région (pour les ressaisir)",
	  .run = cmd_export },
	{ "rebuild", "reconstruire la vue locale depuis l'historique signé", .run = cmd_rebuild },
	{ "conflicts", "modifications concurrentes à examiner", .run = cmd_conflicts },
	{ "report", "rapport d'activité (md, html, csv, json)", .run = cmd_report },
	{ "audit", "vérifier tout l'historique d'un dépôt régional (sans nœud local)",
	  .run = cmd_audit },
	{ "status", "état du nœud : opérations en attente, historique, refus", .run = cmd_status },
	{ "ui", "ouvrir l'interface web de ce nœud dans le navigateur (127.0.0.1)", .run = cmd_ui },
	{ 0 },
};

static void usage(FILE *out)
{
	fputs(
	    "Usage : ctsnode [--home DOSSIER] [--json] COMMANDE [OPTIONS]\n"
	    "\n"
	    "ctsnode tient les registres d'un conseil territorial de santé (membres, réunions,\n"
	    "présences, avis, contributions), scelle chaque modification dans un changeset signé\n"
	    "et le synchronise avec le nœud régional par un dépôt git.\n"
	    "\n"
	    "Commandes :\n",
	    out);
	for (int i = 0; commands[i].name; i++)
		fprintf(out, "  %-14s %s\n", commands[i].name, commands[i].summary);
	fputs(
	    "\n"
	    "Options générales :\n"
	    "  --home DOSSIER  dossier du nœud (défaut : $CTSNODE_HOME, sinon "
	    "~/.local/share/ctsnode)\n"
	    "  --json          sortie lisible par un programme\n"
	    "  --help          cette aide (aussi après chaque commande)\n"
	    "  --version       version du programme\n"
	    "\n"
	    "Phrase de passe : demandée au clavier, ou variable CTSNODE_PASSPHRASE pour les "
	    "scripts.\n"
	    "\n"
	    "Codes de sortie : 0 succès ; 1 constats ou saisie refusée ; 2 erreur d'utilisation,\n"
	    "désignation ambiguë, ou accès au dépôt refusé (jeton, certificat, clé d'hôte : un "
	    "réglage\n"
	    "à corriger) ; 3 erreur interne ou d'entrée-sortie ; 4 dépôt injoignable (travail "
	    "gardé,\n"
	    "envoi en attente) ; 5 nœud occupé par un autre processus ctsnode.\n",
	    out);
}

int main(int argc, char **argv)
{
	cli_ctx c = { .prog = "ctsnode" };
	int i = 1;

	setlocale(LC_ALL, "");
	if (cts_crypto_init() < 0) {
		fprintf(stderr, "ctsnode : erreur : initialisation de libsodium impossible\n");
		return EXIT_INTERNAL;
	}
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--version") == 0) {
			printf("ctsnode %s\n", CTS_VERSION);
			return EXIT_OK;
		} else if (strcmp(argv[i], "--json") == 0) {
			c.json = 1;
		} else if (strcmp(argv[i], "--home") == 0 && i + 1 < argc) {
			c.home_flag = argv[++i];
		} else if (strncmp(argv[i], "--home=", 7) == 0) {
			c.home_flag = argv[i] + 7;
		} else if (strcmp(argv[i], "--home") == 0) {
			return cli_usage(&c, "l'option --home attend un dossier");
		} else {
			return cli_usage(&c, "option inconnue « %s »", argv[i]);
		}
	}
	if (i >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	c.prog = "ctsnode";
	{
		int ec = cli_dispatch(&c, "", commands, argc - i, argv + i);
		cts_passphrase_free(c.pass);
		return ec;
	}
}
