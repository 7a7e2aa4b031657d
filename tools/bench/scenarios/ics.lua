-- ics.lua - the iCalendar feed a portal or a calendar app subscribes to:
-- GET /v1/events.ics?centre= (no credential; the next 180 days, at most
-- 1000 events), for centres chosen by size.
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.ics

request = function()
   return wrk.format("GET", "/v1/events.ics?centre=" .. c.pick(rows).e, { Accept = "text/calendar" })
end
