/*
 * sketch.c — register arrays and the state structures built on them: a
 * count-min sketch (d rows of saturating counters, one CRC-32 polynomial per
 * row, CLIP's heavy-flow selector) and a Bloom filter (k one-bit rows).
 *
 * Invariants: each row is its own register array, so one sketch update is
 * one read-modify-write per row per pass, exactly what d stateful ALUs can
 * do; a second update of the same sketch in one pass is refused (L7_ERMW)
 * like any other register. Counters saturate at 2^bits - 1 and never wrap,
 * so an estimate never underestimates the true count.
 */
#include <stdlib.h>
#include <string.h>

#include "pl_internal.h"

int pl_reg_alloc(struct pl_register *r)
{
	if (r->width == 1)
		r->bits = calloc((r->size + 63) / 64, sizeof(uint64_t));
	else
		r->cells = calloc(r->size, sizeof(uint64_t));
	return (r->bits || r->cells) ? 0 : L7_ENOMEM;
}

uint64_t pl_reg_get(const struct pl_register *r, uint32_t i)
{
	if (r->width == 1)
		return (r->bits[i / 64] >> (i % 64)) & 1;
	return r->cells[i];
}

void pl_reg_set(struct pl_register *r, uint32_t i, uint64_t v)
{
	v &= r->max;
	if (r->width == 1) {
		if (v)
			r->bits[i / 64] |= 1ull << (i % 64);
		else
			r->bits[i / 64] &= ~(1ull << (i % 64));
		return;
	}
	r->cells[i] = v;
}

/* Claim this pass's one RMW of register r; 0 or L7_ERMW. */
static int reg_claim(struct l7_pipeline *pl, struct pl_register *r)
{
	if (r->last_pass == pl->pass_id)
		return L7_ERMW;
	r->last_pass = pl->pass_id;
	return 0;
}

static void topn_note(struct pl_sketch *s, uint64_t key, uint64_t est)
{
	if (s->top_n == 0)
		return;
	if (s->n_top == s->top_n && est <= s->top_min)
		return;
	uint32_t i, min_i = 0;
	for (i = 0; i < s->n_top; i++)
		if (s->top[i].key == key)
			break;
	if (i < s->n_top) {
		s->top[i].est = est;
	} else if (s->n_top < s->top_n) {
		s->top[s->n_top].key = key;
		s->top[s->n_top].est = est;
		s->n_top++;
	} else {
		for (uint32_t k = 1; k < s->n_top; k++)
			if (s->top[k].est < s->top[min_i].est)
				min_i = k;
		s->top[min_i].key = key;
		s->top[min_i].est = est;
	}
	if (s->n_top == s->top_n) {
		uint64_t m = UINT64_MAX;
		for (uint32_t k = 0; k < s->n_top; k++)
			if (s->top[k].est < m)
				m = s->top[k].est;
		s->top_min = m;
	}
}

void pl_cms_update(struct l7_pipeline *pl, struct pl_sketch *s, const uint8_t *b,
		   size_t n, uint64_t inc, uint64_t *min_out, int *rmw_err)
{
	uint64_t mn = UINT64_MAX;
	for (unsigned r = 0; r < s->rows; r++) {
		struct pl_register *reg = &pl->reg[s->reg[r]];
		if (reg_claim(pl, reg) < 0) {
			*rmw_err = L7_ERMW;
			continue;
		}
		uint32_t i = pl_crc32_row(pl, r, b, n) % s->width;
		uint64_t v = reg->cells[i];
		v = (reg->max - v < inc) ? reg->max : v + inc;
		reg->cells[i] = v;
		if (v < mn)
			mn = v;
	}
	if (mn == UINT64_MAX)
		mn = 0;
	*min_out = mn;
	topn_note(s, pl_key_prefix64(b, n), mn);
}

void pl_bloom_op(struct l7_pipeline *pl, struct pl_bloom *bf, const uint8_t *b,
		 size_t n, int insert, uint64_t *present_out, int *rmw_err)
{
	uint64_t present = 1;
	for (unsigned r = 0; r < bf->rows; r++) {
		struct pl_register *reg = &pl->reg[bf->reg[r]];
		if (reg_claim(pl, reg) < 0) {
			*rmw_err = L7_ERMW;
			present = 0;
			continue;
		}
		uint32_t i = pl_crc32_row(pl, r, b, n) % bf->bits;
		if (!pl_reg_get(reg, i))
			present = 0;
		if (insert)
			pl_reg_set(reg, i, 1);
	}
	*present_out = present;
}

/* ------------------------------------------------------------ public */

static int reg_ok(const struct l7_pipeline *pl, int reg, uint32_t index)
{
	return pl && pl->compiled && reg >= 0 && (unsigned)reg < pl->n_regs &&
	       index < pl->reg[reg].size;
}

int l7_pipeline_register_get(const struct l7_pipeline *pl, int reg, uint32_t index,
			     uint64_t *value)
{
	if (!reg_ok(pl, reg, index) || !value)
		return L7_EINVAL;
	*value = pl_reg_get(&pl->reg[reg], index);
	return 0;
}

int l7_pipeline_register_set(struct l7_pipeline *pl, int reg, uint32_t index, uint64_t value)
{
	if (!reg_ok(pl, reg, index))
		return L7_EINVAL;
	if (value > pl->reg[reg].max)
		return L7_ERANGE;
	pl_reg_set(&pl->reg[reg], index, value);
	return 0;
}

static size_t pack_query(const struct l7_pipeline *pl, const int *src, const uint64_t *values,
			 unsigned n, uint8_t *buf)
{
	int16_t s16[L7_PL_MAX_SRC];
	for (unsigned i = 0; i < n; i++)
		s16[i] = (int16_t)src[i];
	return pl_pack_fields(pl, s16, n, values, buf);
}

static int srcs_valid(const struct l7_pipeline *pl, const int *src, unsigned n)
{
	if (!src || n == 0 || n > L7_PL_MAX_SRC)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (src[i] < 0 || (unsigned)src[i] >= pl->n_fields)
			return 0;
	return 1;
}

uint64_t l7_pipeline_sketch_query(const struct l7_pipeline *pl, int sketch,
				  const int *src, const uint64_t *values, unsigned n)
{
	if (!pl || !pl->compiled || sketch < 0 || (unsigned)sketch >= pl->n_sketches ||
	    !values || !srcs_valid(pl, src, n))
		return 0;
	const struct pl_sketch *s = &pl->sketch[sketch];
	uint8_t buf[L7_PL_MAX_SRC * 8];
	size_t len = pack_query(pl, src, values, n, buf);
	uint64_t mn = UINT64_MAX;
	for (unsigned r = 0; r < s->rows; r++) {
		uint64_t v = pl->reg[s->reg[r]].cells[pl_crc32_row(pl, r, buf, len) % s->width];
		if (v < mn)
			mn = v;
	}
	return mn;
}

int l7_pipeline_bloom_query(const struct l7_pipeline *pl, int bloom,
			    const int *src, const uint64_t *values, unsigned n)
{
	if (!pl || !pl->compiled || bloom < 0 || (unsigned)bloom >= pl->n_blooms ||
	    !values || !srcs_valid(pl, src, n))
		return L7_EINVAL;
	const struct pl_bloom *bf = &pl->bloom[bloom];
	uint8_t buf[L7_PL_MAX_SRC * 8];
	size_t len = pack_query(pl, src, values, n, buf);
	for (unsigned r = 0; r < bf->rows; r++)
		if (!pl_reg_get(&pl->reg[bf->reg[r]], pl_crc32_row(pl, r, buf, len) % bf->bits))
			return 0;
	return 1;
}

static int topn_cmp(const void *a, const void *b)
{
	const struct pl_topn_slot *x = a, *y = b;
	if (x->est != y->est)
		return x->est > y->est ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

int pl_sketch_topn_copy(struct l7_pipeline *pl, int sketch, struct l7_pl_topn *out, unsigned n)
{
	struct pl_sketch *s = &pl->sketch[sketch];
	qsort(s->top, s->n_top, sizeof(*s->top), topn_cmp); /* control path */
	unsigned k = s->n_top < n ? s->n_top : n;
	for (unsigned i = 0; i < k; i++) {
		out[i].key = s->top[i].key;
		out[i].estimate = s->top[i].est;
	}
	return (int)k;
}
