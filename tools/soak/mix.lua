-- mix.lua - the soak's load for wrk: portal intake, public event search,
-- centre reads, statistics and the iCalendar feed, in fixed proportions.
-- Environment: SOAK_PORTAL_KEY, SOAK_ANALYST_KEY (tokens), SOAK_CENTRE (slug).
local portal = os.getenv("SOAK_PORTAL_KEY")
local analyst = os.getenv("SOAK_ANALYST_KEY")
local centre = os.getenv("SOAK_CENTRE")
local counter = 0
local bad = 0
local by_status = {}
-- Globals, not locals: done() reads them from each thread with thread:get.
first503 = 0
last503 = 0
local threads = {}

function setup(thread)
  thread:set("id", tostring(thread):gsub("[^%w]", ""))
  table.insert(threads, thread)
end

function request()
  counter = counter + 1
  local n = counter % 10
  if n < 3 then
    local ref = string.format("soak-%s-%d", id, counter)
    local body = string.format(
      '{"portal_reference":"%s","citizen":{"name":"Soak Borger","email":"%s@soak.invalid"}}', ref, ref)
    return wrk.format("POST", "/v1/requests",
      {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. portal}, body)
  elseif n < 6 then
    return wrk.format("GET", "/v1/public/events?centre=" .. centre .. "&q=strik&limit=20")
  elseif n < 8 then
    return wrk.format("GET", "/v1/centres")
  elseif n < 9 then
    return wrk.format("GET", "/v1/stats/funnel?from=2026-01-01&to=2026-12-31",
      {["Authorization"] = "Bearer " .. analyst})
  else
    return wrk.format("GET", "/v1/events.ics?centre=" .. centre)
  end
end

function response(status, headers, body)
  by_status[status] = (by_status[status] or 0) + 1
  if status >= 300 and status ~= 503 then bad = bad + 1 end
  if status == 503 then
    -- When 503s came, in whole seconds since the epoch: run.sh checks that
    -- they all fall in the database outage.
    local now = os.time()
    if first503 == 0 then first503 = now end
    last503 = now
  end
end

function done(summary, latency, requests)
  io.write(string.format("soak: %d requests, %d errors (socket), p99 %.2f ms\n",
    summary.requests, summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.timeout, latency:percentile(99) / 1000))
  local first, last = 0, 0
  for _, t in ipairs(threads) do
    local f, l = t:get("first503"), t:get("last503")
    if f ~= 0 and (first == 0 or f < first) then first = f end
    if l > last then last = l end
  end
  io.write(string.format("soak: 503 answers from %d to %d\n", first, last))
end
