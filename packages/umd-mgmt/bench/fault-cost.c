/*
 * What a page fault on fresh memory costs on this machine, against writing memory that is already
 * resident: the price every fresh reply or request buffer pays per 4 KiB page it faults in
 * (large-probe.mjs counts those faults per round trip). Each round maps 64 MiB, touches every
 * page, writes it all again, unmaps it, then waits IDLE_MS before the next round: on a VM whose
 * balloon reports free memory to the hypervisor (virtio-balloon free page reporting: free blocks
 * of 2 MiB and more, about 2 s after they were freed), memory that sat free that long faults in
 * on the hypervisor too. HUGE=1 advises MADV_HUGEPAGE, as @umd/core does for blocks of 2 MiB and
 * more. Usage: cc -O2 fault-cost.c && ./a.out [IDLE_MS [HUGE]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
	const size_t size = 64u << 20, pages = size / 4096, huge_page = 2u << 20;
	long idle_ms = argc > 1 ? atol(argv[1]) : 0;
	int huge = argc > 2 && atoi(argv[2]) != 0;
	for (int round = 0; round < 4; round++) {
		/* A huge page more, so that the 64 MiB can start on a 2 MiB boundary. */
		char *mapped = mmap(NULL, size + huge_page, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (mapped == MAP_FAILED)
			return 1;
		char *p = (char *)(((unsigned long)mapped + huge_page - 1) & ~(unsigned long)(huge_page - 1));
		if (huge)
			(void)madvise(p, size, MADV_HUGEPAGE);
		double t0 = now_ns();
		for (size_t i = 0; i < size; i += 4096)
			p[i] = 1; /* a fault per page (or per 2 MiB): the kernel finds, zeroes and maps it */
		double t1 = now_ns();
		memset(p, 2, size); /* the same pages again, now resident */
		double t2 = now_ns();
		printf("%s, %ld ms idle before: fresh page %.2f us; resident page (write 4 KiB) %.2f us\n",
		       huge ? "MADV_HUGEPAGE" : "4 KiB pages", round ? idle_ms : -1L,
		       (t1 - t0) / 1e3 / pages, (t2 - t1) / 1e3 / pages);
		munmap(mapped, size + huge_page);
		struct timespec idle = { idle_ms / 1000, idle_ms % 1000 * 1000000L };
		nanosleep(&idle, NULL);
	}
	return 0;
}
