# bench_sim_net.mk — the ns-3 peer of bench_sim_net (PEERS.md): a C++ bulk
# TCP transfer over ns-3's point-to-point model, built against Debian's
# libns3-dev. bench_sim_net finds it at $(BUILD)/bench/peer_ns3_tcp and
# prints a "skipped" peer when ns-3 is not installed.
NS3_INC ?= /usr/include
NS3_TCP_LIBS ?= -lns3-applications -lns3-internet -lns3-point-to-point -lns3-network \
	-lns3-traffic-control -lns3-stats -lns3-bridge -lns3-core
CXX ?= g++

$(BUILD)/bench/peer_ns3_tcp: bench/peer_ns3_tcp.cc
	@mkdir -p $(@D)
	@if [ -f $(NS3_INC)/ns3/point-to-point-module.h ]; then \
	  echo "$(CXX) -O2 -std=c++17 ... -o $@"; \
	  $(CXX) -O2 -std=c++17 -I$(NS3_INC) -o $@ bench/peer_ns3_tcp.cc $(NS3_TCP_LIBS); \
	else echo "ns-3 headers not found under $(NS3_INC): ns-3 TCP peer skipped"; fi

# Order-only, so the peer is built with the bench but not linked into it.
$(BUILD)/bench/bench_sim_net: | $(BUILD)/bench/peer_ns3_tcp
