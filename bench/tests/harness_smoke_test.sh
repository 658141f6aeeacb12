#!/usr/bin/env bash
# Smoke test of the benchmark harness (never the benchmark itself): the scripts parse, bench/run
# answers --help and refuses unknown arguments, the table turns raw rows into medians, ratios and
# verdicts, and the peer's preload keeps a server on loopback.
#   bash bench/tests/harness_smoke_test.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
failures=0
passes=0
check() {  # description, then a command that must succeed
  local what="$1"
  shift
  if "$@"; then
    echo "ok: $what"
    passes=$((passes + 1))
  else
    echo "FAILED: $what"
    failures=$((failures + 1))
  fi
}

check "bench/run parses" bash -n "$root/bench/run"
if [[ -f "$root/bench/control_plane/run" ]]; then
  check "bench/control_plane/run parses" bash -n "$root/bench/control_plane/run"
fi
help_text=$("$root/bench/run" --help)
check "bench/run --help prints the usage" grep -q -- "--quick" <<<"$help_text"
set +e
"$root/bench/run" --no-such-flag >/dev/null 2>&1
unknown_exit=$?
set -e
check "bench/run refuses an unknown flag with exit 2" test "$unknown_exit" -eq 2

# Three rounds of made-up figures: medians, per-round added latency and a verdict.
rows=$(mktemp)
trap 'rm -f "$rows"' EXIT
for round in 1 2 3; do
  printf '%s\tplain_c64\tdirect\trps\t60000\n' "$round"
  printf '%s\tplain_c64\tnginx\trps\t%s\n' "$round" $((30000 + round))
  printf '%s\tplain_c64\tgateway\trps\t%s\n' "$round" $((27000 + round * 100))
  printf '%s\tplain_c64\tpeer\trps\t2000\n' "$round"
  printf '%s\tplain_c1\tdirect\tp99_us\t%s\n' "$round" $((100 + round))
  printf '%s\tplain_c1\tnginx\tp99_us\t%s\n' "$round" $((120 + round))
  printf '%s\tplain_c1\tgateway\tp99_us\t%s\n' "$round" $((140 + round))
  printf '%s\tplain_c1\tpeer\tp99_us\t%s\n' "$round" $((1100 + round))
  # Throughput at one connection: the per-round ratios (0.9, 0.5, 1.1) have another median (0.90)
  # than the ratio of the medians (100 / 200).
  printf '%s\tplain_c1\tnginx\trps\t%s\n' "$round" $((100 * round))
  printf '%s\tplain_c1\tgateway\trps\t%s\n' "$round" "$(sed -n "${round}p" <<<$'90\n100\n330')"
  # CPU per request over the fake's: nginx 2.3, 1.9, 1.8 and the gateway 2.47, 2.6, 2.3 while the
  # fake's own figure moves (medians 1.9 and 2.47; the medians' ratios would say 1.96 and 2.6).
  printf '%s\tplain_c64\tnginx\tcpu_us\t%s\n' "$round" "$(sed -n "${round}p" <<<$'23\n20.9\n21.6')"
  printf '%s\tplain_c64\tnginx\tfake_cpu_us\t%s\n' "$round" $((9 + round))
  printf '%s\tplain_c64\tgateway\tcpu_us\t%s\n' "$round" "$(sed -n "${round}p" <<<$'27.17\n26\n20.7')"
  printf '%s\tplain_c64\tgateway\tfake_cpu_us\t%s\n' "$round" $((12 - round))
  # At 64 connections nginx comes out faster than direct at p99: nothing to take 1.5x of.
  printf '%s\tplain_c64\tdirect\tp99_us\t%s\n' "$round" $((5000 + round * 100))
  printf '%s\tplain_c64\tnginx\tp99_us\t4900\n' "$round"
  printf '%s\tplain_c64\tgateway\tp99_us\t5300\n' "$round"
  # At 5,000 requests/s the floor misses 1 ms; the gateway is under nginx.
  printf '%s\trate_5k\tdirect\tp99_us\t900\n' "$round"
  printf '%s\trate_5k\tnginx\tp99_us\t1800\n' "$round"
  printf '%s\trate_5k\tgateway\tp99_us\t1200\n' "$round"
  printf '%s\trate_5k\tgateway\tunfinished\t0\n' "$round"
  # CPU per request at that rate: the gateway 66, 70, 62 us over a fake at 24, 20, 22 (per round
  # 2.75, 3.5, 2.82: median 2.82, where the medians' ratio would say 3.0).
  printf '%s\trate_5k\tgateway\tcpu_us\t%s\n' "$round" "$(sed -n "${round}p" <<<$'66\n70\n62')"
  printf '%s\trate_5k\tgateway\tfake_cpu_us\t%s\n' "$round" "$(sed -n "${round}p" <<<$'24\n20\n22')"
  printf '%s\trate_5k\tnginx\tcpu_us\t54\n' "$round"
  printf '%s\trate_5k\tnginx\tfake_cpu_us\t22\n' "$round"
done >"$rows"
table=$(awk -f "$root/bench/lib/table.awk" "$rows")
check "median throughput and its ratios" \
  grep -Eq '^plain_c64 +requests/s +0\.91 +13\.60 +60000 +30002 +27200 +2000$' <<<"$table"
check "added p99 is per round, target minus direct" \
  grep -Eq '^plain_c1 +added p99 +2\.00 +0\.04 +- +20 +40 +1000$' <<<"$table"
check "throughput against nginx per round, then the median" \
  grep -Eq '^plain_c1 +requests/s, per round +0\.90 ' <<<"$table"
check "the ratio of the medians stays beside it" \
  grep -Eq '^plain_c1 +requests/s +0\.50 ' <<<"$table"
check "a missed target is marked" grep -q 'MISS  added p99 <= 1.5x nginx' <<<"$table"
check "a met target is marked" grep -q 'met   throughput >= 0.8x nginx' <<<"$table"
check "CPU per request over the fake's, per round, then the median" \
  grep -Eq '^plain_c64 +CPU per request / fake.s +1\.30 +- +- +1\.90 +2\.47 +-$' <<<"$table"
check "the throughput ratio that CPU per request gives stands beside the verdict" \
  grep -q 'per-round median 0.91x; from CPU per request 0.84x)' <<<"$table"
check "an added latency nginx does not show is left to the floor, with direct's swing" \
  grep -q "floor added p99 <= 1.5x nginx's (plain_c64) (100 vs -300 us; direct's p99 moved over 5100-5300 us" <<<"$table"
check "where the floor misses 1 ms at 5,000 requests/s, the gateway is held to nginx's p99" \
  grep -q "met   p99 end-to-end <= nginx's at 5,000 requests/s" <<<"$table"
check "... and the 1 ms target is marked as beyond the floor" \
  grep -q 'floor p99 end-to-end <= 1 ms at 5,000 requests/s (1200 us; nginx 1800, direct 900; CPU per request 66.00 vs 54.00 us)' <<<"$table"
check "CPU per request at 5,000 requests/s over the fake's, per round, then the median" \
  grep -Eq '^rate_5k +CPU per request / fake.s +1\.15 +- +- +2\.45 +2\.82 +-$' <<<"$table"
for round in 1 2 3; do
  printf '%s\trate_5k\tdirect\tp99_us\t600\n' "$round"
  printf '%s\trate_5k\tnginx\tp99_us\t900\n' "$round"
  printf '%s\trate_5k\tgateway\tp99_us\t1100\n' "$round"
done >"$rows"
table=$(awk -f "$root/bench/lib/table.awk" "$rows")
check "where the floor meets 1 ms, so must the gateway" \
  grep -q 'MISS  p99 end-to-end <= 1 ms at 5,000 requests/s (1100 us; nginx 900, direct 600)' <<<"$table"

if command -v node >/dev/null; then
  bound=$(node --require "$root/bench/peer/loopback.cjs" -e '
    const s = require("http").createServer().listen(0, () => {
      console.log(s.address().address); s.close(); });')
  check "the peer's preload binds loopback only" test "$bound" = 127.0.0.1
fi

echo "$passes passed, $failures failed"
exit $((failures > 0))
