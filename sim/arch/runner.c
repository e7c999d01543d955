/*
 * runner.c — build the shared world, let the architecture wire itself in,
 * run the engine to the end, and collect the summary (runner.h).
 *
 * Invariant: everything the run creates is released here, in reverse
 * order, on success and on every failure path; the summary's pointers go
 * only into the struct l7sim_run_out (never into freed run state).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arch/runner.h"
#include "engine/clock.h"
#include "models/server.h"
#include "net/link.h"

const struct l7sim_col l7sim_std_cols[L7SIM_STD_COLS] = {
	{ "requests", L7SIM_COL_SUM },
	{ "goodput_bps", L7SIM_COL_RATE },
	{ "fe_busy_cores", L7SIM_COL_FRACTION },
	{ "fast_path_bytes", L7SIM_COL_SUM },
	{ "table_entries", L7SIM_COL_LAST },
	{ "insert_backlog", L7SIM_COL_MAX },
	{ "drops", L7SIM_COL_SUM },
};

/* The series keeps at most this many bins (a 10 ms bin: ~2.8 hours). */
#define MAX_BINS 1000000u

int l7sim_build_router(const struct l7sim_config *cfg, struct l7_router **out, char *err,
		       size_t errlen)
{
	struct l7_router_options ro = { .seed = cfg->seed };
	char rerr[256];
	int rc;
	if (cfg->router) {
		rc = l7_router_load_json(cfg->router, "router", &ro, out, rerr, sizeof(rerr));
	} else {
		size_t len = 512 + 48 * (size_t)cfg->backend.count;
		char *text = malloc(len);
		if (!text)
			return L7_ENOMEM;
		rc = l7sim_default_routes(cfg, text, len);
		if (rc == 0)
			rc = l7_router_load_string(text, &ro, out, rerr, sizeof(rerr));
		else
			snprintf(rerr, sizeof(rerr), "built-in routes: %s", l7_strerror(rc));
		free(text);
	}
	if (rc < 0)
		snprintf(err, errlen, "%s", rerr);
	return rc;
}

struct sink_ctx {
	struct l7sim_run_out *out;
};

static void sink_record(void *ctx, const struct l7sim_req_sample *s)
{
	struct l7sim_run_out *o = ctx;
	l7sim_latency_hist_record(&o->lat, s);
	(void)l7sim_series_add(&o->series, s->last_byte_ns, L7SIM_COL_REQUESTS, 1);
	(void)l7sim_series_add(&o->series, s->last_byte_ns, L7SIM_COL_GOODPUT_BPS,
			       s->resp_bytes * 8);
}

struct progress_ctx {
	struct l7sim_progress_state st;
	l7_time_ns end_ns;
	const char *arch;
};

static void progress(const struct l7sim_engine *e, void *ctx)
{
	struct progress_ctx *p = ctx;
	struct l7sim_engine_stats s;
	char line[160];
	l7sim_engine_get_stats(e, &s);
	/* past the trace's end (responses and closes still running) there is
	 * no meaningful percent or ETA: show the simulated time only */
	l7sim_progress_format(line, sizeof(line), &s, 0, s.now_ns < p->end_ns ? p->end_ns : 0,
			      l7sim_wall_ns(), &p->st);
	fprintf(stderr, "\r%s: %s\033[K", p->arch, line);
}

void l7sim_link_config_from(struct l7sim_link_config *lc, const struct l7sim_link_params *lp,
			    const char *name, uint16_t id, uint64_t seed)
{
	memset(lc, 0, sizeof(*lc));
	lc->name = name;
	lc->id = id;
	lc->bandwidth_bps = (uint64_t)(lp->bandwidth_gbps * 1e9);
	lc->prop_delay_ns = lp->delay_ns;
	lc->queue_limit_bytes = lp->queue_bytes;
	lc->loss_prob = lp->loss;
	lc->seed = seed;
}

void l7sim_server_config_from(struct l7sim_server_config *sc, const struct l7sim_config *cfg,
			      uint64_t seed)
{
	l7sim_server_config_defaults(sc);
	sc->seed = seed;
	sc->max_conns = cfg->backend.max_conns;
	sc->workers = cfg->backend.workers;
	sc->service_fixed_ns = cfg->backend.service_fixed_ns;
	sc->service_ns_per_kib = cfg->backend.service_ns_per_kib;
}

static int copy_counters(struct l7sim_counters *dst, const struct l7sim_counters *src,
			 const struct l7sim_client_stats *cli, const struct l7sim_server_oracle *so)
{
	static const char *const cnames[] = {
		"client_conns_started", "client_conns_done", "client_conns_failed",
		"client_resets", "client_aborts", "client_incomplete",
		"client_resp_mismatch_bytes", "client_tuple_clash", "client_conns_queued",
		"client_queue_wait_ns", "client_resp_bytes", "client_tw_forgotten",
		"client_tuple_waits", "client_tuple_wait_ns", "client_tw_reused",
		/* the replay oracle's back-end side (models/server.h) */
		"server_legs_checked", "server_legs_unchecked", "server_legs_mismatch",
		"server_legs_whole", "server_legs_cut", "server_req_checked_bytes",
		"server_req_mismatch_bytes", "server_req_inserted_bytes", "server_req_unchecked_bytes",
		"server_conns_whole", "server_conns_no_head", "server_conns_not_http",
		"server_conns_empty", "server_conns_lost", "server_conns_no_route",
	};
	const uint64_t cv[] = {
		cli->conns_started, cli->conns_done, cli->conns_failed, cli->resets,
		cli->aborts, cli->incomplete, cli->resp_mismatch_bytes, cli->tuple_clash,
		cli->queued, cli->queue_wait_ns, cli->resp_bytes, cli->tw_forgotten,
		cli->tuple_waits, cli->tuple_wait_ns, cli->tw_reused,
		so->legs_checked, so->legs_unchecked, so->legs_mismatch, so->legs_whole,
		so->legs_cut, so->checked_bytes, so->mismatch_bytes, so->inserted_bytes,
		so->unchecked_bytes, so->conns_whole, so->conns_no_head, so->conns_not_http,
		so->conns_empty, so->conns_lost, so->conns_no_route,
	};
	uint32_t n = (src ? src->n : 0) + (uint32_t)(sizeof(cnames) / sizeof(cnames[0]));
	int rc = l7sim_counters_init(dst, n);
	if (rc < 0)
		return rc;
	for (uint32_t i = 0; src && i < src->n; i++) {
		/* arch counter names are static strings */
		int idx = l7sim_counters_add(dst, src->names[i]);
		if (idx >= 0)
			dst->v[idx] = src->v[i];
	}
	for (size_t i = 0; i < sizeof(cnames) / sizeof(cnames[0]); i++) {
		int idx = l7sim_counters_add(dst, cnames[i]);
		if (idx >= 0)
			dst->v[idx] = cv[i];
	}
	return 0;
}

struct world_parts {
	struct l7sim_engine *eng;
	struct l7sim_pktpool pool;
	int pool_ok;
	struct l7_router *router;
	struct l7sim_link c2l, l2c;
	int c2l_ok, l2c_ok;
	struct l7sim_client cli;
	int cli_ok;
	struct l7sim_pcap_tap tap_c, tap_b;
	int tap_c_ok, tap_b_ok;
	const struct l7sim_arch *a;
	void *state;
};

static int close_taps(struct world_parts *p, char *err, size_t errlen)
{
	int rc = 0;
	if (p->tap_c_ok && l7sim_pcap_tap_close(&p->tap_c) < 0) {
		snprintf(err, errlen, "client-side pcap: write failed");
		rc = L7_EIO;
	}
	if (p->tap_b_ok && l7sim_pcap_tap_close(&p->tap_b) < 0 && !rc) {
		snprintf(err, errlen, "back-end-side pcap: write failed");
		rc = L7_EIO;
	}
	p->tap_c_ok = p->tap_b_ok = 0;
	return rc;
}

static void teardown(struct world_parts *p)
{
	char ignore[64]; /* teardown after an error: the first error is what we report */
	if (p->state && p->a->destroy)
		p->a->destroy(p->state);
	if (p->cli_ok)
		l7sim_client_fini(&p->cli);
	if (p->c2l_ok)
		l7sim_link_fini(&p->c2l);
	if (p->l2c_ok)
		l7sim_link_fini(&p->l2c);
	(void)close_taps(p, ignore, sizeof(ignore));
	if (p->router)
		l7_router_destroy(p->router);
	if (p->pool_ok)
		l7sim_pktpool_fini(&p->pool);
	if (p->eng)
		l7sim_engine_destroy(p->eng);
}

static int open_tap(struct l7sim_pcap_tap *t, const char *dir, const char *arch,
		    const char *side, uint32_t linktype, char *err, size_t errlen)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s-%s.pcap", dir, arch, side);
	int rc = l7sim_pcap_tap_open(t, path, linktype);
	if (rc < 0)
		snprintf(err, errlen, "%s: cannot write: %s", path, l7_strerror(rc));
	return rc;
}

int l7sim_run(const struct l7sim_config *cfg, const struct l7sim_workload *wl,
	      const struct l7sim_arch *a, const struct l7sim_run_opts *opts,
	      struct l7sim_run_out *out, char *err, size_t errlen)
{
	struct world_parts p;
	struct l7sim_world w;
	struct l7sim_tcp_cfg tcp;
	struct l7sim_link_config lc;
	struct progress_ctx prog;
	struct l7sim_run_opts none = { NULL, 0 };
	int rc;

	memset(&p, 0, sizeof(p));
	memset(&w, 0, sizeof(w));
	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &none;
	if (!a->create) {
		snprintf(err, errlen, "architecture '%s' is not implemented yet", a->name);
		return L7_EUNSUPPORTED;
	}
	p.a = a;
	snprintf(out->arch, sizeof(out->arch), "%s", a->name);
	if ((rc = l7sim_latency_hist_init(&out->lat)) < 0 ||
	    (rc = l7sim_series_init(&out->series, 0, cfg->output.bin_ns, l7sim_std_cols,
				    L7SIM_STD_COLS, MAX_BINS)) < 0) {
		snprintf(err, errlen, "%s", l7_strerror(rc));
		l7sim_run_out_fini(out);
		return rc;
	}

	l7sim_tcp_cfg_defaults(&tcp);
	tcp.mss = (uint16_t)cfg->tcp.mss;
	tcp.rcv_buf_bytes = cfg->tcp.rcv_buf_bytes;
	tcp.init_cwnd_segs = cfg->tcp.init_cwnd_segs;
	tcp.rto_min_ns = cfg->tcp.rto_min_ns;
	tcp.delack_ns = cfg->tcp.delack_ns;
	tcp.sack_recovery = (uint8_t)cfg->tcp.sack_recovery;
	tcp.dsack = (uint8_t)cfg->tcp.dsack;
	tcp.undo = (uint8_t)cfg->tcp.undo;
	tcp.max_reordering = (uint16_t)cfg->tcp.max_reordering;

	memset(&prog, 0, sizeof(prog));
	prog.arch = a->name;
	prog.end_ns = cfg->sim.end_ns ? cfg->sim.end_ns :
		      (l7_time_ns)((double)wl->duration_ns / cfg->workload.speedup);
	prog.st.wall_start_ns = prog.st.wall_last_ns = l7sim_wall_ns();
	struct l7sim_engine_config ec = {
		.max_events = cfg->sim.max_events,
		.start_ns = 0,
		.timer_tick_ns = cfg->sim.timer_tick_ns,
		.progress_every = opts->progress ? 200000 : 0,
		.progress_fn = opts->progress ? progress : NULL,
		.progress_ctx = &prog,
	};
	if ((rc = l7sim_engine_create(&ec, &p.eng)) < 0)
		goto fail_rc;
	if ((rc = l7sim_net_register(p.eng)) < 0 || (rc = l7sim_models_register(p.eng)) < 0)
		goto fail_rc;
	if ((rc = l7sim_pktpool_init(&p.pool, cfg->sim.packets)) < 0)
		goto fail_rc;
	p.pool_ok = 1;
	if ((rc = l7sim_build_router(cfg, &p.router, err, errlen)) < 0)
		goto fail;

	if (opts->pcap_dir) {
		if ((rc = open_tap(&p.tap_c, opts->pcap_dir, a->name, "client", tcp.linktype, err,
				   errlen)) < 0)
			goto fail;
		p.tap_c_ok = 1;
		if ((rc = open_tap(&p.tap_b, opts->pcap_dir, a->name, "backend", tcp.linktype, err,
				   errlen)) < 0)
			goto fail;
		p.tap_b_ok = 1;
	}

	/* LB -> clients first: the architecture needs its input node */
	l7sim_link_config_from(&lc, &cfg->net.client, "link/lb-c", 2, cfg->seed);
	if ((rc = l7sim_link_init(&p.l2c, &lc, p.eng, &p.pool, &p.cli.node)) < 0)
		goto fail_rc;
	p.l2c_ok = 1;

	w.eng = p.eng;
	w.pool = &p.pool;
	w.cfg = cfg;
	w.wl = wl;
	w.router = p.router;
	w.tcp = &tcp;
	w.seed = cfg->seed;
	w.to_clients = &p.l2c.in;
	w.series = &out->series;
	w.backend_tap = p.tap_b_ok ? &p.tap_b : NULL;
	if ((rc = a->create(&w, &p.state, err, errlen)) < 0)
		goto fail;
	if (!w.lb_in) {
		snprintf(err, errlen, "architecture '%s' did not set its input", a->name);
		rc = L7_ESTATE;
		goto fail;
	}

	l7sim_link_config_from(&lc, &cfg->net.client, "link/c-lb", 1, cfg->seed);
	if ((rc = l7sim_link_init(&p.c2l, &lc, p.eng, &p.pool, w.lb_in)) < 0)
		goto fail_rc;
	p.c2l_ok = 1;
	if (p.tap_c_ok) {
		(void)l7sim_link_add_tap(&p.c2l, L7SIM_TAP_DELIVER, l7sim_pcap_tap_write, &p.tap_c);
		(void)l7sim_link_add_tap(&p.l2c, L7SIM_TAP_ENQUEUE, l7sim_pcap_tap_write, &p.tap_c);
	}

	struct l7sim_client_config cc;
	l7sim_client_config_defaults(&cc);
	cc.seed = cfg->seed;
	cc.max_conns = cfg->workload.max_conns;
	cc.multiply = cfg->workload.clients;
	cc.speedup = cfg->workload.speedup;
	cc.think_ns = cfg->workload.think_ns;
	cc.start_ns = 0;
	struct l7sim_metrics_sink sink = { sink_record, out };
	if ((rc = l7sim_client_init(&p.cli, &cc, p.eng, &p.pool, &tcp, &p.c2l.in, wl, &sink)) < 0)
		goto fail_rc;
	p.cli_ok = 1;
	if ((rc = l7sim_client_start(&p.cli)) < 0)
		goto fail_rc;

	rc = l7sim_engine_run(p.eng, cfg->sim.end_ns ? cfg->sim.end_ns : UINT64_MAX, 0);
	if (opts->progress)
		fprintf(stderr, "\r\033[K");
	if (rc < 0)
		goto fail_rc;

	l7sim_engine_get_stats(p.eng, &out->eng);
	out->end_ns = out->eng.now_ns;
	out->cli = p.cli.st;
	out->frames_emitted = p.pool.emitted;
	out->link_deliveries = p.pool.deliveries;
	/* the series ends with the last sample, not at end_ns: the run's end
	 * includes TIME_WAIT expiry, which would only add empty bins */

	struct l7sim_summary *s = &out->summary;
	s->arch = a->name;
	s->requests = out->lat.requests;
	s->client_bytes = out->lat.resp_bytes;
	if (out->lat.requests && out->lat.last_done_ns > out->lat.first_sent_ns)
		s->duration_ns = out->lat.last_done_ns - out->lat.first_sent_ns;
	s->latency = &out->lat.latency_ns;
	s->first_byte = &out->lat.ttfb_ns;
	s->drops = p.c2l.st.queue_drops + p.c2l.st.loss_drops + p.l2c.st.queue_drops +
		   p.l2c.st.loss_drops + p.pool.alloc_fail;
	if (a->report)
		a->report(p.state, &w, s);
	struct l7sim_server_oracle so; /* before destroy: the servers are still live */
	l7sim_server_oracle_sum(p.eng, p.router, &so);
	if ((rc = copy_counters(&out->counters, s->extra, &out->cli, &so)) < 0)
		goto fail_rc;
	/* the architecture's histogram dies with it: keep a copy */
	if (s->insert_delay) {
		const struct l7sim_hist *h = s->insert_delay;
		s->insert_delay = NULL;
		if ((rc = l7sim_hist_init(&out->insert_delay, h->sub_bits)) < 0 ||
		    (rc = l7sim_hist_merge(&out->insert_delay, h)) < 0)
			goto fail_rc;
		s->insert_delay = &out->insert_delay;
	}
	s->extra = &out->counters;
	if ((rc = close_taps(&p, err, errlen)) < 0)
		goto fail;
	teardown(&p);
	return 0;

fail_rc:
	snprintf(err, errlen, "%s", l7_strerror(rc));
fail:
	teardown(&p);
	l7sim_run_out_fini(out);
	return rc;
}

void l7sim_run_out_fini(struct l7sim_run_out *out)
{
	l7sim_latency_hist_fini(&out->lat);
	if (out->insert_delay.counts)
		l7sim_hist_fini(&out->insert_delay);
	l7sim_series_fini(&out->series);
	if (out->counters.names)
		l7sim_counters_fini(&out->counters);
	memset(out, 0, sizeof(*out));
}
