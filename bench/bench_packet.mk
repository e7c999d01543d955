# bench_packet.mk — DPDK's rte_raw_cksum (header-only inline) is the peer
# of the checksum benchmark; -isystem keeps DPDK's headers out of -Werror.
BENCH_CFLAGS_bench_packet := -isystem /usr/include/dpdk -isystem /usr/include/x86_64-linux-gnu/dpdk -include rte_config.h -DHAVE_DPDK_CKSUM=$(shell test -f /usr/include/dpdk/rte_ip.h && echo 1 || echo 0)
