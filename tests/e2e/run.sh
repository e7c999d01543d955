#!/bin/sh
# run.sh — end-to-end test of examples/splice-lb between real Linux TCP
# stacks (docs/e2e.md). Builds a private topology of network namespaces and
# veth pairs (addresses 10.77.0.0/16, inside the namespaces only), runs one
# nginx per server namespace, the balancer on a TUN device in its own
# namespace, and checks with curl, sha256sum, the servers' access logs and
# tshark's TCP analysis of captures. Everything is torn down at exit.
#
# Environment (all optional):
#   SPLICE_LB        balancer binary (default $BUILD/examples/splice-lb)
#   E2E_REQUESTS     requests of the main load run (default 10000)
#   E2E_CONC         concurrent connections of the load runs (default 200)
#   E2E_MATRIX_REQUESTS  requests of each load run with a TCP option off
#                    (default 2000)
#   E2E_MATRIX       variants to run (default "default nosack nots nows")
#   E2E_WRK_SEC      seconds of wrk volume load in the default variant
#                    (default 10; 0 = none; status codes only, no hashes)
#   E2E_LOSS / E2E_REORDER / E2E_DUP  impairments in % (default 1 / 1 / 0)
#   E2E_LB_OPTS      extra splice-lb options (e.g. --pcap /tmp/lb.pcap)
#   E2E_LB_PCAP=1    splice-lb writes $T/lb-<run>.pcap (all it reads and writes)
#   E2E_KEEP=1       keep the temp dir (logs, captures) after the run
# Exit: 0 all checks passed, 1 a check failed, 77 skipped (no namespaces).
set -u

here=$(cd "$(dirname "$0")" && pwd)
BUILD=${BUILD:-build}
LB_BIN=${SPLICE_LB:-$BUILD/examples/splice-lb}
REQUESTS=${E2E_REQUESTS:-10000}
CONC=${E2E_CONC:-200}
MREQ=${E2E_MATRIX_REQUESTS:-2000}
MATRIX=${E2E_MATRIX:-default nosack nots nows}
LOSS=${E2E_LOSS:-1}
REORDER=${E2E_REORDER:-1}
DUP=${E2E_DUP:-0}

skip() { echo "e2e: SKIP: $*"; exit 77; }
say() { echo "e2e: $*"; }

# ---------------------------------------------------------------- prerequisites
[ "$(id -u)" = 0 ] || skip "needs root for ip netns"
for t in ip curl nginx tshark sha256sum python3 timeout; do
	command -v $t >/dev/null 2>&1 || skip "$t not installed (make deps)"
done
if command -v tcpdump >/dev/null 2>&1; then CAP=tcpdump
elif command -v dumpcap >/dev/null 2>&1; then CAP=dumpcap
else skip "neither tcpdump nor dumpcap installed"; fi
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ -x "$LB_BIN" ] || { echo "e2e: FAIL: $LB_BIN not built"; exit 1; }
probe=l7e2e-probe-$$
ip netns add $probe 2>/dev/null || skip "ip netns add not permitted here"
ip netns del $probe

# ---------------------------------------------------------------- topology
T=$(mktemp -d /tmp/l7e2e.XXXXXX)
chmod 755 "$T"
NS_C=l7e2e-$$-c
NS_LB=l7e2e-$$-lb
NSERV=3
VIP=10.77.0.10
SNAT=10.77.0.20
CLIENT=10.77.1.2
PIDS=""
LB_PID=""
failures=0

ns_s() { echo "l7e2e-$$-s$1"; }
srv_ip() { echo "10.77.1$1.2"; }

cleanup() {
	trap - EXIT INT TERM
	for p in $LB_PID $PIDS; do kill "$p" 2>/dev/null; done
	sleep 0.3
	for p in $LB_PID $PIDS; do kill -9 "$p" 2>/dev/null; done
	for ns in $NS_C $NS_LB $(ns_s 1) $(ns_s 2) $(ns_s 3); do
		ip netns del "$ns" 2>/dev/null
	done
	if [ "${E2E_KEEP:-0}" = 1 ] || [ $failures -gt 0 ]; then
		say "logs and captures kept in $T"
	else
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() { echo "e2e: FAIL: $*"; failures=$((failures + 1)); }

topo_up() {
	ip netns add $NS_C && ip netns add $NS_LB || return 1
	ip -n $NS_LB link set lo up
	ip netns exec $NS_LB sysctl -qw net.ipv4.ip_forward=1
	ip netns exec $NS_LB sysctl -qw net.ipv4.conf.all.rp_filter=0
	ip netns exec $NS_LB sysctl -qw net.ipv4.conf.default.rp_filter=0
	# client leg
	ip link add c0 netns $NS_C type veth peer name lbc netns $NS_LB || return 1
	ip -n $NS_C link set lo up
	ip -n $NS_C addr add $CLIENT/24 dev c0
	ip -n $NS_C link set c0 up
	ip -n $NS_C route add default via 10.77.1.1
	ip -n $NS_LB addr add 10.77.1.1/24 dev lbc
	ip -n $NS_LB link set lbc up
	# server legs
	for i in $(seq 1 $NSERV); do
		ns=$(ns_s $i)
		ip netns add $ns || return 1
		ip link add s0 netns $ns type veth peer name lbs$i netns $NS_LB || return 1
		ip -n $ns link set lo up
		ip -n $ns addr add "$(srv_ip $i)/24" dev s0
		ip -n $ns link set s0 up
		ip -n $ns route add default via 10.77.1$i.1
		ip -n $NS_LB addr add 10.77.1$i.1/24 dev lbs$i
		ip -n $NS_LB link set lbs$i up
	done
	# the balancer's TUN: the VIP and the SNAT address live behind it
	ip -n $NS_LB tuntap add dev l7tun mode tun || return 1
	ip -n $NS_LB link set l7tun txqueuelen 10000 up
	ip -n $NS_LB route add $VIP/32 dev l7tun
	ip -n $NS_LB route add $SNAT/32 dev l7tun
	ip netns exec $NS_LB sysctl -qw net.ipv4.conf.l7tun.rp_filter=0
}

# ---------------------------------------------------------------- fixtures
gen_fixtures() {
	mkdir -p "$T/files" "$T/www"
	python3 - "$T/files" <<'EOF' || return 1
import random, sys, os
sizes = {"f0": 0, "f1": 1, "f1k": 1024, "f64k": 65536, "f1m": 1 << 20, "f16m": 16 << 20}
for name, n in sizes.items():
    rnd = random.Random("l7e2e-" + name)
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        left = n
        while left:
            k = min(left, 1 << 20)
            f.write(rnd.randbytes(k))
            left -= k
EOF
	(cd "$T/files" && sha256sum f0 f1 f1k f64k f1m f16m) > "$T/files/SHA256SUMS"
	for d in a b c rr; do ln -s ../files "$T/www/$d"; done
}

nginx_up() {
	i=$1; d="$T/s$i"
	mkdir -p "$d/tmp"
	cat > "$d/nginx.conf" <<EOF
user root;
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 8192; }
http {
	log_format e2e '\$remote_addr \$request_method \$request_uri \$status \$body_bytes_sent xff=\$http_x_forwarded_for';
	access_log $d/access.log e2e;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	default_type application/octet-stream;
	sendfile on;
	keepalive_requests 1000000;
	keepalive_timeout 120s;
	server {
		listen $(srv_ip $i):80 backlog=4096;
		root $T/www;
		add_header X-Server s$i always;
		location / { }
	}
}
EOF
	ip netns exec "$(ns_s $i)" nginx -p "$d" -c "$d/nginx.conf" 2>"$d/stderr" &
	PIDS="$PIDS $!"
}

write_routes() {
	cat > "$T/routes.json" <<EOF
{
  "virtual_hosts": [ { "name": "e2e", "domains": ["*"], "routes": [
    { "match": { "prefix": "/a/" }, "route": { "cluster": "a" } },
    { "match": { "prefix": "/b/" }, "route": { "cluster": "b" } },
    { "match": { "prefix": "/c/" }, "route": { "cluster": "c" } },
    { "match": { "prefix": "/" }, "route": { "cluster": "all" } } ] } ],
  "clusters": [
    { "name": "a", "endpoints": [ { "address": "$(srv_ip 1)", "port": 80 } ] },
    { "name": "b", "endpoints": [ { "address": "$(srv_ip 2)", "port": 80 } ] },
    { "name": "c", "endpoints": [ { "address": "$(srv_ip 3)", "port": 80 } ] },
    { "name": "all", "lb_policy": "ROUND_ROBIN", "endpoints": [
      { "address": "$(srv_ip 1)", "port": 80 },
      { "address": "$(srv_ip 2)", "port": 80 },
      { "address": "$(srv_ip 3)", "port": 80 } ] } ]
}
EOF
}

# wait_for CMD... : retry for up to 10 s
wait_for() {
	n=0
	while ! "$@" >/dev/null 2>&1; do
		n=$((n + 1)); [ $n -ge 100 ] && return 1
		sleep 0.1
	done
}

# ---------------------------------------------------------------- balancer
lb_start() { # name, extra options...
	name=$1; shift
	ip netns exec $NS_LB "$LB_BIN" --vip $VIP:80 --snat $SNAT --config "$T/routes.json" \
		--tun l7tun --seed 7 --idle-sec 20 --linger-ms 1000 --stats ${E2E_LB_OPTS:-} \
		$([ "${E2E_LB_PCAP:-0}" = 1 ] && echo --pcap "$T/lb-$name.pcap") "$@" \
		> "$T/lb-$name.out" 2> "$T/lb-$name.err" &
	LB_PID=$!
	LB_NAME=$name
	sleep 0.3
	kill -0 $LB_PID 2>/dev/null || { fail "splice-lb did not start: $(cat "$T/lb-$name.err")"; return 1; }
}

lb_stop() {
	[ -n "$LB_PID" ] || return 0
	kill -TERM $LB_PID 2>/dev/null
	timeout 10 sh -c "while kill -0 $LB_PID 2>/dev/null; do sleep 0.1; done"
	wait $LB_PID 2>/dev/null
	LB_PID=""
}

# lb_status: the latest SIGUSR1 summary line
lb_status() {
	kill -USR1 $LB_PID 2>/dev/null || return 1
	sleep 0.3
	grep 'splice-lb: active=' "$T/lb-$LB_NAME.err" | tail -1
}

field() { # line key
	echo "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"
}

# wait until the engine holds no connection (closed ones linger 1 s)
lb_drained() {
	n=0
	while :; do
		st=$(lb_status)
		a=$(field "$st" active)
		[ "$a" = 0 ] && { echo "$st"; return 0; }
		n=$((n + 1)); [ $n -ge 60 ] && { echo "$st"; return 1; }
		sleep 0.5
	done
}

# ---------------------------------------------------------------- captures
cap_start() { # ns iface file
	case $CAP in
	tcpdump) ip netns exec "$1" tcpdump -i "$2" -s 128 -U -w "$3" tcp >/dev/null 2>&1 & ;;
	dumpcap) ip netns exec "$1" dumpcap -q -i "$2" -s 128 -B 64 -f tcp -w "$3" >/dev/null 2>&1 & ;;
	esac
	CAP_PIDS="$CAP_PIDS $!"
	PIDS="$PIDS $!"
}

cap_stop() {
	sleep 0.5
	for p in $CAP_PIDS; do kill -INT "$p" 2>/dev/null; done
	for p in $CAP_PIDS; do
		timeout 10 sh -c "while kill -0 $p 2>/dev/null; do sleep 0.1; done"
	done
	CAP_PIDS=""
}

# analyse FILE LABEL: count TCP analysis flags; errors are the ones that
# would be the balancer's fault (an ACK for data never sent, reused ports)
analyse() {
	f=$1; label=$2
	timeout 120 tshark -r "$f" -Y 'tcp.analysis.flags && !tcp.analysis.window_update' \
		-T fields -e tcp.analysis.retransmission -e tcp.analysis.fast_retransmission \
		-e tcp.analysis.spurious_retransmission -e tcp.analysis.duplicate_ack \
		-e tcp.analysis.out_of_order -e tcp.analysis.lost_segment \
		-e tcp.analysis.ack_lost_segment -e tcp.analysis.reused_ports \
		-e tcp.analysis.zero_window -e tcp.analysis.keep_alive \
		-E separator=, 2>/dev/null | awk -F, '
		{ if ($1 != "") rt++; if ($2 != "") frt++; if ($3 != "") srt++;
		  if ($4 != "") dack++; if ($5 != "") ooo++; if ($6 != "") lost++;
		  if ($7 != "") acklost++; if ($8 != "") reused++; if ($9 != "") zw++;
		  if ($10 != "") ka++ }
		END { printf "retrans=%d fast_retrans=%d spurious=%d dup_ack=%d out_of_order=%d lost_segment=%d ack_unseen=%d reused_ports=%d zero_window=%d keep_alive=%d\n",
		      rt, frt, srt, dack, ooo, lost, acklost, reused, zw, ka }' > "$f.flags"
	pk=$(timeout 60 tshark -r "$f" -T fields -e frame.number 2>/dev/null | wc -l)
	# RSTs: "late" when the stream had already seen a FIN (closing legs:
	# see docs/e2e.md, old-leg close), "hard" otherwise (a failure)
	set -- $(timeout 60 tshark -r "$f" -Y 'tcp.flags.reset == 1 || tcp.flags.fin == 1' \
		-T fields -e tcp.stream -e tcp.flags.reset -E separator=, 2>/dev/null | awk -F, '
		$2 == 1 || $2 == "True" { if ($1 in fin) late++; else hard++; next }
		{ fin[$1] = 1 }
		END { print hard + 0, late + 0 }')
	rst=$1; late=$2
	fl=$(cat "$f.flags")
	say "  capture $label: packets=$pk rst=$rst rst_after_fin=$late $fl"
	au=$(field "$fl" ack_unseen)
	ru=$(field "$fl" reused_ports)
	[ "${au:-1}" = 0 ] || fail "$label: $au ACKs for segments never captured"
	[ "${ru:-1}" = 0 ] || fail "$label: $ru SYNs reusing a live port pair"
	[ "$rst" = 0 ] || fail "$label: $rst RST segments on streams without a FIN"
	LATE_RST=$((LATE_RST + late))
	RETRANS=$((RETRANS + $(field "$fl" retrans) + $(field "$fl" fast_retrans)))
}

# ---------------------------------------------------------------- checks
URL=http://$VIP

# keep-alive sequence: every size, every route, one connection
check_sequence() { # label
	label=$1
	set --
	k=0
	for p in a/f1k b/f64k c/f0 rr/f1 a/f1m b/f1 c/f16m rr/f64k a/f0 rr/f1k b/f16m c/f1m; do
		set -- "$@" -o "$T/seq.$k" "$URL/$p"
		echo "$k ${p#*/} ${p%%/*}" >> "$T/seq.list"
		k=$((k + 1))
	done
	: > "$T/seq.list.tmp"
	mv "$T/seq.list" "$T/seq.list.tmp"
	for i in 1 2 3; do : > "$T/s$i/access.log"; done
	# -D is one file for the whole invocation: the heads in order
	ip netns exec $NS_C timeout 120 curl -s --max-time 60 -D "$T/seq.heads" \
		-w '%{http_code} %{num_connects}\n' "$@" > "$T/seq.codes" 2> "$T/seq.err"
	tr -d '\r' < "$T/seq.heads" | sed -n 's/^X-Server: //p' > "$T/seq.servers"
	conns=$(awk '{ c += $2 } END { print c + 0 }' "$T/seq.codes")
	ok200=$(awk '$1 == 200 { c++ } END { print c + 0 }' "$T/seq.codes")
	[ "$ok200" = "$k" ] || fail "$label sequence: $ok200 of $k responses were 200 ($(tr '\n' ' ' < "$T/seq.codes"))"
	[ "$conns" = 1 ] || fail "$label sequence: curl opened $conns connections, want 1"
	good=0
	while read -r n f route; do
		want=$(awk -v n="$f" '$2 == n { print $1 }' "$T/files/SHA256SUMS")
		if [ -e "$T/seq.$n" ]; then got=$(sha256sum < "$T/seq.$n" | cut -d' ' -f1)
		else got=$(sha256sum < /dev/null | cut -d' ' -f1); fi
		[ "$want" = "$got" ] && good=$((good + 1)) || fail "$label sequence: /$route/$f body differs"
		srv=$(sed -n "$((n + 1))p" "$T/seq.servers")
		case $route in
		a) [ "$srv" = s1 ] || fail "$label sequence: /a/$f served by '$srv', want s1" ;;
		b) [ "$srv" = s2 ] || fail "$label sequence: /b/$f served by '$srv', want s2" ;;
		c) [ "$srv" = s3 ] || fail "$label sequence: /c/$f served by '$srv', want s3" ;;
		esac
	done < "$T/seq.list.tmp"
	rm -f "$T"/seq.*
	# every request reached a server with exactly the client's address in XFF
	sleep 0.2
	lines=0; badx=0
	for i in 1 2 3; do
		l=$(wc -l < "$T/s$i/access.log")
		b=$(awk -v want="xff=$CLIENT" '$NF != want || $1 != "'$SNAT'"' "$T/s$i/access.log" | wc -l)
		lines=$((lines + l)); badx=$((badx + b))
	done
	[ "$lines" = "$k" ] || fail "$label sequence: access logs have $lines requests, want $k"
	[ "$badx" = 0 ] || fail "$label sequence: $badx access-log lines without X-Forwarded-For $CLIENT from $SNAT"
	say "  sequence $label: $good/$k bodies ok over $conns connection(s), $lines log lines with xff=$CLIENT"
	SEQ_BYTES=$((SEQ_BYTES + 2 * (16777216 + 1048576 + 65536 + 1024 + 1)))
}

# pipelining: all heads in one write, routes alternate, so the balancer must
# wait for each response before re-splicing (ROUTE_WAIT + resume)
check_pipeline() { # label
	plabel=$1
	r=$(ip netns exec $NS_C timeout 120 python3 "$here/pipeline.py" $VIP "$T/files" \
		/a/f1m /b/f64k /c/f0 /a/f1k /b/f1 /c/f64k /rr/f1k /a/f16m /b/f1k 2>&1)
	rc=$?
	say "  $plabel: $(echo "$r" | tail -1)"
	[ $rc = 0 ] || fail "$plabel pipeline: $(echo "$r" | tr '\n' ' ')"
}

# load: CONC parallel keep-alive clients, REQ requests in all
check_load() { # label requests
	label=$1; req=$2
	per=$(( (req + CONC - 1) / CONC ))
	mkdir -p "$T/load"
	start=$(date +%s)
	seq 1 $CONC | ip netns exec $NS_C timeout 600 xargs -P $CONC -I{} \
		sh "$here/load_worker.sh" {} $per $URL "$T/files" "$T/load" 30 > "$T/load-$label.txt"
	end=$(date +%s)
	set -- $(awk '{ n += $2; ok += $3; bad += $4; f += $5; c += $6; w++ }
		END { print n + 0, ok + 0, bad + 0, f + 0, c + 0, w + 0 }' "$T/load-$label.txt")
	n=$1; ok=$2; bad=$3; failed=$4; conns=$5; workers=$6
	say "  load $label: $n requests by $workers clients ($conns connections) in $((end - start)) s: ok=$ok corrupted=$bad failed=$failed"
	[ "$workers" = "$CONC" ] || fail "$label load: $workers of $CONC clients reported"
	[ "$bad" = 0 ] || fail "$label load: $bad corrupted bodies"
	[ "$failed" = 0 ] || fail "$label load: $failed requests did not complete within 30 s"
	[ "$ok" = "$n" ] || fail "$label load: $ok of $n bodies verified"
	LOAD_REQ=$((LOAD_REQ + n)); LOAD_FAILED=$((LOAD_FAILED + bad + failed))
}

# volume: wrk keeps CONC keep-alive connections busy on one back-end's route
# (so the SNAT port space is not the limit: the curl load covers
# re-splicing); it cannot check bodies, only statuses and errors
check_wrk() { # label seconds
	command -v wrk >/dev/null 2>&1 || { say "  wrk not installed: volume run skipped"; return 0; }
	ip netns exec $NS_C timeout $(($2 + 30)) wrk -t2 -c$CONC -d${2}s --timeout 10s \
		"$URL/a/f1k" > "$T/wrk-$1.txt" 2>&1
	reqs=$(sed -n 's/^ *\([0-9]*\) requests in.*/\1/p' "$T/wrk-$1.txt")
	non2xx=$(sed -n 's/.*Non-2xx or 3xx responses: *\([0-9]*\).*/\1/p' "$T/wrk-$1.txt")
	sockerr=$(sed -n 's/.*Socket errors:\(.*\)/\1/p' "$T/wrk-$1.txt")
	rps=$(sed -n 's/^Requests\/sec: *//p' "$T/wrk-$1.txt")
	say "  wrk $1: ${reqs:-?} requests in ${2} s (${rps:-?}/s), non-2xx=${non2xx:-0}${sockerr:+, socket errors:$sockerr}"
	[ -n "$reqs" ] && [ "$reqs" -gt 0 ] || fail "$1 wrk: no requests completed"
	[ "${non2xx:-0}" = 0 ] || fail "$1 wrk: $non2xx non-2xx responses"
	[ -z "$sockerr" ] || fail "$1 wrk: socket errors:$sockerr"
	WRK_REQ=$((WRK_REQ + ${reqs:-0}))
}

set_variant() { # name
	case $1 in
	default) s="net.ipv4.tcp_sack=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_window_scaling=1" ;;
	nosack) s="net.ipv4.tcp_sack=0 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_window_scaling=1" ;;
	nots) s="net.ipv4.tcp_sack=1 net.ipv4.tcp_timestamps=0 net.ipv4.tcp_window_scaling=1" ;;
	nows) s="net.ipv4.tcp_sack=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_window_scaling=0" ;;
	*) fail "unknown variant $1"; return 1 ;;
	esac
	for ns in $NS_C $(ns_s 1) $(ns_s 2) $(ns_s 3); do
		ip netns exec "$ns" sysctl -qw $s || return 1
	done
}

# ---------------------------------------------------------------- main
RETRANS=0; LATE_RST=0; WRK_REQ=0; LOAD_REQ=0; LOAD_FAILED=0; SEQ_BYTES=0
say "topology in namespaces l7e2e-$$-*, temp dir $T"
topo_up || { fail "could not build the topology"; exit 1; }
gen_fixtures || { fail "could not generate fixtures"; exit 1; }
write_routes
for i in $(seq 1 $NSERV); do nginx_up $i; done
for i in $(seq 1 $NSERV); do
	wait_for ip netns exec "$(ns_s $i)" curl -s -o /dev/null --max-time 1 "http://$(srv_ip $i)/a/f1" ||
		{ fail "nginx $i did not come up: $(cat "$T/s$i/error.log" "$T/s$i/stderr" 2>/dev/null)"; exit 1; }
done
# the servers answer directly (no balancer) from their own namespace
say "servers up ($NSERV x nginx), fixtures 0 B .. 16 MB"

# 1. smoke: no impairment, one keep-alive sequence across all back-ends
lb_start clean --ports 20000-39999 || exit 1
CAP_PIDS=""
cap_start $NS_C c0 "$T/clean-client.pcap"
cap_start $(ns_s 1) s0 "$T/clean-s1.pcap"
sleep 0.5
check_sequence clean
check_pipeline clean
cap_stop
analyse "$T/clean-client.pcap" clean-client
analyse "$T/clean-s1.pcap" clean-server1
st=$(lb_drained) || fail "clean: engine still holds connections: $st"
lb_stop
cat "$T/lb-clean.out" | sed 's/^/e2e:   /'

# 2. impaired runs: loss and reordering on both legs, every option variant
lb_start impaired --ports 40000-65000 --loss-c2s $LOSS --loss-s2c $LOSS --reorder $REORDER --dup $DUP || exit 1
rss0=""
for v in $MATRIX; do
	say "variant $v (loss $LOSS %, reorder $REORDER %, dup $DUP % on both legs)"
	set_variant $v || { fail "cannot set sysctls for $v"; continue; }
	CAP_PIDS=""
	cap_start $NS_C c0 "$T/$v-client.pcap"
	cap_start $(ns_s 2) s0 "$T/$v-s2.pcap"
	sleep 0.5
	check_sequence $v
	cap_stop
	analyse "$T/$v-client.pcap" $v-client
	analyse "$T/$v-s2.pcap" $v-server2
	check_pipeline $v
	if [ $v = default ]; then
		[ "${E2E_WRK_SEC:-10}" -gt 0 ] && check_wrk $v "${E2E_WRK_SEC:-10}"
		check_load $v $REQUESTS
	else
		check_load $v $MREQ
	fi
	st=$(lb_drained) || fail "$v: engine still holds connections after the load: $st"
	rss=$(field "$st" rss_kb)
	say "  after $v: $st"
	if [ -z "$rss0" ]; then rss0=$rss
	elif [ "$rss" -gt $((rss0 + 4096)) ]; then fail "$v: RSS grew from $rss0 kB to $rss kB"; fi
done
lb_stop
sed 's/^/e2e:   /' "$T/lb-impaired.out"
out=$(head -1 "$T/lb-impaired.out")
say "totals: load requests=$LOAD_REQ wrk requests=$WRK_REQ sequence bytes=$SEQ_BYTES injected drops c2s=$(field "$out" drops_c2s) s2c=$(field "$out" drops_s2c) reorders=$(field "$out" reorders) retransmissions(captured)=$RETRANS rst_after_fin=$LATE_RST failures=$failures"
[ $failures = 0 ] && { say "PASS"; exit 0; }
say "FAIL ($failures)"
exit 1
