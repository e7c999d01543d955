#!/bin/sh
# demo.sh L7SIM — the main job on the built-in default (see README).
#
# Until the simulator runs (issue 3 onwards), the demo is the trace path:
# generate the built-in synthetic HTTP/1.1 trace with `l7sim gen` (fixed
# seed, so the file is the same on every machine) into demo-out/, then
# summarise it with `l7sim inspect` (text and JSON). The pcap opens in
# Wireshark as is.
set -e
l7sim=${1:?usage: demo.sh L7SIM}
out=demo-out
mkdir -p "$out"
"$l7sim" --version
"$l7sim" gen -o "$out/synthetic.pcap" --seed 1 --connections 50 --requests-per-conn 5
"$l7sim" inspect --top 5 "$out/synthetic.pcap"
"$l7sim" inspect --json "$out/synthetic.pcap" >"$out/synthetic.inspect.json"
echo "demo: wrote $out/synthetic.pcap and $out/synthetic.inspect.json"
