#!/bin/sh
# run.sh: runs the libFuzzer harnesses that 'make fuzz-build' made in
# build/fuzz/.
#
#   run.sh corpus                 every harness over its corpus
#                                 (tests/fuzz/corpus/NAME/) and each
#                                 reproducer (tests/fuzz/crashes/NAME/*)
#                                 once, no fuzzing; TAP lines
#   run.sh fuzz SECONDS NAME...   fuzzes each NAME for SECONDS, one after
#                                 the other, one process at a time; new
#                                 inputs go to build/fuzz/corpus/NAME/,
#                                 crashes to build/fuzz/crashes/NAME/
#   run.sh check SECONDS          what make test runs: 'corpus', then
#                                 every harness fuzzed for SECONDS, two
#                                 at a time; TAP lines
set -u
cd "$(dirname "$0")/../.."
B=build/fuzz
T=tests/fuzz

# Flags every run takes: the seconds one input may take, memory, and the
# dictionary when the harness has one.
flags() {
	printf '%s' "-timeout=20 -rss_limit_mb=2560"
	[ -f "$T/$1.dict" ] && printf ' %s' "-dict=$T/$1.dict"
	echo
}

# One TAP line: ok when the command exits 0; else the log's report.
tap() {
	what=$1
	shift
	if "$@" >"$B/replay.log" 2>&1; then
		echo "ok - $what"
	else
		echo "not ok - $what"
		grep -E 'ERROR|SUMMARY|broken promise|runtime error' \
		    "$B/replay.log" | head -8 | sed 's/^/# /'
	fi
}

corpus() {
	for bin in "$B"/fuzz-*; do
		[ -x "$bin" ] || continue
		name=${bin#"$B"/fuzz-}
		set -- "$T/corpus/$name"/*
		if [ ! -f "$1" ]; then
			echo "not ok - fuzz-$name: no corpus in $T/corpus/$name"
			continue
		fi
		# Files, not the directory: libFuzzer runs each once and
		# writes nothing back.
		# shellcheck disable=SC2046
		tap "fuzz-$name replays its corpus ($# inputs)" \
		    "$bin" $(flags "$name") "$@"
		for f in "$T/crashes/$name"/*; do
			[ -f "$f" ] || continue
			# shellcheck disable=SC2046
			tap "fuzz-$name survives crashes/$name/${f##*/}" \
			    "$bin" $(flags "$name") "$f"
		done
	done
}

fuzz() {
	secs=$1
	shift
	bad=0
	for name in "$@"; do
		mkdir -p "$B/corpus/$name" "$B/crashes/$name"
		log="$B/fuzz-$name.log"
		# shellcheck disable=SC2046
		"$B/fuzz-$name" $(flags "$name") -max_total_time="$secs" \
		    -print_final_stats=1 -artifact_prefix="$B/crashes/$name/" \
		    "$B/corpus/$name" "$T/corpus/$name" >"$log" 2>&1
		rc=$?
		stats=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE)' \
		    "$log" | tail -1 | sed 's/^#\([0-9]*\).*cov: \([0-9]*\).*exec\/s: \([0-9]*\).*/\1 runs, cov \2, \3 exec\/s/')
		if [ "$rc" -eq 0 ]; then
			echo "fuzz-$name: ok, $secs s: $stats"
		else
			bad=1
			echo "fuzz-$name: FAILED (status $rc), see $log:"
			grep -E 'ERROR|SUMMARY|broken promise|runtime error|Test unit written' \
			    "$log" | head -6 | sed 's/^/    /'
		fi
	done
	return "$bad"
}

# One harness fuzzed briefly, its TAP line and any finding in $B/NAME.tap.
# New inputs go to a scratch corpus so a test run leaves the kept one as
# it was; a crash is kept in build/fuzz/crashes/NAME/ like make fuzz's.
check_one() {
	name=$1
	secs=$2
	scratch="$B/check/$name"
	rm -rf "$scratch"
	mkdir -p "$scratch" "$B/crashes/$name"
	log="$B/check-$name.log"
	# shellcheck disable=SC2046
	"$B/fuzz-$name" $(flags "$name") -max_total_time="$secs" \
	    -print_final_stats=1 -artifact_prefix="$B/crashes/$name/" \
	    "$scratch" "$T/corpus/$name" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ "$rc" -eq 0 ]; then
		echo "ok - fuzz-$name: $secs s of fuzzing, ${runs:-?} runs, no finding"
	else
		echo "not ok - fuzz-$name: $secs s of fuzzing found something (status $rc), see $log"
		grep -E 'ERROR|SUMMARY|broken promise|runtime error|Test unit written' \
		    "$log" | head -6 | sed 's/^/# /'
	fi >"$B/check-$name.tap"
	rm -rf "$scratch"
}

check() {
	secs=$1
	corpus
	names=
	for bin in "$B"/fuzz-*; do
		[ -x "$bin" ] && names="$names ${bin#"$B"/fuzz-}"
	done
	# Two at a time: the machine this runs on has two cores.
	set -- $names
	while [ $# -gt 0 ]; do
		check_one "$1" "$secs" &
		if [ $# -gt 1 ]; then
			check_one "$2" "$secs" &
			shift
		fi
		shift
		wait
	done
	for name in $names; do
		cat "$B/check-$name.tap"
	done
}

case "${1:-}" in
corpus)	corpus ;;
fuzz)	shift; fuzz "$@" ;;
check)	check "${2:-10}" ;;
*)	echo "usage: run.sh corpus | run.sh fuzz SECONDS NAME... | run.sh check [SECONDS]" >&2
	exit 2 ;;
esac
