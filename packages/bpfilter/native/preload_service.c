/*
 * The preload library's side of the umd wire format (framed mode, @umd/core's umd_wire.h):
 * connect to the service and read its HELLO, send one REQUEST and read its REPLY or ERROR
 * (the reads and writes beneath are preload_io.c's).
 * Writes use send(MSG_NOSIGNAL) rather than umd_write_frame, so a service that went away is
 * an errno for the caller, never a SIGPIPE that kills iptables.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "bpfilter_preload.h"
#include "preload_internal.h"
#include "umd_wire.h"

/* ---- little-endian helpers ----------------------------------------------------------- */

static void put_u64(uint8_t *p, uint64_t v) { for (int i = 0; i < 8; i++) p[i] = v >> (8 * i); }

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
 * Sends `head` then `body` (sendmsg, MSG_NOSIGNAL), retrying on EINTR. Returns 0 or -errno;
 * *none_sent says whether the stream is as it was (nothing left before the failure).
 */
static int send_two(int fd, const uint8_t *head, size_t head_len, const uint8_t *body,
		    size_t body_len, int *none_sent)
{
	*none_sent = 1;
	struct iovec iov[2] = { { (void *)head, head_len }, { (void *)body, body_len } };
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = body_len ? 2 : 1 };
	REAL(ssize_t, sendmsg, int, const struct msghdr *, int);
	while (msg.msg_iovlen > 0) {
		ssize_t n = real_sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		*none_sent = 0;
		while (msg.msg_iovlen > 0 && (size_t)n >= msg.msg_iov->iov_len) {
			n -= msg.msg_iov->iov_len;
			msg.msg_iov++;
			msg.msg_iovlen--;
		}
		if (msg.msg_iovlen > 0) {
			msg.msg_iov->iov_base = (uint8_t *)msg.msg_iov->iov_base + n;
			msg.msg_iov->iov_len -= n;
		}
	}
	return 0;
}

/* Reads and drops `len` bytes of the stream. Returns 0 or -errno. */
static int drop_bytes(int fd, uint32_t len)
{
	uint8_t scratch[4096];
	while (len > 0) {
		uint32_t n = len < sizeof(scratch) ? len : sizeof(scratch);
		int rc = read_full(fd, scratch, n);
		if (rc)
			return rc;
		len -= n;
	}
	return 0;
}

/*
 * The stream is somewhere inside a frame (a reply for another request, a bad header, a read
 * that failed or timed out halfway): whatever follows is no reply to a later call. Shut the
 * connection so that every later call on it fails (EPIPE) instead of reading those bytes.
 */
static int lose_stream(int fd, int rc)
{
	shutdown(fd, SHUT_RDWR);
	return rc;
}

int closed_spare(const struct owned *state, uint32_t is_set, int rc)
{
	return state->reused && !is_set && (rc == -EPIPE || rc == -ECONNRESET);
}

/*
 * The bytes of a get's buffer the kernel reads (the service takes the rest as zeros): never
 * the whole of a large GET_ENTRIES buffer, nor bytes past what the caller's length claims
 * when that length is wrong (the kernel refuses it without reading them).
 */
static uint32_t get_request_bytes(uint32_t cmd, uint32_t len)
{
	uint32_t reads = len;
	if (cmd == IPT_SO_GET_INFO)
		reads = IPT_GETINFO_SIZE;
	else if (cmd == IPT_SO_GET_ENTRIES)
		reads = IPT_GET_ENTRIES_HEADER_SIZE;
	else if (cmd == IPT_SO_GET_REVISION_MATCH || cmd == IPT_SO_GET_REVISION_TARGET)
		reads = XT_GET_REVISION_SIZE;
	else if (cmd == SO_IP_SET)
		reads = IP_SET_REQUEST_MAX;
	return len < reads ? len : reads;
}

/*
 * One exchange, up to the reply's status: the kernel's mbox_request header (u64 addr, u32 len,
 * u32 is_set, u32 cmd, u32 pid) and the option bytes go out, sent from the caller's memory
 * (a large table's SET_REPLACE is about a megabyte: a copy would be fresh pages to fault in,
 * which costs more than the copy); a get sends only what the kernel reads of its buffer. The
 * reply payload is i32 status + bytes. Returns the status (0 or -errno); on 0, *pending is
 * the count of reply bytes still to be read with service_read_data. A buffer the kernel could
 * not read is -EFAULT, and leaves the connection usable when nothing of the frame went out.
 */
int service_request(int fd, struct owned *state, uint32_t is_set, uint32_t cmd,
		    const void *optval, uint32_t len, uint32_t *pending)
{
	*pending = 0;
	uint32_t body = is_set ? len : get_request_bytes(cmd, len);
	uint64_t total = (uint64_t)MBOX_REQUEST_SIZE + body;
	/* A get's buffer is the service's too (zeros past what is sent): no table it holds could
	 * fill one larger than its limit, and for such a length the kernel answers EINVAL. */
	if ((uint64_t)MBOX_REQUEST_SIZE + len > state->max_payload) {
		fprintf(stderr, LOG_PREFIX "request of %llu bytes exceeds the service's limit (%u)\n",
			(unsigned long long)MBOX_REQUEST_SIZE + len, state->max_payload);
		return is_set ? -EMSGSIZE : -EINVAL;
	}
	uint8_t head[UMD_HEADER_SIZE + MBOX_REQUEST_SIZE];
	uint32_t id = state->next_id++;
	umd_header_encode(head, UMD_REQUEST, id, (uint32_t)total);
	uint8_t *req = head + UMD_HEADER_SIZE;
	put_u64(req, (uint64_t)(uintptr_t)optval);
	umd_put_u32(req + 8, len);
	umd_put_u32(req + 12, is_set);
	umd_put_u32(req + 16, cmd);
	umd_put_u32(req + 20, (uint32_t)getpid());
	int none_sent;
	int rc = send_two(fd, head, sizeof(head), optval, body, &none_sent);
	if (rc == -EFAULT && none_sent)
		return rc;
	if (rc) {
		if (!closed_spare(state, is_set, rc))
			complain("lost the bpfilter service while sending", -rc);
		return lose_stream(fd, rc);
	}
	uint8_t raw[UMD_HEADER_SIZE];
	struct umd_header h;
	char why[160];
	rc = read_full(fd, raw, sizeof(raw));
	if (rc) {
		if (!closed_spare(state, is_set, rc))
			complain("lost the bpfilter service while waiting for a reply", -rc);
		return lose_stream(fd, rc);
	}
	if (umd_header_decode(raw, &h, UMD_DEFAULT_MAX_PAYLOAD, why, sizeof(why)) < 0) {
		fprintf(stderr, LOG_PREFIX "bad frame from the bpfilter service: %s\n", why);
		return lose_stream(fd, -EPROTO);
	}
	if (h.id != id || (h.type != UMD_REPLY && h.type != UMD_ERROR)) {
		complain("unexpected frame from the bpfilter service", EPROTO);
		return lose_stream(fd, -EPROTO);
	}
	if (h.length < 4) {
		complain("short reply from the bpfilter service", EPROTO);
		return lose_stream(fd, -EPROTO);
	}
	uint8_t status_bytes[4];
	rc = read_full(fd, status_bytes, sizeof(status_bytes));
	if (rc) {
		complain("lost the bpfilter service while waiting for a reply", -rc);
		return lose_stream(fd, rc);
	}
	int32_t status = (int32_t)umd_get_u32(status_bytes);
	uint32_t rest = h.length - 4;
	if (h.type == UMD_ERROR) {
		/* The service could not run the request at all: say why (a message of its own). */
		char message[512];
		uint32_t shown = rest < sizeof(message) ? rest : sizeof(message);
		rc = read_full(fd, (uint8_t *)message, shown);
		if (rc == 0)
			rc = drop_bytes(fd, rest - shown);
		if (rc) {
			complain("lost the bpfilter service while waiting for a reply", -rc);
			return lose_stream(fd, rc);
		}
		fprintf(stderr, LOG_PREFIX "bpfilter service error %d: %.*s\n", status, (int)shown,
			message);
		return (status < 0 && status > -4096) ? status : -EIO;
	}
	if (status > 0 || status <= -4096) {
		complain("bad status from the bpfilter service", EPROTO);
		return lose_stream(fd, -EPROTO);
	}
	if (status < 0) {
		rc = drop_bytes(fd, rest);
		return rc ? lose_stream(fd, rc) : status;
	}
	*pending = rest;
	return 0;
}

/*
 * Reads the `pending` bytes of a reply: the first `out_len` of them into `out` (the caller's
 * own memory, as the kernel writes it; a bad pointer there is EFAULT, not a crash), the rest
 * dropped. Returns 0 or -errno.
 */
int service_read_data(int fd, void *out, uint32_t out_len, uint32_t pending)
{
	uint32_t into = pending < out_len ? pending : out_len;
	size_t got = 0;
	int rc = read_counted(fd, out, into, &got);
	/* The kernel could not write there: the bytes are still in the socket. */
	int dropped = (rc == 0 || rc == -EFAULT) ? drop_bytes(fd, pending - (uint32_t)got) : 0;
	if (dropped)
		rc = dropped;
	if (rc && rc != -EFAULT) {
		complain("lost the bpfilter service while reading a reply", -rc);
		lose_stream(fd, rc);
	}
	return rc;
}
