/*
 * Writing a file whole, so that every other process sees it complete or
 * absent: the bytes go to a temporary name beside it (path.tmp.<pid>),
 * which then takes the final name. One implementation for the node's files
 * (changesets, reports, settings) and the key file.
 */
#ifndef CTS_FILE_H
#define CTS_FILE_H

#include <stddef.h>

/* Write all len bytes to fd, again after a short write or EINTR: 0, or the
 * errno of the failed write (EIO if write(2) wrote nothing). */
int cts_write_all(int fd, const void *data, size_t len);

/* Write a file atomically: temp name, fsync, rename, fsync dir. An existing
 * file at path is replaced. mode is given to open(2) (the umask applies). */
int cts_write_file_atomic(const char *path, const void *data, size_t len, int mode);

/* The same with durable = 0: temp name, rename, no fsync. The file is
 * complete or absent for every other process at once, but not on the disk
 * until a later sync (syncfs): for batches that sync once before their
 * commit (the importer). The test hooks CTSNODE_TEST_ENOSPC_AT (the N-th
 * write fails as on a full disk) and the crash points (crashpoint.h) apply
 * to these two functions. */
int cts_write_file_replace(const char *path, const void *data, size_t len, int mode, int durable);

/* Create path durably, never replacing anything: CTS_EEXISTS if it exists
 * (even as a dangling symlink), checked atomically by link(2). The file gets
 * exactly `mode` whatever the umask. No test hook. For the key file. */
int cts_write_file_new(const char *path, const void *data, size_t len, int mode);

#endif
