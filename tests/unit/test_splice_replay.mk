# test_splice_replay reads captures and writes output pcaps with the pcap module.
TEST_MODS_test_splice_replay := pcap
