#!/bin/sh
# bench_alert_sample.sh BUILD_DIR - the overfitting rule on the wide random sample of real runs
# (tests/bench/alert_sample.py: 380 seeded trainings of examples/train_mlp, 216 labelled: 95
# healthy, 121 overfitting), the default rules beside trainwatch 0.1's rule and the defaults
# before the slope test. About 3 minutes. Prints the table and SUMMARY lines
# (tests/bench/bench_summary.h) for the defaults; exit 0 whatever they say.
set -eu
BUILD=${1:-build-release}
here=$(dirname "$0")
exec python3 "$here/alert_sample.py" "$BUILD" --summary default \
    overfitting,z=0,floor=0,samples=0,slope=0 overfitting,z=0.2,floor=1,slope=0
