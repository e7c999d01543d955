#!/bin/sh
# splice_replay.sh — the second half of the splice replay oracle
# (ARCHITECTURE.md §5): run test_splice_replay with L7_SPLICE_REPLAY_OUT so
# it writes, per capture, the client leg, the server leg and the replayed
# original connections as pcaps, then ask tshark for TCP analysis flags
# ('tcp.analysis.flags && !tcp.analysis.window_update') in each. Nothing
# may be attributable to the engine: for every kind of flag, each leg may
# have at most as many as the original capture has. The one allowed extra
# is a SYN-ACK retransmission on the client leg answering a retransmitted
# SYN (RFC 9293 §3.10.7.4: a duplicate SYN gets the SYN-ACK again).
# Needs $BUILD (with tests/test_splice_replay built), $L7_SHARED_DATA, tshark.
bin="$BUILD/tests/test_splice_replay"
if [ ! -x "$bin" ] || [ ! -d "$L7_SHARED_DATA/pcaps" ] || ! command -v tshark >/dev/null 2>&1; then
	echo "splice_replay.sh: needs $bin, \$L7_SHARED_DATA/pcaps and tshark; skipping"
	exit 77
fi
out=$(mktemp -d "${TMPDIR:-/tmp}/splice-replay.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT
if ! L7_SPLICE_REPLAY_OUT="$out" "$bin" >"$out/log" 2>&1; then
	cat "$out/log"
	echo "splice_replay.sh: test_splice_replay failed"
	exit 1
fi
# One line per TCP analysis message (other dissectors' expert texts, e.g.
# an HTTP request line, are dropped), digits removed, counted.
flags() {
	tshark -r "$1" -Y 'tcp.analysis.flags && !tcp.analysis.window_update' \
		-T fields -e _ws.expert.message 2>/dev/null | tr ',' '\n' |
		grep -E 'retransmission|Duplicate ACK|not captured|out-of-order|[Ww]indow|Keep-Alive|reused|ACKed|Connection establish' |
		sed 's/[0-9]//g' | sort | uniq -c
}
bad=0; files=0; total=0
for orig in "$out"/*.orig.pcap; do
	[ -e "$orig" ] || continue
	base=${orig%.orig.pcap}
	files=$((files + 1))
	# The two legs in parallel; the original only when a leg has flags.
	flags "$base.client.pcap" >"$out/client.txt" &
	flags "$base.server.pcap" >"$out/server.txt"
	wait
	[ -s "$out/client.txt" ] || [ -s "$out/server.txt" ] || continue
	flags "$orig" >"$out/o.txt"
	# Retransmitted SYNs in the original (their "Connection establish
	# request" note): each may be answered by a SYN-ACK on the client leg,
	# which tshark flags as a retransmitted SYN-ACK.
	syn_rtx=$(awk '/Connection establish request \(SYN\)/ {s+=$1} END {print s+0}' "$out/o.txt")
	for leg in client server; do
		# For each message kind on the leg: count must be <= the original's.
		while read -r n msg; do
			[ -n "$msg" ] || continue
			total=$((total + n))
			o=$(awk -v m="$msg" '{c=$1; $1=""; sub(/^ /,""); if ($0==m) print c}' "$out/o.txt")
			o=${o:-0}
			if [ "$leg" = client ]; then
				case "$msg" in
				*"acknowledge (SYN+ACK)"*|*"(suspected) retransmission") o=$((o + syn_rtx));;
				esac
			fi
			if [ "$n" -gt "$o" ]; then
				echo "splice_replay.sh: $(basename "$base") $leg leg: $n x '$msg' vs $o in the original"
				bad=$((bad + 1))
			fi
		done <"$out/$leg.txt"
	done
done
grep '^replay:' "$out/log"
echo "splice_replay.sh: $files captures, $total flagged frames on the legs, $bad kinds above the original"
[ "$files" -gt 0 ] && [ "$bad" -eq 0 ]
