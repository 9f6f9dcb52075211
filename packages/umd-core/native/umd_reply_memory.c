/*
 * The memory of large replies. A reply in memory from Node's allocator is fresh memory: V8 frees
 * dead replies only at a garbage collection, dozens at once, and when that leaves more than glibc's
 * trim threshold free at the top of its heap (twice the largest mapping it has freed: 2 MiB after
 * 1 MiB replies), glibc gives the memory back to the kernel and the next replies fault every page
 * in again, 4 KiB at a time. Whether a collection trims depends on what else lives at the top of
 * the heap, so large round trips cost twice as much in one run as in the next.
 *
 * Here a large reply is an ArrayBuffer over a block this file maps itself. Node calls
 * release_block once no ArrayBuffer refers to the block any more (a view made from a reply's
 * buffer keeps it; an external ArrayBuffer never moves to another thread), on the thread that
 * made it. A released block is kept for a later reply of about its size, up to CACHE_BYTES plus
 * the burst's reserve (umd_reply_reserve.c: dead replies pile up that much more before V8 frees
 * them) in all: to make room, the blocks kept longest are unmapped first (after 1 MiB replies, the
 * first 16 MiB ones would otherwise find the room taken by 1 MiB blocks that no reply of theirs
 * reuses, and map every block fresh); a block larger than that, and every kept one in trim(), is
 * unmapped.
 * After a trim nothing is kept until the next block is made: a reply the app frees later (at its
 * next collection, however late) would otherwise stay kept with no idle timer left to give it back.
 * Blocks of 2 MiB and more start on a 2 MiB boundary, so that where transparent huge pages are
 * 'always' one fault can map 2 MiB; they are not advised MADV_HUGEPAGE: on a VM whose balloon
 * reports free pages to the hypervisor, a huge page the hypervisor took back costs far more to
 * fault in than its 512 small pages, and a burst of large replies starts with fresh blocks (the
 * umd-mgmt README, session 20).
 *
 * block(length) -> an ArrayBuffer of length bytes, 1 to BLOCK_MAX, whose contents are unspecified
 *   (the caller overwrites all of it), or undefined when no memory can be mapped. Throws on a bad
 *   length, and where the runtime refuses external ArrayBuffers (the block is unmapped then).
 * trim() -> the bytes given back to the kernel: every kept block is unmapped, and blocks released
 *   from then on are too, until block() is called again; the burst's reserve ends.
 * stats() -> { reused, mapped, kept, unmapped, keptBytes, reserveBytes, coveredBytes, outBytes }:
 *   since the process started, the blocks block() took from the kept ones and those it mapped
 *   fresh, the released blocks kept and those unmapped (on release or by trim()); the bytes kept
 *   now; the burst's reserve and the covered blocks out; outBytes as below. For probes: a fresh
 *   block's pages fault in when first written, a reused one's are resident.
 * outBytes() -> the capacity of the blocks handed out since a block was last released: how much
 *   reply memory V8 has let pile up since its last collection that freed any (reply-memory.ts
 *   nudges its young generation when that grows large).
 *
 * Every thread of the process (a host in a worker too) shares the kept blocks; a mutex guards them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include "umd_addon.h"

#define HUGE_PAGE ((size_t)2 << 20)
/* Smaller blocks are rounded up to this, so replies of nearly the same size share blocks. */
#define BLOCK_UNIT ((size_t)64 << 10)
#define BLOCK_MAX ((size_t)1 << 30)
#define CACHE_SLOTS 256
#define CACHE_BYTES ((size_t)128 << 20)
/* A handed-out block's capacity is a multiple of BLOCK_UNIT: bit 0 of its finalizer hint says it is covered. */
#define COVERED ((uintptr_t)1)

struct block {
	char *base;
	size_t capacity;
	/* release_count when it was kept: the block with the smallest is evicted first. */
	uint64_t kept_at;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct block cache[CACHE_SLOTS];
static size_t cache_count;
static size_t cache_bytes;
static uint64_t release_count;
/* Whether released blocks are kept: from a block() to the next trim(). */
static bool keeping;
/* What stats() reports; updated under cache_lock. */
struct block_counts {
	double reused, mapped, kept, unmapped;
};
static struct block_counts counts;
/* Capacity handed out since the last release. */
static _Atomic size_t out_since_release;

/* length <= BLOCK_MAX, so nothing here overflows. */
static size_t capacity_for(size_t length)
{
	size_t unit = length >= HUGE_PAGE ? HUGE_PAGE : BLOCK_UNIT;
	return (length + unit - 1) / unit * unit;
}

static char *map_block(size_t capacity)
{
	if (capacity < HUGE_PAGE) {
		void *base = mmap(NULL, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		return base == MAP_FAILED ? NULL : base;
	}
	/* One huge page more than needed, then the ends cut off: the block starts on a 2 MiB boundary. */
	size_t span = capacity + HUGE_PAGE;
	void *mapped = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mapped == MAP_FAILED)
		return NULL;
	char *start = mapped;
	size_t head = (HUGE_PAGE - (uintptr_t)start % HUGE_PAGE) % HUGE_PAGE;
	char *base = start + head;
	if (head > 0)
		(void)munmap(start, head);
	(void)munmap(base + capacity, span - head - capacity);
	return base;
}

/* The smallest kept block of at least capacity bytes and at most twice that, taken from the cache. */
static char *take_kept(size_t capacity, size_t *taken)
{
	char *base = NULL;
	pthread_mutex_lock(&cache_lock);
	keeping = true;
	size_t best = CACHE_SLOTS;
	for (size_t i = 0; i < cache_count; i++) {
		size_t have = cache[i].capacity;
		if (have >= capacity && have / 2 <= capacity &&
		    (best == CACHE_SLOTS || have <= cache[best].capacity))
			best = i;
	}
	if (best != CACHE_SLOTS) {
		base = cache[best].base;
		*taken = cache[best].capacity;
		cache_bytes -= *taken;
		cache[best] = cache[--cache_count];
		counts.reused++;
	}
	pthread_mutex_unlock(&cache_lock);
	return base;
}

/* The kept block kept longest, to make room for a newer one (cache_lock held, cache_count > 0). */
static size_t oldest_kept(void)
{
	size_t oldest = 0;
	for (size_t i = 1; i < cache_count; i++)
		if (cache[i].kept_at < cache[oldest].kept_at)
			oldest = i;
	return oldest;
}

static void keep_or_unmap(char *base, size_t capacity)
{
	struct block evicted[CACHE_SLOTS];
	size_t evicted_count = 0;
	bool kept = false;
	atomic_store(&out_since_release, 0);
	pthread_mutex_lock(&cache_lock);
	size_t limit = CACHE_BYTES + umd_reserve_size();
	if (keeping && capacity <= limit) {
		while (cache_count == CACHE_SLOTS || capacity > limit - cache_bytes) {
			size_t oldest = oldest_kept();
			evicted[evicted_count++] = cache[oldest];
			cache_bytes -= cache[oldest].capacity;
			cache[oldest] = cache[--cache_count];
		}
		cache[cache_count].base = base;
		cache[cache_count].capacity = capacity;
		cache[cache_count].kept_at = ++release_count;
		cache_count++;
		cache_bytes += capacity;
		kept = true;
		counts.kept++;
	}
	counts.unmapped += (double)evicted_count + (kept ? 0 : 1);
	pthread_mutex_unlock(&cache_lock);
	for (size_t i = 0; i < evicted_count; i++)
		(void)munmap(evicted[i].base, evicted[i].capacity);
	if (!kept)
		(void)munmap(base, capacity);
}

/* Node's finalizer of a block's ArrayBuffer: no ArrayBuffer refers to the block any more. */
static void release_block(napi_env env, void *data, void *hint)
{
	size_t capacity = (size_t)((uintptr_t)hint & ~COVERED);
	if ((uintptr_t)hint & COVERED)
		umd_reserve_release(env, capacity);
	keep_or_unmap(data, capacity);
}

static napi_value make_block(napi_env env, napi_callback_info info)
{
	double requested;
	if (!umd_integer_arg(env, info, 1, (double)BLOCK_MAX, &requested,
			     "block: length must be an integer from 1 to 1 GiB"))
		return NULL;
	size_t length = (size_t)requested;
	size_t capacity = capacity_for(length);
	size_t taken = capacity;
	char *base = take_kept(capacity, &taken);
	if (base == NULL) {
		base = map_block(capacity);
		if (base != NULL) {
			pthread_mutex_lock(&cache_lock);
			counts.mapped++;
			pthread_mutex_unlock(&cache_lock);
		}
	}
	napi_value result;
	if (base == NULL) {
		if (napi_get_undefined(env, &result) != napi_ok)
			return NULL;
		return result;
	}
	atomic_fetch_add(&out_since_release, taken);
	bool covered = umd_reserve_cover(env, taken);
	napi_status status = napi_create_external_arraybuffer(
		env, base, length, release_block, (void *)((uintptr_t)taken | (covered ? COVERED : 0)),
		&result);
	if (status == napi_ok)
		return result;
	if (status == napi_no_external_buffers_allowed) {
		/* Refused before anything was made: the finalizer will never run. */
		if (covered)
			umd_reserve_release(env, taken);
		(void)munmap(base, taken);
		napi_throw_error(env, NULL, "block: this runtime does not allow external ArrayBuffers");
		return NULL;
	}
	/* Any other failure may come after Node registered release_block: the block is left to it,
	 * never freed twice (at worst it stays mapped, and covered: V8 is told less, never more). */
	bool pending = false;
	if (napi_is_exception_pending(env, &pending) != napi_ok || !pending)
		napi_throw_error(env, NULL, "block: cannot make the ArrayBuffer");
	return NULL;
}

static napi_value trim_kept(napi_env env, napi_callback_info info)
{
	(void)info;
	struct block blocks[CACHE_SLOTS];
	pthread_mutex_lock(&cache_lock);
	size_t count = cache_count;
	size_t bytes = cache_bytes;
	memcpy(blocks, cache, count * sizeof blocks[0]);
	cache_count = 0;
	cache_bytes = 0;
	keeping = false;
	counts.unmapped += (double)count;
	pthread_mutex_unlock(&cache_lock);
	for (size_t i = 0; i < count; i++)
		(void)munmap(blocks[i].base, blocks[i].capacity);
	umd_reserve_end(env);
	napi_value result;
	if (napi_create_double(env, (double)bytes, &result) != napi_ok)
		return NULL;
	return result;
}

static napi_value out_bytes(napi_env env, napi_callback_info info)
{
	(void)info;
	napi_value result;
	if (napi_create_double(env, (double)atomic_load(&out_since_release), &result) != napi_ok)
		return NULL;
	return result;
}

static bool set_number(napi_env env, napi_value object, const char *name, double value)
{
	napi_value number;
	return napi_create_double(env, value, &number) == napi_ok &&
	       napi_set_named_property(env, object, name, number) == napi_ok;
}

static napi_value kept_stats(napi_env env, napi_callback_info info)
{
	(void)info;
	pthread_mutex_lock(&cache_lock);
	struct block_counts now = counts;
	double kept_bytes = (double)cache_bytes;
	pthread_mutex_unlock(&cache_lock);
	double reserve_bytes, covered_bytes;
	umd_reserve_counts(&reserve_bytes, &covered_bytes);
	napi_value result;
	if (napi_create_object(env, &result) != napi_ok || !set_number(env, result, "reused", now.reused) ||
	    !set_number(env, result, "mapped", now.mapped) || !set_number(env, result, "kept", now.kept) ||
	    !set_number(env, result, "unmapped", now.unmapped) ||
	    !set_number(env, result, "keptBytes", kept_bytes) ||
	    !set_number(env, result, "reserveBytes", reserve_bytes) ||
	    !set_number(env, result, "coveredBytes", covered_bytes) ||
	    !set_number(env, result, "outBytes", (double)atomic_load(&out_since_release)))
		return NULL;
	return result;
}

bool umd_add_reply_memory(napi_env env, napi_value exports)
{
	return umd_add_function(env, exports, "block", make_block) &&
	       umd_add_function(env, exports, "trim", trim_kept) &&
	       umd_add_function(env, exports, "stats", kept_stats) &&
	       umd_add_function(env, exports, "outBytes", out_bytes);
}
