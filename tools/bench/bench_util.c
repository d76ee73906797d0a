/* Small helpers of ctsbench: time, memory, files, PRNG, corpus files. */
#include "bench.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

long bench_self_hwm_kib(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "VmHWM:", 6) == 0) {
			v = strtol(line + 6, NULL, 10);
			break;
		}
	}
	fclose(f);
	return v;
}

int bench_rmtree(const char *path)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	if (lstat(path, &sb) != 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(sb.st_mode))
		return unlink(path);
	if (!(d = opendir(path)))
		return -1;
	while ((de = readdir(d))) {
		char *sub;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		sub = bench_strf("%s/%s", path, de->d_name);
		if (!sub || bench_rmtree(sub) != 0)
			rc = -1;
		free(sub);
	}
	closedir(d);
	if (rmdir(path) != 0)
		rc = -1;
	return rc;
}

char *bench_strf(const char *fmt, ...)
{
	va_list ap;
	char *s = NULL;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !(s = malloc((size_t)n + 1)))
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

void bench_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int bench_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	if (len && fwrite(data, 1, len, f) != len) {
		fclose(f);
		return -1;
	}
	return fclose(f) == 0 ? 0 : -1;
}

int bench_read_file(const char *path, char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t cap = 0, n = 0;

	*data = NULL;
	if (!f)
		return -1;
	for (;;) {
		if (n + 65536 + 1 > cap) {
			char *nb;
			cap = cap ? cap * 2 : 131072;
			if (!(nb = realloc(buf, cap))) {
				free(buf);
				fclose(f);
				return -1;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n - 1, f);
		n += r;
		if (r == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	*data = buf;
	if (len)
		*len = n;
	return 0;
}

static void walk_tree(const char *path, uint64_t *bytes, uint64_t *files)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;

	if (lstat(path, &sb) != 0)
		return;
	*bytes += (uint64_t)sb.st_blocks * 512u;
	if (S_ISREG(sb.st_mode))
		(*files)++;
	if (!S_ISDIR(sb.st_mode) || !(d = opendir(path)))
		return;
	while ((de = readdir(d))) {
		char *sub;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((sub = bench_strf("%s/%s", path, de->d_name))) {
			walk_tree(sub, bytes, files);
			free(sub);
		}
	}
	closedir(d);
}

uint64_t bench_du(const char *path)
{
	uint64_t b = 0, f = 0;

	walk_tree(path, &b, &f);
	return b;
}

uint64_t bench_count_files(const char *path)
{
	uint64_t b = 0, f = 0;

	walk_tree(path, &b, &f);
	return f;
}

uint64_t bench_rng_next(bench_rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint32_t bench_rng_below(bench_rng *r, uint32_t n)
{
	return n ? (uint32_t)(bench_rng_next(r) % n) : 0;
}

void bench_rng_uuid(bench_rng *r, char buf[37])
{
	unsigned char b[16];
	uint64_t a = bench_rng_next(r), c = bench_rng_next(r);

	memcpy(b, &a, 8);
	memcpy(b + 8, &c, 8);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(buf, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}

int bench_corpus_write(FILE *f, const bench_cs *cs)
{
	uint32_t h[2] = { cs->node, cs->nops };
	uint32_t l[2] = { cs->json_len, cs->sig_len };

	if (fwrite(h, sizeof(h), 1, f) != 1 || fwrite(&cs->seq, sizeof(cs->seq), 1, f) != 1 ||
	    fwrite(l, sizeof(l), 1, f) != 1 ||
	    fwrite(cs->json, 1, cs->json_len, f) != cs->json_len ||
	    fwrite(cs->sig, 1, cs->sig_len, f) != cs->sig_len)
		return -1;
	return 0;
}

int bench_corpus_open(bench_corpus_reader *r, const char *path)
{
	memset(r, 0, sizeof(*r));
	if (!(r->f = fopen(path, "rb")))
		return -1;
	setvbuf(r->f, NULL, _IOFBF, 1 << 20);
	return 0;
}

int bench_corpus_next(bench_corpus_reader *r, bench_cs *cs)
{
	uint32_t h[2], l[2];
	size_t need;

	if (fread(h, sizeof(h), 1, r->f) != 1)
		return feof(r->f) ? 0 : -1;
	if (fread(&cs->seq, sizeof(cs->seq), 1, r->f) != 1 || fread(l, sizeof(l), 1, r->f) != 1)
		return -1;
	cs->node = h[0];
	cs->nops = h[1];
	cs->json_len = l[0];
	cs->sig_len = l[1];
	need = (size_t)l[0] + l[1] + 2;
	if (need > r->cap) {
		char *nb = realloc(r->buf, need);
		if (!nb)
			return -1;
		r->buf = nb;
		r->cap = need;
	}
	if (fread(r->buf, 1, l[0], r->f) != l[0] || fread(r->buf + l[0] + 1, 1, l[1], r->f) != l[1])
		return -1;
	r->buf[l[0]] = '\0';
	r->buf[l[0] + 1 + l[1]] = '\0';
	cs->json = r->buf;
	cs->sig = r->buf + l[0] + 1;
	return 1;
}

void bench_corpus_close(bench_corpus_reader *r)
{
	if (r->f)
		fclose(r->f);
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

void bench_corpus_begin(bench_corpus *c, const char *work, const char *mode)
{
	memset(c, 0, sizeof(*c));
	c->work = work;
	c->mode = mode;
}

int bench_corpus_read(bench_corpus *c, bench_cs *cs)
{
	for (;;) {
		int r;
		if (!c->rd.f) {
			char *path = bench_strf("%s/corpus-%s.%d.bin", c->work, c->mode, c->part);
			r = path ? bench_corpus_open(&c->rd, path) : -1;
			free(path);
			if (r != 0)
				return 0;
			c->part++;
		}
		if ((r = bench_corpus_next(&c->rd, cs)) == 1)
			return 1;
		bench_corpus_close(&c->rd);
		if (r < 0)
			return -1;
	}
}

void bench_corpus_end(bench_corpus *c)
{
	bench_corpus_close(&c->rd);
}

int bench_nodes_load(const char *work, bench_node nodes[BENCH_NODES])
{
	char *path = bench_strf("%s/nodes.tsv", work), line[2300];
	FILE *f = path ? fopen(path, "r") : NULL;
	int n = 0;

	free(path);
	if (!f)
		return -1;
	while (n < BENCH_NODES && fgets(line, sizeof(line), f)) {
		char *a = strtok(line, "\t\n"), *b = strtok(NULL, "\t\n"),
		     *c = strtok(NULL, "\t\n");
		if (!a || !b || !c)
			break;
		snprintf(nodes[n].id, sizeof(nodes[n].id), "%s", a);
		snprintf(nodes[n].territory, sizeof(nodes[n].territory), "%s", b);
		snprintf(nodes[n].home, sizeof(nodes[n].home), "%s", c);
		n++;
	}
	fclose(f);
	return n == BENCH_NODES ? 0 : -1;
}

void bench_out(const char *key, const char *fmt, ...)
{
	va_list ap;

	printf("%s=", key);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}
