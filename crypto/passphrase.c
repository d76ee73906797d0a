#include "passphrase.h"

#include "crypto.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

void cts_passphrase_free(char *p)
{
	if (p)
		sodium_free(p);
}

/* One line from fd into buf (without the newline). */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || c == '\n')
			break;
		if (n + 1 >= cap)
			return cts_error_set(CTS_ELIMIT, "phrase de passe trop longue (%d caractères au plus)", CTS_PASSPHRASE_MAX - 1);
		buf[n++] = c;
	}
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return 0;
}

static int prompt_tty(char *buf, size_t cap, const char *prompt)
{
	struct termios old, quiet;
	int fd = open("/dev/tty", O_RDWR | O_CLOEXEC), rc;

	if (fd < 0)
		return cts_error_set(CTS_EAUTH, "phrase de passe nécessaire mais aucun terminal : "
						"définissez CTSNODE_PASSPHRASE (scripts) ou lancez la commande dans un terminal");
	if (write(fd, prompt, strlen(prompt)) < 0 || tcgetattr(fd, &old) != 0) {
		close(fd);
		return cts_error_set(CTS_EAUTH, "impossible de demander la phrase de passe sur le terminal");
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	tcsetattr(fd, TCSAFLUSH, &quiet);
	rc = read_line(fd, buf, cap);
	tcsetattr(fd, TCSAFLUSH, &old);
	if (write(fd, "\n", 1) < 0)
		rc = rc < 0 ? rc : 0;
	close(fd);
	return rc;
}

int cts_passphrase_get(char **out, const char *prompt, int confirm)
{
	const char *env = getenv("CTSNODE_PASSPHRASE"), *fdenv = getenv("CTSNODE_PASSPHRASE_FD");
	char *p, *again = NULL;
	int rc = 0;

	*out = NULL;
	if (cts_crypto_init() < 0)
		return CTS_ECRYPTO;
	if (!(p = sodium_malloc(CTS_PASSPHRASE_MAX)))
		return cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
	if (env) {
		if (strlen(env) >= CTS_PASSPHRASE_MAX)
			rc = cts_error_set(CTS_ELIMIT, "phrase de passe trop longue");
		else
			memcpy(p, env, strlen(env) + 1);
	} else if (fdenv && *fdenv) {
		char *end;
		long fd = strtol(fdenv, &end, 10);
		if (*end || fd < 0 || fd > 1024)
			rc = cts_error_set(CTS_EINVAL, "CTSNODE_PASSPHRASE_FD doit être un numéro de descripteur");
		else
			rc = read_line((int)fd, p, CTS_PASSPHRASE_MAX);
	} else {
		rc = prompt_tty(p, CTS_PASSPHRASE_MAX, prompt);
		if (rc == 0 && confirm) {
			if (!(again = sodium_malloc(CTS_PASSPHRASE_MAX)))
				rc = cts_error_set(CTS_ENOMEM, "mémoire protégée insuffisante");
			else if ((rc = prompt_tty(again, CTS_PASSPHRASE_MAX, "Confirmez la phrase de passe : ")) == 0 &&
				 strcmp(p, again) != 0)
				rc = cts_error_set(CTS_EAUTH, "les deux phrases de passe diffèrent : rien n'a été créé");
		}
	}
	if (rc == 0 && confirm && p[0] == '\0')
		rc = cts_error_set(CTS_EAUTH, "phrase de passe vide refusée (utilisez --no-passphrase pour une démonstration)");
	cts_passphrase_free(again);
	if (rc < 0) {
		sodium_free(p);
		return rc;
	}
	*out = p;
	return 0;
}
