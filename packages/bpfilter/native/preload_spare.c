/*
 * One spare connection to the service, for this process: libxtables probes each revision on a
 * socket of its own (socket, one getsockopt, close), and a connection of its own each cost a
 * connect, the service's accept and its HELLO before the probe (the enforcement history, session
 * 22, has the figures). close() of our socket parks its connection here instead; the next
 * socket() takes it. The service keeps no state for a connection between two replies, so a later socket on it
 * is answered as on a fresh one.
 *
 * Parked only when the stream is between two exchanges (nothing to read, not shut, the peer
 * there) and no thread is in an exchange on it; kept under a descriptor of its own (close-on-
 * exec) and recognized by its inode, since a program may close or reuse that number behind our
 * back (close_range, dup2): then it is forgotten, never closed. A forked child's copy is not
 * used (the connection would be shared with the parent): the child closes its copy.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload_internal.h"

/*
 * The spare's descriptor is at least this: never one of the low numbers a program reopens by
 * position (a daemon's close(0) then open("/dev/null") expects 0 back).
 */
#define SPARE_MIN_FD 100

static pthread_mutex_t spare_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	int fd;
	pid_t pid;
	dev_t dev;
	ino_t ino;
	uint32_t next_id;
	uint32_t max_payload;
} spare = { .fd = -1 };

/* Whether fd is the socket of inode dev/ino. */
static int same_socket(int fd, dev_t dev, ino_t ino)
{
	struct stat st;
	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == dev && st.st_ino == ino;
}

/* Whether the stream is between two exchanges: no byte waiting, not at its end, no error. */
static int stream_idle(int fd)
{
	char byte;
	ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

/* Forgets the spare; closes it when it is still ours (the caller holds spare_lock). */
static void drop_spare(void)
{
	REAL(int, close, int);
	if (spare.fd >= 0 && same_socket(spare.fd, spare.dev, spare.ino))
		real_close(spare.fd);
	spare.fd = -1;
}

void spare_park(int fd, const struct owned *state)
{
	REAL(int, close, int);
	int saved = errno;
	struct stat st;
	if (!stream_idle(fd) || fstat(fd, &st) != 0)
		goto out;
	int kept = fcntl(fd, F_DUPFD_CLOEXEC, SPARE_MIN_FD);
	if (kept < 0)
		goto out;
	pthread_mutex_lock(&spare_lock);
	if (spare.fd >= 0 && spare.pid == getpid() && same_socket(spare.fd, spare.dev, spare.ino)) {
		real_close(kept); /* one spare is enough: a probe at a time */
	} else {
		if (spare.fd >= 0 && spare.pid != getpid())
			drop_spare();
		spare.fd = kept;
		spare.pid = getpid();
		spare.dev = st.st_dev;
		spare.ino = st.st_ino;
		spare.next_id = state->next_id;
		spare.max_payload = state->max_payload;
	}
	pthread_mutex_unlock(&spare_lock);
out:
	errno = saved;
}

int spare_take(int cloexec, uint32_t *next_id, uint32_t *max_payload)
{
	int fd = -1;
	pthread_mutex_lock(&spare_lock);
	if (spare.fd >= 0) {
		if (spare.pid != getpid()) {
			drop_spare();
		} else if (!same_socket(spare.fd, spare.dev, spare.ino)) {
			spare.fd = -1; /* the number is someone else's now */
		} else if (!stream_idle(spare.fd)) {
			drop_spare(); /* the service closed it, or sent what no request asked */
		} else {
			fd = spare.fd;
			*next_id = spare.next_id;
			*max_payload = spare.max_payload;
			spare.fd = -1;
		}
	}
	pthread_mutex_unlock(&spare_lock);
	if (fd >= 0 && !cloexec && fcntl(fd, F_SETFD, 0) < 0) {
		REAL(int, close, int);
		real_close(fd);
		fd = -1;
	}
	return fd;
}

/* A child forked while another thread held the lock: only this thread exists now. */
static void reset_in_child(void)
{
	pthread_mutex_init(&spare_lock, NULL);
}

__attribute__((constructor)) static void register_spare_fork_handler(void)
{
	pthread_atfork(NULL, NULL, reset_in_child);
}
