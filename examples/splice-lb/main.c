/*
 * main.c — splice-lb's process side: options, the TUN device, the poll
 * loop that feeds every packet to l7_splice_input() and writes every emitted
 * packet back, deterministic seeded impairments (loss, duplication,
 * reordering) on both legs, an optional pcap of what goes in and out, and
 * the statistics printed on SIGUSR1 and at exit.
 *
 * The kernel of the balancer's network namespace routes the VIP and the
 * SNAT address to the TUN device (ip_forward=1), so client->VIP and
 * server->SNAT packets come to us as raw IPv4 packets and what we write is
 * forwarded to the client or the server by the same kernel.
 *
 * Invariants: one thread; the engine is called only from the loop (never
 * from its own callbacks); the impairment stream depends only on --seed and
 * the order of packets, never on the clock; every wait is bounded (poll
 * timeout), so SIGTERM ends the loop promptly.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <arpa/inet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lb.h"

#define MAXPKT 65536
#define TICK_NS 100000000ull     /* l7_splice_tick every 100 ms */
#define HOLD_MAX_NS 20000000ull  /* a held (reordered) packet waits at most 20 ms */

static const char usage_text[] =
"NAME\n"
"    splice-lb - user-space L7 load balancer on a TUN device (libl7splice)\n"
"\n"
"SYNOPSIS\n"
"    splice-lb --vip ADDR[:PORT] --snat ADDR --config ROUTES.json [--tun NAME]\n"
"              [--seed N] [--loss-c2s PCT] [--loss-s2c PCT] [--dup PCT]\n"
"              [--reorder PCT] [--pcap FILE] [--max-conns N] [--idle-sec N]\n"
"              [--linger-ms N] [--ports LO-HI] [--stats]\n"
"\n"
"DESCRIPTION\n"
"    Reads raw IPv4 packets from the TUN device NAME (default l7tun; create it\n"
"    with `ip tuntap add dev NAME mode tun` and route the VIP and the SNAT\n"
"    address to it). Client SYNs to the VIP are answered with SYN cookies;\n"
"    each HTTP/1.1 request head is parsed strictly, routed with the JSON\n"
"    route configuration (docs/config.md, \"Routes and clusters\"), given an\n"
"    X-Forwarded-For field with the client's address, and spliced to the\n"
"    chosen endpoint over a server leg from ADDR (SNAT). Keep-alive requests\n"
"    routed elsewhere are re-spliced once the previous response is complete.\n"
"    FIN and RST are relayed. Everything else is dropped.\n"
"\n"
"OPTIONS\n"
"    --vip ADDR[:PORT]   virtual IPv4 address (and port, default 80)\n"
"    --snat ADDR         source address of the server legs\n"
"    --config FILE       route configuration (virtual_hosts, clusters)\n"
"    --tun NAME          TUN device to attach to (default l7tun)\n"
"    --seed N            seeds the SYN-cookie secret, the router and the\n"
"                        impairments (default 1)\n"
"    --loss-c2s PCT      drop PCT % of client->server packets, both where\n"
"                        they enter (client leg) and where they leave\n"
"                        (server leg); --loss-s2c the same the other way\n"
"    --dup PCT           send PCT % of packets twice (both directions)\n"
"    --reorder PCT       hold PCT % of packets and release each after the\n"
"                        next one in the same direction (or after 20 ms)\n"
"    --pcap FILE         write every packet read and written (raw IP)\n"
"    --max-conns N       engine connection pool (default 4096)\n"
"    --idle-sec N        idle timeout of a connection (default 300)\n"
"    --linger-ms N       how long a closed connection lingers (default 2000)\n"
"    --ports LO-HI       SNAT source ports, used in turn (default 1024-65535);\n"
"                        give successive runs disjoint ranges: a back-end\n"
"                        that closed first holds TIME-WAIT on a port pair;\n"
"                        a port is not reused within 120 s if avoidable\n"
"    --stats             print a summary on exit (SIGINT, SIGTERM)\n"
"    --help              this text\n"
"\n"
"SIGNALS\n"
"    SIGTERM, SIGINT  stop (summary with --stats); SIGUSR1  print the summary\n"
"    now (to stderr); its \"active\" figure is the engine's live connections.\n"
"\n"
"EXIT STATUS\n"
"    0 stopped by a signal, 1 runtime failure, 2 bad usage or configuration.\n"
"    Errors are one line: \"splice-lb: ...\".\n";

/* ------------------------------------------------------------ impairments */

enum { DIR_C2S = 0, DIR_S2C = 1 };
enum { AT_IN = 0, AT_OUT = 1 };

struct held {
	int full;
	uint32_t len;
	l7_time_ns since;
	uint32_t conn_id;
	uint8_t buf[MAXPKT];
};

struct app {
	struct lb lb;
	int tun_fd;
	const char *tun_name;
	const char *config;
	const char *pcap_path;
	struct l7_pcap_writer pcap;
	int pcap_open;
	int stats;
	uint32_t loss_pm[2], dup_pm, reorder_pm; /* per million */
	uint64_t idle_sec, linger_ms;
	struct l7_route_rng rng;
	struct held hold[2][2]; /* [stage][dir] */
	/* counters */
	uint64_t rx_pkts, tx_pkts, rx_bytes, tx_bytes;
	uint64_t payload_c2s, payload_s2c;
	uint64_t drop_inj[2], dup_inj, reorder_inj, not_ours, bad_in, write_err;
	uint8_t dirty_out; /* emit callback direction of the last frame */
};

static struct app A;
static volatile sig_atomic_t stop_flag, status_flag;

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		status_flag = 1;
	else
		stop_flag = 1;
}

static l7_time_ns now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (l7_time_ns)ts.tv_sec * 1000000000ull + (l7_time_ns)ts.tv_nsec;
}

static int chance(uint32_t per_million)
{
	if (!per_million)
		return 0;
	return l7_route_rng_next(&A.rng) % 1000000u < per_million;
}

static void die(int code, const char *fmt, ...)
{
	va_list ap;
	fputs("splice-lb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static void pcap_note(const uint8_t *p, uint32_t len)
{
	if (A.pcap_open)
		l7_pcap_write(&A.pcap, now_ns(), p, len, 0);
}

/* ------------------------------------------------------------ output */

static void tun_write(const uint8_t *p, uint32_t len)
{
	pcap_note(p, len);
	if (write(A.tun_fd, p, len) != (ssize_t)len)
		A.write_err++;
	A.tx_pkts++;
	A.tx_bytes += len;
}

static void send_out(const uint8_t *p, uint32_t len, int dir)
{
	struct held *h = &A.hold[AT_OUT][dir];
	if (chance(A.loss_pm[dir])) {
		A.drop_inj[dir]++;
		return;
	}
	if (!h->full && len <= MAXPKT && chance(A.reorder_pm)) {
		memcpy(h->buf, p, len);
		h->len = len;
		h->full = 1;
		h->since = now_ns();
		A.reorder_inj++;
		return;
	}
	tun_write(p, len);
	if (chance(A.dup_pm)) {
		tun_write(p, len);
		A.dup_inj++;
	}
	if (h->full) {
		h->full = 0;
		tun_write(h->buf, h->len);
	}
}

static uint32_t ip_payload_len(const uint8_t *p, uint32_t len)
{
	struct l7_pkt v;
	if (l7_pkt_parse(&v, p, len, L7_LINKTYPE_RAW) != 0)
		return 0;
	return v.payload_len;
}

static void on_emit(void *user, const struct l7_splice_out *o)
{
	(void)user;
	const uint8_t *p = o->frame + o->l3_off;
	uint32_t len = (uint32_t)(o->len - o->l3_off);
	int dir = o->side == L7_SPLICE_TO_SERVER ? DIR_C2S : DIR_S2C;
	uint32_t pl = ip_payload_len(p, len);
	if (dir == DIR_C2S)
		A.payload_c2s += pl;
	else
		A.payload_s2c += pl;
	if (dir == DIR_S2C && o->conn_id != UINT32_MAX)
		lb_saw_to_client(&A.lb, o->conn_id, p, len);
	send_out(p, len, dir);
}

/* ------------------------------------------------------------ input */

/* Which way a packet read from the TUN goes: to the VIP (from a client) or
 * to the SNAT address (from a back-end); -1 for neither. */
static int classify(uint8_t *p, uint32_t len, struct l7_pkt *v)
{
	if (l7_pkt_parse(v, p, len, L7_LINKTYPE_RAW) != 0)
		return -1;
	if (memcmp(&v->dst, &A.lb.vip, sizeof(v->dst)) == 0)
		return DIR_C2S;
	if (memcmp(&v->dst, &A.lb.snat, sizeof(v->dst)) == 0)
		return DIR_S2C;
	return -1;
}

static void feed(uint8_t *p, uint32_t len, l7_time_ns now)
{
	struct l7_pkt v;
	int dir = classify(p, len, &v);
	if (dir < 0) {
		A.not_ours++;
		return;
	}
	A.lb.cur_valid = 0;
	if (dir == DIR_C2S && v.proto == L7_IPPROTO_TCP) {
		l7_flow_key_from_pkt(&A.lb.cur_key, &v);
		A.lb.cur_ack = v.tcp_ack;
		A.lb.cur_valid = 1;
	}
	A.lb.now_ns = now;
	int rc = l7_splice_input(A.lb.eng, p, len, L7_LINKTYPE_RAW, now);
	A.lb.cur_valid = 0;
	if (rc < 0)
		A.bad_in++;
	else if (rc == L7_SPLICE_IN_NOT_TCP)
		A.not_ours++;
	lb_run_resumes(&A.lb, now);
}

static void receive(uint8_t *p, uint32_t len, l7_time_ns now)
{
	A.rx_pkts++;
	A.rx_bytes += len;
	pcap_note(p, len);
	struct l7_pkt v;
	int dir = classify(p, len, &v);
	if (dir < 0) {
		A.not_ours++;
		return;
	}
	struct held *h = &A.hold[AT_IN][dir];
	if (chance(A.loss_pm[dir])) {
		A.drop_inj[dir]++;
		return;
	}
	if (!h->full && chance(A.reorder_pm)) {
		memcpy(h->buf, p, len);
		h->len = len;
		h->full = 1;
		h->since = now;
		A.reorder_inj++;
		return;
	}
	int dup = chance(A.dup_pm);
	uint8_t copy[MAXPKT];
	if (dup)
		memcpy(copy, p, len);
	feed(p, len, now);
	if (dup) {
		A.dup_inj++;
		feed(copy, len, now);
	}
	if (h->full) {
		h->full = 0;
		feed(h->buf, h->len, now);
	}
}

/* Release held packets that waited too long (no next packet came). */
static void release_held(l7_time_ns now, int all)
{
	for (int d = 0; d < 2; d++) {
		struct held *h = &A.hold[AT_IN][d];
		if (h->full && (all || now - h->since >= HOLD_MAX_NS)) {
			h->full = 0;
			feed(h->buf, h->len, now);
		}
		h = &A.hold[AT_OUT][d];
		if (h->full && (all || now - h->since >= HOLD_MAX_NS)) {
			h->full = 0;
			tun_write(h->buf, h->len);
		}
	}
}

static int any_held(void)
{
	return A.hold[0][0].full || A.hold[0][1].full || A.hold[1][0].full || A.hold[1][1].full;
}

/* ------------------------------------------------------------ setup */

static int tun_open(const char *name)
{
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);
	if (fd < 0)
		die(1, "/dev/net/tun: %s", strerror(errno));
	struct ifreq ifr;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die(1, "tun %s: %s", name, strerror(errno));
	return fd;
}

static int parse_v4(const char *s, struct l7_addr *a, uint16_t *port)
{
	char buf[64];
	snprintf(buf, sizeof(buf), "%s", s);
	char *colon = strchr(buf, ':');
	if (colon) {
		if (!port)
			return -1;
		*colon = 0;
		char *end;
		long v = strtol(colon + 1, &end, 10);
		if (*end || v < 1 || v > 65535)
			return -1;
		*port = (uint16_t)v;
	}
	struct in_addr v4;
	if (inet_pton(AF_INET, buf, &v4) != 1)
		return -1;
	*a = l7_addr_from_v4(ntohl(v4.s_addr));
	return 0;
}

static uint32_t parse_pct(const char *opt, const char *s)
{
	char *end;
	double v = strtod(s, &end);
	if (*end || v < 0 || v > 100)
		die(2, "%s: expected a percentage 0..100, got \"%s\"", opt, s);
	return (uint32_t)(v * 10000.0 + 0.5);
}

static uint64_t parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (*end || errno || *s == '-' || v < lo || v > hi)
		die(2, "%s: expected an integer %llu..%llu, got \"%s\"", opt,
		    (unsigned long long)lo, (unsigned long long)hi, s);
	return v;
}

static void parse_args(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "vip", required_argument, 0, 'v' },
		{ "snat", required_argument, 0, 'n' },
		{ "config", required_argument, 0, 'c' },
		{ "tun", required_argument, 0, 't' },
		{ "seed", required_argument, 0, 's' },
		{ "loss-c2s", required_argument, 0, 'L' },
		{ "loss-s2c", required_argument, 0, 'l' },
		{ "dup", required_argument, 0, 'd' },
		{ "reorder", required_argument, 0, 'r' },
		{ "pcap", required_argument, 0, 'p' },
		{ "max-conns", required_argument, 0, 'm' },
		{ "idle-sec", required_argument, 0, 'i' },
		{ "linger-ms", required_argument, 0, 'g' },
		{ "ports", required_argument, 0, 'P' },
		{ "stats", no_argument, 0, 'S' },
		{ "help", no_argument, 0, 'h' },
		{ 0, 0, 0, 0 },
	};
	int have_vip = 0, have_snat = 0;
	A.tun_name = "l7tun";
	A.lb.seed = 1;
	A.lb.vip_port = 80;
	A.lb.max_conns = 4096;
	A.lb.port_lo = 1024;
	A.lb.port_hi = 65535;
	A.idle_sec = 300;
	A.linger_ms = 2000;
	opterr = 0;
	int ch;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			if (parse_v4(optarg, &A.lb.vip, &A.lb.vip_port) < 0)
				die(2, "--vip: expected IPv4[:port], got \"%s\"", optarg);
			have_vip = 1;
			break;
		case 'n':
			if (parse_v4(optarg, &A.lb.snat, NULL) < 0)
				die(2, "--snat: expected an IPv4 address, got \"%s\"", optarg);
			have_snat = 1;
			break;
		case 'c': A.config = optarg; break;
		case 't':
			if (!*optarg || strlen(optarg) >= IFNAMSIZ)
				die(2, "--tun: bad interface name \"%s\"", optarg);
			A.tun_name = optarg;
			break;
		case 's': A.lb.seed = parse_u64("--seed", optarg, 0, UINT64_MAX); break;
		case 'L': A.loss_pm[DIR_C2S] = parse_pct("--loss-c2s", optarg); break;
		case 'l': A.loss_pm[DIR_S2C] = parse_pct("--loss-s2c", optarg); break;
		case 'd': A.dup_pm = parse_pct("--dup", optarg); break;
		case 'r': A.reorder_pm = parse_pct("--reorder", optarg); break;
		case 'p': A.pcap_path = optarg; break;
		case 'm': A.lb.max_conns = (uint32_t)parse_u64("--max-conns", optarg, 1, 1u << 20); break;
		case 'i': A.idle_sec = parse_u64("--idle-sec", optarg, 1, 86400); break;
		case 'g': A.linger_ms = parse_u64("--linger-ms", optarg, 1, 600000); break;
		case 'P': {
			unsigned lo, hi;
			char tail;
			if (sscanf(optarg, "%u-%u%c", &lo, &hi, &tail) != 2 || lo < 1 || hi > 65535 ||
			    lo > hi)
				die(2, "--ports: expected LO-HI within 1..65535, got \"%s\"", optarg);
			A.lb.port_lo = lo;
			A.lb.port_hi = hi;
			break;
		}
		case 'S': A.stats = 1; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default:
			if (optopt)
				die(2, "bad or incomplete option -%c (see --help)", optopt);
			die(2, "bad or incomplete option \"%s\" (see --help)", argv[optind - 1]);
		}
	}
	if (optind < argc)
		die(2, "unexpected argument \"%s\" (see --help)", argv[optind]);
	if (!have_vip)
		die(2, "--vip is required (see --help)");
	if (!have_snat)
		die(2, "--snat is required (see --help)");
	if (!A.config)
		die(2, "--config is required (see --help)");
}

static void setup(void)
{
	char err[512];
	struct l7_router_options ro = { .seed = A.lb.seed };
	if (l7_router_load_file(A.config, &ro, &A.lb.router, err, sizeof(err)) < 0)
		die(2, "%s", err);
	if (lb_init(&A.lb) < 0)
		die(1, "out of memory");
	l7_route_rng_seed(&A.rng, A.lb.seed ^ 0x9e3779b97f4a7c15ull);
	struct l7_splice_cfg cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = A.lb.max_conns;
	struct l7_route_rng krng;
	l7_route_rng_seed(&krng, A.lb.seed ^ 0x5eedc00c1e5ull);
	for (int i = 0; i < 16; i += 8) {
		uint64_t v = l7_route_rng_next(&krng);
		memcpy(cfg.cookie.secret + i, &v, 8);
	}
	cfg.idle_ns = A.idle_sec * 1000000000ull;
	cfg.linger_ns = A.linger_ms * 1000000ull;
	cfg.route = lb_route;
	cfg.emit = on_emit;
	cfg.user = &A.lb;
	int e = 0;
	A.lb.eng = l7_splice_create(&cfg, &e);
	if (!A.lb.eng)
		die(1, "engine: %s", l7_strerror(e));
	A.tun_fd = tun_open(A.tun_name);
	if (A.pcap_path) {
		if (l7_pcap_writer_open(&A.pcap, A.pcap_path, L7_LINKTYPE_RAW, 0) < 0)
			die(1, "%s", l7_pcap_writer_error(&A.pcap));
		A.pcap_open = 1;
	}
}

static long rss_kb(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	long pages = 0, res = 0;
	if (!f)
		return -1;
	if (fscanf(f, "%ld %ld", &pages, &res) != 2)
		res = -1;
	fclose(f);
	return res < 0 ? -1 : res * (sysconf(_SC_PAGESIZE) / 1024);
}

static void print_stats(FILE *out)
{
	const struct l7_splice_stats *s = l7_splice_stats(A.lb.eng);
	fprintf(out,
		"splice-lb: active=%u conns=%llu requests=%llu responses=%llu "
		"bytes_c2s=%llu bytes_s2c=%llu rx_pkts=%llu tx_pkts=%llu "
		"drops_c2s=%llu drops_s2c=%llu dups=%llu reorders=%llu rss_kb=%ld\n",
		l7_splice_active(A.lb.eng), (unsigned long long)s->conn_created,
		(unsigned long long)A.lb.requests, (unsigned long long)A.lb.responses,
		(unsigned long long)A.payload_c2s, (unsigned long long)A.payload_s2c,
		(unsigned long long)A.rx_pkts, (unsigned long long)A.tx_pkts,
		(unsigned long long)A.drop_inj[DIR_C2S], (unsigned long long)A.drop_inj[DIR_S2C],
		(unsigned long long)A.dup_inj, (unsigned long long)A.reorder_inj, rss_kb());
	fprintf(out,
		"splice-lb: lb bad_requests=%llu no_route=%llu no_endpoint=%llu waits=%llu "
		"resumes=%llu track_fallbacks=%llu ports_exhausted=%llu ports_reused_early=%llu not_ours=%llu "
		"bad_in=%llu write_errors=%llu\n",
		(unsigned long long)A.lb.bad_requests, (unsigned long long)A.lb.no_route,
		(unsigned long long)A.lb.no_endpoint, (unsigned long long)A.lb.waits,
		(unsigned long long)A.lb.resumes, (unsigned long long)A.lb.track_fallbacks,
		(unsigned long long)A.lb.ports_exhausted,
		(unsigned long long)A.lb.ports_reused_early, (unsigned long long)A.not_ours,
		(unsigned long long)A.bad_in, (unsigned long long)A.write_err);
#define U(x) (unsigned long long)s->x
	fprintf(out,
		"splice-lb: engine packets=%llu bad_packet=%llu bad_options=%llu syn_received=%llu "
		"cookie_ok=%llu cookie_bad=%llu cookie_stale=%llu conn_created=%llu "
		"conn_retired=%llu conn_pool_full=%llu idle_timeout=%llu head_too_big=%llu "
		"route_rejected=%llu insert_full=%llu route_bad=%llu legs_opened=%llu "
		"resplices=%llu syn_retransmits=%llu syn_failed=%llu c2s_relayed=%llu "
		"s2c_relayed=%llu c2s_split=%llu acks_suppressed=%llu point_retransmits=%llu "
		"dropped_state=%llu dropped_gap=%llu rst_client=%llu rst_server=%llu "
		"rst_relayed=%llu stray_rst=%llu stray_drop=%llu rst_ignored=%llu fins_relayed=%llu "
		"emitted=%llu syn_sent_bad_ack=%llu old_legs=%llu old_fin_retransmits=%llu "
		"old_fin_acks=%llu old_leg_strays=%llu old_legs_evicted=%llu old_legs_reused=%llu "
		"old_leg_timeouts=%llu\n",
		U(packets), U(bad_packet), U(bad_options), U(syn_received), U(cookie_ok),
		U(cookie_bad), U(cookie_stale), U(conn_created), U(conn_retired),
		U(conn_pool_full), U(conn_idle_timeout), U(head_too_big), U(route_rejected),
		U(insert_full), U(route_bad), U(legs_opened), U(resplices), U(syn_retransmits),
		U(syn_failed), U(c2s_relayed), U(s2c_relayed), U(c2s_split), U(acks_suppressed),
		U(point_retransmits), U(dropped_state), U(dropped_gap), U(rst_client),
		U(rst_server), U(rst_relayed), U(stray_rst), U(stray_drop), U(rst_ignored),
		U(fins_relayed), U(emitted), U(syn_sent_bad_ack), U(old_legs),
		U(old_fin_retransmits), U(old_fin_acks), U(old_leg_strays), U(old_legs_evicted),
		U(old_legs_reused), U(old_leg_timeouts));
#undef U
	fflush(out);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	setup();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	static uint8_t buf[MAXPKT];
	l7_time_ns next_tick = now_ns() + TICK_NS;
	while (!stop_flag) {
		struct pollfd pfd = { .fd = A.tun_fd, .events = POLLIN };
		int rc = poll(&pfd, 1, any_held() ? 5 : 100);
		if (rc < 0 && errno != EINTR)
			die(1, "poll: %s", strerror(errno));
		for (int n = 0; rc > 0 && n < 256; n++) {
			ssize_t r = read(A.tun_fd, buf, sizeof(buf));
			if (r < 0) {
				if (errno == EAGAIN || errno == EINTR)
					break;
				die(1, "read %s: %s", A.tun_name, strerror(errno));
			}
			receive(buf, (uint32_t)r, now_ns());
		}
		l7_time_ns now = now_ns();
		release_held(now, 0);
		if (now >= next_tick) {
			A.lb.now_ns = now;
			l7_splice_tick(A.lb.eng, now);
			lb_run_resumes(&A.lb, now);
			lb_sweep(&A.lb);
			next_tick = now + TICK_NS;
		}
		if (status_flag) {
			status_flag = 0;
			print_stats(stderr);
		}
	}
	release_held(now_ns(), 1);
	if (A.stats)
		print_stats(stdout);
	if (A.pcap_open && l7_pcap_writer_close(&A.pcap) < 0) {
		fprintf(stderr, "splice-lb: %s\n", l7_pcap_writer_error(&A.pcap));
		return 1;
	}
	l7_splice_destroy(A.lb.eng);
	l7_router_destroy(A.lb.router);
	lb_fini(&A.lb);
	close(A.tun_fd);
	return 0;
}
