/*
 * build.c — building TCP segments into caller buffers and mutating parsed
 * packets in place with their checksums kept right.
 *
 * Invariants:
 *  - nothing is written outside buf[0, cap) / frame[0, frame_cap); sizes are
 *    checked before the first byte is written, so a failed call leaves the
 *    buffer untouched;
 *  - in-place field changes update the checksums by RFC 1624 (cost O(field),
 *    not O(packet)); a change of the header length recomputes them in full;
 *  - a UDP checksum of 0 over IPv4 means "not computed" and stays 0; a UDP
 *    checksum that comes out 0 is sent as 0xffff (RFC 768).
 */
#include "l7splice/packet.h"

/* ------------------------------------------------------------ builder */

/* The link and IP part both builders share, copied from their public structs. */
struct l3_desc {
	uint32_t linktype;
	const uint8_t *eth_dst, *eth_src;
	uint8_t ip_version, ttl, tos, df, proto;
	uint16_t ip_id;
	uint32_t flow_label;
	const struct l7_addr *src, *dst;
};

/* Validate the description; set the link and IP header lengths. */
static int l3_check(const struct l3_desc *d, size_t *l2, size_t *l3)
{
	if (d->linktype != L7_LINKTYPE_RAW && d->linktype != L7_LINKTYPE_ETHERNET)
		return L7_EINVAL;
	if (d->ip_version == 4) {
		if (!l7_addr_is_v4(d->src) || !l7_addr_is_v4(d->dst))
			return L7_EINVAL;
		*l3 = 20;
	} else if (d->ip_version == 6) {
		*l3 = 40;
	} else {
		return L7_EINVAL;
	}
	*l2 = d->linktype == L7_LINKTYPE_ETHERNET ? 14 : 0;
	return 0;
}

/* Write the link and IP headers for an L4 part of l4_len bytes; returns
 * the L4 start and the pseudo-header sum in *pseudo. */
static uint8_t *l3_write(uint8_t *buf, const struct l3_desc *d, size_t l2, size_t l4_len,
			 uint32_t *pseudo)
{
	uint8_t *ip = buf + l2;

	if (l2) {
		memcpy(buf, d->eth_dst, 6);
		memcpy(buf + 6, d->eth_src, 6);
		l7_put_be16(buf + 12, d->ip_version == 4 ? L7_ETHERTYPE_IPV4 : L7_ETHERTYPE_IPV6);
	}
	if (d->ip_version == 4) {
		ip[0] = 0x45;
		ip[1] = d->tos;
		l7_put_be16(ip + 2, (uint16_t)(20 + l4_len));
		l7_put_be16(ip + 4, d->ip_id);
		l7_put_be16(ip + 6, d->df ? 0x4000 : 0);
		ip[8] = d->ttl;
		ip[9] = d->proto;
		l7_put_be16(ip + 10, 0);
		memcpy(ip + 12, d->src->b + 12, 4);
		memcpy(ip + 16, d->dst->b + 12, 4);
		l7_put_be16(ip + 10, l7_csum_ipv4_hdr(ip, 20));
		*pseudo = l7_csum_pseudo_v4(d->src, d->dst, d->proto, (uint32_t)l4_len);
		return ip + 20;
	}
	l7_put_be32(ip, 6u << 28 | (uint32_t)d->tos << 20 | (d->flow_label & 0xfffff));
	l7_put_be16(ip + 4, (uint16_t)l4_len);
	ip[6] = d->proto;
	ip[7] = d->ttl;
	memcpy(ip + 8, d->src->b, 16);
	memcpy(ip + 24, d->dst->b, 16);
	*pseudo = l7_csum_pseudo_v6(d->src, d->dst, d->proto, (uint32_t)l4_len);
	return ip + 40;
}

int l7_pkt_build_tcp(uint8_t *buf, size_t cap, const struct l7_tcp_build *b,
		     size_t *out_len)
{
	const struct l3_desc d = {
		b->linktype, b->eth_dst, b->eth_src, b->ip_version, b->ttl, b->tos,
		b->df, L7_IPPROTO_TCP, b->ip_id, b->flow_label, &b->src, &b->dst,
	};
	size_t l2, l3, opts_pad, thl;
	uint8_t *th;
	uint32_t s;
	int rc = l3_check(&d, &l2, &l3);

	if (rc)
		return rc;
	if (b->opts_len > L7_TCP_OPT_MAX)
		return L7_ERANGE;
	if ((b->opts_len && !b->opts) || (b->payload_len && !b->payload))
		return L7_EINVAL;
	opts_pad = (b->opts_len + 3) & ~(size_t)3;
	thl = L7_TCP_HDR_MIN + opts_pad;
	if (b->payload_len > 65535 || thl + b->payload_len + (b->ip_version == 4 ? l3 : 0) > 65535)
		return L7_ERANGE;
	if (l2 + l3 + thl + b->payload_len > cap)
		return L7_ENOSPC;

	th = l3_write(buf, &d, l2, thl + b->payload_len, &s);
	l7_put_be16(th, b->sport);
	l7_put_be16(th + 2, b->dport);
	l7_put_be32(th + 4, b->seq);
	l7_put_be32(th + 8, b->ack);
	l7_put_be16(th + 12, (uint16_t)((thl / 4) << 12 | (b->flags & 0x1ff)));
	l7_put_be16(th + 14, b->window);
	l7_put_be16(th + 16, 0);
	l7_put_be16(th + 18, b->urg);
	if (b->opts_len)
		memcpy(th + 20, b->opts, b->opts_len);
	memset(th + 20 + b->opts_len, L7_TCPOPT_EOL, opts_pad - b->opts_len);
	if (b->payload_len)
		memcpy(th + thl, b->payload, b->payload_len);
	l7_put_be16(th + 16, l7_csum_fold(l7_csum_partial(th, thl + b->payload_len, s)));
	*out_len = l2 + l3 + thl + b->payload_len;
	return 0;
}

int l7_pkt_build_vxlan(uint8_t *buf, size_t cap, const struct l7_vxlan_build *b,
		       size_t *out_len)
{
	const struct l3_desc d = {
		b->linktype, b->eth_dst, b->eth_src, b->ip_version, b->ttl, b->tos,
		b->df, L7_IPPROTO_UDP, b->ip_id, b->flow_label, &b->src, &b->dst,
	};
	size_t l2, l3, ulen;
	uint8_t *uh;
	uint32_t s;
	int rc = l3_check(&d, &l2, &l3);

	if (rc)
		return rc;
	if (b->vni > 0xffffff || (b->inner_len && !b->inner))
		return L7_EINVAL;
	ulen = 8 + L7_VXLAN_HDR_LEN + b->inner_len;
	if (ulen + (b->ip_version == 4 ? l3 : 0) > 65535)
		return L7_ERANGE;
	if (l2 + l3 + ulen > cap)
		return L7_ENOSPC;

	uh = l3_write(buf, &d, l2, ulen, &s);
	l7_put_be16(uh, b->sport);
	l7_put_be16(uh + 2, b->dport ? b->dport : L7_VXLAN_PORT);
	l7_put_be16(uh + 4, (uint16_t)ulen);
	l7_put_be16(uh + 6, 0);
	l7_put_be32(uh + 8, 0x08000000u);       /* flags: I; reserved 0 */
	l7_put_be32(uh + 12, b->vni << 8);      /* VNI, reserved 0 */
	if (b->inner_len)
		memcpy(uh + 16, b->inner, b->inner_len);
	/* RFC 7348 §5: zero UDP checksum over IPv4 is allowed; IPv6 needs one. */
	if (b->udp_csum || b->ip_version == 6) {
		uint16_t c = l7_csum_fold(l7_csum_partial(uh, ulen, s));

		l7_put_be16(uh + 6, c ? c : 0xffff);
	}
	*out_len = l2 + l3 + ulen;
	return 0;
}

/* ------------------------------------------------------------ helpers */

static int check_frame(const struct l7_pkt *p, const uint8_t *frame, uint16_t layers)
{
	if (!frame || frame != p->data || (p->layers & layers) != layers)
		return L7_EINVAL;
	return 0;
}

/* Offset of the L4 checksum field from l4_off, or -1 if none to keep. */
static int l4_csum_at(const struct l7_pkt *p)
{
	if (!(p->layers & L7_PKT_L4))
		return -1;
	if (p->proto == L7_IPPROTO_TCP)
		return 16;
	if (p->proto == L7_IPPROTO_UDP) {
		if (p->ip_version == 4 && l7_get_be16(p->data + p->l4_off + 6) == 0)
			return -1; /* no checksum over IPv4: keep it that way */
		return 6;
	}
	return -1;
}

/* Apply a checksum change of `old_b` -> `new_b` (even length, at an even
 * offset of the summed area) to the L4 checksum, if there is one. */
static void l4_csum_change(struct l7_pkt *p, uint8_t *frame, const uint8_t *old_b,
			   const uint8_t *new_b, size_t len)
{
	int at = l4_csum_at(p);
	uint8_t *f;
	uint16_t c;

	if (at < 0)
		return;
	f = frame + p->l4_off + at;
	c = l7_csum_update_bytes(l7_get_be16(f), old_b, new_b, len);
	if (p->proto == L7_IPPROTO_UDP && c == 0)
		c = 0xffff;
	l7_put_be16(f, c);
}

/*
 * Overwrite `len` bytes at absolute offset `at` inside the L4 header area
 * and fix the L4 checksum (l7_csum_replace widens the change to 16-bit
 * words counted from the L4 start, so odd offsets — TCP options — work).
 */
static void l4_write(struct l7_pkt *p, uint8_t *frame, uint32_t at, const uint8_t *val,
		     size_t len)
{
	uint8_t *l4 = frame + p->l4_off;
	int cs = l4_csum_at(p);
	uint16_t c;

	if (cs < 0) {
		memcpy(l4 + (at - p->l4_off), val, len);
		return;
	}
	c = l7_get_be16(l4 + cs);
	l7_csum_replace(l4, at - p->l4_off, val, len, &c);
	if (p->proto == L7_IPPROTO_UDP && c == 0)
		c = 0xffff;
	l7_put_be16(l4 + cs, c);
}

/* ------------------------------------------------------------ mutators */

int l7_pkt_set_addrs(struct l7_pkt *p, uint8_t *frame, const struct l7_addr *src,
		     const struct l7_addr *dst)
{
	const struct l7_addr *na[2] = { src, dst };
	struct l7_addr *va[2] = { &p->src, &p->dst };
	uint8_t *ip;
	int rc = check_frame(p, frame, L7_PKT_L3);

	if (rc)
		return rc;
	for (int i = 0; i < 2; i++)
		if (na[i] && l7_addr_is_v4(na[i]) != (p->ip_version == 4))
			return L7_EINVAL;
	ip = frame + p->l3_off;
	for (int i = 0; i < 2; i++) {
		if (!na[i])
			continue;
		if (p->ip_version == 4) {
			uint8_t *a = ip + 12 + 4 * i;

			l7_put_be16(ip + 10, l7_csum_update_bytes(l7_get_be16(ip + 10), a,
							      na[i]->b + 12, 4));
			l4_csum_change(p, frame, a, na[i]->b + 12, 4);
			memcpy(a, na[i]->b + 12, 4);
		} else {
			uint8_t *a = ip + 8 + 16 * i;

			l4_csum_change(p, frame, a, na[i]->b, 16);
			memcpy(a, na[i]->b, 16);
		}
		*va[i] = *na[i];
	}
	return 0;
}

int l7_pkt_set_ports(struct l7_pkt *p, uint8_t *frame, uint16_t sport, uint16_t dport)
{
	uint8_t v[4];
	int rc = check_frame(p, frame, L7_PKT_L4);

	if (rc)
		return rc;
	if (p->proto != L7_IPPROTO_TCP && p->proto != L7_IPPROTO_UDP)
		return L7_EINVAL;
	l7_put_be16(v, sport);
	l7_put_be16(v + 2, dport);
	l4_write(p, frame, p->l4_off, v, 4);
	p->sport = sport;
	p->dport = dport;
	return 0;
}

static int check_tcp(const struct l7_pkt *p, const uint8_t *frame)
{
	int rc = check_frame(p, frame, L7_PKT_L4);

	if (rc)
		return rc;
	return p->proto == L7_IPPROTO_TCP ? 0 : L7_ENOTTCP;
}

int l7_pkt_set_seq(struct l7_pkt *p, uint8_t *frame, uint32_t seq)
{
	uint8_t v[4];
	int rc = check_tcp(p, frame);

	if (rc)
		return rc;
	l7_put_be32(v, seq);
	l4_write(p, frame, p->l4_off + 4, v, 4);
	p->tcp_seq = seq;
	return 0;
}

int l7_pkt_set_ack(struct l7_pkt *p, uint8_t *frame, uint32_t ack)
{
	uint8_t v[4];
	int rc = check_tcp(p, frame);

	if (rc)
		return rc;
	l7_put_be32(v, ack);
	l4_write(p, frame, p->l4_off + 8, v, 4);
	p->tcp_ack = ack;
	return 0;
}

int l7_pkt_set_flags(struct l7_pkt *p, uint8_t *frame, uint16_t flags)
{
	uint8_t v[2];
	int rc = check_tcp(p, frame);
	uint16_t w;

	if (rc)
		return rc;
	/* Keep the data offset and the reserved bits; replace the 9 flags. */
	w = l7_get_be16(frame + p->l4_off + 12);
	w = (uint16_t)((w & ~0x1ffu) | (flags & 0x1ff));
	l7_put_be16(v, w);
	l4_write(p, frame, p->l4_off + 12, v, 2);
	p->tcp_flags = (uint16_t)(flags & 0x1ff);
	return 0;
}

int l7_pkt_set_window(struct l7_pkt *p, uint8_t *frame, uint16_t window)
{
	uint8_t v[2];
	int rc = check_tcp(p, frame);

	if (rc)
		return rc;
	l7_put_be16(v, window);
	l4_write(p, frame, p->l4_off + 14, v, 2);
	p->tcp_window = window;
	return 0;
}

int l7_pkt_set_vxlan_vni(struct l7_pkt *p, uint8_t *frame, uint32_t vni)
{
	uint8_t v[3];
	int rc = check_frame(p, frame, L7_PKT_L4);

	if (rc)
		return rc;
	if (!(p->flags & L7_PKT_F_VXLAN) || vni > 0xffffff)
		return L7_EINVAL;
	v[0] = (uint8_t)(vni >> 16);
	v[1] = (uint8_t)(vni >> 8);
	v[2] = (uint8_t)vni;
	/* The VNI sits in the UDP payload; l4_write widens to words itself. */
	l4_write(p, frame, p->payload_off + 4, v, 3);
	p->vxlan_vni = vni;
	return 0;
}

/* ------------------------------------------------------------ options */

int l7_pkt_tcpopt_rewrite(struct l7_pkt *p, uint8_t *frame, uint8_t kind,
			  const uint8_t *val, size_t len)
{
	struct l7_tcpopt o;
	const uint8_t *opts;
	size_t olen;
	int rc = check_tcp(p, frame);

	if (rc)
		return rc;
	opts = l7_pkt_tcp_opts(p, &olen);
	rc = l7_tcpopt_find(opts, olen, kind, &o);
	if (rc < 0)
		return rc;
	if (rc == 0 || kind == L7_TCPOPT_NOP)
		return L7_ENOENT;
	if ((size_t)o.len - 2 != len)
		return L7_ERANGE;
	if (len)
		l4_write(p, frame, p->l4_off + L7_TCP_HDR_MIN + o.off + 2, val, len);
	return 0;
}

int l7_pkt_tcpopt_remove(struct l7_pkt *p, uint8_t *frame, uint8_t kind)
{
	static const uint8_t nops[L7_TCP_OPT_MAX] = {
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
		1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	};
	struct l7_tcpopt_iter it;
	struct l7_tcpopt o;
	const uint8_t *opts;
	size_t olen;
	int rc = check_tcp(p, frame), n = 0;

	if (rc)
		return rc;
	if (kind == L7_TCPOPT_NOP || kind == L7_TCPOPT_EOL)
		return L7_EINVAL;
	opts = l7_pkt_tcp_opts(p, &olen);
	rc = l7_tcpopt_validate(opts, olen);
	if (rc)
		return rc;
	l7_tcpopt_iter_init(&it, opts, olen);
	while ((rc = l7_tcpopt_next(&it, &o)) > 0) {
		if (o.kind != kind)
			continue;
		l4_write(p, frame, p->l4_off + L7_TCP_HDR_MIN + o.off, nops, o.len);
		n++;
	}
	return rc < 0 ? rc : n;
}

int l7_pkt_tcp_set_opts(struct l7_pkt *p, uint8_t *frame, size_t frame_cap,
			const uint8_t *opts, size_t opts_len)
{
	uint32_t old_thl, new_thl, new_ip_len, new_caplen;
	uint8_t *ip, *th;
	uint8_t tmp[L7_TCP_OPT_MAX];
	int rc = check_tcp(p, frame);

	if (rc)
		return rc;
	if (p->flags & (L7_PKT_F_SNAPPED | L7_PKT_F_TSO | L7_PKT_F_FRAG))
		return L7_EINVAL;
	if (opts_len > L7_TCP_OPT_MAX)
		return L7_ERANGE;
	if (opts_len && !opts)
		return L7_EINVAL;
	old_thl = p->tcp_hdr_len;
	new_thl = L7_TCP_HDR_MIN + (uint32_t)((opts_len + 3) & ~(size_t)3);
	new_ip_len = p->ip_len - old_thl + new_thl;
	if ((p->ip_version == 4 && new_ip_len > 65535) ||
	    (p->ip_version == 6 && new_ip_len - 40 > 65535))
		return L7_ERANGE;
	/* Any L2 padding after the IP packet is dropped. */
	new_caplen = p->l3_off + new_ip_len;
	if (new_caplen > frame_cap)
		return L7_ENOSPC;

	if (opts_len)
		memcpy(tmp, opts, opts_len); /* opts may point into the frame */
	ip = frame + p->l3_off;
	th = frame + p->l4_off;
	memmove(th + new_thl, frame + p->payload_off, p->payload_len);
	memcpy(th + L7_TCP_HDR_MIN, tmp, opts_len);
	memset(th + L7_TCP_HDR_MIN + opts_len, L7_TCPOPT_EOL,
	       new_thl - L7_TCP_HDR_MIN - opts_len);
	th[12] = (uint8_t)((new_thl / 4) << 4 | (th[12] & 0x0f));
	if (p->ip_version == 4) {
		l7_put_be16(ip + 2, (uint16_t)new_ip_len);
		l7_put_be16(ip + 10, l7_csum_ipv4_hdr(ip, p->l3_hdr_len));
	} else {
		l7_put_be16(ip + 4, (uint16_t)(new_ip_len - 40));
	}
	rc = l7_pkt_parse(p, frame, new_caplen, p->linktype);
	if (rc)
		return rc;
	rc = l7_csum_l4(p);
	if (rc < 0)
		return rc;
	l7_put_be16(frame + p->l4_off + 16, (uint16_t)rc);
	return 0;
}

int l7_pkt_tcpopt_insert(struct l7_pkt *p, uint8_t *frame, size_t frame_cap,
			 uint8_t kind, const uint8_t *val, size_t val_len)
{
	struct l7_tcpopt_iter it;
	struct l7_tcpopt o;
	const uint8_t *opts;
	uint8_t buf[L7_TCP_OPT_MAX];
	size_t olen, used = 0, n;
	int rc = check_tcp(p, frame);

	if (rc)
		return rc;
	if (kind <= L7_TCPOPT_NOP || val_len > L7_TCP_OPT_MAX - 2 || (val_len && !val))
		return L7_EINVAL;
	opts = l7_pkt_tcp_opts(p, &olen);
	/* Keep everything up to the end of the last real option; trailing NOPs
	 * and EOL padding are free space. */
	l7_tcpopt_iter_init(&it, opts, olen);
	while ((rc = l7_tcpopt_next(&it, &o)) > 0)
		if (o.kind != L7_TCPOPT_NOP)
			used = (size_t)o.off + o.len;
	if (rc < 0)
		return rc;
	n = used + 2 + val_len;
	if (n > L7_TCP_OPT_MAX)
		return L7_ERANGE;
	memcpy(buf, opts, used);
	buf[used] = kind;
	buf[used + 1] = (uint8_t)(2 + val_len);
	if (val_len)
		memcpy(buf + used + 2, val, val_len);
	return l7_pkt_tcp_set_opts(p, frame, frame_cap, buf, n);
}

int l7_pkt_fix_csums(struct l7_pkt *p, uint8_t *frame)
{
	int rc = check_frame(p, frame, L7_PKT_L3), c;

	if (rc)
		return rc;
	if (p->ip_version == 4) {
		uint8_t *ip = frame + p->l3_off;

		l7_put_be16(ip + 10, l7_csum_ipv4_hdr(ip, p->l3_hdr_len));
	}
	if (p->flags & (L7_PKT_F_TSO | L7_PKT_F_FRAG))
		return L7_EINVAL;
	c = l7_csum_l4(p);
	if (c < 0)
		return L7_EINVAL;
	l7_put_be16(frame + p->l4_off + (p->proto == L7_IPPROTO_TCP ? 16 : 6), (uint16_t)c);
	return 0;
}
