/*
 * @umd/core's host addon: the stdio socketpairs (umd_socketpair.c), the memory of large replies
 * (umd_reply_memory.c; what V8 is told of it: umd_reply_reserve.c) and the direct write of a
 * request batch to a stdin socket (umd_write_now.c). Built into
 * dist/native/umd_native.node by scripts/build-native.mjs and loaded through Node-API (ABI-stable)
 * in a try/catch after a digest check: anything missing or failing leaves the host on Node's own
 * pipes and allocator.
 */
#include "umd_addon.h"

bool umd_integer_arg(napi_env env, napi_callback_info info, double min, double max, double *out,
		     const char *message)
{
	size_t argc = 1;
	napi_value argv[1];
	double value = -1;
	/* A double, not int32: napi_get_value_int32 wraps values beyond 32 bits instead of failing. */
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == napi_ok && argc == 1 &&
	    napi_get_value_double(env, argv[0], &value) == napi_ok && value >= min && value <= max &&
	    value == (double)(int64_t)value) {
		*out = value;
		return true;
	}
	napi_throw_range_error(env, NULL, message);
	return false;
}

bool umd_add_function(napi_env env, napi_value exports, const char *name, napi_callback function)
{
	napi_value value;
	return napi_create_function(env, name, NAPI_AUTO_LENGTH, function, NULL, &value) == napi_ok &&
	       napi_set_named_property(env, exports, name, value) == napi_ok;
}

NAPI_MODULE_INIT()
{
	if (!umd_add_socketpair(env, exports) || !umd_add_reply_memory(env, exports) ||
	    !umd_add_write_now(env, exports))
		return NULL;
	return exports;
}
