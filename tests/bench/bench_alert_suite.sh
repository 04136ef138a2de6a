#!/bin/sh
# bench_alert_suite.sh BUILD_DIR - the alert rules' confusion table on the suite of real runs
# (tests/e2e/alert_suite.txt, a random draw of 24 from the wide sample): how many healthy runs
# the default rules alert on (target 0) and how many overfitting runs they catch in the window
# (issue 15's target: all), beside trainwatch 0.1's rule. About 15 s.
# Prints the table and SUMMARY lines (tests/bench/bench_summary.h); exit 0 whatever they say.
set -eu
BUILD=${1:-build-release}
here=$(dirname "$0")
exec sh "$here/../e2e/alert_suite.sh" "$BUILD/monitor/trainwatch" "$BUILD/examples/train_mlp" \
    "$here/../e2e/alert_suite.txt" --bench
