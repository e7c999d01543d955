#!/bin/sh
# run.sh STAGE PROGRAM... — run each test program (a binary or a .sh script),
# count exit 0 as passed, 77 as skipped (the program says why), anything else
# as failed. Prints one "STAGE: N passed, N failed, N skipped" line and exits
# non-zero if anything failed.
stage=$1; shift
pass=0; fail=0; skip=0; failed=""
for t in "$@"; do
	case "$t" in
		*.sh) sh "$t" ;;
		*) "$t" ;;
	esac
	rc=$?
	if [ $rc -eq 0 ]; then pass=$((pass + 1))
	elif [ $rc -eq 77 ]; then skip=$((skip + 1)); echo "SKIP: $t"
	else fail=$((fail + 1)); failed="$failed $t"; echo "FAIL: $t (exit $rc)"
	fi
done
[ -n "$failed" ] && echo "$stage: failed:$failed"
echo "$stage: $pass passed, $fail failed, $skip skipped"
# make check sums the stages into its closing line
[ -n "$L7_COUNTS" ] && echo "$pass $fail $skip" >> "$L7_COUNTS"
[ $fail -eq 0 ]
