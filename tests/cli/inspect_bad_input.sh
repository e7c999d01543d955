#!/bin/sh
# inspect_bad_input.sh — `l7sim inspect` on broken captures: every file of
# ../shared/data/pcaps/malformed/ and files crafted here (garbage, empty,
# truncated inside a record, unsupported link type, a directory, a missing
# file). Each either fails with exactly one stderr line
# "l7sim: FILE: what is wrong" and exit status 2, or is readable and reports
# the bad packets it skipped (exit 0). Never a crash or a hang (timeout 20 s).
# Needs $L7SIM; the shared part skips without $L7_SHARED_DATA.
set -u
: "${L7SIM:?L7SIM not set}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0

# expect_error FILE PATTERN: exit 2, stdout empty, stderr one line matching
# "l7sim: FILE: PATTERN" (grep -E, anchored).
expect_error() {
	timeout 20 "$L7SIM" inspect "$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ $rc -ne 2 ] || [ "$lines" -ne 1 ] || [ -s "$tmp/out" ] ||
	   ! grep -Eq "^l7sim: $(printf '%s' "$1" | sed 's/[.[\*^$/]/\\&/g'): $2\$" "$tmp/err"; then
		echo "FAIL: $1: want exit 2 and one line matching '$2'; got exit $rc, $lines line(s):"
		cat "$tmp/err"
		fail=1
	fi
}

# expect_skipped FILE KIND N: exit 0, no stderr, N packets skipped as KIND.
expect_skipped() {
	timeout 20 "$L7SIM" inspect --json "$1" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne 0 ] || [ -s "$tmp/err" ] || ! grep -q "\"$2\": $3,\$" "$tmp/out"; then
		echo "FAIL: $1: want exit 0 and \"$2\": $3 skipped; got exit $rc"
		cat "$tmp/err"
		fail=1
	fi
}

# ---- crafted files (need nothing but l7sim and printf)
printf 'this is not a capture file at all, just text\n' >"$tmp/garbage.pcap"
expect_error "$tmp/garbage.pcap" "unknown file format"

: >"$tmp/empty.pcap"
expect_error "$tmp/empty.pcap" "not a capture file: truncated dump file; tried to read 4 file header bytes, only got 0"

# a pcap header (LE, us, snaplen 65535, Ethernet) and one 60-byte record of
# which only 10 bytes are present
hdr='\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\001\000\000\000'
rec='\000\000\000\000\000\000\000\000\074\000\000\000\074\000\000\000'
printf "$hdr$rec" >"$tmp/trunc.pcap"
printf '0123456789' >>"$tmp/trunc.pcap"
expect_error "$tmp/trunc.pcap" "packet 1: file ends inside the record \(truncated dump file; tried to read 60 captured bytes, only got 10\)"

# the same header with link type 147 (LINKTYPE_USER0) and no records
printf '\324\303\262\241\002\000\004\000\000\000\000\000\000\000\000\000\377\377\000\000\223\000\000\000' >"$tmp/user0.pcap"
expect_error "$tmp/user0.pcap" "unsupported link type 147"

expect_error "$tmp" ".+"
expect_error "$tmp/does-not-exist.pcap" "No such file or directory"

# ---- the shared malformed captures
d=${L7_SHARED_DATA:-}/pcaps/malformed
if [ -z "${L7_SHARED_DATA:-}" ] || [ ! -d "$d" ]; then
	echo "inspect_bad_input.sh: shared part skipped, L7_SHARED_DATA not set"
	[ $fail -eq 0 ] && exit 77
	exit 1
fi
expect_error "$d/libpcap_pcap-invalid-version-1.pcap" "archaic pcap savefile format"
expect_error "$d/libpcap_shb-option-too-long.pcapng" "block total length in header and trailer don't match"
expect_error "$d/ndpi_fuzz-2021-10-13.pcap" "packet 2: file ends inside the record \(truncated dump file; tried to read 16 header bytes, only got 2\)"
expect_error "$d/suricata_bug-6875-fuzz.pcap" "packet 2: invalid packet capture length 1409179648, bigger than snaplen of 65535"
# readable files whose packets are bad: skipped and counted
expect_skipped "$d/pcpp_tcp-malformed.pcap" malformed 2
expect_skipped "$d/tcpdump_ipv6hdr-heapoverflow.pcap" truncated 1
expect_skipped "$d/tcpdump_tcp_header_heapoverflow.pcap" truncated 1
expect_skipped "$d/zeek_ipv4-internally-truncated-header.pcap" truncated 1
expect_skipped "$d/zeek_tcp_truncated-header.pcap" truncated 1
# a RST carrying 58 bytes cut by the snaplen: a valid packet, one reset connection
expect_skipped "$d/tcpdump_tcp_rst_data-trunc.pcap" truncated 0
grep -q '"reset": 1,' "$tmp/out" || { echo "FAIL: rst_data-trunc: want one reset connection"; fail=1; }
# a valid header with no records: zero packets, not an error
expect_skipped "$d/arkime_empty.pcap" truncated 0
grep -q '"packets": 0,' "$tmp/out" || { echo "FAIL: arkime_empty: want 0 packets"; fail=1; }

# every file of the folder is covered above
n=$(ls "$d" | wc -l)
[ "$n" -eq 11 ] || { echo "FAIL: malformed/ has $n files, this script knows 11"; fail=1; }
exit $fail
