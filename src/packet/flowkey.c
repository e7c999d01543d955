/*
 * flowkey.c — canonical flow keys and per-classification counters.
 *
 * Invariant: a struct l7_flow_key has no padding (37 byte-sized members), so
 * memcmp and byte hashing see only meaningful bytes; canonical order is the
 * bytewise order of (addr, port) so both directions map to one key without
 * knowing which side is the client.
 */
#include "l7splice/packet.h"

_Static_assert(sizeof(struct l7_flow_key) == 37, "flow key must be 37 bytes, no padding");

void l7_flow_key_make(struct l7_flow_key *k, const struct l7_addr *src,
		      uint16_t sport, const struct l7_addr *dst, uint16_t dport,
		      uint8_t proto)
{
	memcpy(k->src, src->b, 16);
	memcpy(k->dst, dst->b, 16);
	k->sport[0] = (uint8_t)(sport >> 8);
	k->sport[1] = (uint8_t)sport;
	k->dport[0] = (uint8_t)(dport >> 8);
	k->dport[1] = (uint8_t)dport;
	k->proto = proto;
}

void l7_flow_key_from_pkt(struct l7_flow_key *k, const struct l7_pkt *p)
{
	int l4 = (p->layers & L7_PKT_L4) != 0;

	l7_flow_key_make(k, &p->src, l4 ? p->sport : 0, &p->dst, l4 ? p->dport : 0,
			 p->proto);
}

void l7_flow_key_reverse(struct l7_flow_key *k)
{
	uint8_t t[16];

	memcpy(t, k->src, 16);
	memcpy(k->src, k->dst, 16);
	memcpy(k->dst, t, 16);
	memcpy(t, k->sport, 2);
	memcpy(k->sport, k->dport, 2);
	memcpy(k->dport, t, 2);
}

int l7_flow_key_canon(struct l7_flow_key *k)
{
	int c = memcmp(k->src, k->dst, 16);

	if (c == 0)
		c = memcmp(k->sport, k->dport, 2);
	if (c <= 0)
		return 0;
	l7_flow_key_reverse(k);
	return 1;
}

int l7_flow_key_cmp(const struct l7_flow_key *a, const struct l7_flow_key *b)
{
	return memcmp(a, b, sizeof(*a));
}

int l7_flow_key_same_conn(const struct l7_flow_key *a, const struct l7_flow_key *b)
{
	struct l7_flow_key r;

	if (memcmp(a, b, sizeof(*a)) == 0)
		return 1;
	r = *b;
	l7_flow_key_reverse(&r);
	return memcmp(a, &r, sizeof(*a)) == 0;
}

void l7_pkt_stats_add(struct l7_pkt_stats *s, int rc, const struct l7_pkt *p)
{
	s->packets++;
	switch (rc) {
	case 0:
		s->ok++;
		break;
	case L7_ETRUNCATED:
		s->truncated++;
		break;
	case L7_EMALFORMED:
		s->malformed++;
		break;
	case L7_EUNSUPPORTED:
		s->non_ip++;
		break;
	case L7_ELINKTYPE:
		s->bad_linktype++;
		return;
	case L7_EFRAGMENT:
		s->nonfirst_fragments++;
		break;
	default:
		s->other_err++;
		break;
	}
	if ((p->layers & L7_PKT_L2) && (p->flags & L7_PKT_F_VLAN))
		s->vlan++;
	if (!(p->layers & L7_PKT_L3))
		return;
	if (p->flags & L7_PKT_F_FRAG)
		s->fragments++;
	if (p->flags & L7_PKT_F_ATOMIC)
		s->atomic_fragments++;
	if (p->flags & L7_PKT_F_TSO)
		s->tso++;
	if (p->flags & L7_PKT_F_IPOPTS)
		s->ip_options++;
	if (p->flags & L7_PKT_F_V6EXT)
		s->v6_ext++;
	if (rc != 0)
		return;
	if (p->ip_version == 4)
		s->ipv4++;
	else
		s->ipv6++;
	if (p->proto == L7_IPPROTO_TCP)
		s->tcp++;
	else if (p->proto == L7_IPPROTO_UDP)
		s->udp++;
	else
		s->other_l4++;
	if (p->flags & L7_PKT_F_VXLAN)
		s->vxlan++;
	if (p->flags & L7_PKT_F_SNAPPED)
		s->snapped++;
}
