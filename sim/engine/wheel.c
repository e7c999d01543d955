/*
 * wheel.c — the hierarchical timing wheel of wheel.h.
 *
 * A timer with expiry tick e sits at level L = index of the highest 8-bit
 * digit in which e and cur differ, slot = digit L of e; so every occupied
 * slot at level L is strictly ahead of cur's digit L within cur's current
 * level-L rotation. Consequently the next tick with work is found from the
 * lowest level upward: the first occupied slot after cur's digit at level 0
 * is a fire tick; otherwise the first occupied slot at level 1 is a cascade
 * tick, and so on; an occupied overflow list means "the next 2^40 boundary".
 */
#include <stddef.h>

#include "engine/wheel.h"

#define TOP_BITS (L7SIM_WHEEL_BITS * L7SIM_WHEEL_LEVELS)
#define WHERE_NONE 0xffffffffu
#define WHERE_OVERFLOW (L7SIM_WHEEL_LEVELS * L7SIM_WHEEL_SLOTS)
#define WHERE_FIRING (WHERE_OVERFLOW + 1)

static inline struct l7sim_timer *node_timer(struct l7sim_tlist *n)
{
	return (struct l7sim_timer *)(void *)n;
}

static inline void list_init(struct l7sim_tlist *h)
{
	h->next = h->prev = h;
}

static inline int list_empty(const struct l7sim_tlist *h)
{
	return h->next == h;
}

static inline void list_append(struct l7sim_tlist *h, struct l7sim_tlist *n)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

static inline void list_unlink(struct l7sim_tlist *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

/* Move all of src's nodes to the tail of dst, keeping their order. */
static void list_splice_tail(struct l7sim_tlist *dst, struct l7sim_tlist *src)
{
	if (list_empty(src))
		return;
	src->next->prev = dst->prev;
	dst->prev->next = src->next;
	src->prev->next = dst;
	dst->prev = src->prev;
	list_init(src);
}

static inline unsigned digit(uint64_t tick, unsigned level)
{
	return (unsigned)(tick >> (L7SIM_WHEEL_BITS * level)) & (L7SIM_WHEEL_SLOTS - 1);
}

static inline void set_bit(struct l7sim_wheel *w, unsigned level, unsigned s)
{
	w->bits[level][s >> 6] |= 1ULL << (s & 63);
}

static inline void clear_bit(struct l7sim_wheel *w, unsigned level, unsigned s)
{
	w->bits[level][s >> 6] &= ~(1ULL << (s & 63));
}

/* First occupied slot after d at this level, or -1. */
static int next_bit(const uint64_t *b, unsigned d)
{
	unsigned from = d + 1;
	if (from >= L7SIM_WHEEL_SLOTS)
		return -1;
	unsigned wi = from >> 6;
	uint64_t word = b[wi] & (~0ULL << (from & 63));
	for (;;) {
		if (word)
			return (int)(wi * 64 + (unsigned)__builtin_ctzll(word));
		if (++wi == L7SIM_WHEEL_SLOTS / 64)
			return -1;
		word = b[wi];
	}
}

int l7sim_wheel_init(struct l7sim_wheel *w, uint64_t tick_ns, l7_time_ns start_ns)
{
	if (tick_ns == 0)
		return L7_EINVAL;
	w->tick_ns = tick_ns;
	w->cur = start_ns / tick_ns;
	w->hint = UINT64_MAX;
	w->armed = 0;
	w->fired = 0;
	for (unsigned l = 0; l < L7SIM_WHEEL_LEVELS; l++) {
		for (unsigned s = 0; s < L7SIM_WHEEL_SLOTS; s++)
			list_init(&w->slot[l][s]);
		for (unsigned i = 0; i < L7SIM_WHEEL_SLOTS / 64; i++)
			w->bits[l][i] = 0;
	}
	list_init(&w->overflow);
	list_init(&w->firing);
	return 0;
}

void l7sim_timer_init(struct l7sim_timer *t, l7sim_timer_fn fn)
{
	t->link.next = t->link.prev = NULL;
	t->expire_tick = 0;
	t->fn = fn;
	t->where = WHERE_NONE;
}

/* File t (expire_tick already set, > cur or == cur) relative to cur. */
static void place(struct l7sim_wheel *w, struct l7sim_timer *t)
{
	uint64_t diff = t->expire_tick ^ w->cur;
	if (diff == 0) {
		t->where = WHERE_FIRING;
		list_append(&w->firing, &t->link);
		w->hint = w->cur;
		return;
	}
	if (diff >> TOP_BITS) {
		t->where = WHERE_OVERFLOW;
		list_append(&w->overflow, &t->link);
		uint64_t boundary = ((w->cur >> TOP_BITS) + 1) << TOP_BITS;
		if (boundary < w->hint)
			w->hint = boundary;
		return;
	}
	unsigned level = (unsigned)(63 - __builtin_clzll(diff)) / L7SIM_WHEEL_BITS;
	unsigned s = digit(t->expire_tick, level);
	t->where = level * L7SIM_WHEEL_SLOTS + s;
	list_append(&w->slot[level][s], &t->link);
	set_bit(w, level, s);
	/* The slot is processed when cur reaches expire with the digits below
	 * `level` cleared (a cascade, or the fire itself at level 0). */
	unsigned shift = L7SIM_WHEEL_BITS * level;
	uint64_t when = (t->expire_tick >> shift) << shift;
	if (when < w->hint)
		w->hint = when;
}

static void unlink_timer(struct l7sim_wheel *w, struct l7sim_timer *t)
{
	list_unlink(&t->link);
	if (t->where < WHERE_OVERFLOW) {
		unsigned level = t->where / L7SIM_WHEEL_SLOTS, s = t->where % L7SIM_WHEEL_SLOTS;
		if (list_empty(&w->slot[level][s]))
			clear_bit(w, level, s);
	}
	t->where = WHERE_NONE;
	w->armed--;
}

void l7sim_wheel_arm(struct l7sim_wheel *w, struct l7sim_timer *t, l7_time_ns deadline_ns)
{
	if (l7sim_timer_armed(t))
		unlink_timer(w, t);
	uint64_t e = deadline_ns / w->tick_ns + (deadline_ns % w->tick_ns != 0);
	if (e <= w->cur)
		e = w->cur + 1;
	t->expire_tick = e;
	w->armed++;
	place(w, t);
}

int l7sim_wheel_cancel(struct l7sim_wheel *w, struct l7sim_timer *t)
{
	if (!l7sim_timer_armed(t))
		return L7_ENOENT;
	unlink_timer(w, t);
	return 0;
}

int l7sim_wheel_next_tick(const struct l7sim_wheel *w, uint64_t *tick)
{
	if (w->armed == 0)
		return 0;
	if (!list_empty(&w->firing)) {
		*tick = w->cur;
		return 1;
	}
	for (unsigned l = 0; l < L7SIM_WHEEL_LEVELS; l++) {
		int s = next_bit(w->bits[l], digit(w->cur, l));
		if (s >= 0) {
			unsigned shift = L7SIM_WHEEL_BITS * (l + 1);
			uint64_t prefix = shift >= 64 ? 0 : (w->cur >> shift) << shift;
			*tick = prefix | ((uint64_t)s << (L7SIM_WHEEL_BITS * l));
			return 1;
		}
	}
	if (!list_empty(&w->overflow)) {
		*tick = ((w->cur >> TOP_BITS) + 1) << TOP_BITS;
		return 1;
	}
	return 0;
}

/* Re-file every timer of list h relative to the (new) cur. */
static void refile(struct l7sim_wheel *w, struct l7sim_tlist *h)
{
	struct l7sim_tlist tmp;
	list_init(&tmp);
	list_splice_tail(&tmp, h);
	while (!list_empty(&tmp)) {
		struct l7sim_timer *t = node_timer(tmp.next);
		list_unlink(&t->link);
		place(w, t);
	}
}

/* Enter tick x (> cur, and no work strictly between cur and x). */
static void enter_tick(struct l7sim_wheel *w, uint64_t x)
{
	uint64_t old = w->cur;
	w->cur = x;
	if ((x >> TOP_BITS) != (old >> TOP_BITS))
		refile(w, &w->overflow);
	for (unsigned l = L7SIM_WHEEL_LEVELS; l-- > 1;) {
		unsigned shift = L7SIM_WHEEL_BITS * l;
		if ((x >> shift) == (old >> shift))
			continue;
		unsigned s = digit(x, l);
		if (list_empty(&w->slot[l][s]))
			continue;
		clear_bit(w, l, s);
		refile(w, &w->slot[l][s]);
	}
	unsigned s0 = digit(x, 0);
	struct l7sim_tlist *h = &w->slot[0][s0];
	if (!list_empty(h)) {
		for (struct l7sim_tlist *n = h->next; n != h; n = n->next)
			node_timer(n)->where = WHERE_FIRING;
		clear_bit(w, 0, s0);
		list_splice_tail(&w->firing, h);
	}
}

static uint64_t fire_pending(struct l7sim_wheel *w, void *ctx)
{
	uint64_t n = 0;
	while (!list_empty(&w->firing)) {
		struct l7sim_timer *t = node_timer(w->firing.next);
		unlink_timer(w, t);
		w->fired++;
		n++;
		t->fn(ctx, t);
	}
	return n;
}

uint64_t l7sim_wheel_advance(struct l7sim_wheel *w, uint64_t tick, void *ctx)
{
	uint64_t n = fire_pending(w, ctx), x;
	while (l7sim_wheel_next_tick(w, &x) && x <= tick) {
		if (x != w->cur)
			enter_tick(w, x);
		n += fire_pending(w, ctx);
	}
	if (tick > w->cur)
		w->cur = tick;
	if (!l7sim_wheel_next_tick(w, &w->hint))
		w->hint = UINT64_MAX;
	return n;
}
