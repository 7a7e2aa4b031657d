-- queue.lua - the coordinator's request queue of the largest centre:
-- GET /v1/requests?state=...&limit=50 (oldest first), with the open states
-- a coordinator works through, from bench.input.
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.queue

request = function()
   local r = c.pick(rows)
   return c.get("/v1/requests?state=" .. r.b .. "&limit=50", c.token.coordinator)
end
