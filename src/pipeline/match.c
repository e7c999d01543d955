/*
 * match.c — table storage and lookup: a tuple-space index shared by exact,
 * LPM and ternary tables, and a priority-ordered list for range tables.
 *
 * Tuple-space search: entries with the same mask form a group; each group is
 * a hash of (masked key -> chain of entries sorted by priority descending,
 * install order ascending). A lookup probes the groups in descending order
 * of their best priority and stops as soon as no remaining group can beat
 * the best match, so an exact table costs one probe, an LPM table one probe
 * per prefix length until the first hit, and a ternary table one probe per
 * distinct mask at worst (not one per entry). One open-addressing array
 * (linear probing, backward-shift delete) holds every group's buckets.
 *
 * Big exact tables (PL_CT_MIN entries and more, e.g. Miresga's 143,360
 * connections) are stored in the library's connection table (conntable.h,
 * a bucketised cuckoo hash, single-threaded mode) mapping the 64-bit key to
 * the entry's index in the pool — the same kind of structure a Tofino exact
 * table is (multi-way cuckoo over SRAM) — and its batched lookup feeds the
 * burst mode. It is sized 25% above the declared capacity; an insert that
 * still finds no cuckoo path fails with L7_ETABLEFULL, as a real exact
 * table can before it is full. Small exact tables (cache-resident) use the
 * one-group tuple-space index: one linear probe, about a quarter of the
 * instructions of the general-purpose table.
 *
 * Invariants: a slot's head is the best entry of its chain; grp_order lists
 * exactly the groups with n > 0, sorted by max_prio descending; a group's
 * max_prio is the largest priority of its entries.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "l7splice/conntable.h"
#include "pl_internal.h"

/*
 * Big arrays (a 143,360-entry pool is ~9 MB) are 2 MB aligned and
 * advised for transparent huge pages: lookups are random accesses, and on
 * 4 KB pages nearly every one also misses the TLB. The advice is only a
 * hint; where it is refused the memory works the same.
 */
#define PL_HUGE (2u << 20)

void *pl_alloc_big(size_t bytes)
{
	if (bytes < PL_HUGE)
		return calloc(1, bytes ? bytes : 1);
	size_t rounded = (bytes + PL_HUGE - 1) / PL_HUGE * PL_HUGE;
	void *p = NULL;
	if (posix_memalign(&p, PL_HUGE, rounded) != 0)
		return NULL;
#ifdef MADV_HUGEPAGE
	(void)madvise(p, rounded, MADV_HUGEPAGE);
#endif
	memset(p, 0, rounded);
	return p;
}

void pl_free_big(void *p)
{
	free(p);
}

#define group_seed pl_group_seed
#define slot_hash_seeded pl_slot_hash_seeded

static uint32_t slot_hash(uint64_t mkey, uint32_t group)
{
	return slot_hash_seeded(mkey, group_seed(group));
}

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 16;
	while (p < n)
		p <<= 1;
	return p;
}

int pl_table_alloc(struct pl_table *t)
{
	uint32_t cap = t->def.size;
	t->cap = cap;
	t->e = pl_alloc_big(sizeof(*t->e) * cap);
	t->ec = calloc(cap, sizeof(*t->ec));
	t->free_list = malloc(sizeof(uint32_t) * cap);
	if (!t->e || !t->ec || !t->free_list)
		return L7_ENOMEM;
	for (uint32_t i = 0; i < cap; i++)
		t->free_list[i] = cap - 1 - i;
	t->n_free = cap;
	if (t->kind == PL_RANGE) {
		t->rlo = calloc(cap, sizeof(*t->rlo));
		t->rhi = calloc(cap, sizeof(*t->rhi));
		t->rorder = malloc(sizeof(uint32_t) * cap);
		return (t->rlo && t->rhi && t->rorder) ? 0 : L7_ENOMEM;
	}
	if (t->kind == PL_EXACT && cap >= PL_CT_MIN) {
		struct l7_table_config c;
		l7_table_config_init(&c, sizeof(uint64_t), sizeof(uint32_t),
				     (uint64_t)cap + cap / 4 + 16);
		c.mode = L7_TABLE_SINGLE_THREADED;
		c.seed = 0x9e3779b97f4a7c15ull; /* fixed: runs are reproducible */
		return l7_table_create(&c, &t->ct) == 0 ? 0 : L7_ENOMEM;
	}
	/* load factor at most 0.8 (linear probing stays short); LPM and
	 * ternary lookups probe one slot per group and most of those probes
	 * miss, so they get at most 0.5 (an unsuccessful linear probe scans
	 * about (1 + 1/(1-a)^2)/2 slots: 2.5 at a = 0.5 against 13 at 0.8) */
	uint32_t ns = t->kind == PL_EXACT ? pow2_at_least(cap + cap / 4 + 1)
					  : pow2_at_least(2 * cap + 1);
	t->slot = pl_alloc_big(sizeof(*t->slot) * ns);
	t->slot_mask = ns - 1;
	/* a group per distinct mask: at most one per entry, and at most 65
	 * for LPM (prefix lengths 0..64) */
	uint32_t ng = t->kind == PL_EXACT ? 1 : (t->kind == PL_LPM ? 65 : cap);
	t->grp = calloc(ng, sizeof(*t->grp));
	t->grp_order = malloc(sizeof(uint32_t) * ng);
	t->gord = malloc(sizeof(*t->gord) * ng);
	if (!t->gord)
		return L7_ENOMEM;
	if (t->kind == PL_EXACT && t->key_bits <= PL_DIRECT_BITS) {
		t->direct = calloc((size_t)1 << t->key_bits, sizeof(uint32_t));
		if (!t->direct)
			return L7_ENOMEM;
	}
	return (t->slot && t->grp && t->grp_order) ? 0 : L7_ENOMEM;
}

void pl_table_free(struct pl_table *t)
{
	l7_table_destroy(t->ct);
	pl_free_big(t->e);
	free(t->ec);
	free(t->free_list);
	pl_free_big(t->slot);
	free(t->direct);
	free(t->grp);
	free(t->grp_order);
	free(t->gord);
	free(t->rlo);
	free(t->rhi);
	free(t->rorder);
}

/* Entry a beats entry b: higher priority, then installed earlier. */
static int beats(const struct pl_table *t, uint32_t a, uint32_t b)
{
	return t->e[a].prio > t->e[b].prio ||
	       (t->e[a].prio == t->e[b].prio && t->ec[a].seq < t->ec[b].seq);
}

static uint32_t slot_find(const struct pl_table *t, uint64_t mkey, uint32_t g)
{
	uint32_t i = slot_hash(mkey, g) & t->slot_mask;
	for (;;) {
		const struct pl_slot *s = &t->slot[i];
		if (s->head == 0)
			return PL_NIL;
		if (s->mkey == mkey && s->group == g)
			return i;
		i = (i + 1) & t->slot_mask;
	}
}

static void slot_delete(struct pl_table *t, uint32_t i)
{
	/* backward-shift deletion keeps every probe sequence unbroken */
	uint32_t j = i;
	for (;;) {
		j = (j + 1) & t->slot_mask;
		if (t->slot[j].head == 0)
			break;
		uint32_t home = slot_hash(t->slot[j].mkey, t->slot[j].group) & t->slot_mask;
		/* move j into the hole i unless its home lies cyclically in (i, j] */
		int in_range = (i <= j) ? (home > i && home <= j) : (home > i || home <= j);
		if (!in_range) {
			t->slot[i] = t->slot[j];
			i = j;
		}
	}
	t->slot[i].head = 0;
}

/* Re-place group g in grp_order after its n or max_prio changed: take it
 * out, then put it back (if it has entries) before the first group with a
 * smaller best priority. O(groups), control path only. */
static void gord_rebuild(struct pl_table *t)
{
	for (uint32_t k = 0; k < t->n_order; k++) {
		const struct pl_group *gr = &t->grp[t->grp_order[k]];
		t->gord[k].mask = gr->mask;
		t->gord[k].seed = group_seed(t->grp_order[k]);
		t->gord[k].g = t->grp_order[k];
		t->gord[k].max_prio = gr->max_prio;
	}
}

static void order_place(struct pl_table *t, uint32_t g);

static void order_update(struct pl_table *t, uint32_t g)
{
	order_place(t, g);
	gord_rebuild(t);
}

static void order_place(struct pl_table *t, uint32_t g)
{
	uint32_t k = 0;
	while (k < t->n_order && t->grp_order[k] != g)
		k++;
	if (k < t->n_order) {
		memmove(&t->grp_order[k], &t->grp_order[k + 1],
			sizeof(uint32_t) * (t->n_order - k - 1));
		t->n_order--;
	}
	if (t->grp[g].n == 0)
		return;
	k = 0;
	while (k < t->n_order && t->grp[t->grp_order[k]].max_prio >= t->grp[g].max_prio)
		k++;
	memmove(&t->grp_order[k + 1], &t->grp_order[k], sizeof(uint32_t) * (t->n_order - k));
	t->grp_order[k] = g;
	t->n_order++;
}

static uint32_t group_get(struct pl_table *t, uint64_t mask)
{
	uint32_t free_g = PL_NIL;
	for (uint32_t g = 0; g < t->n_grp; g++) {
		if (t->grp[g].n > 0 && t->grp[g].mask == mask)
			return g;
		if (t->grp[g].n == 0 && free_g == PL_NIL)
			free_g = g;
	}
	if (free_g == PL_NIL)
		free_g = t->n_grp++;
	t->grp[free_g].mask = mask;
	t->grp[free_g].max_prio = INT32_MIN;
	t->grp[free_g].n = 0;
	return free_g;
}

static void range_order_insert(struct pl_table *t, uint32_t idx)
{
	uint32_t k = t->n_rorder++;
	while (k > 0 && beats(t, idx, t->rorder[k - 1])) {
		t->rorder[k] = t->rorder[k - 1];
		k--;
	}
	t->rorder[k] = idx;
}

int pl_table_find(const struct pl_table *t, uint64_t key, uint64_t mask, int32_t prio,
		  const uint64_t *lo, const uint64_t *hi, uint32_t *idx_out)
{
	if (t->ct) {
		uint64_t k = key & mask;
		return l7_table_lookup(t->ct, &k, idx_out, 0) == 0 ? 0 : L7_ENOENT;
	}
	if (t->kind == PL_RANGE) {
		for (uint32_t k = 0; k < t->n_rorder; k++) {
			uint32_t i = t->rorder[k];
			if (t->e[i].prio == prio &&
			    memcmp(t->rlo[i], lo, sizeof(t->rlo[i])) == 0 &&
			    memcmp(t->rhi[i], hi, sizeof(t->rhi[i])) == 0) {
				*idx_out = i;
				return 0;
			}
		}
		return L7_ENOENT;
	}
	for (uint32_t g = 0; g < t->n_grp; g++) {
		if (t->grp[g].n == 0 || t->grp[g].mask != mask)
			continue;
		uint32_t s = slot_find(t, key & mask, g);
		if (s == PL_NIL)
			return L7_ENOENT;
		for (uint32_t i = t->slot[s].head - 1; i != PL_NIL; i = t->e[i].next)
			if (t->kind != PL_TERNARY || t->e[i].prio == prio) {
				*idx_out = i;
				return 0;
			}
		return L7_ENOENT;
	}
	return L7_ENOENT;
}

int pl_table_insert(struct pl_table *t, const struct pl_entry *ne,
		    const uint64_t *lo, const uint64_t *hi, l7_time_ns now_ns, uint32_t *idx_out)
{
	uint32_t dup;
	if (pl_table_find(t, ne->key, ne->mask, ne->prio, lo, hi, &dup) == 0)
		return L7_EEXIST;
	if (t->n_free == 0)
		return L7_EFULL;
	uint32_t idx = t->free_list[--t->n_free];
	struct pl_entry *e = &t->e[idx];
	*e = *ne;
	e->key &= e->mask;
	t->ec[idx].seq = t->seq++;
	t->ec[idx].last_hit_ns = now_ns;
	t->ec[idx].notified = 0;
	e->used = 1;
	e->next = PL_NIL;
	t->count++;
	if (idx_out)
		*idx_out = idx;
	if (t->ct) {
		int rc = l7_table_insert(t->ct, &e->key, &idx, 0);
		if (rc < 0) {
			e->used = 0;
			t->free_list[t->n_free++] = idx;
			t->count--;
			return rc == L7_EFULL ? L7_EFULL : rc;
		}
		e->group = 0;
		return 0;
	}
	if (t->kind == PL_RANGE) {
		memcpy(t->rlo[idx], lo, sizeof(t->rlo[idx]));
		memcpy(t->rhi[idx], hi, sizeof(t->rhi[idx]));
		range_order_insert(t, idx);
		return 0;
	}
	uint32_t g = group_get(t, e->mask);
	e->group = g;
	struct pl_group *gr = &t->grp[g];
	int reorder = gr->n == 0 || e->prio > gr->max_prio;
	gr->n++;
	if (e->prio > gr->max_prio)
		gr->max_prio = e->prio;
	uint32_t s = slot_find(t, e->key, g);
	if (s == PL_NIL) {
		s = slot_hash(e->key, g) & t->slot_mask;
		while (t->slot[s].head != 0)
			s = (s + 1) & t->slot_mask;
		t->slot[s].mkey = e->key;
		t->slot[s].group = g;
		t->slot[s].head = idx + 1;
		if (t->direct)
			t->direct[e->key] = idx + 1;
	} else {
		/* keep the chain sorted: best first */
		uint32_t *link = &t->slot[s].head;
		uint32_t cur = *link - 1;
		if (beats(t, idx, cur)) {
			e->next = cur;
			*link = idx + 1;
		} else {
			while (t->e[cur].next != PL_NIL && !beats(t, idx, t->e[cur].next))
				cur = t->e[cur].next;
			e->next = t->e[cur].next;
			t->e[cur].next = idx;
		}
	}
	if (reorder)
		order_update(t, g);
	return 0;
}

int pl_table_remove(struct pl_table *t, uint32_t idx)
{
	struct pl_entry *e = &t->e[idx];
	if (!e->used)
		return L7_ENOENT;
	if (t->ct) {
		l7_table_delete(t->ct, &e->key, NULL);
	} else if (t->kind == PL_RANGE) {
		uint32_t k = 0;
		while (k < t->n_rorder && t->rorder[k] != idx)
			k++;
		memmove(&t->rorder[k], &t->rorder[k + 1],
			sizeof(uint32_t) * (t->n_rorder - k - 1));
		t->n_rorder--;
	} else {
		uint32_t g = e->group;
		uint32_t s = slot_find(t, e->key, g);
		if (t->slot[s].head - 1 == idx) {
			if (t->direct)
				t->direct[e->key] = e->next + 1; /* exact: next is PL_NIL */
			if (e->next == PL_NIL)
				slot_delete(t, s);
			else
				t->slot[s].head = e->next + 1;
		} else {
			uint32_t cur = t->slot[s].head - 1;
			while (t->e[cur].next != idx)
				cur = t->e[cur].next;
			t->e[cur].next = e->next;
		}
		struct pl_group *gr = &t->grp[g];
		gr->n--;
		if (gr->n == 0) {
			order_update(t, g);
		} else if (t->kind == PL_TERNARY && e->prio == gr->max_prio) {
			/* control path only: rescan for the new best priority */
			int32_t m = INT32_MIN;
			for (uint32_t i = 0; i < t->cap; i++)
				if (t->e[i].used && i != idx && t->e[i].group == g && t->e[i].prio > m)
					m = t->e[i].prio;
			gr->max_prio = m;
			order_update(t, g);
		}
	}
	e->used = 0;
	t->free_list[t->n_free++] = idx;
	t->count--;
	return 0;
}

void pl_exact_lookup_batch(const struct pl_table *t, const uint64_t *keys, unsigned n,
			   uint32_t *idx_out)
{
	const void *kp[L7_TABLE_BATCH_MAX] = { 0 };
	uint32_t val[L7_TABLE_BATCH_MAX];
	uint64_t hit = 0;
	for (unsigned i = 0; i < n; i++)
		kp[i] = &keys[i];
	l7_table_lookup_batch(t->ct, kp, n, val, &hit, 0);
	for (unsigned i = 0; i < n; i++)
		idx_out[i] = (hit >> i) & 1 ? val[i] : PL_NIL;
}

/* Range tables: the first entry (by priority) whose bounds hold. */
static uint32_t range_lookup(const struct pl_table *t, uint64_t key)
{
	unsigned nk = t->def.n_keys;
	uint64_t v[L7_PL_MAX_KEY_FIELDS];
	for (unsigned f = 0; f < nk; f++)
		v[f] = t->key_width[f] == 64 ? key
		       : (key >> t->key_shift[f]) & ((1ull << t->key_width[f]) - 1);
	for (uint32_t k = 0; k < t->n_rorder; k++) {
		uint32_t i = t->rorder[k];
		unsigned f = 0;
		while (f < nk && v[f] >= t->rlo[i][f] && v[f] <= t->rhi[i][f])
			f++;
		if (f == nk)
			return i;
	}
	return PL_NIL;
}

/* LPM and ternary: tuple-space search over the groups (kept out of line so
 * the exact-match paths stay a short leaf without its stack frame). */
__attribute__((noinline)) static uint32_t tss_lookup(const struct pl_table *t, uint64_t key)
{
	/* groups in descending best priority; the home slot of the group
	 * AHEAD places on is computed and prefetched early (kept in a ring),
	 * so probes overlap their misses while groups pruned by priority cost
	 * nothing */
	enum { AHEAD = 4 };
	const struct pl_gord *go = t->gord;
	uint32_t n = t->n_order, best = PL_NIL, home[AHEAD];
	int32_t best_prio = INT32_MIN;
	for (uint32_t o = 0; o < n && o < AHEAD; o++) {
		home[o] = slot_hash_seeded(key & go[o].mask, go[o].seed) & t->slot_mask;
		__builtin_prefetch(&t->slot[home[o]]);
	}
	for (uint32_t o = 0; o < n; o++) {
		if (best != PL_NIL && go[o].max_prio < best_prio)
			break; /* no entry of this or a later group can win */
		uint32_t i = home[o % AHEAD];
		if (o + AHEAD < n) {
			uint32_t hn = slot_hash_seeded(key & go[o + AHEAD].mask, go[o + AHEAD].seed) &
				      t->slot_mask;
			home[o % AHEAD] = hn;
			__builtin_prefetch(&t->slot[hn]);
		}

		uint64_t mk = key & go[o].mask;
		uint32_t g = go[o].g;
		for (;; i = (i + 1) & t->slot_mask) {
			const struct pl_slot *s = &t->slot[i];
			if (s->head == 0)
				break;
			if (s->mkey == mk && s->group == g) {
				uint32_t cand = s->head - 1;
				if (best == PL_NIL || beats(t, cand, best)) {
					best = cand;
					best_prio = t->e[cand].prio;
				}
				break;
			}
		}
		if (best != PL_NIL && t->kind != PL_TERNARY)
			break; /* LPM: longest prefix found first */
	}
	return best;
}

uint32_t pl_table_lookup(const struct pl_table *t, uint64_t key)
{
	if (t->direct)
		return t->direct[key] - 1; /* 0 (empty) becomes PL_NIL */
	if (t->ct) {
		uint32_t idx;
		return l7_table_lookup(t->ct, &key, &idx, 0) == 0 ? idx : PL_NIL;
	}
	if (t->kind == PL_EXACT) {
		/* one group (every key bit), number 0: a single probe sequence */
		if (t->n_order == 0)
			return PL_NIL;
		return pl_exact_probe(t, key);
	}
	if (t->kind == PL_RANGE)
		return range_lookup(t, key);
	return tss_lookup(t, key);
}

void pl_table_key_values(const struct pl_table *t, uint32_t idx, uint64_t *vals)
{
	for (unsigned f = 0; f < t->def.n_keys; f++) {
		if (t->kind == PL_RANGE) {
			vals[f] = t->rlo[idx][f];
			continue;
		}
		uint64_t k = t->e[idx].key;
		vals[f] = t->key_width[f] == 64 ? k
			  : (k >> t->key_shift[f]) & ((1ull << t->key_width[f]) - 1);
	}
}
