/*
 * The preload library's byte I/O (preload_internal.h): the real libc's functions, whole writes
 * and reads on a stream socket, one umd frame read with @umd/core's umd_wire.h. What the
 * exchange with the service (preload_service.c) builds on.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

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

/* ---- umd framing ------------------------------------------------------------------ */

/* The real libc's send and sendmsg: the exported ones refuse our own sockets (bpfilter_preload.c). */
ssize_t send_nosignal(int fd, const void *buf, size_t len)
{
	REAL(ssize_t, send, int, const void *, size_t, int);
	return real_send(fd, buf, len, MSG_NOSIGNAL);
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

/*
 * Reads exactly len bytes; *got says how many arrived (also on failure). End of stream:
 * -ECONNRESET; receive timeout: -ETIMEDOUT.
 */
int read_counted(int fd, uint8_t *buf, size_t len, size_t *got)
{
	*got = 0;
	while (*got < len) {
		ssize_t n = recv(fd, buf + *got, len - *got, 0);
		if (n == 0)
			return -ECONNRESET;
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return (errno == EAGAIN || errno == EWOULDBLOCK) ? -ETIMEDOUT : -errno;
		}
		*got += n;
	}
	return 0;
}

int read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got;
	return read_counted(fd, buf, len, &got);
}

/* Reads one frame; *payload is malloc'ed (NULL when empty). Returns 0 or -errno. */
int read_frame(int fd, uint32_t max_payload, uint8_t *type, uint32_t *id, uint8_t **payload,
	       uint32_t *length)
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
