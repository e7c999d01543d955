// peer_ns3_tcp.cc — the ns-3 peer of bench_sim_net (PEERS.md): the same
// bulk TCP transfer as our tcpep benchmark (one sender, one receiver, a
// 1 Gbit/s point-to-point link with 50 us delay each way, MSS payload 1448,
// delayed ACKs every 2 segments), run by ns-3's own TCP (BulkSendApplication
// -> PacketSink). Prints "frames_received bytes_delivered cpu_seconds" for
// the run; the frame count is every MacRx on both devices (data and ACKs).
// Usage: peer_ns3_tcp BYTES
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include "ns3/core-module.h"
#include "ns3/network-module.h"
#include "ns3/internet-module.h"
#include "ns3/point-to-point-module.h"
#include "ns3/applications-module.h"
using namespace ns3;
static uint64_t rx_pkts;
static void on_rx(Ptr<const Packet>) { rx_pkts++; }
int main(int argc, char **argv) {
	uint64_t bytes = argc > 1 ? strtoull(argv[1], 0, 10) : 100000000ULL;
	Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(1448));
	Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(2));
	Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(1 << 22));
	Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(1 << 22));
	NodeContainer nodes; nodes.Create(2);
	PointToPointHelper p2p;
	p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
	p2p.SetChannelAttribute("Delay", StringValue("50us"));
	NetDeviceContainer devs = p2p.Install(nodes);
	InternetStackHelper st; st.Install(nodes);
	Ipv4AddressHelper a; a.SetBase("10.0.0.0", "255.255.255.0");
	Ipv4InterfaceContainer ifs = a.Assign(devs);
	BulkSendHelper src("ns3::TcpSocketFactory", InetSocketAddress(ifs.GetAddress(1), 80));
	src.SetAttribute("MaxBytes", UintegerValue(bytes));
	ApplicationContainer sa = src.Install(nodes.Get(0)); sa.Start(Seconds(0));
	PacketSinkHelper sink("ns3::TcpSocketFactory", InetSocketAddress(Ipv4Address::GetAny(), 80));
	ApplicationContainer ka = sink.Install(nodes.Get(1)); ka.Start(Seconds(0));
	Config::ConnectWithoutContext("/NodeList/*/DeviceList/*/$ns3::PointToPointNetDevice/MacRx", MakeCallback(&on_rx));
	struct timespec t0, t1; clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	Simulator::Run();
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
	double s = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) * 1e-9;
	uint64_t got = DynamicCast<PacketSink>(ka.Get(0))->GetTotalRx();
	printf("%llu %llu %.6f\n", (unsigned long long)rx_pkts, (unsigned long long)got, s);
	Simulator::Destroy();
	return 0;
}
