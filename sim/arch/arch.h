/*
 * arch.h — the interface every load-balancer architecture implements, and
 * the registry `run`, `compare` and `sweep` pick them from.
 *
 * The runner (arch/runner.h) builds the parts every architecture shares —
 * the engine, the packet pool, the workload, the client host and the
 * clients' links — and hands them over in a struct l7sim_world. The
 * architecture then builds its own nodes (front-end, switch, agents,
 * back-end servers) and wires them: it sets `world->lb_in` (where frames
 * from clients arrive) and sends frames for clients to `world->to_clients`.
 * At the end it reports what only it knows (CPU use, table occupancy,
 * fast-path bytes, drops) into the run summary.
 *
 * Invariants: an architecture draws randomness only from streams seeded
 * with world->seed (engine/rng.h) and the router's seed; it uses engine
 * event types L7SIM_EV_ARCH_FIRST..LAST (arch/frontend_cpu.h) only; and it
 * calls the library for every decision the library implements (parsing,
 * routing, splicing, table behaviour): the models add time, never a second
 * implementation (ARCHITECTURE.md §2).
 */
#ifndef L7SIM_ARCH_ARCH_H
#define L7SIM_ARCH_ARCH_H

#include <stddef.h>
#include <stdint.h>

#include "l7splice/route.h"
#include "config.h"
#include "engine/engine.h"
#include "models/workload.h"
#include "net/link.h"
#include "net/node.h"
#include "net/pktbuf.h"
#include "net/tcpep.h"
#include "report/series.h"
#include "report/summary.h"

/* The time-series columns every run records (--csv, plots). */
enum l7sim_std_col {
	L7SIM_COL_REQUESTS = 0,     /* SUM: responses completed */
	L7SIM_COL_GOODPUT_BPS,      /* RATE: response bits delivered to clients */
	L7SIM_COL_FE_BUSY_CORES,    /* FRACTION: front-end busy ns / bin = busy cores */
	L7SIM_COL_FAST_PATH_BYTES,  /* SUM: bytes that bypassed the front-end CPU */
	L7SIM_COL_TABLE_ENTRIES,    /* LAST: switch table entries */
	L7SIM_COL_INSERT_BACKLOG,   /* MAX: control-channel queue */
	L7SIM_COL_DROPS,            /* SUM */
	L7SIM_STD_COLS
};

struct l7sim_world {
	struct l7sim_engine *eng;
	struct l7sim_pktpool *pool;
	const struct l7sim_config *cfg;
	const struct l7sim_workload *wl;
	struct l7_router *router;          /* from cfg->router or the built-in routes */
	const struct l7sim_tcp_cfg *tcp;   /* for every simulated endpoint */
	uint64_t seed;
	struct l7sim_node *to_clients;     /* frames for clients go here */
	struct l7sim_node *lb_in;          /* set by the architecture */
	struct l7sim_series *series;       /* columns: enum l7sim_std_col */
	struct l7sim_pcap_tap *backend_tap; /* --pcap-out: tap back-end-facing links */
};

struct l7sim_arch {
	const char *name;
	const char *summary;
	/* Build and wire the architecture; NULL: not implemented yet. err gets
	 * one line ("what") on failure. */
	int (*create)(struct l7sim_world *w, void **state, char *err, size_t errlen);
	/* After the run: fill the fields only the architecture knows
	 * (frontend_cpu_util, table_*, insert_*, fast_path_bytes, total_bytes,
	 * drops, extra counters); duration_ns is already set. */
	void (*report)(void *state, const struct l7sim_world *w, struct l7sim_summary *s);
	void (*destroy)(void *state);
};

size_t l7sim_arch_count(void);
const struct l7sim_arch *l7sim_arch_at(size_t i);
/* NULL if no architecture has that name. */
const struct l7sim_arch *l7sim_arch_find(const char *name);

/* Built-in routes when the configuration has none: every request to the
 * cluster "backends" of backend.count servers 10.2.0.1.. (round robin) on
 * backend.port. Returns the JSON text (static buffer per call). */
int l7sim_default_routes(const struct l7sim_config *cfg, char *buf, size_t len);

/* A link's configuration from the config file's link parameters (every
 * architecture and the runner build their links this way). */
void l7sim_link_config_from(struct l7sim_link_config *lc, const struct l7sim_link_params *lp,
			    const char *name, uint16_t id, uint64_t seed);

struct l7sim_server_config;

/* A back-end server model's configuration from the config's backend.*
 * keys (defaults for the rest); every architecture builds its servers so. */
void l7sim_server_config_from(struct l7sim_server_config *sc, const struct l7sim_config *cfg,
			      uint64_t seed);

/* Endpoints over every cluster of the router (the back-ends a model builds). */
size_t l7sim_router_endpoints(const struct l7_router *r);

/* "10.2.0.1" / "fd00::1" to an l7_addr. L7_EINVAL. */
int l7sim_parse_addr(const char *s, struct l7_addr *out);

/* The architectures (one file each). */
extern const struct l7sim_arch l7sim_arch_software;

#endif
