/* ctsnode ui: the local web interface. */
#include "cli.h"

#include "error.h"
#include "ui.h"

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

static const char help[] =
    "Usage : ctsnode [--home DOSSIER] ui [--port N] [--no-browser]\n"
    "\n"
    "Ouvre l'interface web de ce nœud dans le navigateur : membres, réunions et présences, avis,\n"
    "contributions, conflits, rapports, synchronisation ; sur le nœud régional, postes, réception "
    "et audit.\n"
    "L'interface n'écoute que sur ce poste (127.0.0.1) et fonctionne sans réseau. La première "
    "ligne\n"
    "affichée est l'adresse à ouvrir (http://127.0.0.1:PORT/?token=...) ; elle ouvre une session.\n"
    "Ctrl-C arrête l'interface.\n"
    "\n"
    "  --port N       port d'écoute (défaut : un port libre)\n"
    "  --no-browser   ne pas lancer le navigateur (xdg-open)\n";

/* xdg-open URL, without waiting for it (it may live as long as the browser). */
static pid_t open_browser(const char *url)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { (char *)"xdg-open", (char *)url, NULL };
	pid_t pid = -1;

	if (posix_spawn_file_actions_init(&fa) != 0)
		return -1;
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	return pid;
}

static void browser_hint(void)
{
	fputs("ctsnode ui : le navigateur n'a pas pu être ouvert (xdg-open) : ouvrez vous-même "
	      "l'adresse "
	      "affichée ci-dessus dans votre navigateur.\n",
	      stderr);
}

int cmd_ui(cli_ctx *c, int argc, char **argv)
{
	long long port = 0;
	int no_browser = 0, npos, ec, rc, sig = 0;
	const cli_opt opts[] = { { "port", OPT_INT, &port, 0 },
		                 { "no-browser", OPT_FLAG, &no_browser, 0 },
		                 { NULL, 0, NULL, 0 } };
	struct timespec tick = { 1, 0 };
	cts_ui_server *s = NULL;
	char *pos[1], *home = NULL, url[160];
	sigset_t set;
	pid_t browser = -1;

	if (cli_parse(c, argc, argv, opts, help, pos, 0, &npos, &ec) < 0)
		return ec;
	if (port < 0 || port > 65535)
		return cli_usage(c, "--port attend un numéro de 0 à 65535");
	if ((rc = cts_node_home_resolve(&home, c->home_flag)) < 0)
		return cli_fail(c, rc);
	/* Each connection has its own thread, hence its own malloc arena: keep
	 * the freed memory of one page for the next instead of giving it back
	 * to the system and faulting it in again (measured: a third of the
	 * time of a page went there). The peak stays what one page needs. */
	mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
	/* Every thread (the server's too) leaves SIGINT/SIGTERM to this one. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	{
		const char *w = getenv("CTSNODE_LOCK_TIMEOUT");
		int wait_ms = w && *w ? atoi(w) * 1000 : 120 * 1000;
		rc = cts_ui_server_start(&s, home, (unsigned)port, wait_ms < 0 ? 0 : wait_ms);
	}
	free(home);
	if (rc < 0)
		return cli_fail(c, rc);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/?token=%s", cts_ui_server_port(s),
	         cts_ui_server_token(s));
	printf("%s\n", url);
	fflush(stdout);
	fprintf(stderr, "Interface de ctsnode ouverte à l'adresse ci-dessus (sur ce poste "
	                "seulement). Ctrl-C pour l'arrêter.\n");
	if (!no_browser && (browser = open_browser(url)) < 0)
		browser_hint();
	while (sig <= 0) {
		sig = sigtimedwait(&set, NULL, &tick);
		if (sig < 0 && errno != EAGAIN && errno != EINTR)
			break;
		cts_ui_server_tick(s);
		if (browser > 0) {
			int st;
			if (waitpid(browser, &st, WNOHANG) == browser) {
				if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
					browser_hint();
				browser = -1;
			}
		}
	}
	/* A second Ctrl-C stops at once (the node stays consistent). */
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	fprintf(stderr, "Arrêt de l'interface…\n");
	cts_ui_server_stop(s);
	return EXIT_OK;
}
