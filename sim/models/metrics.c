/*
 * metrics.c — the stock latency sink of metrics.h.
 */
#include <string.h>

#include "models/metrics.h"

int l7sim_latency_hist_init(struct l7sim_latency_hist *h)
{
	memset(h, 0, sizeof(*h));
	int rc = l7sim_hist_init(&h->latency_ns, 0);
	if (rc)
		return rc;
	rc = l7sim_hist_init(&h->ttfb_ns, 0);
	if (rc)
		l7sim_hist_fini(&h->latency_ns);
	return rc;
}

void l7sim_latency_hist_fini(struct l7sim_latency_hist *h)
{
	l7sim_hist_fini(&h->latency_ns);
	l7sim_hist_fini(&h->ttfb_ns);
}

void l7sim_latency_hist_record(void *ctx, const struct l7sim_req_sample *s)
{
	struct l7sim_latency_hist *h = ctx;
	l7sim_hist_record(&h->latency_ns, s->last_byte_ns - s->sent_ns);
	l7sim_hist_record(&h->ttfb_ns, s->first_byte_ns - s->sent_ns);
	if (!h->requests || s->sent_ns < h->first_sent_ns)
		h->first_sent_ns = s->sent_ns;
	if (s->last_byte_ns > h->last_done_ns)
		h->last_done_ns = s->last_byte_ns;
	h->requests++;
	h->resp_bytes += s->resp_bytes;
}
