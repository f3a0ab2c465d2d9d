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

case "${1:-}" in
corpus)	corpus ;;
fuzz)	shift; fuzz "$@" ;;
*)	echo "usage: run.sh corpus | run.sh fuzz SECONDS NAME..." >&2; exit 2 ;;
esac
