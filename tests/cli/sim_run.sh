#!/bin/sh
# sim_run.sh — `l7sim run`, `compare` and `sweep` from the command line:
# exit statuses (0 ok, 1 runtime failure, 2 bad input or usage) with one
# exact stderr line per error; byte-identical stdout, --json and --csv on
# reruns; `l7sim TRACE` is `l7sim run TRACE`; what a replay delivers is the
# captured traffic (no client byte mismatch, every request answered);
# --pcap-out captures pass tshark's TCP analysis (skipped without tshark);
# --plot writes gnuplot scripts (and SVG when gnuplot is installed).
set -u
: "${L7SIM:?L7SIM not set}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "FAIL: $*"; fail=1; }

# expect STATUS LINE CMD...: exit STATUS, stderr exactly LINE (one line).
expect() {
	want_rc=$1 want_err=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne "$want_rc" ] || [ "$(cat "$tmp/err")" != "$want_err" ]; then
		err "$*: want exit $want_rc and '$want_err'; got exit $rc and '$(cat "$tmp/err")'"
	fi
}

t="$tmp/t.pcap"
"$L7SIM" gen -o "$t" --seed 3 --connections 12 --requests-per-conn 3 \
	--mix 1k:3,30k:1 >/dev/null || { echo "FAIL: gen"; exit 1; }

# ---------------------------------------------------------------- run
"$L7SIM" run "$t" -q --json "$tmp/a.json" --csv "$tmp/a.csv" >"$tmp/a.txt" 2>"$tmp/a.err" ||
	err "run exit $?: $(cat "$tmp/a.err")"
[ -s "$tmp/a.err" ] && err "run wrote to stderr: $(cat "$tmp/a.err")"
head -1 "$tmp/a.txt" | grep -q '^arch  *req/s  *Gbit/s  *p50 us  *p99 us  *p99.9 us  *FE cpu  *fast %  *drops$' ||
	err "table header: $(head -1 "$tmp/a.txt")"
[ "$(wc -l <"$tmp/a.txt")" -eq 2 ] || err "table: want 2 lines"
grep -q '^software ' "$tmp/a.txt" || err "table: no software row"
for want in '"arch": "software",' '"requests": 36,' '"client_resp_mismatch_bytes": 0' \
	    '"client_conns_done": 12,' '"requests_parsed": 36,' '"http_errors": 0,' \
	    '"fast_path_bytes": 0,' '"trace": "'"$t"'",' '"cores": 8,'; do
	grep -qF "$want" "$tmp/a.json" || err "json: missing $want"
done
head -1 "$tmp/a.csv" | grep -qx 'time_s,requests,goodput_bps,fe_busy_cores,fast_path_bytes,table_entries,insert_backlog,drops' ||
	err "csv header: $(head -1 "$tmp/a.csv")"
# the CSV's requests column sums to the requests completed
[ "$(awk -F, 'NR > 1 { s += $2 } END { print s }' "$tmp/a.csv")" = 36 ] || err "csv: requests sum"

# determinism: the same input, configuration and seed give the same bytes
"$L7SIM" run "$t" -q --json "$tmp/b.json" --csv "$tmp/b.csv" >"$tmp/b.txt" || err "rerun"
cmp -s "$tmp/a.json" "$tmp/b.json" || err "rerun: JSON differs"
cmp -s "$tmp/a.csv" "$tmp/b.csv" || err "rerun: CSV differs"
cmp -s "$tmp/a.txt" "$tmp/b.txt" || err "rerun: table differs"
# `l7sim TRACE` is `l7sim run TRACE`
"$L7SIM" "$t" -q >"$tmp/c.txt" || err "implicit run"
cmp -s "$tmp/a.txt" "$tmp/c.txt" || err "implicit run: table differs"
# a missing trace named like a file is run's error, not "unknown command"
expect 2 "l7sim: $tmp/nope.pcap: No such file or directory" "$L7SIM" "$tmp/nope.pcap"
# flags reach the configuration
"$L7SIM" run "$t" -q --seed 9 --clients x2 --speedup 2 --set frontend.cores=3 \
	--json "$tmp/d.json" >/dev/null || err "run with flags"
for want in '"seed": 9,' '"clients": 2,' '"speedup": 2.0,' '"cores": 3,' '"requests": 72,'; do
	grep -qF "$want" "$tmp/d.json" || err "flags: missing $want"
done

# --print-config: the effective configuration, which loads back with -c
"$L7SIM" run --print-config --set frontend.cores=3 --seed 5 >"$tmp/cfg.json" || err "--print-config"
grep -qF '"cores": 3,' "$tmp/cfg.json" && grep -qF '"seed": 5,' "$tmp/cfg.json" ||
	err "--print-config: overrides missing"
"$L7SIM" run --print-config -c "$tmp/cfg.json" >"$tmp/cfg2.json" || err "--print-config -c"
cmp -s "$tmp/cfg.json" "$tmp/cfg2.json" || err "--print-config does not load back to itself"

# ---------------------------------------------------------------- errors
printf '{"frontend": {"corse": 2}}' >"$tmp/bad1.json"
printf '{"frontend": {"cores": 0}}' >"$tmp/bad2.json"
printf '{"net": {"client": {"loss": 2}}}' >"$tmp/bad3.json"
printf '{"seed": 1,' >"$tmp/bad4.json"
printf 'not a pcap at all, just text\n' >"$tmp/bad.pcap"
expect 2 "l7sim: $tmp/bad1.json: frontend.corse: unknown key" "$L7SIM" run "$t" -c "$tmp/bad1.json"
expect 2 "l7sim: $tmp/bad2.json: frontend.cores: expected a positive integer (at most 4096)" \
	"$L7SIM" run "$t" -c "$tmp/bad2.json"
expect 2 "l7sim: $tmp/bad3.json: net.client.loss: expected a number in 0..1" \
	"$L7SIM" run "$t" -c "$tmp/bad3.json"
expect 2 "l7sim: $tmp/bad4.json:1:11: string or '}' expected near end of file" \
	"$L7SIM" run "$t" -c "$tmp/bad4.json"
expect 2 "l7sim: $tmp/none.json: cannot open: No such file or directory" \
	"$L7SIM" run "$t" -c "$tmp/none.json"
expect 2 "l7sim: --set: frontend.cores: expected a positive integer (at most 4096)" \
	"$L7SIM" run "$t" --set frontend.cores=0
expect 2 "l7sim: --set: expected KEY=VALUE, not 'frontend.cores'" \
	"$L7SIM" run "$t" --set frontend.cores
expect 2 "l7sim: --speedup: workload.speedup: expected a number in 1e-06..1e+09" \
	"$L7SIM" run "$t" --speedup fast
expect 2 "l7sim: --clients: workload.clients: expected a positive integer (at most 1000000)" \
	"$L7SIM" run "$t" --clients x0
expect 2 "l7sim: run: arch: unknown architecture 'nope' (l7sim compare --list)" \
	"$L7SIM" run "$t" --arch nope
expect 2 "l7sim: run: a TRACE (pcap file) is required" "$L7SIM" run -q
expect 2 "l7sim: run: unexpected argument 'extra'" "$L7SIM" run "$t" extra
"$L7SIM" run "$tmp/missing.pcap" -q >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^l7sim: $tmp/missing.pcap: " "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
	err "missing trace: $(cat "$tmp/err")"
"$L7SIM" run "$tmp/bad.pcap" -q >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^l7sim: $tmp/bad.pcap: " "$tmp/err" && [ "$(wc -l <"$tmp/err")" -eq 1 ] ||
	err "not a pcap: $(cat "$tmp/err")"
"$L7SIM" run "$t" --bogus >/dev/null 2>&1
[ $? -eq 2 ] || err "unknown option: want exit 2"
"$L7SIM" run --help >"$tmp/help" 2>&1 && grep -q '^usage: l7sim \[run\] TRACE' "$tmp/help" ||
	err "run --help"
# an output that cannot be written is a runtime failure (exit 1)
"$L7SIM" run "$t" -q --json "$tmp/no/such/dir/x.json" >/dev/null 2>"$tmp/err"
[ $? -eq 1 ] && grep -q "^l7sim: $tmp/no/such/dir/x.json: cannot write: " "$tmp/err" ||
	err "unwritable --json: $(cat "$tmp/err")"

# ---------------------------------------------------------------- compare
# Every architecture runs this generated trace: exit 0, nothing on stderr.
"$L7SIM" compare "$t" -q --json "$tmp/cmp.json" --csv "$tmp/cmp.csv" --plot "$tmp/plots" \
	>"$tmp/cmp.txt" 2>"$tmp/cmp.err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/cmp.err" ] || err "compare exit $rc: $(cat "$tmp/cmp.err")"
grep -q 'refused: ' "$tmp/cmp.txt" && err "compare: a refusal: $(cat "$tmp/cmp.txt")"
grep -q '^software ' "$tmp/cmp.txt" || err "compare: no software row"
rows=$(($(wc -l <"$tmp/cmp.txt") - 1))
[ "$(grep -c '"duration_s": ' "$tmp/cmp.json")" -eq "$rows" ] || err "compare: JSON results != table rows"
head -1 "$tmp/cmp.csv" | grep -q '^arch,time_s,requests,' || err "compare csv header"
for f in software-goodput.gp software-goodput.dat software-frontend-cpu.gp; do
	[ -s "$tmp/plots/$f" ] || err "compare: no plots/$f"
done
if [ "$rows" -gt 1 ]; then
	[ -s "$tmp/plots/compare-throughput.gp" ] || err "compare: no throughput bars"
fi
if command -v gnuplot >/dev/null 2>&1; then
	grep -q '<svg' "$tmp/plots/software-goodput.svg" 2>/dev/null || err "compare: SVG not rendered"
fi
"$L7SIM" compare --list | grep -q '^software ' || err "compare --list"

# An architecture that refuses the configuration gets a "refused: REASON"
# row (table and JSON, the same line on stderr); the others still run and
# the exit status is 0. An IPv6 back-end: the switch program keys on IPv4.
mkcfg() {
	printf '{"router": {"name": "x", "clusters": [{"name": "c", "endpoints": [{"address": "%s", "port": 80}]}], "virtual_hosts": [{"name": "v", "domains": ["*"], "routes": [{"match": {"prefix": "/"}, "route": {"cluster": "c"}}]}]}}\n' "$1"
}
mkcfg fd00::1 >"$tmp/v6.json"
why='router: endpoint "fd00::1" is not an IPv4 address (the switch program keys on IPv4)'
"$L7SIM" compare "$t" -q -c "$tmp/v6.json" --json "$tmp/ref.json" >"$tmp/ref.txt" 2>"$tmp/ref.err"
rc=$?
[ $rc -eq 0 ] || err "compare, two refusals: want exit 0, got $rc"
[ "$(cat "$tmp/ref.err")" = "l7sim: compare: miresga: refused: $why
l7sim: compare: switch-only: refused: $why" ] || err "compare refusal stderr: $(cat "$tmp/ref.err")"
[ "$(sed -n '2s/ .*//p' "$tmp/ref.txt")" = software ] || err "compare: no software row: $(cat "$tmp/ref.txt")"
[ "$(sed -n '3,$p' "$tmp/ref.txt")" = "$(printf '%-12s refused: %s\n%-12s refused: %s' miresga "$why" switch-only "$why")" ] ||
	err "compare refusal rows: $(cat "$tmp/ref.txt")"
[ "$(grep -c '"duration_s": ' "$tmp/ref.json")" -eq 1 ] || err "compare: JSON software result"
[ "$(grep -c "\"refused\": \"router: endpoint \\\\\"fd00::1\\\\\" is not an IPv4 address" "$tmp/ref.json")" -eq 2 ] ||
	err "compare: JSON refusals: $(grep refused "$tmp/ref.json")"
# every architecture refuses: exit 1, every row says why
mkcfg backend-1 >"$tmp/none.json"
"$L7SIM" compare "$t" -q -c "$tmp/none.json" >"$tmp/none.txt" 2>/dev/null
rc=$?
[ $rc -eq 1 ] || err "compare, all refused: want exit 1, got $rc"
[ "$(grep -c ' refused: router: endpoint "backend-1" is not an IP' "$tmp/none.txt")" -eq 3 ] ||
	err "compare, all refused: $(cat "$tmp/none.txt")"
# a capture that miresga refuses (IPv6 server address), and one with
# several server addresses that every architecture runs (one VIP each)
real="${L7_SHARED_DATA:-}/pcaps/l3_arkime_v6-http.pcap"
if [ -n "${L7_SHARED_DATA:-}" ] && [ -f "$real" ]; then
	"$L7SIM" compare "$real" -q >"$tmp/real.txt" 2>/dev/null
	rc=$?
	[ $rc -eq 0 ] || err "compare l3_arkime_v6-http: want exit 0, got $rc"
	[ "$(sed -n '2s/ .*//p' "$tmp/real.txt")" = software ] || err "compare real: no software row"
	[ "$(grep -c '^miresga  *refused: workload: IPv6 server address; the switch program is IPv4$' "$tmp/real.txt")" -eq 1 ] ||
		err "compare real: miresga row: $(cat "$tmp/real.txt")"
	"$L7SIM" compare "${L7_SHARED_DATA}/pcaps/real_pcpp_example.pcap" -q >"$tmp/real.txt" 2>/dev/null ||
		err "compare real_pcpp_example: want exit 0, got $?"
	[ "$(sed -n '2,$s/ .*//p' "$tmp/real.txt" | tr '\n' ' ')" = "software miresga switch-only " ] &&
		! grep -q refused "$tmp/real.txt" || err "compare real_pcpp_example: $(cat "$tmp/real.txt")"
else
	echo "sim_run.sh: NOTE: no L7_SHARED_DATA: real-capture compare skipped"
fi

# ---------------------------------------------------------------- sweep
"$L7SIM" sweep "$t" -q --set frontend.cores=1,2,4 --set backend.count=2 \
	--plot "$tmp/sw" >"$tmp/sweep.csv" 2>"$tmp/sweep.err" || err "sweep exit $?: $(cat "$tmp/sweep.err")"
[ "$(head -1 "$tmp/sweep.csv")" = "key,value,arch,requests,throughput_rps,throughput_gbps,p50_ns,p90_ns,p99_ns,p99_9_ns,frontend_cpu_util,fast_path_share,drops" ] ||
	err "sweep header: $(head -1 "$tmp/sweep.csv")"
[ "$(wc -l <"$tmp/sweep.csv")" -eq 4 ] || err "sweep: want 3 rows"
[ "$(cut -d, -f1-4 "$tmp/sweep.csv" | tail -3 | tr '\n' ' ')" = \
  "frontend.cores,1,software,36 frontend.cores,2,software,36 frontend.cores,4,software,36 " ] ||
	err "sweep rows: $(cut -d, -f1-4 "$tmp/sweep.csv" | tr '\n' ' ')"
[ -s "$tmp/sw/sweep-throughput.gp" ] || err "sweep: no plot"
expect 2 "l7sim: --set: frontend.cores: expected a positive integer (at most 4096)" \
	"$L7SIM" sweep "$t" -q --set frontend.cores=1,0
[ -s "$tmp/out" ] && err "sweep with a bad value wrote output"
expect 2 "l7sim: sweep: needs --set KEY=V1,V2,... (the values to sweep)" "$L7SIM" sweep "$t" -q
expect 2 "l7sim: sweep: --pcap-out is for run and compare" \
	"$L7SIM" sweep "$t" -q --set seed=1,2 --pcap-out "$tmp/x"
expect 2 "l7sim: sweep: only one --set may list values" \
	"$L7SIM" sweep "$t" -q --set frontend.cores=1,2 --set seed=1,2

# ---------------------------------------------------------------- --pcap-out
"$L7SIM" run "$t" -q --pcap-out "$tmp/pc" >/dev/null || err "run --pcap-out"
for side in client backend; do
	f="$tmp/pc/software-$side.pcap"
	[ -s "$f" ] || { err "no $f"; continue; }
	if command -v tshark >/dev/null 2>&1; then
		n=$(tshark -r "$f" -Y 'tcp.analysis.flags && !tcp.analysis.window_update' 2>/dev/null | wc -l)
		[ "$n" -eq 0 ] || err "$side capture: $n frames flagged by tshark's TCP analysis"
		[ "$(tshark -r "$f" -Y 'http.request' 2>/dev/null | wc -l)" -eq 36 ] ||
			err "$side capture: want 36 HTTP requests"
	fi
done
command -v tshark >/dev/null 2>&1 || echo "sim_run.sh: tshark not installed, capture analysis skipped"

exit $fail
