# Makefile — the one entry point of libl7splice and l7sim (ARCHITECTURE.md §3, §7).
#
#   make            library (static + shared), l7sim, examples
#   make check      deps, build, unit tests (plain, ASan+UBSan, TSan for *_mt
#                   tests), golden/shell tests, installed-library example, e2e
#   make bench      benchmarks; JSON lines on stdout
#   make demo       build, then run the main job on a built-in default
#   make install / uninstall   honours PREFIX and DESTDIR
#   make deps       apt-get install whatever Debian package is missing
#
# Modules are the folders of src/; a module's objects link only with the
# modules it depends on (DEPS_* below), so unit tests of one module build
# even while another is being written. Folder-local make fragments
# (bench/*.mk, tests/*/*.mk, examples/*.mk, sim/*.mk) add rules without
# editing this file.

VERSION   := 0.1.0
SOVERSION := 0
PREFIX    ?= /usr/local
DESTDIR   ?=
BUILD     ?= build
OPT       ?= -O2 -g
WERROR    ?= -Werror
SAN       ?=
SHARED_DATA ?= $(abspath ../shared/data)

SAN_FLAGS_asan := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_FLAGS_tsan := -fsanitize=thread -fno-omit-frame-pointer
SANFLAGS := $(SAN_FLAGS_$(SAN))

WARN      := -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes $(WERROR)
L7_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(OPT) $(SANFLAGS) -fPIC -Iinclude -MMD -MP $(CFLAGS)
L7_LDFLAGS := $(SANFLAGS) $(LDFLAGS)
L7_LIBS   := -lpcap -ljansson -lck -lm -lpthread

# ---------------------------------------------------------------- modules
MODULES := $(sort $(notdir $(patsubst %/,%,$(dir $(wildcard src/*/*.c)))))

# Downward-only dependencies (ARCHITECTURE.md §3), listed transitively.
DEPS_common   :=
DEPS_packet   := common
DEPS_tcp      := common packet
DEPS_splice   := common packet tcp
DEPS_http     := common
DEPS_route    := common http
DEPS_table    := common
DEPS_pipeline := common table packet
DEPS_pcap     := common packet
DEPS_sim      := $(MODULES)

# "sim" is a pseudo-module: l7sim's objects without main.o, on top of the
# whole library, so tests/benches named *_sim_* can link the simulator.
mod_objs = $(if $(filter sim,$(1)),$(filter-out $(BUILD)/sim/main.o,$(SIM_OBJS)),$(patsubst %.c,$(BUILD)/%.o,$(wildcard src/$(1)/*.c)))
LIB_OBJS := $(foreach m,$(MODULES),$(call mod_objs,$(m)))

LIB_A  := $(BUILD)/libl7splice.a
LIB_SO := $(BUILD)/libl7splice.so.$(VERSION)

# ---------------------------------------------------------------- l7sim
SIM_SRCS := $(shell find sim -name '*.c' 2>/dev/null | sort)
SIM_OBJS := $(patsubst %.c,$(BUILD)/%.o,$(SIM_SRCS))
L7SIM    := $(BUILD)/l7sim

# ---------------------------------------------------------------- tests
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
MT_BINS   := $(filter %_mt,$(UNIT_BINS))
# test_<module>[_anything].c tests <module>; a fragment may add modules to
# one test's link set with TEST_MODS_test_x := pcap http (deps included).
test_mod = $(word 1,$(subst _, ,$(patsubst test_%,%,$(notdir $(1)))))
link_mods = $(sort $(foreach m,$(1),$(m) $(DEPS_$(m))))

# ---------------------------------------------------------------- benches
BENCH_SRCS := $(sort $(wildcard bench/bench_*.c))
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

# ---------------------------------------------------------------- examples
EXAMPLE_SRCS := $(sort $(wildcard examples/*.c))
EXAMPLE_BINS := $(patsubst examples/%.c,$(BUILD)/examples/%,$(EXAMPLE_SRCS))

.PHONY: all lib l7sim examples unit check check-unit check-asan check-tsan \
        check-shell e2e bench demo install uninstall deps deps-bench clean

all: lib l7sim examples
lib: $(LIB_A) $(LIB_SO)
l7sim: $(L7SIM)
examples: $(EXAMPLE_BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(L7_CFLAGS) -c $< -o $@

$(BUILD)/sim/%.o: sim/%.c
	@mkdir -p $(@D)
	$(CC) $(L7_CFLAGS) -Isim -c $< -o $@

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(LIB_SO): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,libl7splice.so.$(SOVERSION) $(L7_LDFLAGS) -o $@ $^ $(L7_LIBS)
	ln -sf libl7splice.so.$(VERSION) $(BUILD)/libl7splice.so.$(SOVERSION)
	ln -sf libl7splice.so.$(SOVERSION) $(BUILD)/libl7splice.so

$(L7SIM): $(SIM_OBJS) $(LIB_A)
	$(CC) $(L7_LDFLAGS) -o $@ $(SIM_OBJS) $(LIB_A) $(L7_LIBS)

$(BUILD)/examples/%: examples/%.c $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(L7_CFLAGS) -o $@ $< $(LIB_A) $(L7_LIBS)

# One rule per unit test: its own module's objects plus its dependencies'.
define unit_rule
$(BUILD)/tests/$(1): tests/unit/$(1).c $(foreach m,$(call link_mods,$(call test_mod,$(1)) $(TEST_MODS_$(1))),$(call mod_objs,$(m)))
	@mkdir -p $$(@D)
	$$(CC) $$(L7_CFLAGS) -Itests/unit -Isim -o $$@ $$(filter %.c %.o,$$^) $$(L7_LDFLAGS) -lcmocka $$(L7_LIBS)
endef

# One rule per benchmark bench_<module>[_x].c, linked like a unit test;
# bench/<name>.mk may set BENCH_LIBS_<name> (peer libraries) and
# BENCH_CFLAGS_<name>.
define bench_rule
$(BUILD)/bench/$(1): bench/$(1).c $(foreach m,$(call link_mods,$(call test_mod,$(patsubst bench_%,test_%,$(1))) $(BENCH_MODS_$(1))),$(call mod_objs,$(m)))
	@mkdir -p $$(@D)
	$$(CC) $$(L7_CFLAGS) $$(BENCH_CFLAGS_$(1)) -Ibench -Isim -o $$@ $$(filter %.c %.o,$$^) $$(L7_LDFLAGS) $$(BENCH_LIBS_$(1)) $$(L7_LIBS)
endef

unit: $(UNIT_BINS)

-include $(sort $(wildcard bench/*.mk tests/*/*.mk examples/*.mk sim/*.mk))
$(foreach t,$(UNIT_SRCS),$(eval $(call unit_rule,$(basename $(notdir $(t))))))
$(foreach b,$(BENCH_SRCS),$(eval $(call bench_rule,$(basename $(notdir $(b))))))

# ---------------------------------------------------------------- check
# tests/run.sh runs each program, treats exit 77 as a skip, and prints one
# "N passed, N failed, N skipped" line; check fails if anything failed.
RUN_TESTS = L7_SHARED_DATA=$(SHARED_DATA) L7SIM=$(abspath $(L7SIM)) BUILD=$(abspath $(BUILD)) sh tests/run.sh

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
COUNTS := $(abspath build)/check-counts

check: deps
	@mkdir -p build && rm -f $(COUNTS)
	$(MAKE) -j$(JOBS) all unit
	L7_COUNTS=$(COUNTS) $(RUN_TESTS) unit $(UNIT_BINS)
	L7_COUNTS=$(COUNTS) $(MAKE) check-asan
	L7_COUNTS=$(COUNTS) $(MAKE) check-tsan
	L7_COUNTS=$(COUNTS) $(MAKE) check-shell
	L7_COUNTS=$(COUNTS) $(MAKE) e2e
	$(MAKE) -j$(JOBS) check-clang
	@awk '{p+=$$1; f+=$$2; s+=$$3} END {printf "check: %d passed, %d failed, %d skipped\n", p, f, s; exit (f > 0)}' $(COUNTS)

# The library must also build clean with clang (ARCHITECTURE.md §6).
check-clang:
	$(MAKE) -j$(JOBS) CC=clang BUILD=build-clang lib l7sim

check-unit: unit
	$(RUN_TESTS) unit $(UNIT_BINS)

check-asan:
	$(MAKE) -j$(JOBS) BUILD=build-asan SAN=asan OPT="-O1 -g" unit
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  L7_SHARED_DATA=$(SHARED_DATA) BUILD=$(abspath build-asan) sh tests/run.sh asan $(patsubst $(BUILD)/%,build-asan/%,$(UNIT_BINS))

check-tsan:
	@if [ -n "$(MT_BINS)" ]; then \
	  $(MAKE) -j$(JOBS) BUILD=build-tsan SAN=tsan OPT="-O1 -g" $(patsubst $(BUILD)/%,build-tsan/%,$(MT_BINS)) && \
	  TSAN_OPTIONS=halt_on_error=1 L7_SHARED_DATA=$(SHARED_DATA) sh tests/run.sh tsan $(patsubst $(BUILD)/%,build-tsan/%,$(MT_BINS)); \
	else echo "tsan: no *_mt tests"; fi

check-shell: all
	$(RUN_TESTS) shell $(sort $(wildcard tests/golden/*.sh tests/install/*.sh tests/cli/*.sh))

# End-to-end: examples/splice-lb between real TCP stacks in network
# namespaces (docs/e2e.md); tests/e2e/run.sh prints a SKIP line and exits 77
# where namespaces are not allowed.
e2e: all
	$(RUN_TESTS) e2e tests/e2e/run.sh

# ---------------------------------------------------------------- bench / demo
bench: deps-bench
	$(MAKE) OPT="-O3 -g -march=native" BUILD=build-bench all $(patsubst $(BUILD)/%,build-bench/%,$(BENCH_BINS))
	@L7_SHARED_DATA=$(SHARED_DATA) BUILD=$(abspath build-bench) sh bench/run.sh $(patsubst $(BUILD)/%,build-bench/%,$(BENCH_BINS))

demo: deps
	$(MAKE) all
	sh tools/demo.sh $(L7SIM)

# ---------------------------------------------------------------- install
INC_DIR := $(DESTDIR)$(PREFIX)/include
LIB_DIR := $(DESTDIR)$(PREFIX)/lib
BIN_DIR := $(DESTDIR)$(PREFIX)/bin
MAN_DIR := $(DESTDIR)$(PREFIX)/share/man
PC_DIR  := $(LIB_DIR)/pkgconfig

install: lib l7sim
	install -d $(INC_DIR)/l7splice $(LIB_DIR) $(BIN_DIR) $(PC_DIR) $(MAN_DIR)/man1 $(MAN_DIR)/man3
	install -m 644 include/l7splice.h $(INC_DIR)/
	install -m 644 include/l7splice/*.h $(INC_DIR)/l7splice/
	install -m 644 $(LIB_A) $(LIB_DIR)/
	install -m 755 $(LIB_SO) $(LIB_DIR)/
	ln -sf libl7splice.so.$(VERSION) $(LIB_DIR)/libl7splice.so.$(SOVERSION)
	ln -sf libl7splice.so.$(SOVERSION) $(LIB_DIR)/libl7splice.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' l7splice.pc.in > $(PC_DIR)/l7splice.pc
	install -m 755 $(L7SIM) $(BIN_DIR)/
	install -m 644 docs/man/l7sim.1 $(MAN_DIR)/man1/
	install -m 644 docs/man/libl7splice.3 $(MAN_DIR)/man3/

uninstall:
	rm -rf $(INC_DIR)/l7splice $(INC_DIR)/l7splice.h
	rm -f $(LIB_DIR)/libl7splice.a $(LIB_DIR)/libl7splice.so $(LIB_DIR)/libl7splice.so.$(SOVERSION) \
	      $(LIB_DIR)/libl7splice.so.$(VERSION) $(PC_DIR)/l7splice.pc $(BIN_DIR)/l7sim \
	      $(MAN_DIR)/man1/l7sim.1 $(MAN_DIR)/man3/libl7splice.3

# ---------------------------------------------------------------- deps
# Libraries and the tools the tests drive (tshark is the independent TCP
# oracle; nginx/curl/iproute2/wrk/tcpdump/python3 serve the e2e tests;
# gnuplot renders plots).
DEB_PKGS := build-essential pkg-config libpcap-dev libcmocka-dev libjansson-dev libck-dev \
            tshark tcpdump valgrind clang curl nginx-light iproute2 wrk gnuplot-nox python3
# Peers measured side by side in make bench (../shared/PEERS.md).
DEB_PKGS_BENCH := dpdk-dev libhttp-parser-dev libns3-dev

deps:
	@sh tools/deps.sh $(DEB_PKGS)

deps-bench: deps
	@sh tools/deps.sh $(DEB_PKGS_BENCH)

clean:
	rm -rf build build-asan build-tsan build-bench build-clang

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
