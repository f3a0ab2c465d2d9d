#!/bin/sh
# run.sh: every benchmark, each printing a table.  Not tests: nothing here
# passes or fails on time; the figures go in the notes and docs.
set -eu
cd "$(dirname "$0")/../.."
for b in tests/bench/bench_*.py; do
	echo "== $(basename "$b" .py)"
	python3 "$b"
	echo
done
