# bench_table.mk — peer libraries of bench/bench_table.c: DPDK rte_hash
# (pkg-config libdpdk) and Concurrency Kit ck_ht (-lck). DPDK's headers need
# GNU C and are not -Wpedantic clean; its -march=corei7 is dropped so the
# bench keeps the -march the build asked for. Its include directories are
# passed as -isystem so -MMD leaves DPDK headers out of the .d file (the
# link rule passes $^, which would otherwise hand those headers to the
# compiler on the next build).
BENCH_CFLAGS_bench_table := $(patsubst -I%,-isystem%,$(filter-out -march=%,$(shell pkg-config --cflags libdpdk 2>/dev/null))) -std=gnu11 -Wno-pedantic
BENCH_LIBS_bench_table := $(shell pkg-config --libs libdpdk 2>/dev/null) -lck
