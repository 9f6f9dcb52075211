/*
 * Test fixture: THREADS threads ask for the filter table's GET_INFO ROUNDS times each, half of
 * the calls on one raw socket they all share and half on a socket of their own, with the
 * preload in place. Every answer must be the filter table's. Prints "ok CALLS" or the first
 * failure; exits 1 on any failure.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define THREADS 8
#define ROUNDS 200

static int shared_fd;
static int failures;

static int get_info(int fd)
{
	unsigned char info[84] = "filter";
	socklen_t len = sizeof(info);
	if (getsockopt(fd, SOL_IP, 64, info, &len) < 0) {
		fprintf(stderr, "getsockopt on %d: %s\n", fd, strerror(errno));
		return -1;
	}
	/* valid_hooks of filter: LOCAL_IN, FORWARD, LOCAL_OUT. */
	if (strcmp((char *)info, "filter") != 0 || info[32] != 0x0e) {
		fprintf(stderr, "wrong GET_INFO answer on %d\n", fd);
		return -1;
	}
	return 0;
}

static void *worker(void *arg)
{
	(void)arg;
	int own = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (own < 0) {
		perror("socket");
		__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
		return NULL;
	}
	for (int i = 0; i < ROUNDS; i++) {
		if (get_info(i % 2 ? own : shared_fd) < 0) {
			__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
			break;
		}
	}
	close(own);
	return NULL;
}

int main(void)
{
	shared_fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (shared_fd < 0) {
		perror("socket");
		return 2;
	}
	pthread_t threads[THREADS];
	for (int t = 0; t < THREADS; t++)
		pthread_create(&threads[t], NULL, worker, NULL);
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	if (failures) {
		printf("failed %d\n", failures);
		return 1;
	}
	printf("ok %d\n", THREADS * ROUNDS);
	return 0;
}
