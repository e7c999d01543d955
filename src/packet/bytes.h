/*
 * bytes.h — private big-endian load/store helpers of the packet module.
 *
 * Why shifts rather than ntohs(*(uint16_t *)p): frames are not aligned and
 * the view must not depend on the host's byte order; compilers turn these
 * into single loads plus a byte swap.
 */
#ifndef L7_PACKET_BYTES_H
#define L7_PACKET_BYTES_H

#include <stdint.h>

static inline uint16_t l7_rd16(const uint8_t *b)
{
	return (uint16_t)((uint16_t)b[0] << 8 | b[1]);
}

static inline uint32_t l7_rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline void l7_wr16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void l7_wr32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

#endif
