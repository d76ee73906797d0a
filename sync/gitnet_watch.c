#include "gitnet_watch.h"

#include "crypto.h"
#include "error.h"
#include "node.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- no-progress watchdog ---- */

int cts_gitnet_timeout_seconds(void)
{
	const char *v = getenv("CTSNODE_NET_TIMEOUT_S");
	char *end;
	long s;

	if (!v || !*v)
		return CTS_GITNET_TIMEOUT_DEFAULT;
	s = strtol(v, &end, 10);
	return *end || s < 1 || s > 86400 ? CTS_GITNET_TIMEOUT_DEFAULT : (int)s;
}

struct cts_gitnet_watch {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct timespec last; /* CLOCK_MONOTONIC of the last progress */
	int seconds, stop, expired;
	unsigned long *before; /* inodes of the sockets open at the start */
	size_t nbefore, capbefore;
	sigset_t old_mask; /* of the exchange's thread, before SIGPIPE was blocked */
};

/* The inode of fd if it is a socket ("socket:[123]"), else 0. */
static unsigned long socket_inode(int fd)
{
	char path[64], link[64];
	unsigned long ino = 0;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if ((n = readlink(path, link, sizeof(link) - 1)) < 0)
		return 0;
	link[n] = '\0';
	return sscanf(link, "socket:[%lu]", &ino) == 1 ? ino : 0;
}

static int known_socket(const cts_gitnet_watch *w, unsigned long ino)
{
	for (size_t i = 0; i < w->nbefore; i++)
		if (w->before[i] == ino)
			return 1;
	return 0;
}

/* cut = 0: remember the sockets open now. cut = 1: shut down every TCP
 * socket opened since (the exchange's: libgit2's or libssh2's, which
 * retries interrupted calls), so that its blocked reads, writes and
 * connects fail at once. shutdown() leaves the descriptor to its owner:
 * nothing else can be hit by a reused number. */
static void scan_sockets(cts_gitnet_watch *w, int cut)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);
		unsigned long ino;
		int type = 0, dom = 0;
		socklen_t l = sizeof(int);
		if (*end || end == de->d_name || fd == dirfd(d) || !(ino = socket_inode((int)fd)))
			continue;
		if (!cut) {
			if (w->nbefore == w->capbefore) {
				size_t cap = w->capbefore ? 2 * w->capbefore : 16;
				unsigned long *nb = realloc(w->before, cap * sizeof(*nb));
				if (!nb)
					break;
				w->before = nb;
				w->capbefore = cap;
			}
			w->before[w->nbefore++] = ino;
			continue;
		}
		if (known_socket(w, ino) ||
		    getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0 ||
		    type != SOCK_STREAM ||
		    getsockopt((int)fd, SOL_SOCKET, SO_DOMAIN, &dom, &l) != 0 ||
		    (dom != AF_INET && dom != AF_INET6))
			continue;
		shutdown((int)fd, SHUT_RDWR);
	}
	closedir(d);
}

static void *watch_main(void *arg)
{
	cts_gitnet_watch *w = arg;
	struct timespec now, deadline;

	pthread_mutex_lock(&w->mu);
	while (!w->stop) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline = w->last;
		deadline.tv_sec += w->seconds;
		if (!w->expired &&
		    (now.tv_sec > deadline.tv_sec ||
		     (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec)))
			w->expired = 1;
		if (w->expired) {
			/* Again every second until the exchange gives up (a
			 * connection may open after the first cut). */
			scan_sockets(w, 1);
			deadline = now;
			deadline.tv_sec += 1;
		}
		pthread_cond_timedwait(&w->cv, &w->mu, &deadline);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

int cts_gitnet_watch_start(cts_gitnet_watch **out)
{
	cts_gitnet_watch *w = calloc(1, sizeof(*w));
	pthread_condattr_t ca;
	int ok;

	sigset_t pipe_set;

	*out = NULL;
	if (!w)
		return cts_error_set(CTS_ENOMEM, "mémoire insuffisante");
	/* A connection the server (or the watchdog) closed while we write to
	 * it must be an error, not SIGPIPE killing the process. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &w->old_mask);
	w->seconds = cts_gitnet_timeout_seconds();
	clock_gettime(CLOCK_MONOTONIC, &w->last);
	scan_sockets(w, 0);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	ok = pthread_mutex_init(&w->mu, NULL) == 0;
	if (ok && pthread_cond_init(&w->cv, &ca) != 0) {
		pthread_mutex_destroy(&w->mu);
		ok = 0;
	}
	pthread_condattr_destroy(&ca);
	if (ok && pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		pthread_cond_destroy(&w->cv);
		pthread_mutex_destroy(&w->mu);
		ok = 0;
	}
	if (!ok) {
		pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
		free(w->before);
		free(w);
		return cts_error_set(CTS_ERR, "surveillance du réseau impossible");
	}
	*out = w;
	return 0;
}

void cts_gitnet_watch_touch(cts_gitnet_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	if (!w->expired)
		clock_gettime(CLOCK_MONOTONIC, &w->last);
	pthread_mutex_unlock(&w->mu);
}

int cts_gitnet_watch_expired(cts_gitnet_watch *w)
{
	int e;

	if (!w)
		return 0;
	pthread_mutex_lock(&w->mu);
	e = w->expired;
	pthread_mutex_unlock(&w->mu);
	return e;
}

void cts_gitnet_watch_stop(cts_gitnet_watch *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = 1;
	pthread_cond_signal(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	/* SIGPIPEs raised by the exchange are dropped before the thread's
	 * mask comes back (unless it blocked SIGPIPE itself). */
	if (!sigismember(&w->old_mask, SIGPIPE)) {
		sigset_t pipe_set;
		struct timespec zero = { 0, 0 };
		sigemptyset(&pipe_set);
		sigaddset(&pipe_set, SIGPIPE);
		while (sigtimedwait(&pipe_set, NULL, &zero) == SIGPIPE)
			;
	}
	pthread_sigmask(SIG_SETMASK, &w->old_mask, NULL);
	pthread_cond_destroy(&w->cv);
	pthread_mutex_destroy(&w->mu);
	free(w->before);
	free(w);
}
