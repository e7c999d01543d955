#!/bin/sh
# sim_stream.sh — streaming trace input of `l7sim run`, `compare` and
# `sweep` (--trace-mem): the results are byte-identical whether the trace's
# payload stays in memory, is all spilled to the temporary file, or partly;
# with no usable spill directory the bytes stay in memory (same results);
# an error found late in a streamed trace is one line naming the file and
# the packet, exit 2, and nothing is printed or written; a bad --trace-mem
# is a usage error.
set -u
: "${L7SIM:?L7SIM not set}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
fail=0
err() { echo "FAIL: $*"; fail=1; }

# expect STATUS LINE CMD...: exit STATUS, stderr exactly LINE, no stdout.
expect() {
	want_rc=$1 want_err=$2
	shift 2
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ $rc -ne "$want_rc" ] || [ "$(cat "$tmp/err")" != "$want_err" ]; then
		err "$*: want exit $want_rc and '$want_err'; got exit $rc and '$(cat "$tmp/err")'"
	fi
	[ -s "$tmp/out" ] && err "$*: wrote to stdout: $(head -2 "$tmp/out")"
}

t="$tmp/t.pcap"
"$L7SIM" gen -o "$t" --seed 5 --connections 30 --requests-per-conn 2 \
	--mix 1k:3,40k:1 >"$tmp/gen.txt" || { echo "FAIL: gen"; exit 1; }
packets=$(sed -n 's/.*: \([0-9]*\) packets,.*/\1/p' "$tmp/gen.txt")
[ -n "$packets" ] || { echo "FAIL: gen summary: $(cat "$tmp/gen.txt")"; exit 1; }

# ---------------------------------------------------------------- identical
# mode NAME OPTS [TMPDIR]: run, compare and sweep with these options.
mode() {
	name=$1 opts=$2 dir=${3:-}
	set -- env
	[ -n "$dir" ] && set -- env TMPDIR="$dir"
	"$@" "$L7SIM" run "$t" -q $opts --json "$tmp/run.$name.json" --csv "$tmp/run.$name.csv" \
		>"$tmp/run.$name.txt" 2>"$tmp/run.$name.err" || err "$name: run exit $?"
	"$@" "$L7SIM" compare "$t" -q $opts --json "$tmp/cmp.$name.json" \
		>"$tmp/cmp.$name.txt" 2>"$tmp/cmp.$name.err" || err "$name: compare exit $?"
	if [ "$name" = mem ] || [ "$name" = spill ]; then
		"$@" "$L7SIM" sweep "$t" -q $opts --set frontend.cores=1,2 \
			>"$tmp/swp.$name.csv" 2>"$tmp/swp.$name.err" || err "$name: sweep exit $?"
	fi
	[ -s "$tmp/run.$name.err" ] && err "$name: run stderr: $(cat "$tmp/run.$name.err")"
}
mode mem "--trace-mem 1g"
mode spill "--trace-mem 0"
mode part "--trace-mem 200k"
mode default ""
# no spill directory: everything stays in memory
mode notmp "--trace-mem 0" "$tmp/none"
for m in spill part default notmp; do
	for f in run.M.json run.M.csv run.M.txt cmp.M.json cmp.M.txt cmp.M.err swp.M.csv; do
		a=$(echo "$f" | sed "s/M/mem/") b=$(echo "$f" | sed "s/M/$m/")
		[ -e "$tmp/$b" ] || [ "${f%%.*}" != swp ] || continue
		cmp -s "$tmp/$a" "$tmp/$b" || err "$m: $b differs from $a"
	done
done
grep -q '"client_resp_mismatch_bytes": 0' "$tmp/run.spill.json" ||
	err "spill: client bytes mismatch"
grep -q '"requests": 60,' "$tmp/run.spill.json" || err "spill: want 60 requests"

# ---------------------------------------------------------------- late error
# the last record cut: found after the whole trace was streamed (and
# spilled); one line naming the file and the packet, exit 2, no output
size=$(wc -c <"$t")
head -c $((size - 5)) "$t" >"$tmp/cut.pcap"
for cmd in run compare; do
	"$L7SIM" $cmd "$tmp/cut.pcap" -q --trace-mem 0 --json "$tmp/cut.json" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ $rc -eq 2 ] || err "$cmd cut.pcap: want exit 2, got $rc"
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || err "$cmd cut.pcap: want one stderr line: $(cat "$tmp/err")"
	grep -q "^l7sim: $tmp/cut.pcap: packet $packets: file ends inside the record (" "$tmp/err" ||
		err "$cmd cut.pcap: stderr '$(cat "$tmp/err")'"
	[ -s "$tmp/out" ] && err "$cmd cut.pcap: wrote to stdout"
	[ -e "$tmp/cut.json" ] && err "$cmd cut.pcap: wrote --json"
done

# ---------------------------------------------------------------- usage
expect 2 "l7sim: --trace-mem: expected a size in bytes (k, m, g suffix), not 'lots'" \
	"$L7SIM" run "$t" --trace-mem lots
expect 2 "l7sim: --trace-mem: expected a size in bytes (k, m, g suffix), not '-1'" \
	"$L7SIM" run "$t" --trace-mem -1
expect 2 "l7sim: --trace-mem: expected a size in bytes (k, m, g suffix), not '3t'" \
	"$L7SIM" compare "$t" --trace-mem 3t

exit $fail
