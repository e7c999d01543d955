#!/bin/sh
# run.sh BENCH... — run each benchmark program; each prints JSON lines
# ({"bench":..,"metric":..,"value":..,"unit":..,"peer":..,"ratio":..}).
# A benchmark that cannot run here prints {"bench":..,"skipped":"why"}.
rc=0
for b in "$@"; do
	"$b" || { echo "{\"bench\":\"$(basename "$b")\",\"error\":\"exit $?\"}"; rc=1; }
done
exit $rc
