#include "error.h"

#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define CTS_ERROR_MAX 2048

static _Thread_local char message[CTS_ERROR_MAX];
static _Thread_local int last_code;

/* Messages quote names and values from untrusted input (file names in a
 * repository, sheet cells): keep them printable, valid UTF-8 so that they
 * can go into JSON output and terminals. Invalid bytes and control
 * characters become '?'; a sequence cut by truncation is dropped. */
static void sanitise(char *m)
{
	unsigned char *p = (unsigned char *)m;
	size_t i = 0, len = strlen(m);

	while (i < len) {
		unsigned char c = p[i];
		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				p[i] = '?';
			i++;
			continue;
		}
		size_t n = cts_text_utf8_seq(m + i, len - i);
		if (n) {
			i += n;
			continue;
		}
		/* A lead byte whose sequence runs past the end of a full buffer. */
		size_t want = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		if (c >= 0xc2 && c <= 0xf4 && i + want > len && len + 1 >= CTS_ERROR_MAX) {
			p[i] = '\0'; /* cut by truncation */
			return;
		}
		p[i++] = '?';
	}
}

int cts_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	sanitise(message);
	last_code = code;
	return code;
}

int cts_error_prefix(int code, const char *fmt, ...)
{
	char prefix[512], old[CTS_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, message, sizeof(old));
	/* Keep the prefix whole and cut the old message if it must. */
	size_t plen = strnlen(prefix, sizeof(prefix) - 1);
	memcpy(message, prefix, plen);
	size_t olen = strnlen(old, sizeof(message) - plen - 1);
	memcpy(message + plen, old, olen);
	message[plen + olen] = '\0';
	sanitise(message);
	if (last_code == CTS_OK)
		last_code = code;
	return code;
}

const char *cts_error_message(void)
{
	return message;
}

int cts_error_last(void)
{
	return last_code;
}

void cts_error_clear(void)
{
	message[0] = '\0';
	last_code = CTS_OK;
}

const char *cts_error_name(int code)
{
	switch (code) {
	case CTS_OK:
		return "succès";
	case CTS_ENOMEM:
		return "mémoire insuffisante";
	case CTS_EIO:
		return "erreur de fichier";
	case CTS_EINVAL:
		return "entrée invalide";
	case CTS_ENOTFOUND:
		return "introuvable";
	case CTS_EEXISTS:
		return "existe déjà";
	case CTS_ECRYPTO:
		return "signature invalide";
	case CTS_EDB:
		return "erreur de base de données";
	case CTS_EGIT:
		return "erreur git";
	case CTS_ENET:
		return "dépôt injoignable";
	case CTS_EAUTH:
		return "phrase de passe incorrecte";
	case CTS_EVERSION:
		return "version trop récente";
	case CTS_EBUSY:
		return "nœud occupé";
	case CTS_EREJECT:
		return "refusé par le dépôt";
	case CTS_ELIMIT:
		return "limite dépassée";
	case CTS_EACCESS:
		return "accès au dépôt refusé";
	case CTS_EAMBIGUOUS:
		return "désignation ambiguë";
	default:
		return "erreur interne";
	}
}
