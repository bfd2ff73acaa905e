#!/usr/bin/env bash
# RE2 (GoRegex) against Swift Regex on selector-shaped patterns (`a|b|c`, `.*foo.*`, `prefix.+`, …) over 2,000
# label-shaped values; prints nanoseconds per anchored match for each. Compiles Sources/Model, the CRE2 shim and
# bench/regex/main.swift with optimisation into one executable (about a minute), without the rest of the package.
#
#   bench/regex.sh [rounds]      (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-200}
out=bench/out/regex
rm -rf "$out" && mkdir -p "$out/CRE2"
cp Sources/CRE2/include/cre2_shim.h "$out/CRE2/"
printf 'module CRE2 {\n    header "cre2_shim.h"\n    export *\n}\n' > "$out/CRE2/module.modulemap"
clang++ -O2 -std=c++17 -c Sources/CRE2/cre2_shim.cpp -I Sources/CRE2/include -o "$out/cre2_shim.o"
swiftc -O -parse-as-library -I "$out/CRE2" Sources/Model/*.swift -module-name Model -emit-library -static \
    -o "$out/libModel.a" -emit-module -emit-module-path "$out/Model.swiftmodule"
swiftc -O -I "$out" -I "$out/CRE2" bench/regex/main.swift "$out/libModel.a" "$out/cre2_shim.o" -lre2 -lstdc++ \
    -o "$out/regex-bench"
"$out/regex-bench" "$rounds"
