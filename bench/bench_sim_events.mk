# bench_sim_events.mk — the ns-3 peer of bench_sim_events (PEERS.md): a C++
# program built against Debian's libns3-dev (headers in /usr/include/ns3;
# the ns3-core pkg-config file wants libgsl, so the flags are explicit).
# bench_sim_events finds it at $(BUILD)/bench/peer_ns3_hold and prints a
# "skipped" line when ns-3 is not installed.
NS3_INC ?= /usr/include
NS3_LIBS ?= -lns3-core
CXX ?= g++

$(BUILD)/bench/peer_ns3_hold: bench/peer_ns3_hold.cc $(BUILD)/sim/engine/rng.o
	@mkdir -p $(@D)
	@if [ -f $(NS3_INC)/ns3/simulator.h ]; then \
	  echo "$(CXX) -O2 -std=c++17 ... -o $@ $(NS3_LIBS)"; \
	  $(CXX) -O2 -std=c++17 -I$(NS3_INC) -Iinclude -Isim -o $@ bench/peer_ns3_hold.cc $(BUILD)/sim/engine/rng.o $(NS3_LIBS) -lm; \
	else echo "ns-3 headers not found under $(NS3_INC): ns-3 peer skipped"; fi

# Order-only, so the peer is built with the bench but not linked into it.
$(BUILD)/bench/bench_sim_events: | $(BUILD)/bench/peer_ns3_hold
