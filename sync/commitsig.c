#include "commitsig.h"

#include "error.h"
#include "gitrepo_impl.h"
#include "sshsig.h"

#include <stdlib.h>
#include <string.h>

/* Split a raw commit as git does: headers end at the first empty line; a
 * header line starting with a space continues the previous header. The
 * payload is the commit without any gpgsig* header (and continuations);
 * the signature is the value of the "gpgsig" header, continuation lines
 * without their leading space, each line ended by "\n". */
int cts_commit_split(const char *raw, size_t len, char **payload, size_t *plen, char **sig,
                     size_t *slen, int *nsig)
{
	size_t pos = 0, pl = 0, sl = 0;
	int in_sig = 0, in_gpg = 0;
	char *p = malloc(len + 1), *s = malloc(len + 2);

	*payload = *sig = NULL;
	*nsig = 0;
	if (!p || !s) {
		free(p);
		free(s);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	}
	while (pos < len) {
		const char *line = raw + pos, *nl = memchr(line, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - line) + 1 : len - pos;

		if (ll == 1 && line[0] == '\n')
			break; /* end of headers */
		if (line[0] == ' ') {
			if (in_gpg) {
				if (in_sig) {
					memcpy(s + sl, line + 1, ll - 1);
					sl += ll - 1;
					if (!nl)
						s[sl++] = '\n';
				}
			} else {
				memcpy(p + pl, line, ll);
				pl += ll;
			}
		} else {
			in_gpg = strncmp(line, "gpgsig", 6) == 0;
			in_sig = in_gpg && ll > 7 && line[6] == ' ';
			if (in_sig) {
				(*nsig)++;
				memcpy(s + sl, line + 7, ll - 7);
				sl += ll - 7;
				if (!nl)
					s[sl++] = '\n';
			} else if (!in_gpg) {
				memcpy(p + pl, line, ll);
				pl += ll;
			}
		}
		pos += ll;
	}
	memcpy(p + pl, raw + pos, len - pos);
	pl += len - pos;
	p[pl] = '\0';
	s[sl] = '\0';
	*payload = p;
	*plen = pl;
	*sig = s;
	*slen = sl;
	return 0;
}

int cts_commit_signer(cts_gitrepo *repo, const cts_gitoid *commit, unsigned char signer[32])
{
	git_odb *odb = NULL;
	git_object_t type;
	char *raw = NULL, *payload = NULL, *sig = NULL;
	size_t size = 0, plen, slen;
	int nsig = 0, rc;

	if (git_repository_odb(&odb, cts_gitrepo_raw(repo)) < 0 ||
	    git_odb_read_header(&size, &type, odb, cts_git_oid(commit)) < 0) {
		git_odb_free(odb);
		rc = cts_error_set(CTS_EGIT, "commit illisible : %s",
		                   git_error_last() ? git_error_last()->message : "");
		git_error_clear();
		return rc;
	}
	git_odb_free(odb);
	if (size > CTS_COMMIT_SIG_MAX_BYTES)
		return cts_error_set(CTS_ELIMIT, "commit de %zu octets (maximum %zu)", size,
		                     CTS_COMMIT_SIG_MAX_BYTES);
	if ((rc = cts_gitrepo_commit_raw(repo, commit, &raw, &size)) < 0 ||
	    (rc = cts_commit_split(raw, size, &payload, &plen, &sig, &slen, &nsig)) < 0)
		goto out;
	if (nsig == 0)
		rc = cts_error_set(CTS_ENOTFOUND, "commit non signé");
	else if (nsig > 1)
		rc = cts_error_set(CTS_ECRYPTO,
		                   "le commit porte %d en-têtes gpgsig (un seul attendu)", nsig);
	else if ((rc = cts_sshsig_verify(sig, slen, NULL, "git", (const unsigned char *)payload,
	                                 plen, signer)) < 0)
		cts_error_prefix(CTS_ECRYPTO, "signature du commit invalide : ");
	if (rc < 0 && rc != CTS_ENOTFOUND && rc != CTS_ENOMEM && rc != CTS_EGIT)
		rc = CTS_ECRYPTO;
out:
	free(raw);
	free(payload);
	free(sig);
	return rc;
}
