/*
 * What a page fault on fresh memory costs on this machine, against writing memory that is already
 * resident: the price every fresh reply or request buffer pays per 4 KiB page it faults in
 * (large-probe.mjs counts those faults per round trip). Usage: cc -O2 fault-cost.c && ./a.out
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(void)
{
	const size_t size = 64u << 20, pages = size / 4096;
	for (int round = 0; round < 3; round++) {
		char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		double t0 = now_ns();
		for (size_t i = 0; i < size; i += 4096)
			p[i] = 1; /* one fault per page: the kernel finds, zeroes and maps it */
		double t1 = now_ns();
		memset(p, 2, size); /* the same pages again, now resident */
		double t2 = now_ns();
		printf("fresh page (fault): %.2f us; resident page (write 4 KiB): %.2f us\n",
		       (t1 - t0) / 1e3 / pages, (t2 - t1) / 1e3 / pages);
		munmap(p, size);
	}
	return 0;
}
