#!/bin/sh
# inspect_valgrind.sh — no invalid access and no leak in `l7sim inspect`,
# `run` and `compare` (trace import, streaming spill, every architecture)
# on every file of ../shared/data/pcaps/malformed/, on a capture cut inside
# a record, and on two clean captures
# (valgrind memcheck, --error-exitcode=1 --leak-check=full). Kept apart
# from the other CLI tests so its cost is easy to see (a few seconds).
set -u
: "${L7SIM:?L7SIM not set}"
if ! command -v valgrind >/dev/null 2>&1; then
	echo "inspect_valgrind.sh: skipped, valgrind not installed"
	exit 77
fi
d=${L7_SHARED_DATA:-}/pcaps
if [ -z "${L7_SHARED_DATA:-}" ] || [ ! -d "$d/malformed" ]; then
	echo "inspect_valgrind.sh: skipped, L7_SHARED_DATA not set"
	exit 77
fi
fail=0
cut="${TMPDIR:-/tmp}/l7vg-cut.$$.pcap"
head -c 3000 "$d/smoke_zeek_http_get.pcap" >"$cut"
for f in "$d"/malformed/* "$cut" "$d/smoke_zeek_http_get.pcap" "$d/tcp_arkime_tcp-reassembly-synthetic.pcap"; do
	for cmd in "inspect --json" "run -q" "compare -q"; do
		# $cmd is split on purpose: a command and its flags
		valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \
			--errors-for-leak-kinds=definite,indirect \
			"$L7SIM" $cmd "$f" >/dev/null 2>"${TMPDIR:-/tmp}/l7vg.$$"
		rc=$?
		if [ $rc -ne 0 ] && [ $rc -ne 2 ]; then
			echo "FAIL: valgrind, l7sim $cmd on $(basename "$f"): exit $rc"
			cat "${TMPDIR:-/tmp}/l7vg.$$"
			fail=1
		fi
	done
done
rm -f "${TMPDIR:-/tmp}/l7vg.$$" "$cut"
exit $fail
