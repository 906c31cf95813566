#!/usr/bin/env bash
# Runs one libFuzzer harness of src/core: tools/fuzz.sh NAME SECONDS (make fuzz-build first).
#
# 1. replays every file in test/fuzz/regressions/NAME/ (inputs that once crashed a harness) once;
# 2. fuzzes for SECONDS, starting from the seeds in test/fuzz/corpus/NAME/. New inputs go to
#    test/fuzz/work/NAME/ (not committed; kept between runs so long runs build on each other);
#    a crash is written to test/fuzz/artifacts/NAME/ — copy it into test/fuzz/regressions/NAME/
#    once the bug is fixed, so every later run replays it.
# Exits non-zero when a regression input or the fuzzer finds a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
name=${1:?usage: tools/fuzz.sh NAME SECONDS}
seconds=${2:-20}
bin=test/fuzz/bin/fuzz_$name
[ -x "$bin" ] || { echo "fuzz/$name: $bin is not built (make fuzz-build)"; exit 1; }

regressions=(test/fuzz/regressions/"$name"/*)
if [ -e "${regressions[0]}" ]; then
  echo "== fuzz/$name: replaying ${#regressions[@]} regression input(s)"
  "$bin" -runs=0 "${regressions[@]}" || { echo "fuzz/$name: a regression input fails again"; exit 1; }
fi

mkdir -p test/fuzz/work/"$name" test/fuzz/artifacts/"$name"
echo "== fuzz/$name: ${seconds} s"
"$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=4096 -print_final_stats=1 \
  -artifact_prefix=test/fuzz/artifacts/"$name"/ \
  test/fuzz/work/"$name" test/fuzz/corpus/"$name"
