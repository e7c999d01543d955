/*
 * parse.c — l7_pkt_parse(): one pass from the link header to the start of
 * the L4 payload, filling a struct l7_pkt view.
 *
 * Invariants:
 *  - no byte at or after data + caplen is ever read: each header's size is
 *    checked against the captured bytes left *before* it is touched;
 *  - a header that runs past the length its outer header claims is a lie
 *    (L7_EMALFORMED), whether or not the bytes were captured; one that fits
 *    the claimed length but runs past the capture is L7_ETRUNCATED. So a
 *    valid frame cut anywhere inside its headers is always L7_ETRUNCATED;
 *  - the hot path writes each field once and never clears the struct
 *    (a memset of the whole view would cost about as much as the parse).
 */
#include "l7splice/packet.h"

/* IPv6 extension headers with the generic (next, len*8+8) layout. */
#define IPPROTO_MOBILITY 135
#define IPPROTO_HIP 139
#define IPPROTO_SHIM6 140

/* BSD AF_INET6 values differ per OS; these are the ones pcap files carry. */
#define BSD_AF_INET 2
#define BSD_AF_INET6_LINUX 10
#define BSD_AF_INET6_BSD 24
#define BSD_AF_INET6_FREEBSD 28
#define BSD_AF_INET6_DARWIN 30

int l7_linktype_supported(uint32_t linktype)
{
	switch (linktype) {
	case L7_LINKTYPE_NULL:
	case L7_LINKTYPE_ETHERNET:
	case L7_LINKTYPE_DLT_RAW_12:
	case L7_LINKTYPE_DLT_RAW_14:
	case L7_LINKTYPE_RAW:
	case L7_LINKTYPE_LOOP:
	case L7_LINKTYPE_LINUX_SLL:
	case L7_LINKTYPE_IPV4:
	case L7_LINKTYPE_IPV6:
	case L7_LINKTYPE_LINUX_SLL2:
		return 1;
	default:
		return 0;
	}
}

const char *l7_linktype_name(uint32_t linktype)
{
	switch (linktype) {
	case L7_LINKTYPE_NULL: return "NULL";
	case L7_LINKTYPE_ETHERNET: return "EN10MB";
	case L7_LINKTYPE_DLT_RAW_12:
	case L7_LINKTYPE_DLT_RAW_14:
	case L7_LINKTYPE_RAW: return "RAW";
	case L7_LINKTYPE_LOOP: return "LOOP";
	case L7_LINKTYPE_LINUX_SLL: return "LINUX_SLL";
	case L7_LINKTYPE_IPV4: return "IPV4";
	case L7_LINKTYPE_IPV6: return "IPV6";
	case L7_LINKTYPE_LINUX_SLL2: return "LINUX_SLL2";
	default: return "unknown";
	}
}

/*
 * Classify a header that would end `end` bytes into an area of which `cap`
 * bytes were captured and `claimed` bytes exist per the outer length field.
 * Running past the claimed length is a lie (malformed) even when the bytes
 * happen to be captured (Ethernet padding); running past only the capture is
 * truncation. With F_TSO the claimed length was taken from the capture, so
 * only truncation is possible.
 */
static inline int need(const struct l7_pkt *p, uint32_t end, uint32_t cap, uint32_t claimed)
{
	if (end > claimed && !(p->flags & L7_PKT_F_TSO))
		return L7_EMALFORMED;
	if (end > cap)
		return L7_ETRUNCATED;
	return 0;
}

/*
 * Transport header at l4. cap_rem: captured bytes from l4 to the end of the
 * capture; len: bytes from l4 to the end of the IP packet per its length.
 */
static int parse_l4(struct l7_pkt *p, uint32_t l4, uint32_t cap_rem, uint32_t len)
{
	const uint8_t *h = p->data + l4;
	uint32_t hlen;
	int rc;

	p->l4_off = l4;
	switch (p->proto) {
	case L7_IPPROTO_TCP:
		if ((rc = need(p, L7_TCP_HDR_MIN, cap_rem, len)) != 0)
			return rc;
		hlen = (uint32_t)(h[12] >> 4) * 4;
		if (hlen < L7_TCP_HDR_MIN)
			return L7_EMALFORMED;
		if ((rc = need(p, hlen, cap_rem, len)) != 0)
			return rc;
		p->sport = l7_get_be16(h);
		p->dport = l7_get_be16(h + 2);
		p->tcp_seq = l7_get_be32(h + 4);
		p->tcp_ack = l7_get_be32(h + 8);
		p->tcp_flags = (uint16_t)(l7_get_be16(h + 12) & 0x1ff);
		p->tcp_window = l7_get_be16(h + 14);
		p->tcp_urg = l7_get_be16(h + 18);
		p->tcp_hdr_len = (uint8_t)hlen;
		break;
	case L7_IPPROTO_UDP: {
		uint32_t ulen;

		if ((rc = need(p, 8, cap_rem, len)) != 0)
			return rc;
		ulen = l7_get_be16(h + 4);
		if (ulen == 0 && (p->flags & L7_PKT_F_TSO))
			ulen = len; /* offloaded or jumbo: no usable length */
		if (ulen < 8 || ulen > len)
			return L7_EMALFORMED;
		len = ulen;
		hlen = 8;
		p->sport = l7_get_be16(h);
		p->dport = l7_get_be16(h + 2);
		break;
	}
	default:
		hlen = 0;
		p->sport = 0;
		p->dport = 0;
		break;
	}
	p->payload_off = l4 + hlen;
	p->payload_len = len - hlen;
	p->payload_caplen = (cap_rem < len ? cap_rem : len) - hlen;
	if (p->payload_caplen < p->payload_len)
		p->flags |= L7_PKT_F_SNAPPED;
	p->layers |= L7_PKT_L4;

	/* VXLAN (RFC 7348): the I flag says the VNI is valid. */
	if (p->proto == L7_IPPROTO_UDP && p->dport == L7_VXLAN_PORT &&
	    p->payload_caplen >= L7_VXLAN_HDR_LEN && (h[8] & 0x08)) {
		p->vxlan_vni = l7_get_be32(h + 12) >> 8;
		p->inner_off = p->payload_off + L7_VXLAN_HDR_LEN;
		p->flags |= L7_PKT_F_VXLAN;
	}
	return 0;
}

/* ::ffff:a.b.c.d straight from the wire bytes (two stores, no swaps). */
static inline void set_v4_mapped(struct l7_addr *a, const uint8_t *v4)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	memcpy(a->b, prefix, 12);
	memcpy(a->b + 12, v4, 4);
}

static int parse_ipv4(struct l7_pkt *p)
{
	const uint8_t *ip = p->data + p->l3_off;
	uint32_t avail = p->caplen - p->l3_off;
	uint32_t ihl, tot;
	uint16_t frag;
	int rc;

	if (avail < 20)
		return L7_ETRUNCATED;
	if ((ip[0] >> 4) != 4)
		return L7_EMALFORMED;
	ihl = (uint32_t)(ip[0] & 0x0f) * 4;
	if (ihl < 20)
		return L7_EMALFORMED;
	tot = l7_get_be16(ip + 2);
	if (tot == 0) {
		/* Captured before TSO/GSO split it: the NIC fills the length. */
		tot = avail;
		p->flags |= L7_PKT_F_TSO;
	} else if (tot < avail) {
		p->flags |= L7_PKT_F_PADDED;
	}
	if ((rc = need(p, ihl, avail, tot)) != 0)
		return rc;
	if (ihl > 20)
		p->flags |= L7_PKT_F_IPOPTS;

	p->ip_version = 4;
	p->tos = ip[1];
	p->ip_id = l7_get_be16(ip + 4);
	frag = l7_get_be16(ip + 6);
	p->ttl = ip[8];
	p->proto = ip[9];
	p->l3_hdr_len = ihl;
	p->ip_len = tot;
	p->frag_off = (uint16_t)((frag & 0x1fff) * 8);
	p->frag_more = (uint8_t)((frag >> 13) & 1);
	if (frag & 0x4000)
		p->flags |= L7_PKT_F_DF;
	set_v4_mapped(&p->src, ip + 12);
	set_v4_mapped(&p->dst, ip + 16);
	p->layers |= L7_PKT_L3;
	if (frag & 0x3fff) {
		p->flags |= L7_PKT_F_FRAG;
		if (p->frag_off)
			return L7_EFRAGMENT;
	}
	return parse_l4(p, p->l3_off + ihl, avail - ihl, tot - ihl);
}

static int parse_ipv6(struct l7_pkt *p)
{
	const uint8_t *ip = p->data + p->l3_off;
	uint32_t avail = p->caplen - p->l3_off;
	uint32_t tot, off, elen;
	uint8_t nh;
	int rc;

	if (avail < 40)
		return L7_ETRUNCATED;
	if ((ip[0] >> 4) != 6)
		return L7_EMALFORMED;
	tot = l7_get_be16(ip + 4);
	if (tot == 0) {
		/* TSO capture or a jumbogram (RFC 2675): trust the capture. */
		tot = avail;
		p->flags |= L7_PKT_F_TSO;
	} else {
		tot += 40;
		if (tot < avail)
			p->flags |= L7_PKT_F_PADDED;
	}
	p->ip_version = 6;
	p->tos = (uint8_t)(l7_get_be16(ip) >> 4);
	p->ttl = ip[7];
	p->ip_id = 0;
	p->frag_off = 0;
	p->frag_more = 0;
	p->ip_len = tot;
	memcpy(p->src.b, ip + 8, 16);
	memcpy(p->dst.b, ip + 24, 16);
	nh = ip[6];
	off = 40;

	/* Each extension header is >= 8 bytes, so this loop ends within caplen/8. */
	for (;;) {
		switch (nh) {
		case L7_IPPROTO_HOPOPTS:
		case L7_IPPROTO_ROUTING:
		case L7_IPPROTO_DSTOPTS:
		case IPPROTO_MOBILITY:
		case IPPROTO_HIP:
		case IPPROTO_SHIM6:
		case L7_IPPROTO_AH:
			if ((rc = need(p, off + 2, avail, tot)) != 0)
				return rc;
			if (nh == L7_IPPROTO_AH)
				elen = ((uint32_t)ip[off + 1] + 2) * 4; /* RFC 4302 */
			else
				elen = ((uint32_t)ip[off + 1] + 1) * 8;
			break;
		case L7_IPPROTO_FRAGMENT:
			elen = 8;
			break;
		default:
			goto done;
		}
		if ((rc = need(p, off + elen, avail, tot)) != 0)
			return rc;
		p->flags |= L7_PKT_F_V6EXT;
		if (nh == L7_IPPROTO_FRAGMENT) {
			uint16_t fw = l7_get_be16(ip + off + 2);

			p->frag_off = (uint16_t)(fw & 0xfff8);
			p->frag_more = (uint8_t)(fw & 1);
			p->ip_id = l7_get_be32(ip + off + 4);
			if (p->frag_off == 0 && !p->frag_more) {
				p->flags |= L7_PKT_F_ATOMIC; /* RFC 6946 */
			} else {
				p->flags |= L7_PKT_F_FRAG;
				if (p->frag_off) {
					p->proto = ip[off];
					p->l3_hdr_len = off + elen;
					p->layers |= L7_PKT_L3;
					return L7_EFRAGMENT;
				}
			}
		}
		nh = ip[off];
		off += elen;
	}
done:
	if (off > tot)
		return L7_EMALFORMED;
	p->proto = nh;
	p->l3_hdr_len = off;
	p->layers |= L7_PKT_L3;
	return parse_l4(p, p->l3_off + off, avail - off, tot - off);
}

/* After the link header: skip VLAN tags, then dispatch on the ethertype. */
static int parse_ethertype(struct l7_pkt *p, uint32_t off, uint16_t et)
{
	while (et == L7_ETHERTYPE_VLAN || et == L7_ETHERTYPE_QINQ ||
	       et == L7_ETHERTYPE_QINQ_OLD) {
		if (p->caplen - off < 4)
			return L7_ETRUNCATED;
		if (p->n_vlans < L7_PKT_MAX_VLANS)
			p->vlan_id[p->n_vlans] = (uint16_t)(l7_get_be16(p->data + off) & 0x0fff);
		if (p->n_vlans < UINT8_MAX)
			p->n_vlans++;
		et = l7_get_be16(p->data + off + 2);
		off += 4;
		p->flags |= L7_PKT_F_VLAN;
	}
	p->ethertype = et;
	p->l3_off = off;
	p->layers = L7_PKT_L2;
	if (et == L7_ETHERTYPE_IPV4)
		return parse_ipv4(p);
	if (et == L7_ETHERTYPE_IPV6)
		return parse_ipv6(p);
	return L7_EUNSUPPORTED;
}

/* Raw IP: the version nibble is all we have. */
static int parse_raw(struct l7_pkt *p, int want_version)
{
	int v;

	if (p->caplen < 1)
		return L7_ETRUNCATED;
	v = p->data[0] >> 4;
	if ((v != 4 && v != 6) || (want_version && v != want_version))
		return L7_EMALFORMED;
	p->l3_off = 0;
	p->ethertype = v == 4 ? L7_ETHERTYPE_IPV4 : L7_ETHERTYPE_IPV6;
	p->layers = L7_PKT_L2;
	return v == 4 ? parse_ipv4(p) : parse_ipv6(p);
}

/* BSD loopback: a 4-byte address family. */
static int parse_loop(struct l7_pkt *p, int big_endian)
{
	const uint8_t *b = p->data;
	uint32_t fam;

	if (p->caplen < 4)
		return L7_ETRUNCATED;
	if (big_endian) {
		fam = l7_get_be32(b);
	} else {
		/* DLT_NULL is in the capturing host's order; guess it. */
		fam = (uint32_t)b[3] << 24 | (uint32_t)b[2] << 16 | (uint32_t)b[1] << 8 | b[0];
		if (fam & 0xffff0000u)
			fam = l7_get_be32(b);
	}
	switch (fam) {
	case BSD_AF_INET:
		return parse_ethertype(p, 4, L7_ETHERTYPE_IPV4);
	case BSD_AF_INET6_LINUX:
	case BSD_AF_INET6_BSD:
	case BSD_AF_INET6_FREEBSD:
	case BSD_AF_INET6_DARWIN:
		return parse_ethertype(p, 4, L7_ETHERTYPE_IPV6);
	default:
		p->l3_off = 4;
		p->ethertype = 0;
		p->layers = L7_PKT_L2;
		return L7_EUNSUPPORTED;
	}
}

int l7_pkt_parse(struct l7_pkt *p, const uint8_t *frame, uint32_t caplen,
		 uint32_t linktype)
{
	p->data = frame;
	p->caplen = caplen;
	p->linktype = linktype;
	p->layers = 0;
	p->flags = 0;
	p->n_vlans = 0;
	p->l2_off = 0;

	/* Ethernet carrying plain IPv4 is nearly every packet: test it first. */
	if (linktype == L7_LINKTYPE_ETHERNET && caplen >= 14 &&
	    frame[12] == 0x08 && frame[13] == 0x00) {
		p->ethertype = L7_ETHERTYPE_IPV4;
		p->l3_off = 14;
		p->layers = L7_PKT_L2;
		return parse_ipv4(p);
	}
	switch (linktype) {
	case L7_LINKTYPE_ETHERNET: {
		uint16_t et;

		if (caplen < 14)
			return L7_ETRUNCATED;
		et = l7_get_be16(frame + 12);
		if (et < 0x0600) { /* 802.3 length: LLC/SNAP, not IP */
			p->l3_off = 14;
			p->ethertype = 0;
			p->layers = L7_PKT_L2;
			return L7_EUNSUPPORTED;
		}
		return parse_ethertype(p, 14, et);
	}
	case L7_LINKTYPE_RAW:
	case L7_LINKTYPE_DLT_RAW_12:
	case L7_LINKTYPE_DLT_RAW_14:
		return parse_raw(p, 0);
	case L7_LINKTYPE_IPV4:
		return parse_raw(p, 4);
	case L7_LINKTYPE_IPV6:
		return parse_raw(p, 6);
	case L7_LINKTYPE_LINUX_SLL:
		if (caplen < 16)
			return L7_ETRUNCATED;
		return parse_ethertype(p, 16, l7_get_be16(frame + 14));
	case L7_LINKTYPE_LINUX_SLL2:
		if (caplen < 20)
			return L7_ETRUNCATED;
		return parse_ethertype(p, 20, l7_get_be16(frame));
	case L7_LINKTYPE_NULL:
		return parse_loop(p, 0);
	case L7_LINKTYPE_LOOP:
		return parse_loop(p, 1);
	default:
		return L7_ELINKTYPE;
	}
}

int l7_pkt_parse_inner(const struct l7_pkt *outer, struct l7_pkt *inner)
{
	if (!(outer->flags & L7_PKT_F_VXLAN) || !(outer->layers & L7_PKT_L4) ||
	    outer->inner_off > outer->payload_off + outer->payload_caplen)
		return L7_EINVAL;
	/* The inner frame ends where the UDP payload's captured bytes end. */
	return l7_pkt_parse(inner, outer->data + outer->inner_off,
			    outer->payload_off + outer->payload_caplen - outer->inner_off,
			    L7_LINKTYPE_ETHERNET);
}
