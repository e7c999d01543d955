#!/bin/sh
# replay_oracle.sh — the replay oracle (ARCHITECTURE.md §5) over every
# capture at the top of $L7_SHARED_DATA/pcaps (malformed/ is for the
# bad-input tests), for every architecture `l7sim compare` runs, with
# X-Forwarded-For off and on (miresga.xff; the software proxy inserts
# nothing either way).
#
# Per capture, variant and architecture it asserts, from l7sim's own
# counters (models/client.h, models/server.h):
#   - client side: every response byte a client received equals the
#     captured server stream (client_resp_mismatch_bytes = 0), and a
#     client left without its whole response (client_incomplete) belongs
#     to a connection skipped or lost below;
#   - back-end side: every byte a back-end received equals the captured
#     client stream apart from X-Forwarded-For insertions
#     (server_req_mismatch_bytes = 0, server_legs_mismatch = 0, no leg of
#     an unknown connection, no leg closed inside a request), insertions
#     seen exactly when the balancer made some (xff_inserted);
#   - every connection is accounted for: received whole by some back-end,
#     or skipped by l7sim for a stated reason (server_conns_no_head: the
#     captured client stream never completes a request head; _not_http:
#     the library's parser rejects the first head, so a balancer that
#     needs HTTP refuses it; _no_route: the router has no route for it;
#     _empty: no client bytes), and the skips are exactly the ones listed
#     below (`expect`), so a connection that starts or stops being skipped
#     fails the test;
#   - server_conns_lost (neither whole nor skipped: bytes a back-end should
#     have had) is 0, except the known bugs listed below (`expect`, with
#     the report), which must match exactly: fixing one fails the test
#     until its line is updated.
# Captures l7sim refuses as a whole (no client data to replay) and
# architectures that refuse a workload (IPv4 only) are listed
# with l7sim's own reason. The whole run takes about 20 s.
# With REPLAY_ORACLE_VERBOSE=1 it prints one line per capture and
# architecture (the table of docs/validation.md "Replay oracle").
set -u
verbose=${REPLAY_ORACLE_VERBOSE:-}
[ "$verbose" = 0 ] && verbose=""
: "${L7SIM:?L7SIM not set}"
data=${L7_SHARED_DATA:-}
if [ -z "$data" ] || [ ! -d "$data/pcaps" ]; then
	echo "skip: \$L7_SHARED_DATA/pcaps not found (real captures; set L7_SHARED_DATA=../shared/data)"
	exit 77
fi
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "FAIL: $*"; fail=1; }

# Small pools: these captures are small, and allocating the default ones
# (32768 packets, 1M events) dominates the run time.
small="--set sim.packets=4096 --set sim.max_events=65536 --set backend.max_conns=1024 --set frontend.max_conns=1024"

# expect CAPTURE ARCH -> "no_head not_http no_route lost": the skips and
# losses l7sim must report. Anything not listed: all 0.
expect() {
	case "$1:$2" in
	# stream of a few bytes that never completes a request head (leading
	# gap / conflicting overlap / window-scale test; open at capture end)
	tcp_suricata_leading-gap.pcap:* | tcp_suricata_overlap-conflicting.pcap:* | \
	tcp_zeek_window-scale-range.pcap:*) echo "1 0 0 0" ;;
	# not HTTP/1.x to the library's parser: the splicing front-ends refuse
	# it (the software proxy tunnels it to a back-end, whole)
	mal_zeek_261_cl_negative.pcap:miresga | mal_zeek_261_cl_negative.pcap:switch-only | \
	mal_zeek_no-version.pcap:miresga | mal_zeek_no-version.pcap:switch-only | \
	tcp_zeek_reassembly.pcap:miresga | tcp_zeek_reassembly.pcap:switch-only) echo "0 1 0 0" ;;
	mal_zeek_http_09.pcap:miresga | mal_zeek_http_09.pcap:switch-only) echo "0 5 0 0" ;;
	real_pcpp_example.pcap:miresga | real_pcpp_example.pcap:switch-only) echo "0 2 0 0" ;;
	real_suricata_output-eve-ftp-data.pcap:miresga | \
	real_suricata_output-eve-ftp-data.pcap:switch-only) echo "0 3 0 0" ;;
	# "OPTIONS * HTTP/1.1": no route for the asterisk form; 40 connections
	# with methods the parser rejects
	real_zeek_methods.pcap:software) echo "0 0 1 0" ;;
	real_zeek_methods.pcap:miresga | real_zeek_methods.pcap:switch-only) echo "0 40 1 0" ;;
	*) echo "0 0 0 0" ;;
	esac
}

# The results of one --json file: one line per architecture,
# "ARCH refused" or "ARCH k=v ..." for the counters below (- if absent).
keys="client_conns_started client_resp_bytes client_resp_mismatch_bytes client_incomplete server_legs_checked server_legs_unchecked \
server_legs_mismatch server_legs_cut server_req_checked_bytes server_req_mismatch_bytes \
server_req_inserted_bytes server_conns_whole server_conns_no_head server_conns_not_http \
server_conns_no_route server_conns_empty server_conns_lost xff_inserted"
results() {
	awk -v keys="$keys" '
	function flush() {
		if (arch == "") return
		if (refused) { print arch, "refused"; arch = ""; return }
		line = arch
		for (i = 1; i <= n; i++) line = line " " k[i] "=" ((k[i] in v) ? v[k[i]] : "-")
		print line
		arch = ""
	}
	BEGIN { n = split(keys, k, " ") }
	/"results": \[/ { inres = 1; next }
	inres && /^ *"arch": "/ {
		flush()
		arch = $0; sub(/^ *"arch": "/, "", arch); sub(/".*/, "", arch)
		refused = 0; delete v; next
	}
	inres && /^ *"refused": / { refused = 1; next }
	inres && /^ *"[a-z0-9_]+": [0-9]+,?$/ {
		key = $1; gsub(/[":]/, "", key); val = $2; sub(/,$/, "", val); v[key] = val
	}
	END { flush() }' "$1"
}

n_files=0 n_runs=0 t_whole=0 t_bytes=0 t_ins=0 t_skip=0 t_resp=0
for f in "$data"/pcaps/*.pcap "$data"/pcaps/*.pcapng; do
	[ -f "$f" ] || continue
	b=$(basename "$f")
	n_files=$((n_files + 1))
	for xff in 0 1; do
		j="$tmp/$b.$xff.json"
		# shellcheck disable=SC2086
		"$L7SIM" compare "$f" -q --json "$j" $small --set miresga.xff=$xff \
			>/dev/null 2>"$tmp/err"
		rc=$?
		if [ $rc -eq 2 ] && grep -q ': no TCP connection with client data to replay$' "$tmp/err"; then
			[ $xff -eq 0 ] && echo "skip $b: $(sed 's/^l7sim: [^:]*: //' "$tmp/err")"
			continue
		fi
		if [ $rc -ne 0 ]; then
			err "$b xff=$xff: l7sim compare exit $rc: $(head -1 "$tmp/err")"
			continue
		fi
		results "$j" >"$tmp/res"
		[ -s "$tmp/res" ] || err "$b xff=$xff: no results in the JSON"
		while read -r arch rest; do
			if [ "$rest" = refused ]; then
				[ $xff -eq 0 ] && echo "refused $b $arch: $(grep -F "compare: $arch: refused:" "$tmp/err" | sed 's/.*refused: //')"
				continue
			fi
			n_runs=$((n_runs + 1))
			# the counters as shell variables (values are numbers or -)
			for kv in $rest; do eval "c_${kv%%=*}=\"${kv#*=}\""; done
			# shellcheck disable=SC2154
			{
			w="$b xff=$xff $arch"
			[ "$c_client_resp_mismatch_bytes" = 0 ] ||
				err "$w: $c_client_resp_mismatch_bytes response bytes differ at the clients"
			[ "$c_server_req_mismatch_bytes" = 0 ] && [ "$c_server_legs_mismatch" = 0 ] ||
				err "$w: $c_server_req_mismatch_bytes request bytes differ at the back-ends ($c_server_legs_mismatch legs)"
			[ "$c_server_legs_unchecked" = 0 ] || err "$w: $c_server_legs_unchecked back-end legs of unknown connections"
			[ "$c_server_legs_cut" = 0 ] || err "$w: $c_server_legs_cut back-end legs closed inside a request"
			skip=$((c_server_conns_no_head + c_server_conns_not_http + c_server_conns_no_route + c_server_conns_empty))
			[ $((c_server_conns_whole + skip + c_server_conns_lost)) -eq "$c_client_conns_started" ] ||
				err "$w: connections whole $c_server_conns_whole + skipped $skip + lost $c_server_conns_lost != started $c_client_conns_started"
			got="$c_server_conns_no_head $c_server_conns_not_http $c_server_conns_no_route $c_server_conns_lost"
			want=$(expect "$b" "$arch")
			[ "$got" = "$want" ] ||
				err "$w: no_head not_http no_route lost = $got, expected $want"
			[ "$c_server_conns_empty" = 0 ] || err "$w: $c_server_conns_empty connections without client bytes"
			# a client left without its whole response must be one of those
			[ "$c_client_incomplete" -le $((skip + c_server_conns_lost)) ] ||
				err "$w: $c_client_incomplete clients without their whole response, only $((skip + c_server_conns_lost)) connections skipped or lost"
			if [ "$c_xff_inserted" = - ] || [ "$c_xff_inserted" = 0 ]; then
				[ "$c_server_req_inserted_bytes" = 0 ] ||
					err "$w: $c_server_req_inserted_bytes inserted bytes but no insertion made"
			elif [ "$c_server_conns_whole" -gt 0 ]; then
				[ "$c_server_req_inserted_bytes" -gt 0 ] ||
					err "$w: $c_xff_inserted insertions made, none seen at the back-ends"
			fi
			[ $xff -eq 1 ] || [ "$c_server_req_inserted_bytes" = 0 ] ||
				err "$w: insertions with X-Forwarded-For off"
			if [ $xff -eq 0 ]; then
				lost=""
				[ "$c_server_conns_lost" = 0 ] || lost=" LOST $c_server_conns_lost (known bug, see expect)"
				[ -n "$verbose$lost" ] && echo "$b $arch: connections $c_client_conns_started, whole $c_server_conns_whole, skipped: no_head $c_server_conns_no_head not_http $c_server_conns_not_http no_route $c_server_conns_no_route; back-end legs $c_server_legs_checked, mismatching 0, request bytes compared $c_server_req_checked_bytes; response bytes compared at the clients $c_client_resp_bytes$lost"
				t_whole=$((t_whole + c_server_conns_whole))
				t_skip=$((t_skip + skip))
				t_bytes=$((t_bytes + c_server_req_checked_bytes))
				t_resp=$((t_resp + c_client_resp_bytes))
			else
				t_ins=$((t_ins + c_server_req_inserted_bytes))
			fi
			}
		done <"$tmp/res"
	done
done

[ $n_files -ge 1 ] || err "no captures in $data/pcaps"
[ $t_whole -gt 0 ] && [ $t_bytes -gt 0 ] || err "nothing compared"
[ $t_ins -gt 0 ] || err "X-Forwarded-For on: no insertion seen at any back-end"
echo "replay oracle: $n_files captures, $n_runs runs; $t_whole connections whole at a back-end, $t_skip skipped with a reason; $t_bytes request bytes compared at the back-ends and $t_resp response bytes at the clients (xff off), $t_ins inserted bytes accepted (xff on)"
exit $fail
