/*
 * A handler's stdin or stdout as an AF_UNIX stream socketpair with a larger kernel send buffer.
 * Node makes the same pairs for stdio 'pipe' but offers no way to set SO_SNDBUF on a stream
 * socket, and a send buffer is the step in which a large message moves (each step a wake-up of the
 * other side). Part of the host addon (umd_addon.c).
 *
 * socketpair(sendBuffer) -> [fd0, fd1, effective]: a connected pair, both ends close-on-exec
 * (no other child of the host inherits them), each end's SO_SNDBUF asked for sendBuffer bytes
 * (the kernel caps it at net.core.wmem_max and doubles it; a refusal leaves its default), and the
 * send buffer the kernel gave fd0. The caller owns both descriptors. Throws on a bad argument or
 * when the pair cannot be made; nothing is left open then.
 *
 * close(fd): closes a descriptor socketpair() returned (a closed one is ignored). fs.closeSync
 * would do, but in a worker thread Node warns about every descriptor fs did not open there.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include "umd_addon.h"

#define SEND_BUFFER_MAX (64 * 1024 * 1024)

static napi_value make_socketpair(napi_env env, napi_callback_info info)
{
	double requested;
	if (!umd_integer_arg(env, info, 0, SEND_BUFFER_MAX, &requested,
			     "socketpair: sendBuffer must be an integer from 0 to 64 MiB"))
		return NULL;
	int send_buffer = (int)requested;
	int fds[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
		char message[96];
		snprintf(message, sizeof message, "socketpair failed: errno %d", errno);
		napi_throw_error(env, NULL, message);
		return NULL;
	}
	if (send_buffer > 0) {
		(void)setsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
		(void)setsockopt(fds[1], SOL_SOCKET, SO_SNDBUF, &send_buffer, sizeof send_buffer);
	}
	int effective = 0;
	socklen_t length = sizeof effective;
	if (getsockopt(fds[0], SOL_SOCKET, SO_SNDBUF, &effective, &length) != 0)
		effective = 0;
	napi_value result, values[3];
	if (napi_create_array_with_length(env, 3, &result) != napi_ok ||
	    napi_create_int32(env, fds[0], &values[0]) != napi_ok ||
	    napi_create_int32(env, fds[1], &values[1]) != napi_ok ||
	    napi_create_int32(env, effective, &values[2]) != napi_ok ||
	    napi_set_element(env, result, 0, values[0]) != napi_ok ||
	    napi_set_element(env, result, 1, values[1]) != napi_ok ||
	    napi_set_element(env, result, 2, values[2]) != napi_ok) {
		close(fds[0]);
		close(fds[1]);
		bool pending = false;
		if (napi_is_exception_pending(env, &pending) != napi_ok || !pending)
			napi_throw_error(env, NULL, "socketpair: cannot return the descriptors");
		return NULL;
	}
	return result;
}

static napi_value close_fd(napi_env env, napi_callback_info info)
{
	double fd;
	if (!umd_integer_arg(env, info, 0, 2147483647.0, &fd, "close: fd must be a descriptor number"))
		return NULL;
	(void)close((int)fd);
	return NULL;
}

bool umd_add_socketpair(napi_env env, napi_value exports)
{
	return umd_add_function(env, exports, "socketpair", make_socketpair) &&
	       umd_add_function(env, exports, "close", close_fd);
}
