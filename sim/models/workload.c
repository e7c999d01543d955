/*
 * workload.c — reading and freeing the workload form of workload.h.
 * Streams are either in memory (c2s/s2c) or produced by the workload's
 * fill(): generated (closed loop) or read back from a trace's spill file.
 */
#include <stdlib.h>
#include <string.h>

#include "models/workload.h"

void l7sim_wl_read(const struct l7sim_workload *wl, uint32_t conn, int dir, uint64_t off,
		   uint8_t *dst, uint32_t len)
{
	const struct l7sim_wl_conn *c = &wl->conns[conn];
	const uint8_t *s = dir ? c->s2c : c->c2s;
	uint64_t total = dir ? c->s2c_len : c->c2s_len;
	if (s) {
		/* reads past the stream (cannot happen with a consistent
		 * workload) give zeros rather than reading out of bounds */
		uint64_t n = off < total ? total - off : 0;
		if (n > len)
			n = len;
		memcpy(dst, s + off, (size_t)n);
		memset(dst + n, 0, len - (size_t)n);
		return;
	}
	if (wl->fill)
		wl->fill(wl, conn, dir, off, dst, len);
	else
		memset(dst, 0, len);
}

void l7sim_wl_free(struct l7sim_workload *wl)
{
	for (uint32_t i = 0; i < wl->n_conns; i++) {
		free(wl->conns[i].c2s);
		free(wl->conns[i].s2c);
		free(wl->conns[i].req);
		free(wl->conns[i].resp);
	}
	free(wl->conns);
	if (wl->gen && wl->gen_release)
		wl->gen_release(wl->gen);
	free(wl->gen);
	memset(wl, 0, sizeof(*wl));
}
