/*
 * The preload library's side of the umd wire format (framed mode, @umd/core's umd_wire.h):
 * connect to the service and read its HELLO, send one REQUEST and read its REPLY or ERROR.
 * Writes use send(MSG_NOSIGNAL) rather than umd_write_frame, so a service that went away is
 * an errno for the caller, never a SIGPIPE that kills iptables.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "bpfilter_preload.h"
#include "preload_internal.h"
#include "umd_wire.h"

/* ---- the real libc ---------------------------------------------------------------- */

void *preload_real(const char *name)
{
	void *fn = dlsym(RTLD_NEXT, name);
	if (!fn) {
		fprintf(stderr, LOG_PREFIX "cannot find the real %s: %s\n", name, dlerror());
		abort();
	}
	return fn;
}

/* ---- little-endian helpers ----------------------------------------------------------- */

static void put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }

/* ---- umd framing ------------------------------------------------------------------ */

ssize_t send_nosignal(int fd, const void *buf, size_t len)
{
	return send(fd, buf, len, MSG_NOSIGNAL);
}

int write_full(int fd, const uint8_t *buf, size_t len, write_fn put)
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

void complain(const char *what, int err)
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

int service_connect(int cloexec, uint32_t *max_payload)
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
int service_exchange(int fd, struct owned *state, uint32_t is_set, uint32_t cmd,
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

