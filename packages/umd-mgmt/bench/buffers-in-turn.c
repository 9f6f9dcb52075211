/*
 * What reading each large reply into one of K buffers in turn costs against reading it into one
 * buffer: the default path's replies take turns in the blocks of the dead replies V8 has not freed
 * yet (tens of them), so the kernel copies each reply into memory that is resident but not in
 * cache. 1 MiB round trips between a C parent and child over a socketpair, as bench/pingpong.c;
 * each K printed with its best of 5 x 400 round trips.
 * Usage: cc -O2 buffers-in-turn.c && ./a.out 1 8 16 32 64 128
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
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

int main(int argc, char **argv)
{
	int pair[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, pair) != 0)
		return 1;
	if (fork() == 0) {
		close(pair[0]);
		char *echo = malloc(SIZE);
		for (;;) {
			transfer(pair[1], echo, SIZE, 1);
			transfer(pair[1], echo, SIZE, 0);
		}
	}
	close(pair[1]);
	char *request = malloc(SIZE);
	memset(request, 3, SIZE);
	for (int arg = 1; arg < argc; arg++) {
		int count = atoi(argv[arg]);
		if (count < 1)
			return 1;
		char **buffers = malloc(count * sizeof *buffers);
		for (int i = 0; i < count; i++) {
			buffers[i] = malloc(SIZE);
			memset(buffers[i], 0, SIZE); /* resident before the first round trip */
		}
		double best = 1e18;
		for (int run = 0; run < 5; run++) {
			double start = now_us();
			for (int i = 0; i < 400; i++) {
				transfer(pair[0], request, SIZE, 0);
				transfer(pair[0], buffers[i % count], SIZE, 1);
			}
			double each = (now_us() - start) / 400;
			if (each < best)
				best = each;
		}
		printf("%3d buffers in turn: %.1f us per 1 MiB round trip\n", count, best);
		for (int i = 0; i < count; i++)
			free(buffers[i]);
		free(buffers);
	}
	return 0;
}
