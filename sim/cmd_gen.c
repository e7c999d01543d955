/*
 * cmd_gen.c — `l7sim gen`: write a pcap of synthetic HTTP/1.1 traffic (the
 * built-in trace of `make demo` and of the tests).
 *
 * The generator (workload/synth.c) does the modelling; this file parses
 * options, streams the frames into the library's nanosecond pcap writer and
 * reports errors as one line "l7sim: ...". The same arguments always give a
 * byte-identical file (no clock, no hostname: only the seed varies it).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "l7splice/packet.h"
#include "l7splice/pcap.h"
#include "commands.h"
#include "workload/synth.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: l7sim gen [-o FILE] [--seed N] [--connections N] [--requests-per-conn N]\n"
		"                 [--mix SIZE[:WEIGHT],...] [--raw]\n"
		"  write a pcap of synthetic HTTP/1.1 traffic (keep-alive GETs, FIN close)\n"
		"  -o FILE                output file (default: standard output, not a terminal)\n"
		"  --seed N               random seed (default 1); same arguments, same bytes\n"
		"  --connections N        TCP connections (default 10)\n"
		"  --requests-per-conn N  GET requests per connection (default 3)\n"
		"  --mix LIST             response sizes and weights, e.g. 1k:50,10k:30,100k:15,1m:5\n"
		"                         (the default); sizes up to 4m\n"
		"  --raw                  raw IP frames (LINKTYPE_RAW) instead of Ethernet\n");
}

/* Strict unsigned decimal in [min, max]; -1 if not. */
static int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s || !*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int emit_frame(void *user, l7_time_ns ts, const uint8_t *frame, size_t len)
{
	struct l7_pcap_writer *w = user;
	return l7_pcap_write(w, ts, frame, (uint32_t)len, 0);
}

static int bad_value(const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "l7sim: gen: %s wants %s, not '%s'\n", opt, want, val);
	return 2;
}

int l7sim_cmd_gen(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, 's' },
		{ "connections", required_argument, NULL, 'c' },
		{ "requests-per-conn", required_argument, NULL, 'r' },
		{ "mix", required_argument, NULL, 'm' },
		{ "raw", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct l7sim_synth_config cfg;
	const char *out = "-";
	char err[256];
	uint64_t v;
	int c;

	l7sim_synth_defaults(&cfg);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 's':
			if (parse_u64(optarg, 0, UINT64_MAX, &v))
				return bad_value("--seed", optarg, "an unsigned 64-bit number");
			cfg.seed = v;
			break;
		case 'c':
			if (parse_u64(optarg, 0, 10000000, &v))
				return bad_value("--connections", optarg, "a number 0..10000000");
			cfg.connections = (uint32_t)v;
			break;
		case 'r':
			if (parse_u64(optarg, 1, 100000, &v))
				return bad_value("--requests-per-conn", optarg, "a number 1..100000");
			cfg.requests_per_conn = (uint32_t)v;
			break;
		case 'm':
			if (l7sim_synth_parse_mix(&cfg, optarg, err, sizeof(err))) {
				fprintf(stderr, "l7sim: gen: --mix: %s\n", err);
				return 2;
			}
			break;
		case 'R': cfg.linktype = L7_LINKTYPE_RAW; break;
		case 'h': usage(stdout); return 0;
		default:
			fprintf(stderr, "l7sim: gen: unknown option or missing value '%s' "
				"(try l7sim gen --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "l7sim: gen: unexpected argument '%s'\n", argv[optind]);
		return 2;
	}
	if (!strcmp(out, "-") && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "l7sim: gen: refusing to write a pcap to a terminal (use -o FILE)\n");
		return 2;
	}

	struct l7_pcap_writer w;
	if (l7_pcap_writer_open(&w, out, cfg.linktype, 0)) {
		fprintf(stderr, "l7sim: %s\n", l7_pcap_writer_error(&w));
		return 1;
	}
	struct l7sim_synth_counts counts;
	err[0] = '\0';
	int rc = l7sim_synth_run(&cfg, emit_frame, &w, &counts, err, sizeof(err));
	int wrc = l7_pcap_writer_close(&w);
	if (rc == L7_EINVAL) {
		fprintf(stderr, "l7sim: gen: %s\n", err);
		return 2;
	}
	if (rc || wrc) {
		if (l7_pcap_writer_error(&w)[0])
			fprintf(stderr, "l7sim: %s\n", l7_pcap_writer_error(&w));
		else
			fprintf(stderr, "l7sim: gen: %s\n", err[0] ? err : l7_strerror(rc));
		return 1;
	}
	if (strcmp(out, "-") != 0)
		printf("wrote %s: %llu packets, %llu connections, %llu requests, "
		       "%llu response body bytes\n", out, (unsigned long long)counts.packets,
		       (unsigned long long)counts.connections, (unsigned long long)counts.requests,
		       (unsigned long long)counts.body_bytes);
	return 0;
}
