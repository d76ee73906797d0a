#include "passphrase.h"

#include "crypto.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define DEFAULT_PROMPT "Phrase de passe : "
#define CONFIRM_PROMPT "Confirmez la phrase de passe : "

void cts_passphrase_free(char *p)
{
	if (!p)
		return;
	sodium_memzero(p, CTS_PASSPHRASE_MAX);
	sodium_free(p);
}

static int no_source(void)
{
	return cts_error_set(
	    CTS_EAUTH, "phrase de passe nécessaire mais aucun terminal disponible : définissez la "
	               "variable CTSNODE_PASSPHRASE (ou CTSNODE_PASSPHRASE_FD=<descripteur>) pour "
	               "les scripts, ou lancez la commande dans un terminal");
}

/* Signal caught while the terminal echo is off (0: none). */
static volatile sig_atomic_t caught;

static void on_signal(int sig)
{
	caught = sig;
}

static const int trapped[] = { SIGINT, SIGHUP, SIGQUIT, SIGTERM, SIGTSTP };
#define NTRAPPED (sizeof(trapped) / sizeof(trapped[0]))

/* One line from fd into buf (cap bytes, NUL-terminated), without its "\n"
 * (nor a "\r" before it). *any: something was read (even an empty line). */
static int read_line(int fd, char *buf, size_t cap, int *any)
{
	size_t n = 0;

	*any = 0;
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR) {
			if (caught)
				return cts_error_set(CTS_EAUTH,
				                     "saisie de la phrase de passe interrompue");
			continue;
		}
		if (r < 0)
			return cts_error_set(errno == EBADF ? CTS_EINVAL : CTS_EIO,
			                     "lecture de la phrase de passe impossible : %s",
			                     strerror(errno));
		if (r == 0)
			break;
		*any = 1;
		if (c == '\n')
			break;
		if (c == '\0')
			return cts_error_set(CTS_EINVAL, "phrase de passe invalide : octet nul");
		if (n + 1 >= cap)
			return cts_error_set(CTS_ELIMIT,
			                     "phrase de passe trop longue (%d octets au plus)",
			                     CTS_PASSPHRASE_MAX - 1);
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int tty_write(int fd, const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		ssize_t w = write(fd, s, len);
		if (w < 0 && errno == EINTR && !caught)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Prompt on the controlling terminal with echo off. */
static int prompt_tty(char *buf, size_t cap, const char *prompt)
{
	struct sigaction sa, old_sa[NTRAPPED];
	struct termios old, quiet;
	int fd, rc, any = 0, sig;

	fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return no_source();
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return no_source();
	}
	/* A signal while echo is off must not leave the terminal silent: catch
	 * it, restore the terminal, then deliver it again. */
	caught = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: read() returns EINTR */
	for (size_t i = 0; i < NTRAPPED; i++)
		sigaction(trapped[i], &sa, &old_sa[i]);
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		rc = cts_error_set(CTS_EIO, "impossible de masquer la saisie sur le terminal : %s",
		                   strerror(errno));
		goto restore;
	}
	if (tty_write(fd, prompt) != 0)
		rc = caught ? cts_error_set(CTS_EAUTH, "saisie de la phrase de passe interrompue")
		            : cts_error_set(CTS_EIO, "impossible d'écrire sur le terminal : %s",
		                            strerror(errno));
	else if ((rc = read_line(fd, buf, cap, &any)) == 0 && !any)
		rc = cts_error_set(CTS_EAUTH,
		                   "saisie de la phrase de passe interrompue (fin de fichier)");
	tcsetattr(fd, TCSAFLUSH, &old);
	(void)tty_write(fd, "\n"); /* the user's Enter was not echoed */
restore:
	for (size_t i = 0; i < NTRAPPED; i++)
		sigaction(trapped[i], &old_sa[i], NULL);
	close(fd);
	sig = caught;
	caught = 0;
	if (sig) {
		raise(sig); /* default action: the process ends (or stops) with the terminal
		               restored */
		if (rc == 0)
			rc = cts_error_set(CTS_EAUTH, "saisie de la phrase de passe interrompue");
	}
	return rc;
}

/* CTSNODE_PASSPHRASE_FD: a descriptor number. */
static int read_fd_source(char *buf, const char *fdenv)
{
	char *end;
	long fd;
	int any = 0, rc;

	errno = 0;
	fd = strtol(fdenv, &end, 10);
	if (errno || end == fdenv || *end || fd < 0 || fd > INT_MAX)
		return cts_error_set(CTS_EINVAL,
		                     "CTSNODE_PASSPHRASE_FD doit être un numéro de descripteur "
		                     "ouvert en lecture");
	if ((rc = read_line((int)fd, buf, CTS_PASSPHRASE_MAX, &any)) < 0)
		return cts_error_prefix(rc, "CTSNODE_PASSPHRASE_FD=%ld : ", fd);
	if (!any)
		return cts_error_set(CTS_EAUTH,
		                     "aucune phrase de passe lue sur le descripteur %ld "
		                     "(CTSNODE_PASSPHRASE_FD)",
		                     fd);
	return 0;
}

int cts_passphrase_get(char **out, const char *prompt, int confirm)
{
	const char *env = getenv("CTSNODE_PASSPHRASE"), *fdenv = getenv("CTSNODE_PASSPHRASE_FD");
	char *p = NULL, *again = NULL;
	int rc;

	if (!out)
		return cts_error_set(CTS_ERR, "cts_passphrase_get : argument manquant");
	*out = NULL;
	if ((rc = cts_crypto_init()) < 0)
		return rc;
	if (!prompt)
		prompt = DEFAULT_PROMPT;
	if (!(p = sodium_malloc(CTS_PASSPHRASE_MAX)))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
	p[0] = '\0';
	if (env) {
		size_t len = strlen(env);
		if (len >= CTS_PASSPHRASE_MAX) {
			rc = cts_error_set(CTS_ELIMIT,
			                   "CTSNODE_PASSPHRASE trop longue (%d octets au plus)",
			                   CTS_PASSPHRASE_MAX - 1);
			goto cleanup;
		}
		memcpy(p, env, len + 1);
	} else if (fdenv && *fdenv) {
		if ((rc = read_fd_source(p, fdenv)) < 0)
			goto cleanup;
	} else {
		if ((rc = prompt_tty(p, CTS_PASSPHRASE_MAX, prompt)) < 0)
			goto cleanup;
		if (confirm && p[0] != '\0') {
			if (!(again = sodium_malloc(CTS_PASSPHRASE_MAX))) {
				rc = cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
				goto cleanup;
			}
			if ((rc = prompt_tty(again, CTS_PASSPHRASE_MAX, CONFIRM_PROMPT)) < 0)
				goto cleanup;
			if (strcmp(p, again) != 0) {
				rc = cts_error_set(CTS_EAUTH,
				                   "les deux phrases de passe saisies diffèrent");
				goto cleanup;
			}
		}
	}
	if (confirm && p[0] == '\0') {
		rc = cts_error_set(CTS_EAUTH,
		                   "phrase de passe vide refusée (--no-passphrase crée une clé non "
		                   "chiffrée, pour les démonstrations seulement)");
		goto cleanup;
	}
	*out = p;
	p = NULL;
	rc = 0;
cleanup:
	cts_passphrase_free(again);
	cts_passphrase_free(p);
	return rc;
}

int cts_passphrase_check_new(const char *p)
{
	size_t chars = 0, words = 0;
	int in_word = 0;

	for (const unsigned char *q = (const unsigned char *)p; *q; q++) {
		if ((*q & 0xC0) != 0x80)
			chars++;
		if (*q == ' ' || *q == '\t') {
			in_word = 0;
		} else if (!in_word) {
			in_word = 1;
			words++;
		}
	}
	if (chars >= 12 || words >= 4)
		return 0;
	return cts_error_set(
	    CTS_EINVAL,
	    "phrase de passe trop courte (%zu caractère(s)) : il en faut au moins 12, ou "
	    "4 mots (par exemple « girafe lundi parapluie rouge »). Choisissez-en une autre",
	    chars);
}
