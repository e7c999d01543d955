/*
 * config.c — l7sim's configuration: one table of keys (path, type, range,
 * default, unit, source) drives the defaults, the JSON loader, `--set`
 * overrides and the JSON dump, so they cannot disagree.
 *
 * Invariants: loading works on a copy and commits only on success; keys are
 * visited in document order (jansson keeps insertion order), so the error
 * reported for a bad file is always the first bad key; defaults are applied
 * by parsing the table's default text with the same code as user values.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/route.h"
#include "config.h"

/* K_U64_AUTO: a K_U64 that also takes the string "auto" (stored as
 * L7SIM_CFG_AUTO, the value derived from other keys at run time). */
enum kind { K_U64, K_U32, K_U16, K_F64, K_ARCH, K_U64_AUTO };

struct key {
	struct l7sim_config_key pub;
	enum kind kind;
	size_t off;
	double min, max;
	const char *def;
};

#define OFF(f) offsetof(struct l7sim_config, f)
#define U64MAX 1.9e19

/*
 * Sources of the defaults are in docs/config.md; the short form is in the
 * doc strings here. Front-end costs: docs/models.md "Software LB".
 */
static const struct key keys[] = {
	{ { "seed", "integer", "", "seed of every RNG stream of the run" }, K_U64, OFF(seed), 0, U64MAX, "1" },
	{ { "arch", "string", "", "architecture for `run` (l7sim compare runs all)" }, K_ARCH, OFF(arch), 0, 0, "software" },
	{ { "workload.speedup", "number", "x", "trace time is divided by this" }, K_F64, OFF(workload.speedup), 1e-6, 1e9, "1" },
	{ { "workload.clients", "integer", "x", "instances of each trace connection (--clients xN)" }, K_U32, OFF(workload.clients), 1, 1e6, "1" },
	{ { "workload.max_conns", "integer", "connections", "concurrent client connections" }, K_U32, OFF(workload.max_conns), 1, 1e8, "65536" },
	{ { "workload.think_ns", "integer", "ns", "extra client pause after a response" }, K_U64, OFF(workload.think_ns), 0, U64MAX, "0" },
	{ { "sim.end_ns", "integer", "ns", "stop at this simulated time (0: when the workload is done)" }, K_U64, OFF(sim.end_ns), 0, U64MAX, "0" },
	{ { "sim.max_events", "integer", "events", "pending-event capacity" }, K_U32, OFF(sim.max_events), 1024, 16777215, "1048576" },
	{ { "sim.packets", "integer", "buffers", "packet-buffer pool (2 KiB each)" }, K_U32, OFF(sim.packets), 64, 1e8, "32768" },
	{ { "sim.timer_tick_ns", "integer", "ns", "timing-wheel tick" }, K_U64, OFF(sim.timer_tick_ns), 1, 1e9, "1000" },
	{ { "net.client.bandwidth_gbps", "number", "Gbit/s", "clients <-> LB link, each direction (0: infinite)" }, K_F64, OFF(net.client.bandwidth_gbps), 0, 1e6, "100" },
	{ { "net.client.delay_ns", "integer", "ns", "clients <-> LB one-way propagation" }, K_U64, OFF(net.client.delay_ns), 0, 1e12, "5000" },
	{ { "net.client.queue_bytes", "integer", "bytes", "clients <-> LB transmit queue (0: unlimited)" }, K_U64, OFF(net.client.queue_bytes), 0, U64MAX, "4194304" },
	{ { "net.client.loss", "number", "probability", "clients <-> LB frame loss" }, K_F64, OFF(net.client.loss), 0, 1, "0" },
	{ { "net.server.bandwidth_gbps", "number", "Gbit/s", "LB <-> back-ends link, each direction (0: infinite)" }, K_F64, OFF(net.server.bandwidth_gbps), 0, 1e6, "100" },
	{ { "net.server.delay_ns", "integer", "ns", "LB <-> back-ends one-way propagation" }, K_U64, OFF(net.server.delay_ns), 0, 1e12, "2000" },
	{ { "net.server.queue_bytes", "integer", "bytes", "LB <-> back-ends transmit queue (0: unlimited)" }, K_U64, OFF(net.server.queue_bytes), 0, U64MAX, "4194304" },
	{ { "net.server.loss", "number", "probability", "LB <-> back-ends frame loss" }, K_F64, OFF(net.server.loss), 0, 1, "0" },
	{ { "frontend.cores", "integer", "cores", "front-end CPU cores (RSS by 4-tuple)" }, K_U32, OFF(frontend.cores), 1, 4096, "8" },
	{ { "frontend.queue_packets", "integer", "packets", "per-core queue limit; beyond it a packet is dropped" }, K_U32, OFF(frontend.queue_packets), 1, 1e8, "4096" },
	{ { "frontend.relay_pkt_ns", "integer", "ns", "CPU per packet received or sent" }, K_U64, OFF(frontend.relay_pkt_ns), 0, 1e12, "1000" },
	{ { "frontend.relay_byte_ns", "number", "ns/byte", "CPU per payload byte relayed (copy in and out)" }, K_F64, OFF(frontend.relay_byte_ns), 0, 1e6, "0.25" },
	{ { "frontend.parse_route_ns", "integer", "ns", "CPU per request head parsed and routed" }, K_U64, OFF(frontend.parse_route_ns), 0, 1e12, "2000" },
	{ { "frontend.conn_setup_ns", "integer", "ns", "CPU per connection: accept + back-end connect" }, K_U64, OFF(frontend.conn_setup_ns), 0, 1e12, "12000" },
	{ { "frontend.teardown_ns", "integer", "ns", "CPU per connection closed (both legs)" }, K_U64, OFF(frontend.teardown_ns), 0, 1e12, "4000" },
	{ { "frontend.max_conns", "integer", "connections", "proxied connections at once" }, K_U32, OFF(frontend.max_conns), 1, 1e8, "65536" },
	{ { "frontend.head_buffers", "integer", "buffers", "request heads being assembled at once" }, K_U32, OFF(frontend.head_buffers), 1, 1e7, "4096" },
	{ { "frontend.max_head_bytes", "integer", "bytes", "request head limit (larger: 431, connection reset)" }, K_U32, OFF(frontend.max_head_bytes), 64, 1048576, "8192" },
	{ { "backend.count", "integer", "servers", "back-end servers of the built-in routes" }, K_U32, OFF(backend.count), 1, 65000, "4" },
	{ { "backend.workers", "integer", "workers", "requests in service at once per server" }, K_U32, OFF(backend.workers), 1, 1e6, "64" },
	{ { "backend.service_fixed_ns", "integer", "ns", "server time per request" }, K_U64, OFF(backend.service_fixed_ns), 0, 1e12, "5000" },
	{ { "backend.service_ns_per_kib", "integer", "ns/KiB", "server time per KiB of response" }, K_U64, OFF(backend.service_ns_per_kib), 0, 1e12, "0" },
	{ { "backend.max_conns", "integer", "connections", "connections per server" }, K_U32, OFF(backend.max_conns), 1, 1e8, "65536" },
	{ { "backend.port", "integer", "port", "port of the built-in back-ends" }, K_U16, OFF(backend.port), 1, 65535, "80" },
	{ { "tcp.mss", "integer", "bytes", "MSS of every simulated endpoint" }, K_U32, OFF(tcp.mss), 88, 9000, "1460" },
	{ { "tcp.rcv_buf_bytes", "integer", "bytes", "receive window of every endpoint" }, K_U32, OFF(tcp.rcv_buf_bytes), 1024, 1073741824, "1048576" },
	{ { "tcp.init_cwnd_segs", "integer", "segments", "initial congestion window (RFC 6928)" }, K_U32, OFF(tcp.init_cwnd_segs), 1, 1000, "10" },
	{ { "tcp.rto_min_ns", "integer", "ns", "minimum RTO (Linux: 200 ms)" }, K_U64, OFF(tcp.rto_min_ns), 1000, 1e12, "200000000" },
	{ { "tcp.delack_ns", "integer", "ns", "delayed-ACK timeout (Linux minimum: 40 ms)" }, K_U64, OFF(tcp.delack_ns), 1000, 1e12, "40000000" },
	{ { "tcp.sack_recovery", "integer", "0/1", "retransmit SACK-revealed holes in fast recovery (0: NewReno only)" }, K_U32, OFF(tcp.sack_recovery), 0, 1, "0" },
	{ { "tcp.dsack", "integer", "0/1", "report duplicate segments in D-SACK blocks (RFC 2883)" }, K_U32, OFF(tcp.dsack), 0, 1, "1" },
	{ { "tcp.undo", "integer", "0/1", "undo a fast recovery whose every retransmission was D-SACKed (RFC 3708)" }, K_U32, OFF(tcp.undo), 0, 1, "0" },
	{ { "tcp.max_reordering", "integer", "segments", "duplicate-ACK threshold grows to the reordering a D-SACK shows, up to this (<= 3: stays 3)" }, K_U32, OFF(tcp.max_reordering), 0, 65535, "300" },
	{ { "output.bin_ns", "integer", "ns", "time-series bin (--csv, plots)" }, K_U64, OFF(output.bin_ns), 1000, 1e13, "10000000" },
	/* Miresga / switch-only: sources in sim/arch/miresga.h and docs/config.md */
	{ { "miresga.frontends", "integer", "servers", "front-end servers (CRC8 buckets spread over them)" }, K_U32, OFF(miresga.frontends), 1, 48, "1" },
	{ { "miresga.table_entries", "integer", "entries", "switch offload table capacity" }, K_U32, OFF(miresga.table_entries), 1, 1e8, "143360" },
	{ { "miresga.tick_ns", "integer", "ns", "entry-controller tick (one batch per tick)" }, K_U64, OFF(miresga.tick_ns), 1, 1e12, "100000" },
	{ { "miresga.batch_adds", "integer", "entries", "entry adds per tick (adds + deletes <= 512)" }, K_U32, OFF(miresga.batch_adds), 0, 512, "40" },
	{ { "miresga.batch_dels", "integer", "entries", "entry deletes per tick (adds + deletes <= 512)" }, K_U32, OFF(miresga.batch_dels), 0, 512, "40" },
	{ { "miresga.ctl_entries_per_s", "number", "entries/s", "switch driver write rate" }, K_F64, OFF(miresga.ctl_entries_per_s), 1, 1e12, "100000" },
	{ { "miresga.ctl_batch_fixed_ns", "integer", "ns", "switch driver cost per batch" }, K_U64, OFF(miresga.ctl_batch_fixed_ns), 0, 1e12, "20000" },
	{ { "miresga.ctl_latency_ns", "integer", "ns", "front-end -> switch driver latency" }, K_U64, OFF(miresga.ctl_latency_ns), 0, 1e12, "50000" },
	{ { "miresga.pass_latency_ns", "integer", "ns", "one switch pipeline pass" }, K_U64, OFF(miresga.pass_latency_ns), 0, 1e12, "1000" },
	{ { "miresga.handoff_ns", "integer", "ns", "front-end -> agent record delivery (0: in band)" }, K_U64, OFF(miresga.handoff_ns), 0, 1e12, "0" },
	{ { "miresga.agent_records", "integer", "records", "splice records per back-end agent" }, K_U32, OFF(miresga.agent_records), 1, 1e8, "102400" },
	{ { "miresga.offload_min_bytes", "integer", "bytes", "offload when the response is at least this large and the route says nothing (0: route hints only)" }, K_U64, OFF(miresga.offload_min_bytes), 0, U64MAX, "0" },
	{ { "miresga.fe_setup_ns", "integer", "ns", "front-end CPU to open a back-end leg (auto: 2 x frontend.relay_pkt_ns)" }, K_U64_AUTO, OFF(miresga.fe_setup_ns), 0, 1e12, "auto" },
	{ { "miresga.fe_relay_byte_ns", "number", "ns/byte", "front-end CPU per payload byte (in-place rewrite, no copy)" }, K_F64, OFF(miresga.fe_relay_byte_ns), 0, 1e6, "0" },
	{ { "miresga.fe_relay_pkt_ns", "integer", "ns", "front-end CPU per packet in and out (auto: frontend.relay_pkt_ns)" }, K_U64_AUTO, OFF(miresga.fe_relay_pkt_ns), 0, 1e12, "auto" },
	{ { "miresga.xff", "integer", "bool", "front-end inserts X-Forwarded-For into every request (0/1)" }, K_U32, OFF(miresga.xff), 0, 1, "0" },
	{ { "miresga.resplice", "integer", "bool", "re-splice a keep-alive connection when the router picks another back-end (0/1)" }, K_U32, OFF(miresga.resplice), 0, 1, "1" },
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

size_t l7sim_config_key_count(void)
{
	return NKEYS;
}

const struct l7sim_config_key *l7sim_config_key_at(size_t i)
{
	return i < NKEYS ? &keys[i].pub : NULL;
}

static const struct key *find_key(const char *path)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].pub.path, path))
			return &keys[i];
	return NULL;
}

/* 1 if some key lives under the object `path` ("net" for "net.client..."). */
static int is_section(const char *path)
{
	size_t n = strlen(path);
	for (size_t i = 0; i < NKEYS; i++)
		if (!strncmp(keys[i].pub.path, path, n) && keys[i].pub.path[n] == '.')
			return 1;
	return 0;
}

static void range_text(const struct key *k, char *buf, size_t len)
{
	if (k->kind == K_U64_AUTO)
		snprintf(buf, len, "expected \"auto\" or an integer in %.0f..%.0f", k->min, k->max);
	else if (k->kind == K_F64)
		snprintf(buf, len, "expected a number in %g..%g", k->min, k->max);
	else if (k->min == 1 && k->max >= U64MAX)
		snprintf(buf, len, "expected a positive integer");
	else if (k->min == 1)
		snprintf(buf, len, "expected a positive integer (at most %.0f)", k->max);
	else if (k->max >= U64MAX)
		snprintf(buf, len, "expected an integer >= %.0f", k->min);
	else
		snprintf(buf, len, "expected an integer in %.0f..%.0f", k->min, k->max);
}

/* Store a checked value. Integers arrive as uint64_t, numbers as double. */
static int store(struct l7sim_config *c, const struct key *k, uint64_t u, double d,
		 const char *s, char *why, size_t whylen)
{
	char *p = (char *)c + k->off;
	switch (k->kind) {
	case K_U64_AUTO:
		if (s) { /* "auto" (the callers pass a string only for it) */
			u = L7SIM_CFG_AUTO;
			memcpy(p, &u, sizeof(u));
			return 0;
		}
		/* fall through */
	case K_U64:
	case K_U32:
	case K_U16:
		if ((double)u < k->min || (double)u > k->max) {
			range_text(k, why, whylen);
			return L7_ECONFIG;
		}
		if (k->kind == K_U64 || k->kind == K_U64_AUTO)
			memcpy(p, &u, sizeof(u));
		else if (k->kind == K_U32) {
			uint32_t v = (uint32_t)u;
			memcpy(p, &v, sizeof(v));
		} else {
			uint16_t v = (uint16_t)u;
			memcpy(p, &v, sizeof(v));
		}
		return 0;
	case K_F64:
		if (!isfinite(d) || d < k->min || d > k->max) {
			range_text(k, why, whylen);
			return L7_ECONFIG;
		}
		memcpy(p, &d, sizeof(d));
		return 0;
	case K_ARCH:
		if (!s || !s[0] || strlen(s) >= L7SIM_ARCH_NAME_MAX) {
			snprintf(why, whylen, "expected an architecture name");
			return L7_ECONFIG;
		}
		for (const char *q = s; *q; q++)
			if (!((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '-')) {
				snprintf(why, whylen, "expected an architecture name");
				return L7_ECONFIG;
			}
		snprintf(p, L7SIM_ARCH_NAME_MAX, "%s", s);
		return 0;
	}
	return L7_ECONFIG;
}

static int set_text(struct l7sim_config *c, const struct key *k, const char *v, char *why,
		    size_t whylen)
{
	char *end;
	if (k->kind == K_ARCH)
		return store(c, k, 0, 0, v, why, whylen);
	if (k->kind == K_U64_AUTO && !strcmp(v, "auto"))
		return store(c, k, 0, 0, v, why, whylen);
	errno = 0;
	if (k->kind == K_F64) {
		double d = strtod(v, &end);
		if (end == v || *end || errno) {
			range_text(k, why, whylen);
			return L7_ECONFIG;
		}
		return store(c, k, 0, d, NULL, why, whylen);
	}
	if (*v < '0' || *v > '9') {
		range_text(k, why, whylen);
		return L7_ECONFIG;
	}
	unsigned long long u = strtoull(v, &end, 10);
	if (end == v || *end || errno) {
		range_text(k, why, whylen);
		return L7_ECONFIG;
	}
	return store(c, k, (uint64_t)u, 0, NULL, why, whylen);
}

static int set_json(struct l7sim_config *c, const struct key *k, const json_t *v, char *why,
		    size_t whylen)
{
	if (k->kind == K_ARCH) {
		if (!json_is_string(v)) {
			snprintf(why, whylen, "expected a string");
			return L7_ECONFIG;
		}
		return store(c, k, 0, 0, json_string_value(v), why, whylen);
	}
	if (k->kind == K_U64_AUTO && json_is_string(v)) {
		if (strcmp(json_string_value(v), "auto") != 0) {
			range_text(k, why, whylen);
			return L7_ECONFIG;
		}
		return store(c, k, 0, 0, "auto", why, whylen);
	}
	if (k->kind == K_F64) {
		if (!json_is_number(v)) {
			range_text(k, why, whylen);
			return L7_ECONFIG;
		}
		return store(c, k, 0, json_number_value(v), NULL, why, whylen);
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0) {
		range_text(k, why, whylen);
		return L7_ECONFIG;
	}
	return store(c, k, (uint64_t)json_integer_value(v), 0, NULL, why, whylen);
}

void l7sim_config_defaults(struct l7sim_config *c)
{
	char why[96];
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NKEYS; i++)
		(void)set_text(c, &keys[i], keys[i].def, why, sizeof(why));
}

void l7sim_config_fini(struct l7sim_config *c)
{
	if (c->router)
		json_decref(c->router);
	c->router = NULL;
}

int l7sim_config_copy(struct l7sim_config *dst, const struct l7sim_config *src)
{
	*dst = *src;
	if (src->router) {
		dst->router = json_deep_copy(src->router);
		if (!dst->router)
			return L7_ENOMEM;
	}
	return 0;
}

/* Walk one JSON object whose keys live under prefix ("" at the top). */
static int walk(struct l7sim_config *c, const json_t *obj, const char *prefix, char *path,
		size_t pathlen, char *why, size_t whylen)
{
	const char *name;
	json_t *v;
	json_object_foreach((json_t *)obj, name, v) {
		if (prefix[0])
			snprintf(path, pathlen, "%s.%s", prefix, name);
		else
			snprintf(path, pathlen, "%s", name);
		if (!prefix[0] && !strcmp(name, "router")) {
			char rerr[256];
			struct l7_router *r = NULL;
			struct l7_router_options ro = { .seed = 1 };
			if (!json_is_object(v)) {
				snprintf(why, whylen, "expected an object");
				return L7_ECONFIG;
			}
			if (l7_router_load_json(v, "router", &ro, &r, rerr, sizeof(rerr)) < 0) {
				/* the router's message already names its path */
				snprintf(path, pathlen, "%s", rerr);
				why[0] = 0;
				return L7_ECONFIG;
			}
			l7_router_destroy(r);
			json_t *copy = json_deep_copy(v);
			if (!copy) {
				snprintf(why, whylen, "out of memory");
				return L7_ENOMEM;
			}
			if (c->router)
				json_decref(c->router);
			c->router = copy;
			continue;
		}
		const struct key *k = find_key(path);
		if (k) {
			int rc = set_json(c, k, v, why, whylen);
			if (rc < 0)
				return rc;
			continue;
		}
		if (is_section(path)) {
			if (!json_is_object(v)) {
				snprintf(why, whylen, "expected an object");
				return L7_ECONFIG;
			}
			char sub[256];
			snprintf(sub, sizeof(sub), "%s", path);
			int rc = walk(c, v, sub, path, pathlen, why, whylen);
			if (rc < 0)
				return rc;
			continue;
		}
		snprintf(why, whylen, "unknown key");
		return L7_ECONFIG;
	}
	return 0;
}

/* Keys come from the user's JSON and may hold any byte: escape control
 * bytes (as \xNN) so that an error is always exactly one printable line. */
static void one_line(char *err, size_t errlen)
{
	char tmp[1024];
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)err; *p && n + 5 < sizeof(tmp); p++) {
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(tmp + n, sizeof(tmp) - n, "\\x%02x", *p);
		else
			tmp[n++] = (char)*p;
	}
	tmp[n] = 0;
	snprintf(err, errlen, "%s", tmp);
}

static int load_json(struct l7sim_config *c, const json_t *root, const char *name, char *err,
		     size_t errlen)
{
	char path[512], why[160];
	struct l7sim_config tmp;
	if (!json_is_object(root)) {
		snprintf(err, errlen, "%s: expected a JSON object at the top level", name);
		return L7_ECONFIG;
	}
	/* work on a copy whose router is shared until replaced */
	tmp = *c;
	if (tmp.router)
		json_incref(tmp.router);
	why[0] = 0;
	int rc = walk(&tmp, root, "", path, sizeof(path), why, sizeof(why));
	if (rc < 0) {
		if (why[0])
			snprintf(err, errlen, "%s: %s: %s", name, path, why);
		else
			snprintf(err, errlen, "%s: %s", name, path);
		one_line(err, errlen);
		l7sim_config_fini(&tmp);
		return rc;
	}
	l7sim_config_fini(c);
	*c = tmp;
	return 0;
}

int l7sim_config_load_string(struct l7sim_config *c, const char *text, const char *name,
			     char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loads(text, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "%s:%d:%d: %s", name, je.line, je.column, je.text);
		one_line(err, errlen);
		return L7_ECONFIG;
	}
	int rc = load_json(c, root, name, err, errlen);
	json_decref(root);
	return rc;
}

int l7sim_config_load_file(struct l7sim_config *c, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return L7_EIO;
	}
	json_error_t je;
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &je);
	int rd_err = ferror(f);
	fclose(f);
	if (!root) {
		if (rd_err)
			snprintf(err, errlen, "%s: read error", path);
		else
			snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
		one_line(err, errlen);
		return rd_err ? L7_EIO : L7_ECONFIG;
	}
	int rc = load_json(c, root, path, err, errlen);
	json_decref(root);
	return rc;
}

int l7sim_config_set(struct l7sim_config *c, const char *key, const char *value, char *err,
		     size_t errlen)
{
	char why[160];
	const struct key *k = find_key(key);
	if (!k) {
		snprintf(err, errlen, "%s: %s", key,
			 !strcmp(key, "router") ? "cannot be set from the command line" :
			 is_section(key) ? "is a section, not a key" : "unknown key");
		one_line(err, errlen);
		return L7_ECONFIG;
	}
	struct l7sim_config tmp = *c;
	int rc = set_text(&tmp, k, value, why, sizeof(why));
	if (rc < 0) {
		snprintf(err, errlen, "%s: %s", key, why);
		one_line(err, errlen);
		return rc;
	}
	*c = tmp;
	return 0;
}

/* The object at a dotted prefix of path, created as needed. */
static json_t *section_of(json_t *root, const char *path, const char **leaf)
{
	json_t *o = root;
	const char *p = path;
	const char *dot;
	while ((dot = strchr(p, '.'))) {
		char part[64];
		size_t n = (size_t)(dot - p);
		if (n >= sizeof(part))
			return NULL;
		memcpy(part, p, n);
		part[n] = 0;
		json_t *sub = json_object_get(o, part);
		if (!sub) {
			sub = json_object();
			if (!sub || json_object_set_new(o, part, sub) < 0)
				return NULL;
		}
		o = sub;
		p = dot + 1;
	}
	*leaf = p;
	return o;
}

json_t *l7sim_config_json(const struct l7sim_config *c)
{
	json_t *root = json_object();
	if (!root)
		return NULL;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct key *k = &keys[i];
		const char *p = (const char *)c + k->off;
		const char *leaf;
		json_t *o = section_of(root, k->pub.path, &leaf);
		json_t *v = NULL;
		uint64_t u64;
		uint32_t u32;
		uint16_t u16;
		double d;
		if (!o)
			goto fail;
		switch (k->kind) {
		case K_U64:
			memcpy(&u64, p, sizeof(u64));
			v = json_integer((json_int_t)u64);
			break;
		case K_U64_AUTO:
			memcpy(&u64, p, sizeof(u64));
			v = u64 == L7SIM_CFG_AUTO ? json_string("auto") : json_integer((json_int_t)u64);
			break;
		case K_U32:
			memcpy(&u32, p, sizeof(u32));
			v = json_integer(u32);
			break;
		case K_U16:
			memcpy(&u16, p, sizeof(u16));
			v = json_integer(u16);
			break;
		case K_F64:
			memcpy(&d, p, sizeof(d));
			v = json_real(d);
			break;
		case K_ARCH:
			v = json_string(p);
			break;
		}
		if (!v || json_object_set_new(o, leaf, v) < 0)
			goto fail;
	}
	if (c->router && json_object_set(root, "router", c->router) < 0)
		goto fail;
	return root;
fail:
	json_decref(root);
	return NULL;
}
