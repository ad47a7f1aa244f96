-- wrk script for bench/costs.py: GET the one path given, count the answers by status, print a
-- JSON summary (latency percentiles, statuses) at the end. Each thread counts in its own Lua
-- state; done() gathers the counts of every thread (setup keeps them).
local threads = {}
local CODES = {200, 204, 304, 400, 404, 413, 422, 429, 500, 502, 503, 504}

function setup(thread)
  threads[#threads + 1] = thread
end

function init(args)
  for _, code in ipairs(CODES) do _G["s" .. code] = 0 end
  _G.other = 0
end

function response(status, headers, body)
  local name = "s" .. status
  if _G[name] ~= nil then _G[name] = _G[name] + 1 else _G.other = _G.other + 1 end
end

function done(summary, latency, requests)
  local parts = {}
  for _, code in ipairs(CODES) do
    local count = 0
    for _, thread in ipairs(threads) do count = count + (thread:get("s" .. code) or 0) end
    if count > 0 then parts[#parts + 1] = string.format('"%d": %d', code, count) end
  end
  local other = 0
  for _, thread in ipairs(threads) do other = other + (thread:get("other") or 0) end
  if other > 0 then parts[#parts + 1] = string.format('"other": %d', other) end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, "statuses": {%s}, '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
    latency.max / 1e3, table.concat(parts, ", "), e.connect, e.read, e.write, e.timeout, e.status))
end
