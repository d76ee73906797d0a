#include "gitrepo_impl.h"
#include "file.h"
#include "sha1.h"
#include <fcntl.h>

/* ---- first fetch from a folder: copy its objects ----
 *
 * libgit2's local transport answers a fetch by packing every wanted object
 * in our process (a delta search over the whole history) and indexing that
 * pack again on our side: at a million operations the first pull of a
 * region peaks near twice the repository's pack. `git clone` from a local
 * path copies the object files instead; so does this, when the folder
 * holds more than twice the objects we have (a first pull, a new home, one
 * far behind):
 *
 *  - each pack of the folder (pack-<40 hex>.pack with its .idx) that is not
 *    here is copied in 64 KiB pieces, its trailing checksum and the index's
 *    two checksums verified on the way, written under a temporary name,
 *    synced, then renamed: the pack first, its index last (a pack is
 *    visible to git only with its index);
 *  - each loose object of the folder that is not here is read through
 *    libgit2 (which checks its hash) and written here;
 *  - the folder's packs are listed again after the loose objects: a `git gc`
 *    running meanwhile writes its new pack before it deletes the loose
 *    objects and old packs it replaces, so what was missed is in a pack of
 *    the new listing. Copying stops when a listing brings nothing new.
 *
 * The fetch that follows finds every advertised commit here and only moves
 * the tracking branches. What is copied is checked as a fetch checks it
 * (checksums; every object's hash when it is read), and the import reads
 * and verifies every changeset as before. A folder using alternates is not
 * copied from (its objects are partly elsewhere): the fetch does it all. */

#define SEED_CHUNK (64 * 1024)
/* In the objects directory while a copy is under way (see cts_gitrepo_seed). */
#define SEED_MARKER "ctsnode-copy-incomplete"
#define SEED_ROUNDS 8
#define PACK_NAME_LEN 50 /* "pack-" + 40 hex + ".pack" */

/* The 40 hex digits of a "pack-<hex>.pack" name, or NULL. */
static const char *pack_hex(const char *name)
{
	if (strlen(name) != PACK_NAME_LEN || strncmp(name, "pack-", 5) != 0 ||
	    strcmp(name + 45, ".pack") != 0)
		return NULL;
	for (int i = 5; i < 45; i++)
		if (!((name[i] >= '0' && name[i] <= '9') || (name[i] >= 'a' && name[i] <= 'f')))
			return NULL;
	return name + 5;
}

typedef struct {
	char src[4096];   /* the folder's objects directory */
	char dst[4096];   /* ours */
	char (*done)[41]; /* packs already here or copied */
	size_t ndone, cap;
	git_odb *odb; /* ours */
} seed;

static int seed_done(const seed *s, const char *hex)
{
	for (size_t i = 0; i < s->ndone; i++)
		if (strncmp(s->done[i], hex, 40) == 0)
			return 1;
	return 0;
}

static int seed_mark(seed *s, const char *hex)
{
	if (s->ndone == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char(*d)[41] = realloc(s->done, cap * sizeof(*d));
		if (!d)
			return cts_error_set(CTS_ENOMEM,
			                     "mémoire insuffisante (copie des paquets)");
		s->done = d;
		s->cap = cap;
	}
	memcpy(s->done[s->ndone], hex, 40);
	s->done[s->ndone++][40] = '\0';
	return 0;
}

/* Copy src to the new file dst (mode 0444), checking its SHA-1 trailer:
 * the last 20 bytes are the SHA-1 of the rest. min is the smallest valid
 * size; tail (if not NULL) gets the last 40 bytes. 1 if copied, 0 if src
 * is gone (a concurrent gc), < 0 on error (dst removed). */
static int copy_checked(const char *src, const char *dst, size_t min, unsigned char tail[40])
{
	unsigned char *buf = NULL, sum[20], last[40] = { 0 };
	int in = -1, out = -1, rc = -1, e;
	cts_sha1_ctx c;
	struct stat sb;
	off_t off = 0;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return 0;
		return cts_error_set(CTS_EIO, "lecture de %s : %s", src, strerror(errno));
	}
	if (fstat(in, &sb) != 0 || !S_ISREG(sb.st_mode) || (size_t)sb.st_size < min) {
		close(in);
		return cts_error_set(CTS_EGIT, "%s : fichier de paquet git tronqué ou invalide",
		                     src);
	}
	if (!(buf = malloc(SEED_CHUNK))) {
		close(in);
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante (copie des paquets)");
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444)) < 0) {
		rc = cts_error_set(CTS_EIO, "écriture de %s : %s", dst, strerror(errno));
		goto cleanup;
	}
	cts_sha1_init(&c);
	while (off < sb.st_size) {
		size_t want = (size_t)(sb.st_size - off) < SEED_CHUNK ? (size_t)(sb.st_size - off)
		                                                      : SEED_CHUNK;
		ssize_t r = read(in, buf, want);
		off_t body = sb.st_size - 20;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = cts_error_set(CTS_EIO, "lecture de %s : %s", src,
			                   r < 0 ? strerror(errno)
			                         : "fichier raccourci pendant la copie");
			goto cleanup;
		}
		if (off < body)
			cts_sha1_update(&c, buf,
			                off + r <= body ? (size_t)r : (size_t)(body - off));
		/* keep the last 40 bytes seen */
		if ((size_t)r >= 40) {
			memcpy(last, buf + r - 40, 40);
		} else {
			memmove(last, last + r, 40 - (size_t)r);
			memcpy(last + 40 - r, buf, (size_t)r);
		}
		if ((e = cts_write_all(out, buf, (size_t)r)) != 0) {
			rc = cts_error_set(CTS_EIO, "écriture de %s : %s", dst, strerror(e));
			goto cleanup;
		}
		off += r;
	}
	cts_sha1_final(&c, sum);
	if (memcmp(sum, last + 20, 20) != 0) {
		rc = cts_error_set(CTS_EGIT, "%s : somme de contrôle fausse (fichier abîmé)", src);
		goto cleanup;
	}
	if (fsync(out) != 0) {
		rc = cts_error_set(CTS_EIO, "écriture de %s : %s", dst, strerror(errno));
		goto cleanup;
	}
	if (tail)
		memcpy(tail, last, 40);
	rc = 1;
cleanup:
	if (out >= 0 && close(out) != 0 && rc == 1)
		rc = cts_error_set(CTS_EIO, "écriture de %s : %s", dst, strerror(errno));
	if (rc != 1 && out >= 0)
		unlink(dst);
	close(in);
	free(buf);
	return rc;
}

static void sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* The temporary and final names here of pack hex ("pack" or "idx"). */
static void here_names(const seed *s, const char *hex, const char *ext, char *tmp, char *to,
                       size_t size)
{
	snprintf(tmp, size, "%s/pack/tmp_seed_%.40s.%s", s->dst, hex, ext);
	snprintf(to, size, "%s/pack/pack-%.40s.%s", s->dst, hex, ext);
}

/* Copy the folder's pack hex and its index here under temporary names,
 * checked. 1 if copied, 0 if it went away meanwhile, < 0 on error (nothing
 * left here). */
static int stage_pack(seed *s, const char *hex)
{
	char from[4200], ifrom[4200], tmp[4200], itmp[4200], to[4200];
	unsigned char ptail[40], itail[40];
	int rc;

	snprintf(from, sizeof(from), "%s/pack/pack-%.40s.pack", s->src, hex);
	snprintf(ifrom, sizeof(ifrom), "%s/pack/pack-%.40s.idx", s->src, hex);
	here_names(s, hex, "pack", tmp, to, sizeof(tmp));
	here_names(s, hex, "idx", itmp, to, sizeof(itmp));
	/* pack: "PACK", version, count, trailer; index v2: header, fanout,
	 * pack checksum, index checksum */
	if ((rc = copy_checked(from, tmp, 12 + 20, ptail)) <= 0)
		return rc;
	if ((rc = copy_checked(ifrom, itmp, 8 + 256 * 4 + 40, itail)) <= 0) {
		unlink(tmp);
		return rc;
	}
	if (memcmp(itail, ptail + 20, 20) != 0) {
		unlink(tmp);
		unlink(itmp);
		return cts_error_set(CTS_EGIT, "%s ne correspond pas à son paquet (fichier abîmé)",
		                     ifrom);
	}
	return 1;
}

/* Give the staged pack hex its final names: the pack, then its index. */
static int install_pack(seed *s, const char *hex)
{
	char tmp[4200], to[4200];

	here_names(s, hex, "pack", tmp, to, sizeof(tmp));
	if (rename(tmp, to) != 0)
		return cts_error_set(CTS_EIO, "écriture de %s : %s", to, strerror(errno));
	cts_crashpoint();
	here_names(s, hex, "idx", tmp, to, sizeof(tmp));
	if (rename(tmp, to) != 0)
		return cts_error_set(CTS_EIO, "écriture de %s : %s", to, strerror(errno));
	return 0;
}

/* Copy the folder's packs not here yet; *copied counts them. All are
 * copied and checked before the first is installed: a damaged one leaves
 * nothing here. */
static int copy_packs(seed *s, int *copied)
{
	char dir[4200], tmp[4200], to[4200];
	size_t first = s->ndone, nstaged = 0;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/pack", s->src);
	if (!(d = opendir(dir)))
		return errno == ENOENT
		           ? 0
		           : cts_error_set(CTS_EIO, "lecture de %s : %s", dir, strerror(errno));
	/* the staged packs are the first nstaged marked from `first` on */
	while (rc >= 0 && (de = readdir(d))) {
		const char *hex = pack_hex(de->d_name);
		if (!hex || seed_done(s, hex))
			continue;
		if ((rc = stage_pack(s, hex)) > 0 && (rc = seed_mark(s, hex)) == 0) {
			/* keep staged ones first: swap with the first unstaged mark */
			char t[41];
			memcpy(t, s->done[first + nstaged], 41);
			memcpy(s->done[first + nstaged], s->done[s->ndone - 1], 41);
			memcpy(s->done[s->ndone - 1], t, 41);
			nstaged++;
		} else if (rc == 0) {
			rc = seed_mark(s, hex); /* gone meanwhile */
		}
	}
	closedir(d);
	for (size_t i = 0; i < nstaged && rc >= 0; i++)
		if ((rc = install_pack(s, s->done[first + i])) == 0)
			(*copied)++;
	if (rc < 0) {
		for (size_t i = 0; i < nstaged; i++) {
			here_names(s, s->done[first + i], "pack", tmp, to, sizeof(tmp));
			unlink(tmp);
			here_names(s, s->done[first + i], "idx", tmp, to, sizeof(tmp));
			unlink(tmp);
		}
		s->ndone = first;
	}
	return rc < 0 ? rc : 0;
}

/* After a copy interrupted between a pack and its index: the index (checked
 * with its pack before either was renamed) takes its name; other leftovers
 * are removed. */
static void seed_recover(const char *dst)
{
	char dir[4200], f[4500], pack[4500], idx[4500];
	DIR *d;
	struct dirent *de;
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/pack", dst);
	if (!(d = opendir(dir)))
		return;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (strncmp(de->d_name, "tmp_seed_", 9) != 0)
			continue;
		snprintf(f, sizeof(f), "%s/%s", dir, de->d_name);
		if (l == 9 + 40 + 4 && strcmp(de->d_name + 49, ".idx") == 0) {
			snprintf(pack, sizeof(pack), "%s/pack-%.40s.pack", dir, de->d_name + 9);
			snprintf(idx, sizeof(idx), "%s/pack-%.40s.idx", dir, de->d_name + 9);
			if (stat(pack, &sb) == 0 && stat(idx, &sb) != 0 && rename(f, idx) == 0)
				continue;
		}
		unlink(f);
	}
	closedir(d);
	sync_dir(dir);
}

/* The packs here already. */
static int seed_local(seed *s)
{
	char dir[4200];
	DIR *d;
	struct dirent *de;
	int rc = 0;

	snprintf(dir, sizeof(dir), "%s/pack", s->dst);
	if (!(d = opendir(dir)))
		return 0;
	while (rc >= 0 && (de = readdir(d))) {
		const char *hex = pack_hex(de->d_name);
		char idx[4500];
		struct stat sb;
		snprintf(idx, sizeof(idx), "%s/pack-%.40s.idx", dir, hex ? hex : "");
		if (hex && stat(idx, &sb) == 0)
			rc = seed_mark(s, hex);
	}
	closedir(d);
	return rc;
}

typedef struct {
	git_odb *from, *to;
	int rc;
} loose_ctx;

static int copy_loose_one(const git_oid *id, void *payload)
{
	loose_ctx *l = payload;
	git_odb_object *o = NULL;
	git_oid out;
	int e;

	if (git_odb_exists_ext(l->to, id, GIT_ODB_LOOKUP_NO_REFRESH))
		return 0;
	if ((e = git_odb_read(&o, l->from, id)) == GIT_ENOTFOUND)
		return 0; /* packed or pruned meanwhile: the next listing has it */
	if (e < 0 || git_odb_write(&out, l->to, git_odb_object_data(o), git_odb_object_size(o),
	                           git_odb_object_type(o)) < 0) {
		git_odb_object_free(o);
		l->rc = cts_git_fail(CTS_EGIT, "copie d'un objet du dépôt régional");
		return -1;
	}
	git_odb_object_free(o);
	return 0;
}

/* Copy the folder's loose objects not here. */
static int copy_loose(seed *s)
{
	git_odb *from = NULL;
	git_odb_backend *be = NULL;
	loose_ctx l = { NULL, s->odb, 0 };
	int rc = 0;

	if ((rc = cts_gitrepo_odb_of(&from, git_odb_backend_loose(&be, s->src, -1, 0, 0, 0), &be,
	                             "lecture du dépôt régional")) < 0)
		goto cleanup;
	l.from = from;
	if (git_odb_foreach(from, copy_loose_one, &l) < 0 && l.rc == 0)
		rc = cts_git_fail(CTS_EGIT, "lecture du dépôt régional");
	rc = l.rc ? l.rc : rc;
cleanup:
	git_odb_free(from);
	return rc;
}

/* The number of objects in the packs of objdir (read from each index's
 * last fan-out entry; a pack whose index is unreadable counts nothing). */
static size_t packed_objects(const char *objdir)
{
	char dir[4200], idx[4500];
	DIR *d;
	struct dirent *de;
	size_t total = 0;

	snprintf(dir, sizeof(dir), "%s/pack", objdir);
	if (!(d = opendir(dir)))
		return 0;
	while ((de = readdir(d))) {
		const char *hex = pack_hex(de->d_name);
		unsigned char h[8 + 256 * 4];
		uint32_t n;
		int fd;
		if (!hex)
			continue;
		snprintf(idx, sizeof(idx), "%s/pack-%.40s.idx", dir, hex);
		if ((fd = open(idx, O_RDONLY | O_CLOEXEC)) < 0)
			continue;
		/* version 2 ("\377tOc", 2, fan-out) or 1 (fan-out first) */
		if (read(fd, h, sizeof(h)) == (ssize_t)sizeof(h)) {
			int v2 = memcmp(h, "\377tOc", 4) == 0;
			memcpy(&n, h + (v2 ? 8 : 0) + 255 * 4, 4);
			total += ntohl(n);
		}
		close(fd);
	}
	closedir(d);
	return total;
}

/* The objects directory of the repository at path; 0 if it is not one
 * to copy from (not a repository, or one with alternates). */
static int folder_objects(const char *path, char *out, size_t size)
{
	git_repository *r = NULL;
	git_buf b = { 0 };
	char alt[4300];
	struct stat sb;
	int ok = 0;

	if (git_repository_open_ext(&r, path, GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) == 0 &&
	    git_repository_item_path(&b, r, GIT_REPOSITORY_ITEM_OBJECTS) == 0 &&
	    b.size + 1 < size) {
		snprintf(out, size, "%s", b.ptr);
		for (size_t l = strlen(out); l > 1 && out[l - 1] == '/'; l--)
			out[l - 1] = '\0';
		snprintf(alt, sizeof(alt), "%s/info/alternates", out);
		ok = stat(alt, &sb) != 0;
	}
	git_error_clear();
	git_buf_dispose(&b);
	git_repository_free(r);
	return ok;
}

int cts_gitrepo_seed(cts_gitrepo *repo, const char *path)
{
	seed s = { 0 };
	char pack[4200], marker[4200];
	struct stat sb;
	int rc, copied;

	if ((rc = cts_gitrepo_objects_dir(repo, s.dst, sizeof(s.dst))) < 0)
		return rc;
	seed_recover(s.dst);
	snprintf(marker, sizeof(marker), "%s/%s", s.dst, SEED_MARKER);
	if (!path || !folder_objects(path, s.src, sizeof(s.src)))
		return 0;
	if (git_repository_odb(&s.odb, repo->repo) < 0)
		return cts_git_fail(CTS_EGIT, "lecture du dépôt local");
	/* Worth it when the folder holds more than twice what we have: a first
	 * pull, a new home, or one far behind. Day to day the fetch sends only
	 * what is new, in one pack, where copying would add one pack per push.
	 * A copy that was interrupted is finished first, whatever the counts:
	 * the branch tips it brought would make the fetch skip the rest. */
	if (stat(marker, &sb) != 0 && packed_objects(s.src) <= 2 * packed_objects(s.dst)) {
		rc = 0;
		goto cleanup;
	}
	if ((rc = cts_write_file_atomic(marker, "", 0, 0644)) < 0 || (rc = seed_local(&s)) < 0)
		goto cleanup;
	for (int round = 0; round < SEED_ROUNDS; round++) {
		copied = 0;
		if ((rc = copy_packs(&s, &copied)) < 0)
			goto cleanup;
		if (round > 0 && !copied)
			break;
		snprintf(pack, sizeof(pack), "%s/pack", s.dst);
		sync_dir(pack);
		if (git_odb_refresh(s.odb) < 0) {
			rc = cts_git_fail(CTS_EGIT, "lecture du dépôt local");
			goto cleanup;
		}
		if ((rc = copy_loose(&s)) < 0)
			goto cleanup;
	}
	if (git_odb_refresh(s.odb) < 0) {
		rc = cts_git_fail(CTS_EGIT, "lecture du dépôt local");
		goto cleanup;
	}
	cts_crashpoint();
	if (unlink(marker) != 0)
		rc = cts_error_set(CTS_EIO, "suppression de %s : %s", marker, strerror(errno));
	sync_dir(s.dst);
cleanup:
	git_odb_free(s.odb);
	free(s.done);
	return rc;
}
