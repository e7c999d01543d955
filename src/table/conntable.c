/*
 * conntable.c — creating, sizing, clearing and inspecting a cuckoo
 * connection table (layout in table_impl.h, design in docs/table.md).
 *
 * Invariants: the whole table (header, bucket headers, slots) is one
 * allocation made here; nothing else in src/table allocates. The number of
 * buckets is a power of two so a bucket index is a mask of the hash and
 * tb_alt() is an involution.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "table_impl.h"

#define TB_ALIGN 64u
/* Tables of at least this size are aligned to 2 MiB and offered to
 * transparent huge pages: at 2^24 slots the table is ~450 MB and 4 KiB
 * pages would add a TLB miss to most lookups. */
#define TB_HUGE_BYTES (4u << 20)
#define TB_HUGE_ALIGN (2u << 20)
/* Tables at least this big are taken to be out of cache: a single lookup
 * prefetches its primary bucket's slot lines (at most 4) together with
 * the headers. Measured here at 2^24 slots of 16+8 bytes: ~+15-20 % vs
 * rte_hash in same-run ratios; at 2^16 (in cache) it was neutral to
 * slightly negative, hence the threshold. */
#define TB_PREFETCH_SLOTS_BYTES (64u << 20)
#define TB_PREFETCH_SLOTS_MAX_LINES 4u

static size_t round_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void l7_table_config_init(struct l7_table_config *cfg, uint32_t key_bytes,
                          uint32_t value_bytes, uint64_t capacity)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->key_bytes = key_bytes;
	cfg->value_bytes = value_bytes;
	cfg->capacity = capacity;
	cfg->slots_per_bucket = 8;
	cfg->mode = L7_TABLE_CONCURRENT;
	cfg->max_depth = L7_TABLE_DEPTH_DEFAULT;
}

static bool config_ok(const struct l7_table_config *cfg)
{
	if (!cfg || cfg->key_bytes == 0 || cfg->key_bytes > L7_TABLE_KEY_MAX_BYTES)
		return false;
	if (cfg->value_bytes > L7_TABLE_VALUE_MAX_BYTES)
		return false;
	if (cfg->slots_per_bucket != 4 && cfg->slots_per_bucket != 8)
		return false;
	if (cfg->mode != L7_TABLE_CONCURRENT && cfg->mode != L7_TABLE_SINGLE_THREADED)
		return false;
	if (cfg->max_depth > L7_TABLE_DEPTH_MAX)
		return false;
	/* 2^40 entries is far beyond any machine here; it keeps sizes in range */
	if (cfg->capacity == 0 || cfg->capacity > (1ull << 40))
		return false;
	return true;
}

static uint64_t bucket_count(const struct l7_table_config *cfg)
{
	uint64_t need = (cfg->capacity + cfg->slots_per_bucket - 1) / cfg->slots_per_bucket;
	uint64_t n = 2; /* two buckets at least, so every key has a second choice */
	while (n < need)
		n <<= 1;
	return n;
}

static uint32_t slot_words_of(const struct l7_table_config *cfg)
{
	return (cfg->key_bytes + 7u) / 8u + (cfg->value_bytes + 7u) / 8u + (cfg->ttl_ns ? 1u : 0u);
}

struct layout {
	size_t hdr_off, slots_off, total;
};

static struct layout layout_of(const struct l7_table_config *cfg)
{
	struct layout l;
	uint64_t nb = bucket_count(cfg);
	l.hdr_off = round_up(sizeof(struct l7_table), TB_ALIGN);
	l.slots_off = round_up(l.hdr_off + nb * sizeof(struct tb_bucket), TB_ALIGN);
	l.total = l.slots_off + nb * cfg->slots_per_bucket * slot_words_of(cfg) * 8u;
	return l;
}

size_t l7_table_memory_bytes(const struct l7_table_config *cfg)
{
	if (!config_ok(cfg))
		return 0;
	return layout_of(cfg).total;
}

int l7_table_create(const struct l7_table_config *cfg, struct l7_table **out)
{
	if (!out)
		return L7_EINVAL;
	*out = NULL;
	if (!config_ok(cfg))
		return L7_EINVAL;
	struct layout l = layout_of(cfg);
	size_t align = l.total >= TB_HUGE_BYTES ? TB_HUGE_ALIGN : TB_ALIGN;
	void *mem = NULL;
	if (posix_memalign(&mem, align, round_up(l.total, align)) != 0)
		return L7_ENOMEM;
#ifdef MADV_HUGEPAGE
	if (align == TB_HUGE_ALIGN)
		(void)madvise(mem, round_up(l.total, align), MADV_HUGEPAGE); /* a hint */
#endif
	memset(mem, 0, l.total);

	struct l7_table *t = mem;
	uint64_t nb = bucket_count(cfg);
	t->mem = mem;
	t->memory_bytes = l.total;
	t->buckets = (struct tb_bucket *)((char *)mem + l.hdr_off);
	t->slots = (uint64_t *)((char *)mem + l.slots_off);
	t->nbuckets = nb;
	t->bucket_mask = nb - 1;
	t->capacity = cfg->capacity;
	uint64_t st = cfg->seed;
	t->hash_k0 = splitmix64(&st);
	t->hash_k1 = splitmix64(&st);
	t->hash_k2 = splitmix64(&st);
	t->ttl_ns = cfg->ttl_ns;
	t->ttl_slack_ns = cfg->ttl_ns / 16u;
	t->spb = cfg->slots_per_bucket;
	t->tag_words = t->spb / 4u;
	t->key_bytes = cfg->key_bytes;
	t->value_bytes = cfg->value_bytes;
	t->key_words = (cfg->key_bytes + 7u) / 8u;
	t->value_words = (cfg->value_bytes + 7u) / 8u;
	t->slot_words = slot_words_of(cfg);
	t->exp_word = t->key_words + t->value_words;
	t->max_depth = cfg->max_depth ? cfg->max_depth : L7_TABLE_DEPTH_DEFAULT;
	t->conc = cfg->mode == L7_TABLE_CONCURRENT;
	if (t->key_bytes == 16 && t->value_bytes == 8 && t->ttl_ns == 0)
		t->kind = (uint8_t)(t->spb == 8 ? (t->conc ? TB_KIND_16_8_S8_CONC : TB_KIND_16_8_S8_ST)
		                                : (t->conc ? TB_KIND_16_8_S4_CONC : TB_KIND_16_8_S4_ST));
	else
		t->kind = TB_KIND_GENERIC;
	uint32_t bucket_lines = (t->spb * t->slot_words * 8u + 63u) / 64u;
	t->prefetch_slot_lines = l.total >= TB_PREFETCH_SLOTS_BYTES &&
	                                 bucket_lines <= TB_PREFETCH_SLOTS_MAX_LINES
	                             ? bucket_lines
	                             : 0;
	t->sh = (struct tb_shape){ t->key_bytes, t->key_words, t->value_bytes, t->value_words,
	                           t->tag_words, t->spb, t->slot_words };
	for (uint64_t b = 0; b < nb; b++)
		ck_spinlock_fas_init(&t->buckets[b].lock);
	/* other threads must receive t through a synchronising operation
	 * (pthread_create, a release store, a queue): that publishes the
	 * initialised table */
	*out = t;
	return 0;
}

void l7_table_destroy(struct l7_table *t)
{
	if (t)
		free(t->mem);
}

void l7_table_clear(struct l7_table *t)
{
	if (!t)
		return;
	memset(t->buckets, 0, t->nbuckets * sizeof(struct tb_bucket));
	memset(t->slots, 0, t->nbuckets * t->spb * t->slot_words * 8u);
	t->count = 0;
	t->sweep_bucket = 0;
}

/* Counter read: relaxed atomic in concurrent mode (writers may be adding). */
static uint64_t rd(const uint64_t *p, bool conc)
{
	return conc ? __atomic_load_n(p, __ATOMIC_RELAXED) : *p;
}

void l7_table_stats(const struct l7_table *t, struct l7_table_stats *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof(*out));
	if (!t)
		return;
	bool c = t->conc;
	out->entries = rd(&t->count, c);
	out->capacity = t->capacity;
	out->slots = t->nbuckets * t->spb;
	out->load_factor = (double)out->entries / (double)out->slots;
	out->memory_bytes = t->memory_bytes;
	out->inserts = rd(&t->ctr.inserts, c);
	out->updates = rd(&t->ctr.updates, c);
	out->deletes = rd(&t->ctr.deletes, c);
	out->expired = rd(&t->ctr.expired, c);
	out->cuckoo_moves = rd(&t->ctr.cuckoo_moves, c);
	out->failed_inserts = rd(&t->ctr.failed_inserts, c);
	out->full_rejects = rd(&t->ctr.full_rejects, c);
	out->insert_retries = rd(&t->ctr.insert_retries, c);
	out->lookup_retries = rd(&t->ctr.lookup_retries, c);
	for (uint32_t d = 0; d <= L7_TABLE_DEPTH_MAX; d++)
		out->depth_hist[d] = rd(&t->ctr.depth_hist[d], c);
}

uint64_t l7_table_count(const struct l7_table *t)
{
	return rd(&t->count, t->conc);
}

uint64_t l7_table_slots(const struct l7_table *t)
{
	return t->nbuckets * t->spb;
}

uint32_t l7_table_key_bytes(const struct l7_table *t)
{
	return t->key_bytes;
}

uint32_t l7_table_value_bytes(const struct l7_table *t)
{
	return t->value_bytes;
}

/*
 * Iteration: walk slots in index order. Each occupied slot is read inside a
 * version-validated section of its bucket, so the key, value and expiry
 * returned belong to one entry. Lock-free; weakly consistent (see header).
 */
int l7_table_next(struct l7_table *t, uint64_t *cursor, void *key_out,
                  void *value_out, l7_time_ns *expire_ns_out)
{
	if (!t || !cursor)
		return L7_EINVAL;
	uint64_t nslots = t->nbuckets * t->spb;
	bool c = t->conc;
	uint64_t kw[TB_KEY_WORDS_MAX];
	for (uint64_t i = *cursor; i < nslots; i++) {
		uint64_t b = i / t->spb;
		uint32_t s = (uint32_t)(i % t->spb);
		const struct tb_bucket *bk = &t->buckets[b];
		for (;;) {
			uint32_t v = c ? tb_read_begin(bk) : 0;
			if (v & 1u) {
				ck_pr_stall();
				continue;
			}
			if (tb_get_tag(t, b, s) == 0) {
				if (c && !tb_read_valid(bk, v))
					continue;
				break;
			}
			const uint64_t *slot = tb_slot(t, b, s);
			for (uint32_t w = 0; w < t->key_words; w++)
				kw[w] = tb_ld(&slot[w], c);
			if (value_out && t->value_bytes)
				tb_copy_value(t, slot, value_out, c);
			l7_time_ns exp = t->ttl_ns ? tb_ld_exp(&slot[t->exp_word], c) : 0;
			if (c && !tb_read_valid(bk, v))
				continue;
			if (key_out)
				memcpy(key_out, kw, t->key_bytes);
			if (expire_ns_out)
				*expire_ns_out = exp;
			*cursor = i + 1;
			return 0;
		}
	}
	*cursor = nslots;
	return L7_ENOENT;
}
