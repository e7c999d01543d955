/*
 * pool.c — the fixed-size object pool of pool.h.
 *
 * The free list is threaded through the objects that were handed out and
 * returned, so the pool costs no memory beyond the objects; objects never
 * handed out are taken in index order from `fresh` when the free list is
 * empty. The sequence of objects returned is therefore exactly that of a
 * free list initially holding 0, 1, 2, ... (object 0 first, then LIFO
 * reuse), without writing to any object at init.
 */
#include <stdalign.h>
#include <stddef.h>
#include <stdlib.h>

#include "l7splice/common.h"
#include "engine/pool.h"

int l7sim_pool_init(struct l7sim_pool *p, size_t obj_bytes, uint32_t capacity)
{
	const size_t align = alignof(max_align_t);
	p->mem = NULL;
	p->free_head = NULL;
	p->capacity = 0;
	p->fresh = 0;
	p->in_use = p->peak_in_use = 0;
	p->exhausted = 0;
	if (obj_bytes == 0 || capacity == 0)
		return L7_EINVAL;
	if (obj_bytes < sizeof(void *))
		obj_bytes = sizeof(void *);
	obj_bytes = (obj_bytes + align - 1) / align * align;
	if (obj_bytes > SIZE_MAX / capacity)
		return L7_ERANGE;
	p->mem = aligned_alloc(align, obj_bytes * capacity);
	if (!p->mem)
		return L7_ENOMEM;
	p->obj_bytes = obj_bytes;
	p->capacity = capacity;
	p->fresh = 0;
	return 0;
}

void l7sim_pool_fini(struct l7sim_pool *p)
{
	free(p->mem);
	p->mem = NULL;
	p->free_head = NULL;
	p->capacity = 0;
	p->fresh = 0;
}

void *l7sim_pool_get(struct l7sim_pool *p)
{
	void *obj = p->free_head;
	if (obj) {
		p->free_head = *(void **)obj;
	} else if (p->fresh < p->capacity) {
		obj = p->mem + (size_t)p->fresh++ * p->obj_bytes;
	} else {
		p->exhausted++;
		return NULL;
	}
	if (++p->in_use > p->peak_in_use)
		p->peak_in_use = p->in_use;
	return obj;
}

void l7sim_pool_put(struct l7sim_pool *p, void *obj)
{
	*(void **)obj = p->free_head;
	p->free_head = obj;
	p->in_use--;
}

uint32_t l7sim_pool_index(const struct l7sim_pool *p, const void *obj)
{
	return (uint32_t)(((const unsigned char *)obj - p->mem) / p->obj_bytes);
}

void *l7sim_pool_at(const struct l7sim_pool *p, uint32_t index)
{
	return index < p->capacity ? p->mem + (size_t)index * p->obj_bytes : NULL;
}
