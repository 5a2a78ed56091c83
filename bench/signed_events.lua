-- wrk script: POST pre-signed Slack events, each thread its own share, each event once.
-- The request file (one "timestamp<TAB>signature<TAB>body" per line) is named by the
-- JEEVES_BENCH_REQUESTS environment variable; bench/frontdoor.py writes it.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function init(args)
  local total = tonumber(os.getenv("JEEVES_BENCH_THREADS"))
  requests = {}
  local n = 0
  for line in io.lines(os.getenv("JEEVES_BENCH_REQUESTS")) do
    if n % total == id then
      local ts, sig, body = line:match("^(%d+)\t(%S+)\t(.*)$")
      local headers = {
        ["Content-Type"] = "application/json",
        ["X-Slack-Request-Timestamp"] = ts,
        ["X-Slack-Signature"] = sig,
      }
      table.insert(requests, wrk.format("POST", "/slack/events", headers, body))
    end
    n = n + 1
  end
  index = 0
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = (non200 or 0) + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("non200") or 0)
  end
  io.write(string.format("JSON {\"requests\": %d, \"seconds\": %.3f, \"non200\": %d, " ..
    "\"p50_ms\": %.2f, \"p99_ms\": %.2f, \"max_ms\": %.2f}\n",
    summary.requests, summary.duration / 1e6, failed,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
