#include "file.h"

#include "crashpoint.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
	W_DURABLE = 1, /* fsync the file, then its folder */
	W_NEW = 2,     /* link(2) instead of rename(2), exact mode, no test hook */
};

/* Test hook (docs/ROBUSTNESS.md): CTSNODE_TEST_ENOSPC_AT=N makes the N-th
 * file write of the process fail as on a full disk. */
static int enospc_hook(void)
{
	static long target = -1, count;

	if (target < 0) {
		const char *v = getenv("CTSNODE_TEST_ENOSPC_AT");
		target = v && *v ? atol(v) : 0;
	}
	return target > 0 && ++count >= target;
}

int cts_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;

	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Flush the directory entry of path (best effort: some file systems
 * refuse fsync on a directory, and the file itself is already synced). */
static void sync_parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char dir[4200];
	int fd;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
}

/* The bytes into the temporary file tmp (created here). */
static int write_temp(const char *tmp, const char *path, const void *data, size_t len, int mode,
                      int flags)
{
	int fd, e;

	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return cts_error_set(CTS_EIO, "impossible d'écrire %s : %s", path, strerror(errno));
	e = (flags & W_NEW) && fchmod(fd, (mode_t)mode) != 0 ? errno : 0;
	if (!e)
		e = cts_write_all(fd, data, len);
	if (e) {
		close(fd);
		unlink(tmp);
		return cts_error_set(CTS_EIO, "impossible d'écrire %s : %s", path,
		                     e == ENOSPC ? "disque plein" : strerror(e));
	}
	if (!(flags & W_NEW))
		cts_crashpoint();
	e = (flags & W_DURABLE) && fsync(fd) != 0 ? errno : 0;
	if (close(fd) != 0 && !e)
		e = errno;
	if (e) {
		unlink(tmp);
		return cts_error_set(CTS_EIO, "impossible d'écrire %s : %s", path, strerror(e));
	}
	return 0;
}

/* The finished temporary file takes its name: rename, or link for W_NEW
 * (an atomic rename that never replaces: EEXIST if path appeared). */
static int put_in_place(const char *tmp, const char *path, int flags)
{
	int e;

	if (!(flags & W_NEW)) {
		if (rename(tmp, path) == 0)
			return 0;
		e = errno;
		unlink(tmp);
		return cts_error_set(CTS_EIO, "impossible de renommer %s : %s", path, strerror(e));
	}
	e = link(tmp, path) == 0 ? 0 : errno;
	unlink(tmp);
	if (!e)
		return 0;
	return cts_error_set(
	    e == EEXIST ? CTS_EEXISTS : CTS_EIO, "impossible d'enregistrer %s : %s", path,
	    e == EEXIST ? "le fichier existe déjà, il n'est jamais remplacé" : strerror(e));
}

static int write_file(const char *path, const void *data, size_t len, int mode, int flags)
{
	char tmp[4200];
	int rc;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp))
		return cts_error_set(CTS_EINVAL, "chemin trop long : %.200s", path);
	if (!(flags & W_NEW) && enospc_hook())
		return cts_error_set(CTS_EIO, "impossible d'écrire %s : disque plein", path);
	if ((rc = write_temp(tmp, path, data, len, mode, flags)) < 0 ||
	    (rc = put_in_place(tmp, path, flags)) < 0)
		return rc;
	if (!(flags & W_NEW))
		cts_crashpoint();
	if (flags & W_DURABLE)
		sync_parent_dir(path);
	return 0;
}

int cts_write_file_atomic(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, W_DURABLE);
}

int cts_write_file_replace(const char *path, const void *data, size_t len, int mode, int durable)
{
	return write_file(path, data, len, mode, durable ? W_DURABLE : 0);
}

int cts_write_file_new(const char *path, const void *data, size_t len, int mode)
{
	return write_file(path, data, len, mode, W_DURABLE | W_NEW);
}
