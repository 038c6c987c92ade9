-- wrk's summary as one JSON line for bench/run.py (latencies in microseconds).
-- Errors: connect/read/write/timeout are socket-level; "status" counts answers that
-- were not 2xx or 3xx.
done = function(summary, latency, requests)
  local e = summary.errors
  local function pct(p)
    if summary.requests == 0 then return 0 end
    return latency:percentile(p)
  end
  local mean = 0
  if summary.requests > 0 then mean = latency.mean end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"min": %d, "mean": %.1f, "max": %d, "p50": %d, "p90": %d, "p99": %d}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    summary.requests > 0 and latency.min or 0, mean,
    summary.requests > 0 and latency.max or 0, pct(50), pct(90), pct(99)))
end
