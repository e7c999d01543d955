/*
 * chunk_pool.c — the fixed pool of 2 KiB chunks that holds out-of-order
 * segments and the per-direction history rings of the connection tracker.
 *
 * One allocation at create time; get/put are O(1) pops and pushes on a free
 * list, so the per-packet path never calls malloc. Running dry is the
 * caller's counted event (it turns the hole into a gap).
 *
 * Invariant: n_free equals the length of the free list.
 */
#include <stdlib.h>

#include "conn_internal.h"

int l7_pool_init(struct l7_pool *pl, uint32_t bytes)
{
	pl->n = bytes / L7_CHUNK_BYTES;
	if (pl->n == 0)
		pl->n = 1;
	pl->nodes = malloc((size_t)pl->n * sizeof(*pl->nodes));
	pl->data = malloc((size_t)pl->n * L7_CHUNK_BYTES);
	if (!pl->nodes || !pl->data) {
		l7_pool_fini(pl);
		return L7_ENOMEM;
	}
	for (uint32_t i = 0; i < pl->n; i++)
		pl->nodes[i].next = i + 1 < pl->n ? i + 1 : L7_NIL;
	pl->free_head = 0;
	pl->n_free = pl->n;
	return 0;
}

void l7_pool_fini(struct l7_pool *pl)
{
	free(pl->nodes);
	free(pl->data);
	pl->nodes = NULL;
	pl->data = NULL;
	pl->n = pl->n_free = 0;
}

uint32_t l7_pool_get(struct l7_pool *pl)
{
	uint32_t i = pl->free_head;
	if (i == L7_NIL)
		return L7_NIL;
	pl->free_head = pl->nodes[i].next;
	pl->n_free--;
	pl->nodes[i].next = L7_NIL;
	return i;
}

void l7_pool_put(struct l7_pool *pl, uint32_t i)
{
	pl->nodes[i].next = pl->free_head;
	pl->free_head = i;
	pl->n_free++;
}
