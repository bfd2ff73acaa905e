#!/usr/bin/env bash
# Inference time per row of a generated 100-feature logistic regression (issue 17: under 5 µs) and of 8 features
# (under 1 µs), and what drift tracking adds per row: bench/inference/main.swift, built in release mode.
#
#   bench/inference.sh            (SCRATCH=.build-release to use another build directory)
set -euo pipefail
cd "$(dirname "$0")/.."
scratch=${SCRATCH:-.build}
swift build -c release --product InferenceBench --scratch-path "$scratch" >/dev/null
"$scratch/release/InferenceBench"
