/*
 * pool.h — fixed-size object pools: all memory at create time, O(1) get/put,
 * no malloc while the simulation runs.
 *
 * Invariants: a pool never grows; l7sim_pool_get() on an empty pool returns
 * NULL and counts one exhaustion (the caller turns that into a counted drop);
 * objects come back in LIFO order, so a run's allocation pattern, and thus
 * its addresses' reuse, is deterministic. Objects are not zeroed.
 *
 * Memory is touched only when an object is first handed out (objects never
 * used are never written), so a pool sized for the worst case costs page
 * faults only for what a run uses: l7sim sizes its pools generously and
 * the setup of a short run used to be dominated by threading free lists
 * through untouched memory.
 */
#ifndef L7SIM_ENGINE_POOL_H
#define L7SIM_ENGINE_POOL_H

#include <stddef.h>
#include <stdint.h>

struct l7sim_pool {
	unsigned char *mem;
	void *free_head;         /* intrusive free list through the objects */
	uint32_t fresh;          /* objects [fresh, capacity) never handed out */
	size_t obj_bytes;        /* rounded up to the pool's alignment */
	uint32_t capacity;
	uint32_t in_use;
	uint32_t peak_in_use;
	uint64_t exhausted;      /* get() calls that found the pool empty */
};

/* Allocates capacity objects of obj_bytes each (aligned for any type). */
int l7sim_pool_init(struct l7sim_pool *p, size_t obj_bytes, uint32_t capacity);
void l7sim_pool_fini(struct l7sim_pool *p);

void *l7sim_pool_get(struct l7sim_pool *p);
/* obj must come from this pool and be in use (checked only by ASan-like
 * tools: a double put corrupts the free list like a double free). */
void l7sim_pool_put(struct l7sim_pool *p, void *obj);

/* Index of an object in its pool (0 .. capacity-1), for compact handles. */
uint32_t l7sim_pool_index(const struct l7sim_pool *p, const void *obj);
void *l7sim_pool_at(const struct l7sim_pool *p, uint32_t index);

#endif
