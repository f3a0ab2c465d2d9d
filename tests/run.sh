#!/bin/sh
# run.sh: runs every test suite and ends with one line, "N passed, N
# failed"; exits non-zero when anything failed.  Each suite prints TAP
# lines ("ok - name", "not ok - name"); its whole output is kept in
# tests/out/<suite>.log, and failures are repeated here.
#
#   ORGAUDIT_SUITES="unit it-datapath"  run only suites whose names
#                                        start with one of these words
set -u
cd "$(dirname "$0")/.."
OUT=tests/out
mkdir -p "$OUT"
passed=0
failed=0

want() {
	[ -z "${ORGAUDIT_SUITES:-}" ] && return 0
	for w in $ORGAUDIT_SUITES; do
		case "$1" in "$w"*) return 0;; esac
	done
	return 1
}

# run_suite NAME COMMAND...: runs, counts, reports.
run_suite() {
	name=$1
	shift
	want "$name" || return 0
	log="$OUT/$name.log"
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	ok=$(grep -c '^ok ' "$log")
	bad=$(grep -c '^not ok ' "$log")
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		echo "not ok - $name exited with status $rc" >>"$log"
		bad=1
	fi
	passed=$((passed + ok))
	failed=$((failed + bad))
	printf '%-28s %4d passed, %d failed (%ds)\n' "$name" "$ok" "$bad" \
	    $(($(date +%s) - start))
	if [ "$bad" -gt 0 ]; then
		# The failing lines and their diagnostics, then the log's tail.
		awk '/^not ok /{p=1; print "    " $0; next}
		     /^(ok |[0-9]+\.\.)/{p=0}
		     p && /^#/{print "    " $0}' "$log" | head -60
		echo "    (whole output: $log)"
	fi
}

export CMOCKA_MESSAGE_OUTPUT=TAP
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

for t in build/test-*; do
	[ -x "$t" ] || continue
	run_suite "unit-$(basename "$t" | sed 's/^test-//')" "$t"
done
for t in build/asan/test-*; do
	[ -x "$t" ] || continue
	run_suite "unit-asan-$(basename "$t" | sed 's/^test-//')" "$t"
done
# Every libFuzzer harness over its corpus and reproducers, once, then
# ORGAUDIT_FUZZ_SECONDS (10) of fuzzing each.
run_suite fuzz-corpus tests/fuzz/run.sh check "${ORGAUDIT_FUZZ_SECONDS:-10}"
run_suite sim python3 tests/sim/test_oasim.py
run_suite stripesim python3 tests/stripe/test_stripesim.py
run_suite galera python3 tests/galera_selftest.py
for t in tests/it/test_*.py; do
	[ -f "$t" ] || continue
	run_suite "it-$(basename "$t" .py | sed 's/^test_//')" python3 "$t"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
