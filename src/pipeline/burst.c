/*
 * burst.c — step-major execution of a burst (l7_pipeline_process_burst),
 * as VPP runs a vector of packets through one graph node before the next:
 * each step of the program runs over every packet of the burst that
 * reaches it before the following step runs. A step's record, test kind,
 * table and action are decoded once per burst instead of once per packet;
 * a table's keys are computed for all its packets before any lookup (the
 * big exact tables hash all keys and prefetch every bucket first, then
 * every entry); an action runs primitive by primitive, each primitive a
 * tight loop over the packets with its operand kind resolved at compile.
 *
 * Where each packet is: wait[i] is the set (bit mask over the burst) of
 * packets whose next step is i and whose test at i is still to be
 * evaluated; pre[i] those a decision table already sent to step i with
 * its conditions known to hold. Steps only jump forward, so one sweep
 * over the steps in order completes every packet's pass.
 *
 * Invariants: the results, frames and statistics equal processing the
 * packets one by one in order (tested byte for byte). That holds only when
 * packets cannot see each other's effects inside a pass, so programs with
 * registers, sketches, Bloom filters or digests (pl->burst_ok == 0) are
 * processed one by one. What a packet's pass changes outside its PHV is
 * order-free within a burst: counters add up, a table entry's hit bit and
 * last-hit time get the same values from every packet of the burst. The
 * deparse, recirculation and CPU-path delivery run per packet in order.
 */
#include <stdlib.h>
#include <string.h>

#include "pl_internal.h"
#include "pass.h"

#define VB L7_PL_MAX_BURST
_Static_assert(VB <= 32, "burst masks are 32-bit");

struct vburst {
	unsigned stride;                 /* uint64 values per PHV row */
	struct pl_pass ps[VB];
	uint64_t key[VB];
	uint32_t idx[VB];
	uint64_t rows[];                 /* VB PHV rows of `stride` values each */
};

/* Packets an action or a table runs on: burst index, PHV row, and the
 * parameters of the action each runs (par == NULL in run_action_v: every
 * packet has the parameters `common`). */
struct vlist {
	unsigned n;
	uint8_t k[VB];
	uint64_t *x[VB];
	const uint64_t *par[VB];
};

#define ROW(vb, k) (&(vb)->rows[(size_t)(k) * (vb)->stride])

/* Compile the actions' primitives into their burst form (struct pl_vop). */
static void compile_vops(struct l7_pipeline *pl)
{
	for (unsigned i = 0; i < pl->n_actions; i++) {
		struct pl_action *a = &pl->action[i];
		for (unsigned k = 0; k < a->n_prims; k++) {
			const struct pl_uop *u = &a->uop[k];
			struct pl_vop *v = &a->vop[k];
			memset(v, 0, sizeof(*v));
			v->k = (uint8_t)k;
			v->kind = PL_VK_GEN;
			v->dst = u->dst;
			v->a = u->a;
			int set = u->op == L7_PL_OP_SET && u->dst < PL_R_PARAM;
			int fwd = u->op == L7_PL_OP_FORWARD;
			if (set || fwd) {
				uint64_t m = set ? pl->fmask[u->dst] : 0x1ff;
				v->c = m;
				if (u->a < PL_R_PARAM) {
					v->kind = set ? PL_VK_SET_F : PL_VK_FWD_F;
				} else if (u->a < PL_R_CONST) {
					v->kind = set ? PL_VK_SET_P : PL_VK_FWD_P;
					v->a = (uint16_t)(u->a - PL_R_PARAM);
				} else {
					v->kind = set ? PL_VK_SET_C : PL_VK_FWD_C;
					v->c = pl->phv[u->a] & m;
				}
			} else if (u->op == L7_PL_OP_HASH && u->alg == L7_PL_HASH_CRC8 &&
				   u->dst < PL_R_PARAM) {
				v->kind = PL_VK_CRC8;
				v->c = pl->fmask[u->dst];
			}
		}
	}
}

int pl_burst_prepare(struct l7_pipeline *pl)
{
	compile_vops(pl);
	free(pl->burst);
	unsigned stride = (pl->n_fields + 7u) & ~7u; /* rows start on a cache line */
	size_t bytes = sizeof(struct vburst) + (size_t)VB * stride * sizeof(uint64_t);
	struct vburst *vb = aligned_alloc(64, (bytes + 63) & ~(size_t)63);
	if (!vb)
		return L7_ENOMEM;
	memset(vb, 0, bytes);
	vb->stride = stride;
	pl->burst = vb;
	return 0;
}

/* ------------------------------------------------------------ actions */

/* An operand of a general primitive: a field of x, a parameter, an immediate. */
static inline uint64_t opnd(const struct l7_pipeline *pl, const uint64_t *x, const uint64_t *par,
			    uint16_t i)
{
	return i < PL_R_PARAM ? x[i] : i < PL_R_CONST ? par[i - PL_R_PARAM] : pl->phv[i];
}

/* One primitive of one packet, any kind a burst program may hold (no
 * registers, sketches, Bloom filters or digests). */
static void gen_one(const struct l7_pipeline *pl, uint64_t *x, const uint64_t *par,
		    struct pl_pass *ps, const struct pl_uop *u, struct l7_pl_result *res)
{
	uint64_t v;
	switch (u->op) {
	case L7_PL_OP_SET: v = opnd(pl, x, par, u->a); break;
	case L7_PL_OP_ADD: v = opnd(pl, x, par, u->a) + opnd(pl, x, par, u->b); break;
	case L7_PL_OP_SUB: v = opnd(pl, x, par, u->a) - opnd(pl, x, par, u->b); break;
	case L7_PL_OP_AND: v = opnd(pl, x, par, u->a) & opnd(pl, x, par, u->b); break;
	case L7_PL_OP_OR: v = opnd(pl, x, par, u->a) | opnd(pl, x, par, u->b); break;
	case L7_PL_OP_XOR: v = opnd(pl, x, par, u->a) ^ opnd(pl, x, par, u->b); break;
	case L7_PL_OP_HASH: v = pl_hash_fields(pl, u, x); break;
	case L7_PL_OP_FORWARD:
		ps->egress = (uint16_t)(opnd(pl, x, par, u->a) & 0x1ff);
		ps->egress_set = 1;
		ps->drop = 0;
		return;
	case L7_PL_OP_DROP: ps->drop = 1; return;
	case L7_PL_OP_TO_CPU: ps->to_cpu = 1; return;
	case L7_PL_OP_RECIRCULATE: ps->recirc = 1; return;
	case L7_PL_OP_MIRROR:
		if (res->n_mirror < L7_PL_MAX_MIRRORS)
			res->mirror_port[res->n_mirror++] = (uint16_t)(opnd(pl, x, par, u->a) & 0x1ff);
		return;
	case L7_PL_OP_TCP_OPTS: ps->opts_blob = u->obj; return;
	default: return;
	}
	if (u->dst != PL_R_NONE && u->dst < PL_R_PARAM)
		x[u->dst] = v & pl->fmask[u->dst];
}

static inline void set_egress(struct pl_pass *ps, uint64_t port)
{
	ps->egress = (uint16_t)port;
	ps->egress_set = 1;
	ps->drop = 0;
}

/* Run action aid for the packets of L, primitive by primitive: each packet
 * still sees its primitives in order. With common != NULL every packet has
 * those parameters (a step's action), so a parameter is a constant here. */
static void run_action_v(const struct l7_pipeline *pl, struct vburst *vb, int aid,
			 const struct vlist *L, const uint64_t *common, struct l7_pl_result *res)
{
	const struct pl_action *a = &pl->action[aid];
	const unsigned n = L->n;
	uint64_t *const *xs = L->x;
	for (unsigned p = 0; p < a->n_prims; p++) {
		const struct pl_vop *v = &a->vop[p];
		uint64_t c = v->c;
		const uint16_t d = v->dst, s = v->a;
		unsigned kind = v->kind;
		if (common && (kind == PL_VK_SET_P || kind == PL_VK_FWD_P)) {
			c &= common[s];
			kind = kind == PL_VK_SET_P ? PL_VK_SET_C : PL_VK_FWD_C;
		}
		switch (kind) {
		case PL_VK_SET_F:
			for (unsigned j = 0; j < n; j++)
				xs[j][d] = xs[j][s] & c;
			break;
		case PL_VK_SET_P:
			for (unsigned j = 0; j < n; j++)
				xs[j][d] = L->par[j][s] & c;
			break;
		case PL_VK_SET_C:
			for (unsigned j = 0; j < n; j++)
				xs[j][d] = c;
			break;
		case PL_VK_FWD_F:
			for (unsigned j = 0; j < n; j++)
				set_egress(&vb->ps[L->k[j]], xs[j][s] & c);
			break;
		case PL_VK_FWD_P:
			for (unsigned j = 0; j < n; j++)
				set_egress(&vb->ps[L->k[j]], L->par[j][s] & c);
			break;
		case PL_VK_FWD_C:
			for (unsigned j = 0; j < n; j++)
				set_egress(&vb->ps[L->k[j]], c);
			break;
		case PL_VK_CRC8: {
			const struct pl_uop *u = &a->uop[v->k];
			for (unsigned j = 0; j < n; j++)
				xs[j][d] = pl_crc8_fields(pl->crc8, u, xs[j]) & c;
			break;
		}
		default:
			for (unsigned j = 0; j < n; j++)
				gen_one(pl, xs[j], common ? common : L->par[j], &vb->ps[L->k[j]],
					&a->uop[v->k], &res[L->k[j]]);
			break;
		}
	}
}

/* ------------------------------------------------------------ tables */

/*
 * Apply the table of step h to the packets of L: keys and lookups first
 * (one batch for a big exact table), then each action once over the
 * packets that run it.
 */
static void run_table_v(struct l7_pipeline *pl, struct vburst *vb, const struct pl_hop *h,
			const struct vlist *L, l7_time_ns now_ns, struct l7_pl_result *res)
{
	const int tid = h->obj;
	struct pl_table *t = &pl->table[tid];
	const uint64_t tbit = 1ull << tid;
	const unsigned n = L->n;
	uint32_t *idx = vb->idx;
	uint64_t *key = vb->key;
	/* keys, with the key layout's switch out of the loop */
	if (h->key_n == 1) {
		const uint16_t f0 = h->key_field[0];
		const uint8_t s0 = h->key_shift[0];
		for (unsigned j = 0; j < n; j++)
			key[j] = L->x[j][f0] << s0;
	} else if (h->key_n == 2) {
		const uint16_t f0 = h->key_field[0], f1 = h->key_field[1];
		const uint8_t s0 = h->key_shift[0], s1 = h->key_shift[1];
		for (unsigned j = 0; j < n; j++)
			key[j] = L->x[j][f0] << s0 | L->x[j][f1] << s1;
	} else {
		for (unsigned j = 0; j < n; j++)
			key[j] = pl_hop_key(L->x[j], h);
	}
	switch (h->body == PL_HB_BIG ? 3 : h->lk) {
	case 3:
		pl_exact_lookup_batch(t, key, n, idx);
		for (unsigned j = 0; j < n; j++)
			if (idx[j] != PL_NIL)
				__builtin_prefetch(&t->e[idx[j]]);
		break;
	case PL_LK_DIRECT:
		for (unsigned j = 0; j < n; j++)
			idx[j] = t->direct[key[j]] - 1;
		break;
	case PL_LK_EXACT:
		for (unsigned j = 0; j < n; j++)
			idx[j] = pl_exact_probe(t, key[j]);
		break;
	default:
		for (unsigned j = 0; j < n; j++)
			idx[j] = pl_table_lookup(t, key[j]);
		break;
	}
	/* the action and parameters of each packet; `run` keeps, in place,
	 * the packets that run an action (hit, or a miss with a default) */
	const int dflt = t->def.default_action;
	const int idle = t->def.idle_timeout_ns != 0;
	int16_t act[VB];
	struct vlist A; /* the packets of L that run an action */
	unsigned hits = 0, m = 0;
	int first = -1, mixed = 0;
	for (unsigned j = 0; j < n; j++) {
		struct pl_pass *ps = &vb->ps[L->k[j]];
		uint32_t i = idx[j];
		int a;
		ps->applied |= tbit;
		if (i != PL_NIL) {
			struct pl_entry *e = &t->e[i];
			ps->hit |= tbit;
			hits++;
			if (!e->hit)
				e->hit = 1;
			if (idle) {
				t->ec[i].last_hit_ns = now_ns;
				t->ec[i].notified = 0;
			}
			a = e->action;
			A.par[m] = e->params;
		} else {
			a = dflt;
			A.par[m] = t->def.default_params;
		}
		if (a < 0)
			continue;
		if (first < 0)
			first = a;
		mixed |= a != first;
		act[m] = (int16_t)a;
		A.k[m] = L->k[j];
		A.x[m] = L->x[j];
		m++;
	}
	pl->st.table_hits[tid] += hits;
	pl->st.table_misses[tid] += n - hits;
	A.n = m;
	if (!mixed) {
		if (m)
			run_action_v(pl, vb, first, &A, NULL, res);
		return;
	}
	/* several actions: each once over the packets that run it, in order */
	uint8_t done[VB] = { 0 };
	for (unsigned j0 = 0; j0 < m; j0++) {
		if (done[j0])
			continue;
		struct vlist S;
		S.n = 0;
		for (unsigned j = j0; j < m; j++)
			if (!done[j] && act[j] == act[j0]) {
				done[j] = 1;
				S.k[S.n] = A.k[j];
				S.x[S.n] = A.x[j];
				S.par[S.n++] = A.par[j];
			}
		run_action_v(pl, vb, act[j0], &S, NULL, res);
	}
}

/* ------------------------------------------------------------ control flow */

/* The packets of w (waiting at step i) whose test at step i holds; the
 * others are moved to where the test sends them. */
static uint32_t test_v(const struct l7_pipeline *pl, struct vburst *vb, const struct pl_hop *h,
		       unsigned i, uint32_t w, uint32_t *wait, uint32_t *pre)
{
	uint32_t pass = 0;
	switch (h->test) {
	case PL_HT_MASKED: {
		if (!h->mask) { /* a step without conditions, or a constant test */
			if ((h->value == 0) != h->neg)
				return w;
			wait[h->fail] |= w;
			return 0;
		}
		const uint16_t f = h->field;
		const uint64_t mask = h->mask, val = h->value;
		const int neg = h->neg;
		for (uint32_t b = w; b; b &= b - 1) {
			unsigned k = (unsigned)__builtin_ctz(b);
			if (((ROW(vb, k)[f] & mask) == val) != neg)
				pass |= 1u << k;
		}
		wait[h->fail] |= w & ~pass;
		return pass;
	}
	case PL_HT_CHAIN: {
		/* a decision table picks each packet's taken step of the chain */
		const struct pl_chain *ch = &pl->chains[h->chain];
		uint32_t ci[VB];
		uint8_t ks[VB];
		unsigned m = 0;
		for (uint32_t b = w; b; b &= b - 1)
			ks[m++] = (uint8_t)__builtin_ctz(b);
		if (ch->all_contig) {
			/* the layout copied to locals first: the byte-typed arrays
			 * of the chain would otherwise be reloaded after every store */
			const unsigned nf = ch->n_fields, nw = ch->n_whole;
			uint16_t fld[PL_CHAIN_FIELDS];
			uint8_t sh[PL_CHAIN_FIELDS], osh[PL_CHAIN_FIELDS];
			uint64_t low[PL_CHAIN_FIELDS];
			for (unsigned f = 0; f < nf; f++) {
				fld[f] = ch->field[f];
				sh[f] = ch->shift[f];
				osh[f] = ch->oshift[f];
				low[f] = ch->low[f];
			}
			for (unsigned j = 0; j < m; j++) {
				const uint64_t *x = ROW(vb, ks[j]);
				uint32_t v = 0;
				unsigned f = 0;
				for (; f < nw; f++)
					v |= (uint32_t)x[fld[f]] << osh[f];
				for (; f < nf; f++)
					v |= (uint32_t)((x[fld[f]] >> sh[f]) & low[f]) << osh[f];
				ci[j] = v;
			}
		} else {
			for (unsigned j = 0; j < m; j++)
				ci[j] = pl_chain_index(ch, ROW(vb, ks[j]));
		}
		for (unsigned j = 0; j < m; j++) {
			unsigned k = ks[j];
			unsigned t = ch->table[ci[j]];
			if (t == i)
				pass |= 1u << k;
			else if (t >= ch->end)
				wait[ch->end] |= 1u << k;
			else
				pre[t] |= 1u << k;
		}
		return pass;
	}
	default: {
		const struct pl_cstep *s = &pl->cstep[i];
		for (uint32_t b = w; b; b &= b - 1) {
			unsigned k = (unsigned)__builtin_ctz(b);
			const uint64_t *x = ROW(vb, k);
			const struct pl_pass *ps = &vb->ps[k];
			if (!pl_cond_holds(x, ps, &s->cond[0])) {
				wait[s->fail_next] |= 1u << k;
				continue;
			}
			unsigned c = 1;
			while (c < s->n_cond && pl_cond_holds(x, ps, &s->cond[c]))
				c++;
			if (c < s->n_cond)
				wait[i + 1] |= 1u << k;
			else
				pass |= 1u << k;
		}
		return pass;
	}
	}
}

/* The first pass of the packets in `live`, step by step. */
static void run_pass_v(struct l7_pipeline *pl, struct vburst *vb, uint32_t live,
		       l7_time_ns now_ns, struct l7_pl_result *res)
{
	const unsigned n = pl->n_steps;
	uint32_t wait[L7_PL_MAX_STEPS + 1], pre[L7_PL_MAX_STEPS + 1];
	memset(wait, 0, sizeof(uint32_t) * (n + 1));
	memset(pre, 0, sizeof(uint32_t) * (n + 1));
	wait[0] = live;
	struct vlist L;
	uint32_t L_mask = 0;
	L.n = 0;
	for (unsigned i = 0; i < n; i++) {
		uint32_t w = wait[i], take = pre[i];
		if (!(w | take))
			continue;
		const struct pl_hop *h = &pl->hop[i];
		if (w)
			take |= test_v(pl, vb, h, i, w, wait, pre);
		if (!take)
			continue;
		wait[h->next] |= take;
		if (h->body == PL_HB_NONE)
			continue;
		if (take != L_mask) { /* runs of steps taken by the same packets share it */
			L.n = 0;
			for (uint32_t b = take; b; b &= b - 1) {
				unsigned k = (unsigned)__builtin_ctz(b);
				L.k[L.n] = (uint8_t)k;
				L.x[L.n++] = ROW(vb, k);
			}
			L_mask = take;
		}
		if (h->body == PL_HB_ACTION)
			run_action_v(pl, vb, h->obj, &L, h->params, res);
		else
			run_table_v(pl, vb, h, &L, now_ns, res);
	}
}

/* ------------------------------------------------------------ process */

int l7_pipeline_process_burst(struct l7_pipeline *pl, uint8_t *const frames[],
			      const uint32_t lens[], const uint32_t caps[],
			      const uint16_t ports[], unsigned n, l7_time_ns now_ns,
			      struct l7_pl_result res[])
{
	if (!pl || (n && (!frames || !lens || !caps || !ports || !res)))
		return L7_EINVAL;
	if (!pl->compiled)
		return L7_ESTATE;
	for (unsigned k = 0; k < n; k++)
		if (!frames[k] || caps[k] < lens[k])
			return L7_EINVAL;
	if (!pl->burst_ok) {
		for (unsigned k = 0; k < n; k++)
			l7_pipeline_process(pl, frames[k], lens[k], caps[k], ports[k], now_ns, &res[k]);
		return 0;
	}
	struct vburst *vb = pl->burst;
	for (unsigned base = 0; base < n; base += VB) {
		unsigned m = n - base < VB ? n - base : VB;
		struct l7_pl_result *r = &res[base];
		for (unsigned k = 0; k < m; k++) {
			memset(&r[k], 0, sizeof(r[k]));
			pl->st.packets++;
			pl_pass_begin(pl, &vb->ps[k], ROW(vb, k), frames[base + k], lens[base + k],
				      ports[base + k], &r[k]);
		}
		run_pass_v(pl, vb, m == 32 ? 0xffffffffu : (1u << m) - 1, now_ns, r);
		for (unsigned k = 0; k < m; k++) {
			uint32_t len = lens[base + k];
			uint8_t *fr = frames[base + k];
			if (pl_pass_end(pl, &vb->ps[k], ROW(vb, k), fr, &len, caps[base + k], &r[k]))
				pl_more_passes(pl, &vb->ps[k], fr, &len, caps[base + k], now_ns, &r[k]);
			pl_finish(pl, &vb->ps[k], len, ports[base + k], now_ns, &r[k]);
		}
	}
	return 0;
}
