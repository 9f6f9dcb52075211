/*
 * The parts of @umd/core's host addon (dist/native/umd_native.node), each adding its functions to
 * the module's exports. Returns false when a property cannot be set (the module then fails to load).
 */
#ifndef UMD_ADDON_H
#define UMD_ADDON_H
#define NAPI_VERSION 8
#include <stdbool.h>
#include <stdint.h>
#include <node_api.h>

bool umd_add_socketpair(napi_env env, napi_value exports);
bool umd_add_reply_memory(napi_env env, napi_value exports);

/*
 * The one argument of a call, when it is an integer from min to max (max at most 2^31); otherwise
 * throws a RangeError with `message` and returns false.
 */
bool umd_integer_arg(napi_env env, napi_callback_info info, double min, double max, double *out,
		     const char *message);

/* Adds `function` to `exports` under `name`. */
bool umd_add_function(napi_env env, napi_value exports, const char *name, napi_callback function);

#endif
