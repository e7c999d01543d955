/*
 * fuzz_pcap.c — libFuzzer harness for the connection tracker (and, on the
 * way, the packet parser): arbitrary bytes are cut into frames by a 2-byte
 * big-endian length prefix; each frame is parsed as raw IP (or Ethernet if
 * the first input byte is odd) and tracked with a tiny tracker (8
 * connections, 16 KiB pool, 4 KiB per-direction cap, 1 ms idle timeout) so
 * that eviction, retirement, pool exhaustion and cap gaps are all reached.
 * The consumer checks the delivery invariants: bytes come out once, in
 * order, and no callback sees a closed connection.
 *
 * Build and run: see docs/pcap.md, "Fuzzing" (clang -fsanitize=fuzzer,...
 * with the pcap and packet sources; -max_total_time=60).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "l7splice/conn.h"
#include "l7splice/packet.h"

static uint64_t delivered;

static void on_data(void *u, struct l7_conn *c, enum l7_conn_dir dir, const uint8_t *d,
		    size_t n, l7_time_ns ts)
{
	(void)u; (void)ts;
	if (n == 0 || (c->flags & L7_CONN_F_CLOSED) || dir > L7_CONN_S2C)
		abort();
	/* touch every byte: ASan checks the pointer range */
	for (size_t i = 0; i < n; i++)
		delivered += d[i];
}

static void on_gap(void *u, struct l7_conn *c, enum l7_conn_dir dir, uint64_t n, l7_time_ns ts)
{
	(void)u; (void)ts; (void)dir;
	if (n == 0 || (c->flags & L7_CONN_F_CLOSED))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct l7_conn_config cfg;
	struct l7_conn_tracker *t;
	memset(&cfg, 0, sizeof(cfg));
	cfg.max_conns = 8;
	cfg.ooo_pool_bytes = 16384;
	cfg.ooo_max_bytes = 4096;
	cfg.idle_timeout_ns = 1000000;
	cfg.closed_linger_ns = 500000;
	cfg.keep_history = 1;
	cfg.cb.on_data = on_data;
	cfg.cb.on_gap = on_gap;
	if (size < 1 || l7_conn_tracker_create(&t, &cfg))
		return 0;
	uint32_t linktype = (data[0] & 1) ? L7_LINKTYPE_ETHERNET : L7_LINKTYPE_RAW;
	size_t off = 1;
	l7_time_ns now = 0;
	while (off + 2 <= size) {
		size_t len = (size_t)data[off] << 8 | data[off + 1];
		off += 2;
		if (len > size - off)
			len = size - off;
		/* copy so ASan sees the frame's exact end */
		uint8_t *frame = malloc(len ? len : 1);
		if (!frame)
			break;
		memcpy(frame, data + off, len);
		struct l7_pkt p;
		if (l7_pkt_parse(&p, frame, (uint32_t)len, linktype) == 0)
			l7_conn_track(t, &p, now);
		free(frame);
		off += len;
		now += 250000; /* 0.25 ms: the idle timeout fires every few frames */
	}
	l7_conn_flush(t, now);
	l7_conn_tracker_destroy(t);
	return 0;
}
