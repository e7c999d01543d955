/*
 * pktbuf.c — the fixed packet-buffer pool of pktbuf.h, on top of the
 * engine's object pool (LIFO reuse keeps runs deterministic).
 */
#include <string.h>

#include "net/pktbuf.h"

int l7sim_pktpool_init(struct l7sim_pktpool *pp, uint32_t capacity)
{
	memset(pp, 0, sizeof(*pp));
	return l7sim_pool_init(&pp->pool, sizeof(struct l7sim_pkt), capacity);
}

void l7sim_pktpool_fini(struct l7sim_pktpool *pp)
{
	l7sim_pool_fini(&pp->pool);
}

struct l7sim_pkt *l7sim_pkt_alloc(struct l7sim_pktpool *pp, l7_time_ns now_ns,
				  uint64_t conn_id)
{
	struct l7sim_pkt *p = l7sim_pool_get(&pp->pool);
	if (!p) {
		pp->alloc_fail++;
		return NULL;
	}
	pp->allocs++;
	p->next = NULL;
	p->created_ns = now_ns;
	p->conn_id = conn_id;
	p->len = 0;
	p->hops = 0;
	p->last_link = 0;
	p->aux = 0;
	p->aux_seq = 0;
	p->first_req = 0;
	return p;
}

void l7sim_pkt_free(struct l7sim_pktpool *pp, struct l7sim_pkt *p)
{
	pp->frees++;
	l7sim_pool_put(&pp->pool, p);
}

struct l7sim_pkt *l7sim_pkt_clone(struct l7sim_pktpool *pp, const struct l7sim_pkt *p)
{
	struct l7sim_pkt *c = l7sim_pkt_alloc(pp, p->created_ns, p->conn_id);
	if (!c)
		return NULL;
	c->len = p->len;
	c->hops = p->hops;
	c->last_link = p->last_link;
	c->aux = p->aux;
	c->aux_seq = p->aux_seq;
	c->first_req = p->first_req;
	memcpy(c->data, p->data, p->len);
	return c;
}
