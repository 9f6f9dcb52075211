/*
 * The sample handler in C, raw mode: the native counterpart of src/handler/main.ts and the
 * example of a native handler, written from the wire format (and umd_wire.h) alone.
 *
 * Contract (src/contract.ts): a request is a little-endian u32 offset; the reply is 128 KiB
 * of zeros with byte `offset` set to 1. Raw mode has no error frame, so an invalid offset is
 * fail-stop: the handler says why on stderr and exits with status 22 (EINVAL); the manager
 * reports the failed request and starts a fresh handler for the next one.
 *
 * Requests come on fd 0, replies go to fd 1, logs to fd 2. End of file on fd 0 between two
 * requests means the manager is gone: exit 0.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* From @umd/core's native/: read and write loops (a pipe moves at most 64 KiB at a time). */
#include "umd_wire.h"

struct sample_request {
	uint8_t offset_le[4];
};

struct sample_reply {
	uint8_t data[128 * 1024];
};

static struct sample_reply reply;

int main(void)
{
	const char *mode = getenv("UMD_PROTOCOL");
	struct sample_request request;

	if (mode != NULL && strcmp(mode, "raw") != 0) {
		fprintf(stderr, "sample_handler: speaks raw mode only, not UMD_PROTOCOL=%s\n", mode);
		return 2;
	}
	/* A manager that went away is reported by write() as EPIPE rather than by a signal. */
	signal(SIGPIPE, SIG_IGN);

	for (;;) {
		ssize_t n = umd_read_full(0, &request, sizeof(request));
		uint32_t offset;

		if (n == 0)
			return 0;
		if (n < 0) {
			fprintf(stderr, "sample_handler: read: %s\n", strerror(errno));
			return 1;
		}
		if ((size_t)n < sizeof(request)) {
			fprintf(stderr, "sample_handler: truncated request (%zd of %zu bytes)\n", n, sizeof(request));
			return 1;
		}
		offset = umd_get_u32(request.offset_le);
		if (offset >= sizeof(reply.data)) {
			fprintf(stderr, "sample_handler: offset %u is out of range (0 to %zu): EINVAL\n", offset,
				sizeof(reply.data) - 1);
			return 22;
		}
		reply.data[offset] = 1;
		if (umd_write_full(1, &reply, sizeof(reply)) < 0) {
			fprintf(stderr, "sample_handler: write: %s\n", strerror(errno));
			return 1;
		}
		reply.data[offset] = 0;
	}
}
