# test_http_pcaps reassembles the mal_* captures with the pcap module.
TEST_MODS_test_http_pcaps := pcap
