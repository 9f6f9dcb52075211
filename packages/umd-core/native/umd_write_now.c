/*
 * writeNow(fd, chunks) -> count: one non-blocking sendmsg() of `chunks` (an array of 1 to 64
 * Uint8Arrays) to the stream socket `fd`, as libuv's writev would do it but without a trip through
 * Node's Writable, its write request and its after-write tick: the bytes the socket took (perhaps
 * fewer than all; the caller hands the rest to the stream), 0 when it takes none now (EAGAIN,
 * EINTR), -errno on any other failure (the caller fails the stream with it, as Node would).
 * MSG_NOSIGNAL: a peer gone is EPIPE, never SIGPIPE, whatever the process does with that signal.
 * Only the thread that owns the descriptor's socket may call it, and only while the socket is open
 * (its number is not another file's) and holds nothing unwritten (order).
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include "umd_addon.h"

#define WRITE_NOW_CHUNKS 64

static napi_value write_now(napi_env env, napi_callback_info info)
{
	size_t argc = 2;
	napi_value argv[2];
	double fd = -1;
	bool is_array = false;
	uint32_t count = 0;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 ||
	    napi_get_value_double(env, argv[0], &fd) != napi_ok || fd < 0 || fd > 2147483647.0 ||
	    fd != (double)(int64_t)fd || napi_is_array(env, argv[1], &is_array) != napi_ok ||
	    !is_array || napi_get_array_length(env, argv[1], &count) != napi_ok || count == 0 ||
	    count > WRITE_NOW_CHUNKS) {
		napi_throw_type_error(env, NULL, "writeNow: expects a descriptor and 1 to 64 Uint8Arrays");
		return NULL;
	}
	struct iovec iov[WRITE_NOW_CHUNKS];
	for (uint32_t i = 0; i < count; i++) {
		napi_value element;
		bool is_typed = false;
		napi_typedarray_type type;
		size_t length = 0;
		void *data = NULL;
		if (napi_get_element(env, argv[1], i, &element) != napi_ok ||
		    napi_is_typedarray(env, element, &is_typed) != napi_ok || !is_typed ||
		    napi_get_typedarray_info(env, element, &type, &length, &data, NULL, NULL) != napi_ok ||
		    type != napi_uint8_array) {
			napi_throw_type_error(env, NULL, "writeNow: every chunk must be a Uint8Array");
			return NULL;
		}
		iov[i].iov_base = data;
		iov[i].iov_len = length;
	}
	struct msghdr message;
	memset(&message, 0, sizeof message);
	message.msg_iov = iov;
	message.msg_iovlen = count;
	ssize_t written = sendmsg((int)fd, &message, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (written < 0)
		written = errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -errno;
	napi_value result;
	if (napi_create_int64(env, (int64_t)written, &result) != napi_ok)
		return NULL;
	return result;
}

bool umd_add_write_now(napi_env env, napi_value exports)
{
	return umd_add_function(env, exports, "writeNow", write_now);
}
