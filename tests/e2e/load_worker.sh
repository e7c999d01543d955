#!/bin/sh
# load_worker.sh ID N BASEURL FIXDIR OUTDIR MAXTIME — one keep-alive client of
# the e2e load: fetches N paths (a deterministic mix of routes and sizes
# chosen from ID) in one curl invocation, so over one connection, then checks
# every body's SHA-256 against FIXDIR/SHA256SUMS. Prints one line:
#   ID <requests> <ok> <bad> <failed> <connects>
# ok/bad = bodies whose hash matches / differs (a missing non-empty body is
# bad), failed = transfers without a 200 within MAXTIME seconds each,
# connects = TCP connections curl opened (1 when keep-alive held).
id=$1; n=$2; base=$3; fix=$4; out=$5/w$1; maxt=$6
mkdir -p "$out" || exit 1
set --
j=0
while [ $j -lt "$n" ]; do
	case $(( (id * 7 + j) % 4 )) in
		0) pre=a ;; 1) pre=b ;; 2) pre=c ;; *) pre=rr ;;
	esac
	k=$(( (id * 31 + j * 17) % 100 ))
	if [ $k -lt 20 ]; then f=f0
	elif [ $k -lt 45 ]; then f=f1
	elif [ $k -lt 75 ]; then f=f1k
	elif [ $k -lt 99 ]; then f=f64k
	else f=f1m
	fi
	set -- "$@" -o "$out/$j.$f" "$base/$pre/$f"
	echo "$j $f" >> "$out/kinds"
	j=$((j + 1))
done
curl -s --max-time "$maxt" --connect-timeout 5 -w '%{http_code} %{num_connects}\n' \
	"$@" > "$out/codes" 2>/dev/null
codes=$(awk '$1 == 200 { c++ } END { print c + 0 }' "$out/codes")
conns=$(awk '{ c += $2 } END { print c + 0 }' "$out/codes")
# one sha256sum for all bodies; curl may not create the file of an empty
# body, so a missing file is right only for the empty one
res=$( (cd "$out" && ls | grep -q '\.f' && sha256sum -- *.f*) | awk \
	-v sums="$fix/SHA256SUMS" -v kinds="$out/kinds" '
	BEGIN { while ((getline l < sums) > 0) { split(l, a, " "); h[a[2]] = a[1] } }
	{ split($2, a, "."); seen[a[1]] = 1; if (h[a[2]] == $1) ok++; else bad++ }
	END {
		while ((getline l < kinds) > 0) {
			split(l, a, " ")
			if (!(a[1] in seen)) { if (a[2] == "f0") ok++; else bad++ }
		}
		print ok + 0, bad + 0
	}')
echo "$id $n $res $((n - codes)) $conns"
rm -rf "$out"
