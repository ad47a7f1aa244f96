-- wrk script for bench/load.py's edits: a planner's round through the write routes, with the key
-- made for the run. Run with as many threads as connections (wrk -tN -cN): a wrk thread is one
-- Lua state, so each connection keeps its own state and edits only places of its own (no 412 from
-- the run's own concurrency). Each round:
--   1. GET a small bbox page around the thread's publisher place (its ETag)
--   2. POST a new place next to it                         201, Location, ETag
--   3. PATCH the new place's name, If-Match: its ETag      200
--   4. GET the new place, If-None-Match: the POST's ETag   200 (the write changed its version)
--   5. GET the new place, If-None-Match: the PATCH's ETag  304
--   6. GET the bbox page again, If-None-Match: step 1's    200 (writes bump the data version)
--   7. GET the publisher's place (its ETag)                200
--   8. PATCH it, If-Match (an edit record amending it)     200
--   9. DELETE the new place, If-Match                      200 (withdrawn: it becomes closed)
-- Any other status is counted as unexpected (a 412 or 428 too; wrk counts statuses >= 400 as
-- errors besides). Arguments: the file of publisher places ("id lon lat", thread k takes line k),
-- the API key, the pause in ms before each request (a planner's pace).
local places, key, pause = {}, "", 0
local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("number", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    local id, lon, lat = line:match("^(%d+) (%S+) (%S+)$")
    if id then places[#places + 1] = {id = id, lon = tonumber(lon), lat = tonumber(lat)} end
  end
  key, pause = args[2], tonumber(args[3])
  mine = places[(number - 1) % #places + 1]
  unexpected, rounds, first_unexpected = 0, 0, ""
  step, tags = 1, {}
end

local function feature_path(id) return "/collections/places/items/" .. id end

local function bbox_path()
  return string.format("/collections/places/items?bbox=%.5f,%.5f,%.5f,%.5f&limit=10",
    mine.lon - 0.002, mine.lat - 0.002, mine.lon + 0.002, mine.lat + 0.002)
end

local function send(method, path, headers, body)
  headers = headers or {}
  headers["X-API-Key"] = key
  return wrk.format(method, path, headers, body)
end

-- each step: the request it sends, the status it expects, what it keeps from the answer
local steps = {
  {function() return send("GET", bbox_path()) end, 200, function(h) tags.page = h.etag end},
  {function()
     local body = string.format('{"type": "Feature", "geometry": {"type": "Point", "coordinates": [%.6f, %.6f]}, '
       .. '"properties": {"name": "Load test place %d-%d", "category": "community_centre", "status": "open"}}',
       mine.lon + 0.0002, mine.lat + 0.0002, number, rounds)
     return send("POST", "/collections/places/items", {["Content-Type"] = "application/geo+json"}, body)
   end, 201, function(h) tags.created = h.etag; tags.id = (h.location or ""):match("(%d+)$") end},
  {function()
     return send("PATCH", feature_path(tags.id), {["If-Match"] = tags.created,
       ["Content-Type"] = "application/merge-patch+json"}, '{"properties": {"name": "Load test place, renamed"}}')
   end, 200, function(h) tags.patched = h.etag end},
  {function() return send("GET", feature_path(tags.id), {["If-None-Match"] = tags.created}) end, 200},
  {function() return send("GET", feature_path(tags.id), {["If-None-Match"] = tags.patched}) end, 304},
  {function() return send("GET", bbox_path(), {["If-None-Match"] = tags.page}) end, 200},
  {function() return send("GET", feature_path(mine.id)) end, 200, function(h) tags.publisher = h.etag end},
  {function()
     return send("PATCH", feature_path(mine.id), {["If-Match"] = tags.publisher,
       ["Content-Type"] = "application/merge-patch+json"},
       string.format('{"properties": {"attributes": {"load_test_round": %d}}}', rounds))
   end, 200},
  {function() return send("DELETE", feature_path(tags.id), {["If-Match"] = tags.patched}) end, 200},
}

function delay()
  return pause
end

function request()
  return steps[step][1]()
end

function response(status, headers, body)
  local lower = {}
  for name, value in pairs(headers) do lower[name:lower()] = value end
  local expected, keep = steps[step][2], steps[step][3]
  if status ~= expected then
    unexpected = unexpected + 1
    if first_unexpected == "" then
      first_unexpected = string.format("step %d: %d, expected %d: %s", step, status, expected, body:sub(1, 200))
    end
    step, tags = 1, {}  -- start the round again from a fresh page
    return
  end
  if keep then keep(lower) end
  step = step % #steps + 1
  if step == 1 then rounds = rounds + 1 end
end

function done(summary, latency, requests)
  local e = summary.errors
  local bad, total_rounds, first = 0, 0, ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    total_rounds = total_rounds + thread:get("rounds")
    if first == "" then first = thread:get("first_unexpected") end
  end
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "p50_ms": %.2f, "p90_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, '
    .. '"rounds": %d, "unexpected": %d, "first_unexpected": "%s", '
    .. '"errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d, "status": %d}}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, total_rounds, bad,
    (first:gsub("[%c\"\\]", " ")), e.connect, e.read, e.write, e.timeout, e.status))
end
