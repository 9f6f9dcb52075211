/*
 * What reading each large reply into one of K buffers in turn costs against reading it into one
 * buffer: the default path's replies take turns in the blocks of the dead replies V8 has not freed
 * yet (tens of them), so the kernel copies each reply into memory that is resident but not in
 * cache. 1 MiB round trips between a C parent and child over a socketpair, as bench/pingpong.c;
 * each K printed with its best of 5 x 400 round trips, and the CPU time per round trip of the
 * parent and of the child over all 5 (from /proc's schedstat).
 * CHILD_BUFFERS=K has the child read each request into one of its own K buffers in turn (and echo
 * it from there), as serve() reads each request into a fresh buffer by default; SEND_BUFFER=N asks
 * for that SO_SNDBUF on both ends (the manager's stdio sockets ask for 1 MiB); TOUCH_NEXT=1 has the
 * parent write one byte per 64-byte line of the buffer the reply goes into once the request is out,
 * while the child works (pre-reading the next reply's block into cache).
 * Usage: cc -O2 buffers-in-turn.c &&
 *   [CHILD_BUFFERS=48] [SEND_BUFFER=1048576] [TOUCH_NEXT=1] ./a.out 1 8 32 64
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>

#define SIZE ((size_t)1 << 20)

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* Exits at the peer's end: the child when the parent is gone. */
static void transfer(int fd, char *buffer, size_t length, int reading)
{
	while (length > 0) {
		ssize_t done = reading ? read(fd, buffer, length) : write(fd, buffer, length);
		if (done <= 0)
			exit(0);
		buffer += done;
		length -= (size_t)done;
	}
}

/* CPU nanoseconds of a process so far (its only thread's schedstat). */
static double cpu_ns(pid_t pid)
{
	char path[64];
	double ns = 0;
	snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
	FILE *file = fopen(path, "r");
	if (file != NULL) {
		if (fscanf(file, "%lf", &ns) != 1)
			ns = 0;
		fclose(file);
	}
	return ns;
}

static char **resident_buffers(int count)
{
	char **buffers = malloc(count * sizeof *buffers);
	for (int i = 0; i < count; i++) {
		buffers[i] = malloc(SIZE);
		memset(buffers[i], 0, SIZE); /* resident before the first round trip */
	}
	return buffers;
}

int main(int argc, char **argv)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		return 1;
	const char *send_buffer = getenv("SEND_BUFFER");
	for (int end = 0; send_buffer != NULL && end < 2; end++) {
		int bytes = atoi(send_buffer);
		if (setsockopt(pair[end], SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) != 0)
			return 1;
	}
	int touch_next = getenv("TOUCH_NEXT") != NULL;
	const char *child_buffers = getenv("CHILD_BUFFERS");
	int echo_count = child_buffers == NULL ? 1 : atoi(child_buffers);
	if (echo_count < 1)
		return 1;
	pid_t child = fork();
	if (child == 0) {
		close(pair[0]);
		char **echo = resident_buffers(echo_count);
		for (long i = 0;; i++) {
			transfer(pair[1], echo[i % echo_count], SIZE, 1);
			transfer(pair[1], echo[i % echo_count], SIZE, 0);
		}
	}
	close(pair[1]);
	char *request = malloc(SIZE);
	memset(request, 3, SIZE);
	for (int arg = 1; arg < argc; arg++) {
		int count = atoi(argv[arg]);
		if (count < 1)
			return 1;
		char **buffers = resident_buffers(count);
		double best = 1e18;
		double parent0 = cpu_ns(getpid()), child0 = cpu_ns(child);
		for (int run = 0; run < 5; run++) {
			double start = now_us();
			for (int i = 0; i < 400; i++) {
				transfer(pair[0], request, SIZE, 0);
				if (touch_next)
					for (size_t line = 0; line < SIZE; line += 64)
						buffers[i % count][line] = 0;
				transfer(pair[0], buffers[i % count], SIZE, 1);
			}
			double each = (now_us() - start) / 400;
			if (each < best)
				best = each;
		}
		double parent = (cpu_ns(getpid()) - parent0) / 2000e3;
		double echo = (cpu_ns(child) - child0) / 2000e3;
		printf("%3d buffers in turn (child %d): %.1f us per 1 MiB round trip, CPU parent %.1f us, child %.1f us\n",
		       count, echo_count, best, parent, echo);
		for (int i = 0; i < count; i++)
			free(buffers[i]);
		free(buffers);
	}
	return 0;
}
