/*
 * registry.c — the list of architectures, in the order `compare` runs and
 * prints them, plus helpers every architecture shares (built-in routes,
 * address parsing).
 *
 * Invariant: the order is fixed (it is the order of compare's rows and of
 * the bars in its plot); entries without create() are listed but refused
 * by the runner with "not implemented yet".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "arch/arch.h"
#include "arch/miresga.h"

static const struct l7sim_arch *const archs[] = {
	&l7sim_arch_software,
	&l7sim_arch_miresga,
	&l7sim_arch_switch_only,
};

size_t l7sim_arch_count(void)
{
	return sizeof(archs) / sizeof(archs[0]);
}

const struct l7sim_arch *l7sim_arch_at(size_t i)
{
	return i < l7sim_arch_count() ? archs[i] : NULL;
}

const struct l7sim_arch *l7sim_arch_find(const char *name)
{
	for (size_t i = 0; i < l7sim_arch_count(); i++)
		if (!strcmp(archs[i]->name, name))
			return archs[i];
	return NULL;
}

int l7sim_default_routes(const struct l7sim_config *cfg, char *buf, size_t len)
{
	size_t n = 0;
	int w = snprintf(buf, len,
			 "{\"virtual_hosts\":[{\"name\":\"all\",\"domains\":[\"*\"],"
			 "\"routes\":[{\"match\":{\"prefix\":\"/\"},\"route\":{\"cluster\":\"backends\"}}]}],"
			 "\"clusters\":[{\"name\":\"backends\",\"lb_policy\":\"ROUND_ROBIN\",\"endpoints\":[");
	if (w < 0 || (size_t)w >= len)
		return L7_ENOSPC;
	n = (size_t)w;
	for (uint32_t i = 0; i < cfg->backend.count; i++) {
		uint32_t host = i + 1;
		w = snprintf(buf + n, len - n, "%s{\"address\":\"10.2.%u.%u\",\"port\":%u}",
			     i ? "," : "", host >> 8, host & 0xff, cfg->backend.port);
		if (w < 0 || (size_t)w >= len - n)
			return L7_ENOSPC;
		n += (size_t)w;
	}
	w = snprintf(buf + n, len - n, "]}]}");
	if (w < 0 || (size_t)w >= len - n)
		return L7_ENOSPC;
	return 0;
}

size_t l7sim_router_endpoints(const struct l7_router *r)
{
	size_t total = 0;
	for (size_t c = 0; c < l7_router_cluster_count(r); c++)
		total += l7_cluster_endpoint_count(l7_router_cluster_at(r, c));
	return total;
}

int l7sim_parse_addr(const char *s, struct l7_addr *out)
{
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, s, &a4) == 1) {
		*out = l7_addr_from_v4(ntohl(a4.s_addr));
		return 0;
	}
	if (inet_pton(AF_INET6, s, &a6) == 1) {
		*out = l7_addr_from_v6(a6.s6_addr);
		return 0;
	}
	return L7_EINVAL;
}
