#!/bin/sh
# demo.sh L7SIM — the main job on the built-in default (see README).
#
# Generate the built-in synthetic HTTP/1.1 trace with `l7sim gen` (fixed
# seed, so the file is the same on every machine) into demo-out/, summarise
# it with `l7sim inspect`, then replay it through every implemented
# load-balancer architecture with `l7sim compare` (same trace, same seed):
# the table goes to the terminal, the summary to demo-out/compare.json, the
# time series to demo-out/compare.csv, and the plots (gnuplot scripts and
# data, SVG when gnuplot is installed) to demo-out/plots/. The pcap opens in
# Wireshark as is.
set -e
l7sim=${1:?usage: demo.sh L7SIM}
out=demo-out
mkdir -p "$out"
"$l7sim" --version
"$l7sim" gen -o "$out/synthetic.pcap" --seed 1 --connections 50 --requests-per-conn 5
"$l7sim" inspect --top 5 "$out/synthetic.pcap"
"$l7sim" inspect --json "$out/synthetic.pcap" >"$out/synthetic.inspect.json"
echo
# The what-if: one front-end core, the trace replayed 20x faster with every
# connection opened 4 times (distinct tuples), and Miresga offloading every
# response of 64 KiB or more to the switch (its elephant flows).
"$l7sim" compare "$out/synthetic.pcap" --speedup 20 --clients x4 \
	--set frontend.cores=1 --set miresga.offload_min_bytes=65536 \
	--json "$out/compare.json" --csv "$out/compare.csv" --plot "$out/plots"
echo
echo "demo: wrote $out/synthetic.pcap, $out/synthetic.inspect.json, $out/compare.json,"
echo "      $out/compare.csv and the plots in $out/plots/ ($(ls "$out/plots" | grep -c '\.svg$') SVG)"
