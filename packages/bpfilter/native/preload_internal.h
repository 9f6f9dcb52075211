/*
 * What the parts of the preload library share (bpfilter_preload.c: descriptors and socket
 * options; preload_service.c: the umd exchange with the service, on preload_io.c's reads
 * and writes; preload_procfs.c: the table names file). Not installed: the library's only
 * interface is the libc calls it wraps.
 */
#ifndef PRELOAD_INTERNAL_H
#define PRELOAD_INTERNAL_H

#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

#define LOG_PREFIX "bpfilter_preload: "

/*
 * The library is preloaded into programs that may have functions of the same names: its
 * own functions are hidden (not exported), only the libc calls it wraps are.
 */
#define PRELOAD_HIDDEN __attribute__((visibility("hidden")))

/* The real libc's `name` (dlsym(RTLD_NEXT)); aborts with a message when there is none. */
PRELOAD_HIDDEN void *preload_real(const char *name);

/* Resolves once per function; racing threads resolve the same pointer, stored atomically. */
#define REAL(ret, name, ...)                                                            \
	static ret (*real_##name##_cached)(__VA_ARGS__);                                \
	ret (*real_##name)(__VA_ARGS__) = __atomic_load_n(&real_##name##_cached,         \
							  __ATOMIC_ACQUIRE);             \
	if (!real_##name) {                                                             \
		real_##name = (ret (*)(__VA_ARGS__))preload_real(#name);                        \
		__atomic_store_n(&real_##name##_cached, real_##name, __ATOMIC_RELEASE); \
	}

/*
 * A service connection: the next request id and the largest payload its HELLO allows. `used`
 * is read and written atomically (close() and the calls on other descriptors take no lock);
 * `lock` guards the rest and each exchange on the socket.
 */
struct owned {
	pthread_mutex_t lock;
	uint8_t used;
	uint32_t next_id;
	uint32_t max_payload;
	/* A spare connection (preload_spare.c) not yet answered on: the service may have closed it. */
	uint8_t reused;
};

/* A writer for write_full: send_nosignal or write. */
typedef ssize_t (*write_fn)(int fd, const void *buf, size_t len);

/* send() without SIGPIPE: a service that went away is an errno for the caller. */
PRELOAD_HIDDEN ssize_t send_nosignal(int fd, const void *buf, size_t len);

/* Writes all of buf with `put`, retrying on EINTR. Returns 0 or -errno. */
PRELOAD_HIDDEN int write_full(int fd, const uint8_t *buf, size_t len, write_fn put);

/*
 * Reads exactly len bytes; *got says how many arrived (also on failure). End of stream:
 * -ECONNRESET; receive timeout: -ETIMEDOUT. read_full: the same, without the count.
 */
PRELOAD_HIDDEN int read_counted(int fd, uint8_t *buf, size_t len, size_t *got);
PRELOAD_HIDDEN int read_full(int fd, uint8_t *buf, size_t len);

/*
 * Reads one umd frame of at most max_payload bytes; *payload is malloc'ed (NULL when empty).
 * Returns 0 or -errno (-EPROTO for a header umd_wire.h refuses, said on stderr).
 */
PRELOAD_HIDDEN int read_frame(int fd, uint32_t max_payload, uint8_t *type, uint32_t *id,
			      uint8_t **payload, uint32_t *length);

/* Says on stderr what failed (once per repeated failure) and that nothing reached the kernel. */
PRELOAD_HIDDEN void complain(const char *what, int err);

/*
 * Connects to the service and reads its HELLO. Returns the descriptor, or -errno (with a
 * message on stderr). `cloexec` mirrors the caller's SOCK_CLOEXEC.
 */
PRELOAD_HIDDEN int service_connect(int cloexec, uint32_t *max_payload);

/* preload_spare.c: the connection of a closed socket, kept for the next socket(). */
PRELOAD_HIDDEN void spare_park(int fd, const struct owned *state);
PRELOAD_HIDDEN int spare_take(int cloexec, uint32_t *next_id, uint32_t *max_payload);

/*
 * One exchange, up to the reply's status: the kernel's mbox_request header and the option
 * bytes out (from the caller's memory), the reply's i32 status back. Returns the status
 * (0 or -errno); on 0, *pending is the count of reply bytes left for service_read_data.
 */
PRELOAD_HIDDEN int service_request(int fd, struct owned *state, uint32_t is_set, uint32_t cmd,
				   const void *optval, uint32_t len, uint32_t *pending);

/*
 * Reads the `pending` bytes of a reply: at most `out_len` into `out`, the rest dropped.
 * Returns 0 or -errno (-EFAULT for an `out` the kernel cannot write; the reply is consumed).
 */
PRELOAD_HIDDEN int service_read_data(int fd, void *out, uint32_t out_len, uint32_t pending);

/*
 * Whether a get failed with `rc` (-errno) because the service had closed the spare connection
 * it went out on before it could be answered: it is sent again on a connection of its own. A
 * get changes nothing in the service, so a second one is the same call; a set is never sent
 * twice.
 */
PRELOAD_HIDDEN int closed_spare(const struct owned *state, uint32_t is_set, int rc);

#endif
