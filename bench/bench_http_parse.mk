# bench_http_parse.mk — nodejs http-parser (Debian libhttp-parser-dev) is the
# peer; the request heads come from the captures, reassembled by the pcap
# module with the helper in tests/unit/test_http_streams.h.
BENCH_MODS_bench_http_parse := pcap
BENCH_LIBS_bench_http_parse := -lhttp_parser
BENCH_CFLAGS_bench_http_parse := -Itests/unit
