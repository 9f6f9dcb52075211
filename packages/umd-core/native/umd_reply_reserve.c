/*
 * What V8 is told about the blocks of large replies (umd_reply_memory.c). V8 counts every
 * ArrayBuffer's length as external memory, and on Node 20 starts a mark-compact each time that
 * count has grown 64 MiB above its lowest point since the last one. A reply an application still
 * holds at two scavenges is promoted, and a promoted reply is freed only by a mark-compact: the
 * last reply of an async function is held by the function's suspended state (the value it was
 * resumed with) until then. So at 16 MiB every 4 such replies cost a mark-compact of the whole heap.
 *
 * A burst of large replies therefore gets a reserve: RESERVE_REPLIES times its largest block, at
 * most RESERVE_MAX, added to V8's count once. A block handed out while the reserve has room for
 * it is covered: taken off the count (its ArrayBuffer adds it back), so V8 sees the reserve
 * instead of the blocks in it; the block's release gives its room back. Dead replies in covered
 * blocks then pile up to the reserve (plus V8's own 64 MiB) before a mark-compact frees them,
 * which is why the kept blocks may grow by the reserve too. trim() ends the burst: the reserve
 * leaves the count, and covered blocks released later give nothing back.
 *
 * What this file has added to V8's count (`told`) never goes below zero: every change is computed
 * against it and applied only if Node-API took it; so the count V8 keeps (newer V8 aborts the
 * process if it would go negative) stays at least what the ArrayBuffers themselves added.
 * Covering happens only on the process's main thread (its thread id is the process id): every
 * env there shares one isolate and lives until the process exits; a covered block is released on
 * the thread that made it. A worker's blocks are never covered. V8 may collect inside
 * napi_adjust_external_memory, and a block released then re-enters tell(): no lock is held
 * across that call, the outer call settles the newer state.
 */
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "umd_addon.h"

#define RESERVE_REPLIES 12
#define RESERVE_MAX ((size_t)192 << 20)

/* The reserve of the current burst (0 between bursts). Written on the main thread only; atomic
 * (as is `covered`) because stats() and the kept blocks' limit read it on any thread. */
static _Atomic size_t reserve;
/* Capacity of covered blocks not yet released, of this burst or earlier ones. */
static _Atomic size_t covered;
/* Main thread only: bytes this file has added to V8's count (net, never negative), and whether
 * tell() is running (a collection inside napi_adjust_external_memory may release blocks). */
static int64_t told;
static bool telling, retell;

/* Asked once per thread, not at every reply: two system calls, slow on a paravirtualized VM
 * (README, "The reserve"). */
static bool on_main_thread(void)
{
	static __thread signed char main_thread = -1;
	if (main_thread < 0)
		main_thread = (pid_t)syscall(SYS_gettid) == getpid();
	return main_thread > 0;
}

/* Brings V8's count to what the reserve has left: reserve - covered, or 0. Main thread only. */
static void tell(napi_env env)
{
	if (telling) {
		retell = true; /* re-entered: the running call settles the new state */
		return;
	}
	telling = true;
	do {
		retell = false;
		size_t have = atomic_load(&reserve), out = atomic_load(&covered);
		int64_t delta = (have > out ? (int64_t)(have - out) : 0) - told;
		int64_t adjusted;
		/* delta >= -told: the count never loses more than this file gave it. */
		if (delta != 0 && napi_adjust_external_memory(env, delta, &adjusted) == napi_ok)
			told += delta;
	} while (retell);
	telling = false;
}

bool umd_reserve_cover(napi_env env, size_t capacity)
{
	if (!on_main_thread())
		return false;
	size_t wanted = capacity <= RESERVE_MAX / RESERVE_REPLIES ? capacity * RESERVE_REPLIES
								     : RESERVE_MAX;
	if (wanted > atomic_load(&reserve))
		atomic_store(&reserve, wanted);
	size_t have = atomic_load(&reserve), out = atomic_load(&covered);
	bool room = have > out && have - out >= capacity;
	if (room)
		atomic_fetch_add(&covered, capacity);
	tell(env);
	return room;
}

void umd_reserve_release(napi_env env, size_t capacity)
{
	size_t out = atomic_load(&covered);
	while (!atomic_compare_exchange_weak(&covered, &out, out >= capacity ? out - capacity : 0))
		;
	if (on_main_thread())
		tell(env);
}

void umd_reserve_end(napi_env env)
{
	if (!on_main_thread())
		return;
	atomic_store(&reserve, 0);
	tell(env);
}

size_t umd_reserve_size(void)
{
	return atomic_load(&reserve);
}

void umd_reserve_counts(double *reserve_bytes, double *covered_bytes)
{
	*reserve_bytes = (double)atomic_load(&reserve);
	*covered_bytes = (double)atomic_load(&covered);
}
