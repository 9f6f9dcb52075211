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
 *    SO_IP_SET 83, set 64..65): forwarded to the service as the kernel's mbox_request header plus the
 *    option bytes; the reply's bytes are copied back into the caller's memory, and the old
 *    counters of a SET_REPLACE into the `counters` pointer inside the caller's ipt_replace.
 *    The same options on any socket we did not create are refused (EACCES): never the kernel.
 *  - /proc/net/ip_tables_names: iptables-legacy-save reads it (fopen64) to find the tables;
 *    libxtables lstat64()s and statfs64()s it to decide whether to run modprobe. We answer
 *    both from the service (the names) and with a procfs-looking file (the stats).
 *  - close(): forgets our descriptors.
 * Everything else goes to the real libc (dlsym(RTLD_NEXT)).
 *
 * On the Unix socket we speak the umd wire format, framed mode, with @umd/core's umd_wire.h
 * (headers, HELLO): the service sends HELLO on accept, we send REQUEST frames and read one
 * REPLY or ERROR each. Writes use send(MSG_NOSIGNAL) rather than umd_write_frame, so a service
 * that went away is an errno for the caller, never a SIGPIPE that kills iptables.
 *
 * Threads: iptables is single-threaded, but the library can be preloaded into any program. The
 * descriptor table and each exchange are guarded by one mutex (an exchange is a write and a
 * read on one socket that must not interleave with another thread's), and the lazily resolved
 * libc functions are published with atomic stores.
 *
 * Environment: BPFILTER_SOCKET (path of the service's socket; required),
 * BPFILTER_TIMEOUT_MS (per exchange, default 30000).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <netinet/in.h>
#include <pthread.h>

#include "bpfilter_preload.h"
#include "umd_wire.h"

#define LOG_PREFIX "bpfilter_preload: "
#define PROC_SUPER_MAGIC_VALUE 0x9fa0
#define MAX_OWNED_FD 4096

/* ---- the real libc ---------------------------------------------------------------- */

static void *real(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);
	if (!fn) {
		fprintf(stderr, LOG_PREFIX "cannot find the real %s: %s\n", name, dlerror());
		abort();
	}
	return fn;
}

/* Resolves once per function; racing threads resolve the same pointer, stored atomically. */
#define REAL(ret, name, ...)                                                            \
	static ret (*real_##name##_cached)(__VA_ARGS__);                                \
	ret (*real_##name)(__VA_ARGS__) = __atomic_load_n(&real_##name##_cached,         \
							  __ATOMIC_ACQUIRE);             \
	if (!real_##name) {                                                             \
		real_##name = (ret (*)(__VA_ARGS__))real(#name);                        \
		__atomic_store_n(&real_##name##_cached, real_##name, __ATOMIC_RELEASE); \
	}

/* ---- descriptors we own ------------------------------------------------------------ */

struct owned {
	uint8_t used;
	uint32_t next_id;
	uint32_t max_payload;
};

static struct owned owned[MAX_OWNED_FD];
/* Guards owned[] and every exchange on an owned socket; never held across a call into us. */
static pthread_mutex_t owned_lock = PTHREAD_MUTEX_INITIALIZER;

/* Our state for fd, or NULL; the caller holds owned_lock. */
static struct owned *owned_fd(int fd)
{
	if (fd < 0 || fd >= MAX_OWNED_FD || !owned[fd].used)
		return NULL;
	/* The number may have been reused behind our back (dup2, close_range): still our socket? */
	REAL(int, getsockopt, int, int, int, void *, socklen_t *);
	int domain = -1;
	socklen_t len = sizeof(domain);
	if (real_getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) < 0 || domain != AF_UNIX) {
		owned[fd].used = 0;
		return NULL;
	}
	return &owned[fd];
}

/* ---- little-endian helpers ----------------------------------------------------------- */

static void put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }

/* ---- umd framing ------------------------------------------------------------------ */

typedef ssize_t (*write_fn)(int fd, const void *buf, size_t len);

/* send() without SIGPIPE: a service that went away is an errno for the caller. */
static ssize_t send_nosignal(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL);
}

/* Writes all of buf with `put` (send_nosignal or write), retrying on EINTR. */
static int write_full(int fd, const uint8_t *buf, size_t len, write_fn put)
{
	while (len > 0) {
		ssize_t n = put(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* Reads exactly len bytes. End of stream: -ECONNRESET; receive timeout: -ETIMEDOUT. */
static int read_full(int fd, uint8_t *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/* Reads one frame; *payload is malloc'ed (NULL when empty). Returns 0 or -errno. */
static int read_frame(int fd, uint32_t max_payload, uint8_t *type, uint32_t *id,
		      uint8_t **payload, uint32_t *length)
{
	uint8_t raw[UMD_HEADER_SIZE];
	struct umd_header h;
	char why[160];
	*payload = NULL;
	int rc = read_full(fd, raw, sizeof(raw));
	if (rc)
		return rc;
	if (umd_header_decode(raw, &h, max_payload, why, sizeof(why)) < 0) {
		fprintf(stderr, LOG_PREFIX "bad frame from the bpfilter service: %s\n", why);
		return -EPROTO;
	}
	*type = h.type;
	*id = h.id;
	*length = h.length;
	if (*length == 0)
		return 0;
	*payload = malloc(*length);
	if (!*payload)
		return -ENOMEM;
	rc = read_full(fd, *payload, *length);
	if (rc) {
		free(*payload);
		*payload = NULL;
	}
	return rc;
}

/* ---- talking to the service --------------------------------------------------------- */

static const char *service_path(void)
{
	const char *path = getenv(BPFILTER_SOCKET_ENV);
	return (path && *path) ? path : NULL;
}

static void complain(const char *what, int err)
{
	/* libiptc retries a failed init once: say the same thing only once. */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static const char *last_what;
	static int last_err;
	pthread_mutex_lock(&lock);
	int repeated = what == last_what && err == last_err;
	last_what = what;
	last_err = err;
	pthread_mutex_unlock(&lock);
	if (repeated)
		return;
	const char *path = service_path();
	fprintf(stderr, LOG_PREFIX "%s (service %s=%s): %s; nothing was sent to the kernel\n",
		what, BPFILTER_SOCKET_ENV, path ? path : "(unset)", strerror(err));
}

static void set_timeout(int fd)
{
	const char *env = getenv("BPFILTER_TIMEOUT_MS");
	long ms = env ? strtol(env, NULL, 10) : 30000;
	if (ms <= 0)
		return;
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	REAL(int, setsockopt, int, int, int, const void *, socklen_t);
	real_setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	real_setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * Connects to the service and reads its HELLO. Returns the descriptor, or -errno (with a
 * message on stderr). `cloexec` mirrors the caller's SOCK_CLOEXEC.
 */
static int service_connect(int cloexec, uint32_t *max_payload)
{
	REAL(int, socket, int, int, int);
	REAL(int, close, int);
	const char *path = service_path();
	if (!path) {
		complain("no bpfilter service configured", EDESTADDRREQ);
		return -EDESTADDRREQ;
	}
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(addr.sun_path)) {
		complain("service socket path too long", ENAMETOOLONG);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, path);
	int fd = real_socket(AF_UNIX, SOCK_STREAM | (cloexec ? SOCK_CLOEXEC : 0), 0);
	if (fd < 0) {
		int err = errno;
		complain("cannot create a Unix socket", err);
		return -err;
	}
	set_timeout(fd);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		/* No socket file and a dead socket file mean the same thing to the user. */
		int err = (errno == ENOENT) ? ECONNREFUSED : errno;
		real_close(fd);
		complain("cannot reach the bpfilter service", err);
		return -err;
	}
	uint8_t type;
	uint32_t id, length;
	uint8_t *payload;
	int rc = read_frame(fd, 4096, &type, &id, &payload, &length);
	if (rc == 0 && (type != UMD_HELLO || id != 0 || umd_hello_decode(payload, length, max_payload) < 0))
		rc = -EPROTO;
	if (rc) {
		free(payload);
		real_close(fd);
		complain("no HELLO from the bpfilter service", -rc);
		return rc;
	}
	free(payload);
	return fd;
}

/*
 * One exchange: the kernel's mbox_request header (u64 addr, u32 len, u32 is_set, u32 cmd,
 * u32 pid) and the option bytes go out; the reply payload is i32 status + bytes.
 * Returns the status (0 or -errno) and, on 0, the bytes in *data (malloc'ed) / *data_len.
 */
static int service_exchange(int fd, struct owned *state, uint32_t is_set, uint32_t cmd,
			    const void *optval, uint32_t len, uint8_t **data, uint32_t *data_len)
{
	*data = NULL;
	*data_len = 0;
	uint64_t total = (uint64_t)MBOX_REQUEST_SIZE + len;
	if (total > state->max_payload) {
		fprintf(stderr, LOG_PREFIX "request of %llu bytes exceeds the service's limit (%u)\n",
			(unsigned long long)total, state->max_payload);
		return -EMSGSIZE;
	}
	uint8_t *msg = malloc(UMD_HEADER_SIZE + total);
	if (!msg)
		return -ENOMEM;
	uint32_t id = state->next_id++;
	umd_header_encode(msg, UMD_REQUEST, id, (uint32_t)total);
	uint8_t *req = msg + UMD_HEADER_SIZE;
	put_u64(req, (uint64_t)(uintptr_t)optval);
	umd_put_u32(req + 8, len);
	umd_put_u32(req + 12, is_set);
	umd_put_u32(req + 16, cmd);
	umd_put_u32(req + 20, (uint32_t)getpid());
	if (len)
		memcpy(req + MBOX_REQUEST_SIZE, optval, len);
	int rc = write_full(fd, msg, UMD_HEADER_SIZE + total, send_nosignal);
	free(msg);
	if (rc) {
		complain("lost the bpfilter service while sending", -rc);
		return rc;
	}
	for (;;) {
		uint8_t type, *payload;
		uint32_t rid, length;
		rc = read_frame(fd, UMD_DEFAULT_MAX_PAYLOAD, &type, &rid, &payload, &length);
		if (rc) {
			complain("lost the bpfilter service while waiting for a reply", -rc);
			return rc;
		}
		if (rid != id || (type != UMD_REPLY && type != UMD_ERROR)) {
			free(payload);
			complain("unexpected frame from the bpfilter service", EPROTO);
			return -EPROTO;
		}
		if (length < 4) {
			free(payload);
			complain("short reply from the bpfilter service", EPROTO);
			return -EPROTO;
		}
		int32_t status = (int32_t)umd_get_u32(payload);
		if (type == UMD_ERROR) {
			/* The service could not run the request at all: say why. */
			fprintf(stderr, LOG_PREFIX "bpfilter service error %d: %.*s\n", status,
				(int)(length - 4), (const char *)payload + 4);
			free(payload);
			return (status < 0 && status > -4096) ? status : -EIO;
		}
		if (status > 0 || status <= -4096) {
			free(payload);
			complain("bad status from the bpfilter service", EPROTO);
			return -EPROTO;
		}
		if (status == 0 && length > 4) {
			*data_len = length - 4;
			*data = malloc(*data_len);
			if (!*data) {
				free(payload);
				return -ENOMEM;
			}
			memcpy(*data, payload + 4, *data_len);
		}
		free(payload);
		return status;
	}
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
	uint32_t max_payload = 0;
	int fd = service_connect(type & SOCK_CLOEXEC, &max_payload);
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
	pthread_mutex_lock(&owned_lock);
	owned[fd] = (struct owned){ .used = 1, .next_id = 1, .max_payload = max_payload };
	pthread_mutex_unlock(&owned_lock);
	return fd;
}

int close(int fd)
{
	REAL(int, close, int);
	if (fd >= 0 && fd < MAX_OWNED_FD) {
		pthread_mutex_lock(&owned_lock);
		owned[fd].used = 0;
		pthread_mutex_unlock(&owned_lock);
	}
	return real_close(fd);
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

/* One forwarded option: 0, or -1 with errno set. The caller holds owned_lock. */
static int sockopt_exchange(int fd, struct owned *state, int optname, int is_set, void *optval,
			    const socklen_t *lenp)
{
	socklen_t len = lenp ? *lenp : 0;
	if (!lenp || (len > 0 && !optval)) {
		errno = EFAULT;
		return -1;
	}
	uint8_t *data;
	uint32_t data_len;
	int status = service_exchange(fd, state, is_set, optname, optval, len, &data, &data_len);
	if (status < 0) {
		errno = -status;
		return -1;
	}
	if (!is_set) {
		memcpy(optval, data, data_len < len ? data_len : len);
	} else if (optname == IPT_SO_SET_REPLACE && data_len > 0 && len >= IPT_REPLACE_HEADER_SIZE) {
		const uint8_t *repl = optval;
		uint32_t num_counters;
		void *counters;
		memcpy(&num_counters, repl + IPT_REPLACE_NUM_COUNTERS_OFFSET, sizeof(num_counters));
		memcpy(&counters, repl + IPT_REPLACE_COUNTERS_OFFSET, sizeof(counters));
		uint64_t room = (uint64_t)num_counters * XT_COUNTERS_SIZE;
		if (counters && room > 0)
			memcpy(counters, data, data_len < room ? data_len : room);
	}
	free(data);
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
	int iptables = is_set ? is_iptables_set(level, optname) : is_iptables_get(level, optname);
	pthread_mutex_lock(&owned_lock);
	struct owned *state = owned_fd(fd);
	int rc = 1;
	if (!state) {
		if (iptables)
			rc = refuse_foreign(fd, optname);
	} else if (level == SOL_IP) {
		rc = iptables ? sockopt_exchange(fd, state, optname, is_set, optval, lenp) : -1;
		if (!iptables)
			errno = ENOPROTOOPT;
	}
	pthread_mutex_unlock(&owned_lock);
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

/* ---- /proc/net/ip_tables_names ------------------------------------------------------ */

static int is_names_path(const char *path)
{
	return path && strcmp(path, PROC_TABLE_NAMES) == 0;
}

/* A memfd holding the service's table names, one per line, as the kernel's file has. */
static int names_fd(void)
{
	REAL(int, close, int);
	uint32_t max_payload = 0;
	int sock = service_connect(1, &max_payload);
	if (sock < 0)
		return sock;
	struct owned state = { .used = 1, .next_id = 1, .max_payload = max_payload };
	uint8_t *data;
	uint32_t data_len;
	int status = service_exchange(sock, &state, 0, BPFILTER_UMD_GET_TABLE_NAMES, NULL, 0,
				      &data, &data_len);
	real_close(sock);
	if (status < 0)
		return status;
	int fd = memfd_create("ip_tables_names", MFD_CLOEXEC);
	if (fd < 0) {
		int err = errno;
		free(data);
		return -err;
	}
	int rc = data_len ? write_full(fd, data, data_len, write) : 0;
	free(data);
	if (rc == 0 && lseek(fd, 0, SEEK_SET) < 0)
		rc = -errno;
	if (rc) {
		real_close(fd);
		return rc;
	}
	return fd;
}

static int open_names(void)
{
	int fd = names_fd();
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	return fd;
}

static FILE *fopen_names(void)
{
	REAL(int, close, int);
	int fd = open_names();
	if (fd < 0)
		return NULL;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		int err = errno;
		real_close(fd);
		errno = err;
	}
	return f;
}

static int mode_arg(int flags, va_list ap)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE ? va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
	REAL(int, open, const char *, int, ...);
	va_list ap;
	va_start(ap, flags);
	int mode = mode_arg(flags, ap);
	va_end(ap);
	if (is_names_path(path))
		return open_names();
	return real_open(path, flags, mode);
}

int open64(const char *path, int flags, ...)
{
	REAL(int, open64, const char *, int, ...);
	va_list ap;
	va_start(ap, flags);
	int mode = mode_arg(flags, ap);
	va_end(ap);
	if (is_names_path(path))
		return open_names();
	return real_open64(path, flags, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
	REAL(int, openat, int, const char *, int, ...);
	va_list ap;
	va_start(ap, flags);
	int mode = mode_arg(flags, ap);
	va_end(ap);
	if (is_names_path(path))
		return open_names();
	return real_openat(dirfd, path, flags, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	REAL(FILE *, fopen, const char *, const char *);
	return is_names_path(path) ? fopen_names() : real_fopen(path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	REAL(FILE *, fopen64, const char *, const char *);
	return is_names_path(path) ? fopen_names() : real_fopen64(path, mode);
}

/* libxtables decides whether to run modprobe from lstat() + statfs() of the names file. */
static void fake_stat(struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_mode = S_IFREG | 0440;
	st->st_nlink = 1;
	st->st_blksize = 1024;
}

static void fake_statfs(struct statfs *sf)
{
	memset(sf, 0, sizeof(*sf));
	sf->f_type = PROC_SUPER_MAGIC_VALUE;
	sf->f_bsize = 4096;
	sf->f_frsize = 4096;
	sf->f_namelen = 255;
}

#define STAT_WRAPPER(name, type, faker)                        \
	int name(const char *path, type *buf)                  \
	{                                                      \
		REAL(int, name, const char *, type *);         \
		if (is_names_path(path)) {                     \
			faker((void *)buf);                    \
			return 0;                              \
		}                                              \
		return real_##name(path, buf);                 \
	}

STAT_WRAPPER(stat, struct stat, fake_stat)
STAT_WRAPPER(stat64, struct stat64, fake_stat)
STAT_WRAPPER(lstat, struct stat, fake_stat)
STAT_WRAPPER(lstat64, struct stat64, fake_stat)
STAT_WRAPPER(statfs, struct statfs, fake_statfs)
STAT_WRAPPER(statfs64, struct statfs64, fake_statfs)
