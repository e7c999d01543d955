/*
 * config.h — l7sim's run configuration: one struct with every knob of a
 * simulated run, its defaults, a JSON loader and `key.path=value` overrides
 * (for `--set` and the sweep). docs/config.md "Simulator configuration"
 * lists every key with its default, unit and source; that table and the
 * key table in config.c are the same list.
 *
 * Invariants: a load either succeeds completely or leaves one line in err
 * ("FILE: json.path: what") and the struct as it was — no half-loaded
 * configuration; unknown keys and out-of-range values are errors naming
 * their JSON path; the result depends only on the input text.
 */
#ifndef L7SIM_CONFIG_H
#define L7SIM_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "l7splice/common.h"

#define L7SIM_ARCH_NAME_MAX 32
/* An "auto" key (written "auto" in JSON and --set): derived from others. */
#define L7SIM_CFG_AUTO UINT64_MAX

struct l7sim_link_params {
	double bandwidth_gbps;       /* 0 = infinitely fast */
	uint64_t delay_ns;           /* one-way propagation */
	uint64_t queue_bytes;        /* transmit queue limit, 0 = unlimited */
	double loss;                 /* drop probability per frame */
};

struct l7sim_config {
	uint64_t seed;
	char arch[L7SIM_ARCH_NAME_MAX];

	struct {
		double speedup;          /* trace time / speedup */
		uint32_t clients;        /* --clients xN: instances per connection */
		uint32_t max_conns;      /* concurrent client connections */
		uint64_t think_ns;
	} workload;

	struct {
		uint64_t end_ns;         /* 0: run until the workload is done */
		uint32_t max_events;     /* pending events */
		uint32_t packets;        /* packet-buffer pool */
		uint64_t timer_tick_ns;
	} sim;

	struct {
		struct l7sim_link_params client; /* clients <-> load balancer */
		struct l7sim_link_params server; /* load balancer <-> back-ends */
	} net;

	struct {
		uint32_t cores;
		uint32_t queue_packets;      /* per-core queue limit */
		uint64_t relay_pkt_ns;       /* per packet handled (in or out) */
		double relay_byte_ns;        /* per payload byte relayed */
		uint64_t parse_route_ns;     /* per request head */
		uint64_t conn_setup_ns;      /* per client connection (accept + connect) */
		uint64_t teardown_ns;        /* per connection closed */
		uint32_t max_conns;
		uint32_t head_buffers;       /* request heads being parsed at once */
		uint32_t max_head_bytes;
	} frontend;

	struct {
		uint32_t count;              /* back-end servers */
		uint32_t workers;
		uint64_t service_fixed_ns;
		uint64_t service_ns_per_kib;
		uint32_t max_conns;
		uint16_t port;
	} backend;

	struct {
		uint32_t mss;
		uint32_t rcv_buf_bytes;
		uint32_t init_cwnd_segs;
		uint64_t rto_min_ns;
		uint64_t delack_ns;
		uint32_t sack_recovery;      /* 0/1: l7sim_tcp_cfg.sack_recovery */
		uint32_t dsack;              /* 0/1 */
		uint32_t undo;               /* 0/1 */
		uint32_t max_reordering;     /* segments */
	} tcp;

	struct {
		uint64_t bin_ns;             /* time-series bin */
	} output;

	/* Miresga and switch-only (sim/arch/miresga.h has the meaning and
	 * source of each); L7SIM_CFG_AUTO: derived from frontend.* */
	struct {
		uint32_t frontends;
		uint32_t table_entries;
		uint64_t tick_ns;
		uint32_t batch_adds, batch_dels;
		double ctl_entries_per_s;
		uint64_t ctl_batch_fixed_ns;
		uint64_t ctl_latency_ns;
		uint64_t pass_latency_ns;
		uint64_t handoff_ns;
		uint32_t agent_records;
		uint64_t offload_min_bytes;
		uint64_t fe_setup_ns;        /* AUTO: 2 x frontend.relay_pkt_ns */
		double fe_relay_byte_ns;
		uint64_t fe_relay_pkt_ns;    /* AUTO: frontend.relay_pkt_ns */
		uint32_t xff;                /* 0/1 */
		uint32_t resplice;           /* 0/1 */
	} miresga;

	json_t *router;                  /* Envoy-style routes (owned), NULL = default */
};

/* Every key at its documented default (router NULL: the built-in routes). */
void l7sim_config_defaults(struct l7sim_config *c);
/* Release what the config owns (the router JSON). */
void l7sim_config_fini(struct l7sim_config *c);
/* Deep copy (router JSON included). L7_ENOMEM. */
int l7sim_config_copy(struct l7sim_config *dst, const struct l7sim_config *src);

/*
 * Apply a JSON document on top of *c (keys absent keep their value).
 * name is the file name used in messages. On error returns L7_ECONFIG (or
 * L7_EIO when the file cannot be read) with "NAME: path: what" or
 * "NAME:LINE:COL: what" in err, and *c unchanged.
 */
int l7sim_config_load_file(struct l7sim_config *c, const char *path, char *err, size_t errlen);
int l7sim_config_load_string(struct l7sim_config *c, const char *text, const char *name,
			     char *err, size_t errlen);

/*
 * One override: key is a dotted path ("frontend.cores"), value its text
 * ("4", "0.5", "software"). Same checks as the JSON loader; err gets
 * "key: what". The router cannot be set this way.
 */
int l7sim_config_set(struct l7sim_config *c, const char *key, const char *value, char *err,
		     size_t errlen);

/* The configuration as JSON (every key, router included when set): what a
 * run used, for the --json summary. NULL if out of memory. */
json_t *l7sim_config_json(const struct l7sim_config *c);

/* The key table, for docs and `l7sim run --print-keys`. */
struct l7sim_config_key {
	const char *path;
	const char *type;      /* "integer", "number", "string" */
	const char *unit;
	const char *doc;
};
size_t l7sim_config_key_count(void);
const struct l7sim_config_key *l7sim_config_key_at(size_t i);

#endif
