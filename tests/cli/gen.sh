#!/bin/sh
# gen.sh — `l7sim gen`: the same arguments give a byte-identical pcap, a
# different seed a different one; inspect reads back exactly the traffic
# asked for; tshark's TCP analysis flags nothing (skipped with a message if
# tshark is absent); bad options exit 2 with one line.
set -u
: "${L7SIM:?L7SIM not set}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "FAIL: $*"; fail=1; }

args="--seed 42 --connections 25 --requests-per-conn 4 --mix 1k:5,20k:3,300k:1"
"$L7SIM" gen -o "$tmp/a.pcap" $args >"$tmp/msg" || err "gen a"
"$L7SIM" gen $args -o "$tmp/b.pcap" >/dev/null || err "gen b"
"$L7SIM" gen $args >"$tmp/c.pcap" || err "gen to stdout"
"$L7SIM" gen -o "$tmp/d.pcap" --seed 43 --connections 25 --requests-per-conn 4 \
	--mix 1k:5,20k:3,300k:1 >/dev/null || err "gen d"
cmp -s "$tmp/a.pcap" "$tmp/b.pcap" || err "same arguments, different bytes"
cmp -s "$tmp/a.pcap" "$tmp/c.pcap" || err "stdout output differs from -o output"
cmp -s "$tmp/a.pcap" "$tmp/d.pcap" && err "seeds 42 and 43 gave the same bytes"
grep -q "^wrote $tmp/a.pcap: [0-9]* packets, 25 connections, 100 requests, " "$tmp/msg" ||
	err "summary line: $(cat "$tmp/msg")"
# nanosecond pcap magic, host order (little-endian here): 4d 3c b2 a1
[ "$(od -An -tx1 -N4 "$tmp/a.pcap" | tr -d ' ')" = "4d3cb2a1" ] || err "not a ns pcap"

# inspect reads back exactly what was asked for
"$L7SIM" inspect --json "$tmp/a.pcap" >"$tmp/j" || err "inspect"
for want in '"connections": 25,' '"complete": 25,' '"half_open": 0,' '"reset": 0,' \
	    '"requests": 100,' '"responses": 100,' '"GET": 100' '"2xx": 100,' \
	    '"retransmitted_segments": 0,' '"out_of_order_segments": 0,' '"gaps": 0,' \
	    '"errors": 0,'; do
	grep -q "$want" "$tmp/j" || err "inspect: missing $want"
done
# defaults: 10 connections x 3 requests
"$L7SIM" gen -o "$tmp/def.pcap" >/dev/null || err "gen defaults"
"$L7SIM" inspect --json "$tmp/def.pcap" | grep -q '"requests": 30,' || err "defaults: 30 requests"
# raw IP link type
"$L7SIM" gen --raw --connections 2 -o "$tmp/raw.pcap" >/dev/null || err "gen --raw"
"$L7SIM" inspect --json "$tmp/raw.pcap" | grep -q '"linktype": 101,' || err "--raw: link type 101"

# bad usage: exit 2, one line
for bad in "--connections x" "--requests-per-conn 0" "--mix 1k:0" "--mix 9m" "--bogus" "extra"; do
	"$L7SIM" gen -o "$tmp/x.pcap" $bad >/dev/null 2>"$tmp/e"
	rc=$?
	[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/e")" -eq 1 ] && grep -q '^l7sim: gen: ' "$tmp/e" ||
		err "gen $bad: exit $rc, stderr: $(cat "$tmp/e")"
done

# tshark's TCP analysis (retransmissions, lost segments, dup ACKs, window
# problems, ACKed unseen segments...) must find nothing
if command -v tshark >/dev/null 2>&1; then
	tshark -r "$tmp/a.pcap" -Y tcp.analysis.flags >"$tmp/ts" 2>"$tmp/ts_err" || err "tshark failed: $(cat "$tmp/ts_err")"
	[ -s "$tmp/ts" ] && { err "tshark flags:"; head "$tmp/ts"; }
	n=$(tshark -r "$tmp/a.pcap" -q -z conv,tcp 2>/dev/null | grep -c '<->')
	[ "$n" -eq 25 ] || err "tshark sees $n TCP conversations, want 25"
	n=$(tshark -r "$tmp/a.pcap" -Y http.request 2>/dev/null | wc -l)
	[ "$n" -eq 100 ] || err "tshark sees $n HTTP requests, want 100"
	# every payload byte is delivered once: our in-order totals equal the
	# sum of tshark's tcp.len (no retransmissions here)
	ts_bytes=$(tshark -r "$tmp/a.pcap" -T fields -e tcp.len 2>/dev/null | awk '{s += $1} END {print s}')
	ours=$(sed -n 's/^    "bytes_[cs]2[cs]": \([0-9]*\),$/\1/p' "$tmp/j" | awk '{s += $1} END {print s}')
	[ "$ts_bytes" = "$ours" ] || err "payload bytes: tshark $ts_bytes, inspect $ours"
else
	echo "gen.sh: tshark not installed, its analysis check skipped"
fi
exit $fail
