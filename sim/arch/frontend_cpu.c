/*
 * frontend_cpu.c — the front-end CPU model of frontend_cpu.h: per-core FIFO
 * queues, run-to-completion service, emitted packets held until the
 * service ends.
 *
 * Invariant: a core is either idle with an empty queue, or busy with a
 * CORE_DONE event pending; `cur` is non-NULL only inside process().
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/route.h"
#include "arch/frontend_cpu.h"

static void start(struct l7sim_fe_cpu *cpu, struct l7sim_fe_core *core, struct l7sim_pkt *p);

static void release_held(struct l7sim_fe_cpu *cpu, struct l7sim_fe_core *core)
{
	l7_time_ns now = l7sim_engine_now(cpu->eng);
	struct l7sim_pkt *p = core->held_head;
	core->held_head = core->held_tail = NULL;
	while (p) {
		struct l7sim_pkt *next = p->next;
		p->next = NULL;
		l7sim_node_send(cpu->outs[p->aux], p, now);
		p = next;
	}
}

static void next_job(struct l7sim_fe_cpu *cpu, struct l7sim_fe_core *core)
{
	core->busy = 0;
	if (core->q_head) {
		struct l7sim_pkt *p = core->q_head;
		core->q_head = p->next;
		if (!core->q_head)
			core->q_tail = NULL;
		core->qlen--;
		p->next = NULL;
		start(cpu, core, p);
	}
}

static void core_done(struct l7sim_engine *e, void *obj, uint64_t arg)
{
	struct l7sim_fe_core *core = obj;
	(void)e;
	(void)arg;
	release_held(core->cpu, core);
	next_job(core->cpu, core);
}

int l7sim_fe_cpu_register(struct l7sim_engine *e)
{
	return l7sim_engine_on(e, L7SIM_EV_FE_CORE_DONE, core_done);
}

static uint64_t byte_cost(const struct l7sim_fe_cpu *cpu, uint32_t bytes)
{
	return (uint64_t)llround(cpu->cfg.relay_byte_ns * (double)bytes);
}

static void start(struct l7sim_fe_cpu *cpu, struct l7sim_fe_core *core, struct l7sim_pkt *p)
{
	struct l7_pkt v;
	l7_time_ns now = l7sim_engine_now(cpu->eng);
	/* parsed once already at arrival: cannot fail now */
	(void)l7_pkt_parse(&v, p->data, p->len, cpu->cfg.linktype);
	/* the active span starts with the first service, before process()
	 * runs: anything process() sets off cannot start earlier */
	if (!cpu->st.services)
		cpu->st.first_start_ns = now;
	cpu->st.services++;
	core->busy = 1;
	cpu->cur = core;
	cpu->charge_ns = cpu->cfg.relay_pkt_ns + byte_cost(cpu, v.payload_len);
	cpu->st.packets_in++;
	cpu->st.bytes_in += v.payload_len;
	cpu->process(cpu->ctx, p, &v);
	cpu->cur = NULL;
	uint64_t ns = cpu->charge_ns;
	core->served++;
	if (l7sim_engine_after(cpu->eng, ns, L7SIM_EV_FE_CORE_DONE, core, 0, NULL) < 0) {
		/* no event slot: finish now rather than stall the core. The
		 * service took no simulated time, so it adds no busy time:
		 * busy time stays within cores x active span (counted) */
		cpu->st.unscheduled++;
		release_held(cpu, core);
		core->busy = 0;
		return;
	}
	/* each core's services run one after another inside [first start,
	 * last end], so busy_ns <= cores x that span: utilisation <= 1 */
	if (now + ns > cpu->st.last_end_ns)
		cpu->st.last_end_ns = now + ns;
	core->busy_ns += ns;
	cpu->st.busy_ns += ns;
	if (cpu->series && cpu->series_col >= 0)
		(void)l7sim_series_add(cpu->series, now, (uint32_t)cpu->series_col, ns);
}

uint32_t l7sim_fe_cpu_core_of(const struct l7sim_fe_cpu *cpu, const struct l7_pkt *v)
{
	struct l7_flow_key k;
	if (cpu->cfg.cores == 1)
		return 0;
	l7_flow_key_from_pkt(&k, v);
	(void)l7_flow_key_canon(&k);
	return (uint32_t)(l7_route_hash(&k, sizeof(k), cpu->cfg.seed) % cpu->cfg.cores);
}

/* l7sim_fe_cpu_core_of() through a small direct-mapped memo: the hash of
 * a whole flow key was the front-end's largest per-packet cost of its own
 * (about 250 instructions); a hit costs a key compare. The slot index only
 * spreads flows; any collision just recomputes. */
static uint32_t core_of_memo(struct l7sim_fe_cpu *cpu, const struct l7_pkt *v)
{
	struct l7_flow_key k;
	if (cpu->cfg.cores == 1 || !cpu->memo)
		return l7sim_fe_cpu_core_of(cpu, v);
	l7_flow_key_from_pkt(&k, v);
	(void)l7_flow_key_canon(&k);
	uint32_t a, b;
	memcpy(&a, k.src + 12, 4);
	memcpy(&b, k.dst + 12, 4);
	uint32_t ports = (uint32_t)k.sport[0] << 24 | (uint32_t)k.sport[1] << 16 |
			 (uint32_t)k.dport[0] << 8 | k.dport[1];
	uint32_t i = ((a ^ (b * 0x9e3779b1u) ^ (ports * 0x85ebca6bu)) * 0xc2b2ae35u) >> 22;
	struct l7sim_fe_rss_memo *m = &cpu->memo[i & (L7SIM_FE_RSS_MEMO - 1)];
	if (m->valid && !memcmp(&m->key, &k, sizeof(k)))
		return m->core;
	uint32_t core = (uint32_t)(l7_route_hash(&k, sizeof(k), cpu->cfg.seed) % cpu->cfg.cores);
	m->key = k;
	m->valid = 1;
	m->core = (uint16_t)core;
	return core;
}

static void cpu_rx(struct l7sim_node *self, struct l7sim_pkt *p, l7_time_ns now)
{
	struct l7sim_fe_cpu *cpu = (struct l7sim_fe_cpu *)self;
	struct l7_pkt v;
	(void)now;
	if (l7_pkt_parse(&v, p->data, p->len, cpu->cfg.linktype) != 0 ||
	    v.proto != L7_IPPROTO_TCP) {
		cpu->st.parse_drops++;
		l7sim_pkt_free(cpu->pool, p);
		return;
	}
	struct l7sim_fe_core *core = &cpu->core[core_of_memo(cpu, &v)];
	if (!core->busy) {
		start(cpu, core, p);
		return;
	}
	if (core->qlen >= cpu->cfg.queue_packets) {
		core->queue_drops++;
		cpu->st.queue_drops++;
		l7sim_pkt_free(cpu->pool, p);
		return;
	}
	p->next = NULL;
	if (core->q_tail)
		core->q_tail->next = p;
	else
		core->q_head = p;
	core->q_tail = p;
	core->qlen++;
	if (core->qlen > core->qlen_peak)
		core->qlen_peak = core->qlen;
}

int l7sim_fe_cpu_init(struct l7sim_fe_cpu *cpu, const struct l7sim_fe_cpu_config *cfg,
		      struct l7sim_engine *eng, struct l7sim_pktpool *pool, uint32_t max_outs,
		      l7sim_fe_process_fn process, void *ctx)
{
	memset(cpu, 0, sizeof(*cpu));
	if (!cfg || !cfg->cores || !cfg->queue_packets || !process || !max_outs ||
	    max_outs > L7SIM_FE_MAX_OUTS || !(cfg->relay_byte_ns >= 0))
		return L7_EINVAL;
	cpu->in.rx = cpu_rx;
	cpu->eng = eng;
	cpu->pool = pool;
	cpu->cfg = *cfg;
	cpu->process = process;
	cpu->ctx = ctx;
	cpu->series_col = -1;
	cpu->core = calloc(cfg->cores, sizeof(*cpu->core));
	cpu->outs = calloc(max_outs, sizeof(*cpu->outs));
	if (cfg->cores > 1 && cfg->cores <= UINT16_MAX)
		cpu->memo = calloc(L7SIM_FE_RSS_MEMO, sizeof(*cpu->memo));
	if (!cpu->core || !cpu->outs || (cfg->cores > 1 && cfg->cores <= UINT16_MAX && !cpu->memo)) {
		l7sim_fe_cpu_fini(cpu);
		return L7_ENOMEM;
	}
	cpu->cap_outs = max_outs;
	for (uint32_t i = 0; i < cfg->cores; i++)
		cpu->core[i].cpu = cpu;
	return 0;
}

static void free_list(struct l7sim_pktpool *pool, struct l7sim_pkt *p)
{
	while (p) {
		struct l7sim_pkt *next = p->next;
		l7sim_pkt_free(pool, p);
		p = next;
	}
}

void l7sim_fe_cpu_fini(struct l7sim_fe_cpu *cpu)
{
	if (cpu->core)
		for (uint32_t i = 0; i < cpu->cfg.cores; i++) {
			free_list(cpu->pool, cpu->core[i].q_head);
			free_list(cpu->pool, cpu->core[i].held_head);
		}
	free(cpu->core);
	free(cpu->outs);
	free(cpu->memo);
	cpu->core = NULL;
	cpu->outs = NULL;
	cpu->memo = NULL;
}

int l7sim_fe_cpu_add_out(struct l7sim_fe_cpu *cpu, struct l7sim_node *dst)
{
	if (cpu->n_outs >= cpu->cap_outs)
		return L7_EFULL;
	cpu->outs[cpu->n_outs] = dst;
	return (int)cpu->n_outs++;
}

void l7sim_fe_cpu_charge(struct l7sim_fe_cpu *cpu, uint64_t ns)
{
	if (cpu->cur)
		cpu->charge_ns += ns;
}

void l7sim_fe_cpu_emit(struct l7sim_fe_cpu *cpu, uint32_t out, struct l7sim_pkt *p)
{
	cpu->st.packets_out++;
	if (!cpu->cur) {
		l7sim_node_send(cpu->outs[out], p, l7sim_engine_now(cpu->eng));
		return;
	}
	struct l7sim_fe_core *core = cpu->cur;
	cpu->charge_ns += cpu->cfg.relay_pkt_ns;
	p->aux = out;
	p->next = NULL;
	if (core->held_tail)
		core->held_tail->next = p;
	else
		core->held_head = p;
	core->held_tail = p;
}

void l7sim_fe_util_add(struct l7sim_fe_util *u, const struct l7sim_fe_cpu *cpu)
{
	u->cores += cpu->cfg.cores;
	if (!cpu->st.busy_ns)
		return; /* idle: its cores count, it sets no span */
	u->busy_ns += cpu->st.busy_ns;
	if (!u->any || cpu->st.first_start_ns < u->first_start_ns)
		u->first_start_ns = cpu->st.first_start_ns;
	if (!u->any || cpu->st.last_end_ns > u->last_end_ns)
		u->last_end_ns = cpu->st.last_end_ns;
	u->any = 1;
}

double l7sim_fe_util_value(const struct l7sim_fe_util *u)
{
	if (!u->any || !u->cores || u->last_end_ns <= u->first_start_ns)
		return 0;
	return (double)u->busy_ns /
	       ((double)u->cores * (double)(u->last_end_ns - u->first_start_ns));
}

double l7sim_fe_cpu_util_active(const struct l7sim_fe_cpu *cpu)
{
	struct l7sim_fe_util u;
	memset(&u, 0, sizeof(u));
	l7sim_fe_util_add(&u, cpu);
	return l7sim_fe_util_value(&u);
}
