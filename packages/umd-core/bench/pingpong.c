/*
 * The machine's limit for the umd ping-pong: a C parent and a forked C child over an AF_UNIX
 * socketpair (what Node's stdio 'pipe' is), exchanging umd frames (16-byte header + payload,
 * native/umd_wire.h) exactly like a framed request and its echo reply.
 *
 * Driven by bench/run.mjs: reads "<payload-bytes> <round-trips>" lines on stdin, runs them, and
 * prints the total nanoseconds of each batch, so the runs interleave with the other transports.
 * An optional argument asks for that SO_SNDBUF on both ends (as openStdioSockets() does for a
 * handler's stdio; the kernel caps it at net.core.wmem_max); without it, the kernel's default,
 * as Node's stdio 'pipe' gets.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include "../native/umd_wire.h"

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void child_echo(int fd)
{
	char *buf = NULL;
	size_t cap = 0;
	for (;;) {
		struct umd_header h;
		if (umd_read_header(fd, &h, UMD_DEFAULT_MAX_PAYLOAD, NULL, 0) != 1)
			_exit(0);
		if (h.length > cap) {
			buf = realloc(buf, h.length);
			cap = h.length;
		}
		if (umd_read_full(fd, buf, h.length) != (ssize_t)h.length)
			_exit(1);
		if (umd_write_frame(fd, UMD_REPLY, h.id, buf, h.length) < 0)
			_exit(1);
	}
}

static void round_trips(int fd, char *out, char *in, uint32_t size, long count)
{
	static uint32_t id = 0;
	for (long i = 0; i < count; i++) {
		struct umd_header h;
		if (umd_write_frame(fd, UMD_REQUEST, ++id, out, size) < 0 || umd_read_header(fd, &h, UMD_DEFAULT_MAX_PAYLOAD, NULL, 0) != 1 ||
		    h.id != id || umd_read_full(fd, in, h.length) != (ssize_t)size) {
			fprintf(stderr, "pingpong: exchange failed\n");
			exit(1);
		}
	}
}

int main(int argc, char **argv)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return 1;
	if (argc > 1) {
		int send_buffer = atoi(argv[1]);
		if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer) < 0 ||
		    setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer) < 0)
			return 1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		child_echo(sv[1]);
	}
	close(sv[1]);
	char *out = NULL, *in = NULL;
	size_t cap = 0;
	unsigned long size, count;
	/* Commands on stdin: "<payload-bytes> <round-trips>"; answer: total nanoseconds. */
	while (scanf("%lu %lu", &size, &count) == 2) {
		if (size > cap) {
			out = realloc(out, size);
			in = realloc(in, size);
			memset(out, 7, size);
			cap = size;
		}
		double start = now_ns();
		round_trips(sv[0], out, in, (uint32_t)size, (long)count);
		printf("%.0f\n", now_ns() - start);
		fflush(stdout);
	}
	close(sv[0]);
	waitpid(pid, NULL, 0);
	return 0;
}
