/*
 * bpfilter_preload: an LD_PRELOAD library that makes unmodified iptables-legacy programs
 * (libiptc, libxtables) talk to the bpfilter service instead of the kernel.
 *
 * What it takes over (found with strace on Debian's iptables 1.8.9):
 *  - socket(AF_INET, SOCK_RAW, IPPROTO_RAW): libiptc's handle and libxtables' revision
 *    probes. We return a Unix stream socket connected to the bpfilter service instead, so
 *    no kernel raw socket (and no CAP_NET_RAW) is needed. AF_INET6 raw sockets of that kind
 *    (ip6tables) are refused: bpfilter is IPv4 only and must never reach the kernel.
 *  - getsockopt/setsockopt at SOL_IP with the iptables option numbers (get 64..67 and
 *    SO_IP_SET 83, set 64..65): forwarded to the service as the kernel's mbox_request header
 *    plus the option bytes the kernel reads (sent from the caller's memory); the reply's
 *    bytes are read straight into the caller's memory, and the old counters of a SET_REPLACE
 *    into the `counters` pointer inside the caller's ipt_replace, as the kernel writes them
 *    (no copy: at about a megabyte a large table, fresh pages to fault in cost more than the
 *    copy itself).
 *    The same options on any socket we did not create are refused (EACCES): never the kernel.
 *  - /proc/net/ip_tables_names: iptables-legacy-save reads it (fopen64) to find the tables;
 *    libxtables lstat64()s and statfs64()s it to decide whether to run modprobe. We answer
 *    both from the service (the names) and with a procfs-looking file (the stats).
 *  - send/sendto/sendmsg/write on our sockets: a program that sends raw IPv4 packets got one
 *    for its SOCK_RAW socket; its bytes would reach the service as garbage, never the network.
 *    They are refused (EPERM) with a line on stderr.
 *  - close(): forgets our descriptors; the connection of the socket closed is kept for the
 *    process's next socket() (preload_spare.c: libxtables probes each revision on a socket of
 *    its own).
 * Everything else goes to the real libc (dlsym(RTLD_NEXT)).
 *
 * On the Unix socket we speak the umd wire format, framed mode, with @umd/core's umd_wire.h
 * (headers, HELLO): the service sends HELLO on accept, we send REQUEST frames and read one
 * REPLY or ERROR each (preload_service.c). The names file is preload_procfs.c; the spare
 * connection preload_spare.c.
 *
 * Threads: iptables is single-threaded, but the library can be preloaded into any program. Each
 * of our sockets has its own mutex, held for an exchange (a write and a read that must not
 * interleave with another thread's); whether a descriptor is ours is an atomic flag, so close()
 * and the calls on other descriptors never wait for an exchange (which may take the whole
 * BPFILTER_TIMEOUT_MS), and a child forked meanwhile can close descriptors and exec. The child
 * gets the mutexes unlocked. The lazily resolved libc functions are published with atomic stores.
 *
 * Environment: BPFILTER_SOCKET (path of the service's socket; required),
 * BPFILTER_TIMEOUT_MS (per exchange, default 30000).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <netinet/in.h>
#include <pthread.h>

#include "bpfilter_preload.h"
#include "preload_internal.h"

#define MAX_OWNED_FD 4096

/* ---- descriptors we own ------------------------------------------------------------ */

static struct owned owned[MAX_OWNED_FD] = {
	[0 ... MAX_OWNED_FD - 1] = { .lock = PTHREAD_MUTEX_INITIALIZER },
};

static int is_owned(int fd)
{
	return fd >= 0 && fd < MAX_OWNED_FD && __atomic_load_n(&owned[fd].used, __ATOMIC_ACQUIRE);
}

static void set_owned(int fd, uint8_t used)
{
	__atomic_store_n(&owned[fd].used, used, __ATOMIC_RELEASE);
}

/* Our state for fd, locked (unlock with pthread_mutex_unlock(&state->lock)), or NULL. */
static struct owned *lock_owned(int fd)
{
	if (!is_owned(fd))
		return NULL;
	pthread_mutex_lock(&owned[fd].lock);
	/* The number may have been reused behind our back (dup2, close_range): still our socket? */
	REAL(int, getsockopt, int, int, int, void *, socklen_t *);
	int domain = -1;
	socklen_t len = sizeof(domain);
	if (is_owned(fd) && real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
	    domain == AF_UNIX)
		return &owned[fd];
	set_owned(fd, 0);
	pthread_mutex_unlock(&owned[fd].lock);
	return NULL;
}

/* A child forked while another thread was in an exchange: only this thread exists now. */
static void unlock_in_child(void)
{
	for (int fd = 0; fd < MAX_OWNED_FD; fd++)
		pthread_mutex_init(&owned[fd].lock, NULL);
}

__attribute__((constructor)) static void register_fork_handler(void)
{
	pthread_atfork(NULL, NULL, unlock_in_child);
}

/* ---- socket / close --------------------------------------------------------------- */

int socket(int domain, int type, int protocol)
{
	REAL(int, socket, int, int, int);
	REAL(int, close, int);
	int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (base != SOCK_RAW || protocol != IPPROTO_RAW || (domain != AF_INET && domain != AF_INET6))
		return real_socket(domain, type, protocol);
	if (domain == AF_INET6) {
		fprintf(stderr, LOG_PREFIX "IPv6 (ip6tables) is not served by bpfilter; refusing "
				"a raw IPv6 socket so that nothing reaches the kernel\n");
		errno = EAFNOSUPPORT;
		return -1;
	}
	uint32_t max_payload = 0, next_id = 1;
	int fd = spare_take(type & SOCK_CLOEXEC, &next_id, &max_payload);
	uint8_t reused = fd >= 0;
	if (fd < 0)
		fd = service_connect(type & SOCK_CLOEXEC, &max_payload);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	if (fd >= MAX_OWNED_FD) {
		real_close(fd);
		fprintf(stderr, LOG_PREFIX "descriptor %d is beyond what the preload tracks\n", fd);
		errno = EMFILE;
		return -1;
	}
	pthread_mutex_lock(&owned[fd].lock);
	owned[fd].next_id = next_id;
	owned[fd].max_payload = max_payload;
	owned[fd].reused = reused;
	set_owned(fd, 1);
	pthread_mutex_unlock(&owned[fd].lock);
	return fd;
}

int close(int fd)
{
	REAL(int, close, int);
	/* Its connection is kept for the next socket() unless a thread is in an exchange on it. */
	if (is_owned(fd) && pthread_mutex_trylock(&owned[fd].lock) == 0) {
		if (is_owned(fd))
			spare_park(fd, &owned[fd]);
		set_owned(fd, 0);
		pthread_mutex_unlock(&owned[fd].lock);
	}
	if (is_owned(fd))
		set_owned(fd, 0);
	return real_close(fd);
}

/* ---- sends on our sockets ---------------------------------------------------------- */

/* 1 when fd is not ours (the caller passes the call on), else -1 with EPERM, said once. */
static int refuse_send(int fd)
{
	static int told;
	struct owned *state = lock_owned(fd);
	if (!state)
		return 1;
	pthread_mutex_unlock(&state->lock);
	if (!__atomic_exchange_n(&told, 1, __ATOMIC_RELAXED))
		fprintf(stderr, LOG_PREFIX "descriptor %d is bpfilter's iptables socket, not a raw IP "
				"socket: sending packets on it is refused (run this program outside "
				"bpfilter exec)\n", fd);
	errno = EPERM;
	return -1;
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	REAL(ssize_t, send, int, const void *, size_t, int);
	return refuse_send(fd) == 1 ? real_send(fd, buf, len, flags) : -1;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *to,
	       socklen_t to_len)
{
	REAL(ssize_t, sendto, int, const void *, size_t, int, const struct sockaddr *, socklen_t);
	return refuse_send(fd) == 1 ? real_sendto(fd, buf, len, flags, to, to_len) : -1;
}

ssize_t sendmsg(int fd, const struct msghdr *msg, int flags)
{
	REAL(ssize_t, sendmsg, int, const struct msghdr *, int);
	return refuse_send(fd) == 1 ? real_sendmsg(fd, msg, flags) : -1;
}

ssize_t write(int fd, const void *buf, size_t len)
{
	REAL(ssize_t, write, int, const void *, size_t);
	return refuse_send(fd) == 1 ? real_write(fd, buf, len) : -1;
}

/* ---- the socket options ------------------------------------------------------------- */

/* The iptables gets, and SO_IP_SET: libxt_set looks sets up by name with it. */
static int is_iptables_get(int level, int optname)
{
	return level == SOL_IP && ((optname >= IPT_SO_GET_INFO &&
				    optname <= IPT_SO_GET_REVISION_TARGET) ||
				   optname == SO_IP_SET);
}

static int is_iptables_set(int level, int optname)
{
	return level == SOL_IP && optname >= IPT_SO_SET_REPLACE && optname <= IPT_SO_SET_ADD_COUNTERS;
}

/* The iptables range on a descriptor we did not create: refuse, never the kernel. */
static int refuse_foreign(int fd, int optname)
{
	fprintf(stderr, LOG_PREFIX "refusing iptables option %d on descriptor %d, which is not a "
			"bpfilter socket (nothing is sent to the kernel)\n", optname, fd);
	errno = EACCES;
	return -1;
}

/*
 * A fresh connection to the service in place of fd's (same number, same close-on-exec), for a
 * get whose spare connection the service had closed. 0, or -1 (fd stays as it was).
 */
static int reconnect(int fd, struct owned *state)
{
	REAL(int, close, int);
	int flags = fcntl(fd, F_GETFD);
	if (flags < 0)
		return -1;
	uint32_t max_payload = 0;
	int fresh = service_connect(flags & FD_CLOEXEC, &max_payload);
	if (fresh < 0)
		return -1;
	int rc = dup3(fresh, fd, (flags & FD_CLOEXEC) ? O_CLOEXEC : 0);
	real_close(fresh);
	if (rc < 0)
		return -1;
	state->next_id = 1;
	state->max_payload = max_payload;
	state->reused = 0;
	return 0;
}

/* One forwarded option: 0, or -1 with errno set. The caller holds state->lock. */
static int sockopt_exchange(int fd, struct owned *state, int optname, int is_set, void *optval,
			    const socklen_t *lenp)
{
	socklen_t len = lenp ? *lenp : 0;
	if (!lenp || (len > 0 && !optval)) {
		errno = EFAULT;
		return -1;
	}
	/* The kernel's socket layer takes the length as an int: a negative one is EINVAL. */
	if (len > INT_MAX) {
		errno = EINVAL;
		return -1;
	}
	uint32_t pending;
	int status = service_request(fd, state, is_set, optname, optval, len, &pending);
	if (closed_spare(state, is_set, status) && reconnect(fd, state) == 0)
		status = service_request(fd, state, is_set, optname, optval, len, &pending);
	state->reused = 0;
	/* The reply's bytes go where the kernel writes them: into optval for a get, the old
	 * counters of a SET_REPLACE where its ipt_replace.counters points. */
	void *out = NULL;
	uint64_t room = 0;
	if (status == 0 && !is_set) {
		out = optval;
		room = len;
	} else if (status == 0 && optname == IPT_SO_SET_REPLACE && len >= IPT_REPLACE_HEADER_SIZE) {
		const uint8_t *repl = optval;
		uint32_t num_counters;
		memcpy(&num_counters, repl + IPT_REPLACE_NUM_COUNTERS_OFFSET, sizeof(num_counters));
		memcpy(&out, repl + IPT_REPLACE_COUNTERS_OFFSET, sizeof(out));
		room = out ? (uint64_t)num_counters * XT_COUNTERS_SIZE : 0;
	}
	if (status == 0)
		status = service_read_data(fd, out, room < pending ? (uint32_t)room : pending, pending);
	if (status < 0) {
		errno = -status;
		return -1;
	}
	return 0;
}

/*
 * The shared path of getsockopt and setsockopt. Returns 1 when the call is not ours (the caller
 * passes it to the real libc), else the call's result: 0, or -1 with errno set. On success of
 * a get, the reply bytes go into optval (the kernel fills the caller's buffer in place and
 * leaves *optlen as it was); of a SET_REPLACE, the old counters go where ipt_replace.counters
 * points, as the kernel writes them.
 */
static int service_sockopt(int fd, int level, int optname, int is_set, void *optval,
			   const socklen_t *lenp)
{
	if (level != SOL_IP)
		return 1;
	int iptables = is_set ? is_iptables_set(level, optname) : is_iptables_get(level, optname);
	struct owned *state = lock_owned(fd);
	if (!state)
		return iptables ? refuse_foreign(fd, optname) : 1;
	int rc = -1;
	if (iptables)
		rc = sockopt_exchange(fd, state, optname, is_set, optval, lenp);
	else
		errno = ENOPROTOOPT;
	int err = errno;
	pthread_mutex_unlock(&state->lock);
	errno = err;
	return rc;
}

int getsockopt(int fd, int level, int optname, void *optval, socklen_t *optlen)
{
	REAL(int, getsockopt, int, int, int, void *, socklen_t *);
	int rc = service_sockopt(fd, level, optname, 0, optval, optlen);
	return rc == 1 ? real_getsockopt(fd, level, optname, optval, optlen) : rc;
}

int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen)
{
	REAL(int, setsockopt, int, int, int, const void *, socklen_t);
	int rc = service_sockopt(fd, level, optname, 1, (void *)optval, &optlen);
	return rc == 1 ? real_setsockopt(fd, level, optname, optval, optlen) : rc;
}
