/*
 * The parts of @umd/core's host addon (dist/native/umd_native.node), each adding its functions to
 * the module's exports. Returns false when a property cannot be set (the module then fails to load).
 */
#ifndef UMD_ADDON_H
#define UMD_ADDON_H
#define NAPI_VERSION 8
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <node_api.h>

bool umd_add_socketpair(napi_env env, napi_value exports);
bool umd_add_reply_memory(napi_env env, napi_value exports);
bool umd_add_write_now(napi_env env, napi_value exports);

/*
 * The one argument of a call, when it is an integer from min to max (max at most 2^31); otherwise
 * throws a RangeError with `message` and returns false.
 */
bool umd_integer_arg(napi_env env, napi_callback_info info, double min, double max, double *out,
		     const char *message);

/*
 * The reserve of a burst of large replies (umd_reply_reserve.c). cover: whether a block of
 * `capacity` bytes about to be handed out is covered (taken off V8's count); release: a covered
 * block came back, or was never handed out; end: the burst is over (trim). size: the reserve now.
 */
bool umd_reserve_cover(napi_env env, size_t capacity);
void umd_reserve_release(napi_env env, size_t capacity);
void umd_reserve_end(napi_env env);
size_t umd_reserve_size(void);
void umd_reserve_counts(double *reserve_bytes, double *covered_bytes);

/* Adds `function` to `exports` under `name`. */
bool umd_add_function(napi_env env, napi_value exports, const char *name, napi_callback function);

#endif
