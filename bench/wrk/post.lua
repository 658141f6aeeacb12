-- wrk script for the benchmark's closed-loop runs: POSTs the JSON body in $BENCH_BODY_FILE with
-- the headers in $BENCH_HEADERS (one "Name: value" per line), and prints one line of key=value
-- pairs at the end (latencies in microseconds, from wrk's full latency record).
--   BENCH_BODY_FILE=b.json wrk -t1 -c64 -d5s -s post.lua http://127.0.0.1:8080/v1/chat/completions

local body_file = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = body_file:read("*a")
body_file:close()
wrk.headers["Content-Type"] = "application/json"
for line in (os.getenv("BENCH_HEADERS") or ""):gmatch("[^\n]+") do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end

function done(summary, latency, requests)
  local errors = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "requests=%d rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non_2xx=%d errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50),
    latency:percentile(90), latency:percentile(99), latency.max, errors.status,
    errors.connect + errors.read + errors.write + errors.timeout))
end
