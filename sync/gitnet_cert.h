/* Descriptions of refused X.509 certificates (subject, issuer, SHA-256
 * fingerprint, validity, names) from their DER bytes, for the messages of
 * the git transport (sync/gitrepo_callbacks.c). */
#ifndef CTS_GITNET_CERT_H
#define CTS_GITNET_CERT_H

#include <stddef.h>
#include <stdint.h>

/* What a refused certificate is, from its DER bytes (borrowed). Strings
 * are printable (control characters replaced), possibly truncated. */
typedef struct {
	char subject[512]; /* "CN=depot.example.fr, O=ARS, C=FR" */
	char issuer[512];
	char names[512];      /* DNS names of subjectAltName, else the CN */
	char fingerprint[96]; /* SHA-256 of the DER, "AB:CD:..." */
	int64_t not_before;   /* Unix seconds (0 if unreadable) */
	int64_t not_after;
	int name_matches; /* host matches names (as mbedTLS checks it) */
} cts_gitnet_cert;

/* 0, or CTS_EINVAL if the bytes are not a certificate (the fingerprint
 * is filled in any case). */
int cts_gitnet_cert_describe(cts_gitnet_cert *out, const unsigned char *der, size_t len,
                             const char *host);

#endif
