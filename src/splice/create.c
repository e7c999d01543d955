/*
 * create.c — building and tearing down an engine: every pool (connections,
 * shallow head buffers, insertion arenas, flow-table slots, the scratch
 * frame) (and the old-leg pool) is allocated here, once, from the sizes in
 * struct l7_splice_cfg, so that the packet path never allocates.
 *
 * Invariant: the free lists are LIFOs of indices, so allocation order is
 * deterministic for a given input sequence. The head buffers and their
 * free stack are malloc'd and never written here: the operating system
 * backs a page only once a connection first buffers a head in it, so a
 * large max_heads costs address space, not resident memory.
 */
#include <stdlib.h>
#include <string.h>

#include "splice_int.h"

#define DEFAULT_BUF 16384u
#define DEFAULT_INS 1024u
#define MAX_POOL_CONNS (1u << 24)

static void set_defaults(struct l7_splice_cfg *c)
{
	if (!c->buf_bytes)
		c->buf_bytes = DEFAULT_BUF;
	if (!c->ins_bytes)
		c->ins_bytes = DEFAULT_INS;
	if (!c->mss)
		c->mss = 1460;
	if (!c->wscale)
		c->wscale = 7;
	if (c->wscale > 14)
		c->wscale = 14;
	if (!c->window)
		c->window = 65535;
	if (!c->ts_tick_ns)
		c->ts_tick_ns = 1000000;
	if (!c->idle_ns)
		c->idle_ns = 300ull * 1000000000ull;
	if (!c->syn_rto_ns)
		c->syn_rto_ns = 1000000000ull;
	if (!c->syn_retries)
		c->syn_retries = 3;
	if (!c->linger_ns)
		c->linger_ns = 2000000000ull;
}

struct l7_splice *l7_splice_create(const struct l7_splice_cfg *cfg, int *err)
{
	int dummy;
	int *e = err ? err : &dummy;
	*e = L7_EINVAL;
	if (!cfg || !cfg->max_conns || cfg->max_conns > MAX_POOL_CONNS || !cfg->route ||
	    !cfg->emit || cfg->ins_bytes > 65535 || cfg->max_old_legs > MAX_POOL_CONNS)
		return NULL;
	*e = L7_ENOMEM;
	struct l7_splice *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = *cfg;
	set_defaults(&s->cfg);
	uint32_t n = s->cfg.max_conns;
	if (!s->cfg.max_old_legs)
		s->cfg.max_old_legs = 2 * n;
	uint32_t n_old = s->cfg.max_old_legs;
	if (!s->cfg.max_heads || s->cfg.max_heads > n)
		s->cfg.max_heads = n;
	uint32_t n_heads = s->cfg.max_heads;
	uint64_t keys = 2ull * n + n_old;
	uint64_t slots = 16;
	while (slots < 4u * keys)
		slots <<= 1;
	s->conns = calloc(n, sizeof(*s->conns));
	s->olds = calloc(n_old, sizeof(*s->olds));
	s->bufs = malloc((size_t)n_heads * s->cfg.buf_bytes);
	s->head_free = malloc((size_t)n_heads * sizeof(*s->head_free));
	s->arenas = malloc((size_t)n * s->cfg.ins_bytes);
	s->slots = malloc((size_t)slots * sizeof(*s->slots));
	s->scratch_cap = 65536 + 128;
	s->scratch = malloc(s->scratch_cap);
	if (!s->conns || !s->olds || !s->bufs || !s->head_free || !s->arenas || !s->slots || !s->scratch) {
		l7_splice_destroy(s);
		return NULL;
	}
	s->slot_mask = (uint32_t)(slots - 1);
	for (uint64_t i = 0; i < slots; i++)
		s->slots[i].val = SLOT_EMPTY;
	for (uint32_t i = 0; i < n; i++) {
		s->conns[i].head_buf = UINT32_MAX;
		s->conns[i].arena = s->arenas + (size_t)i * s->cfg.ins_bytes;
		s->conns[i].next_free = i + 1 < n ? i + 1 : UINT32_MAX;
		s->conns[i].old_head = UINT32_MAX;
	}
	for (uint32_t i = 0; i < n_old; i++)
		s->olds[i].next_of_conn = i + 1 < n_old ? i + 1 : UINT32_MAX;
	s->n_olds = n_old;
	s->n_heads = n_heads;
	s->head_free_n = 0;
	s->head_hwm = 0;
	s->old_free = 0;
	s->free_head = 0;
	*e = 0;
	return s;
}

void l7_splice_destroy(struct l7_splice *s)
{
	if (!s)
		return;
	free(s->conns);
	free(s->olds);
	free(s->bufs);
	free(s->head_free);
	free(s->arenas);
	free(s->slots);
	free(s->scratch);
	free(s);
}
