-- funnel.lua - the national funnel for a year: GET /v1/stats/funnel?from=&to=
-- as FriSe's analyst over all centres (the last 12 closed months, and the
-- last two calendar years, from bench.input: statistics are over whole,
-- closed months only).
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.funnel

request = function()
   local r = c.pick(rows)
   return c.get("/v1/stats/funnel?from=" .. r.a .. "&to=" .. r.b, c.token.analyst)
end
