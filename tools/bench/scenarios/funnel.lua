-- funnel.lua - the national funnel for a year: GET /v1/stats/funnel?from=&to=
-- as FriSe's analyst over all centres (the last 365 days, and the last
-- two calendar years, from bench.input).
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.funnel

request = function()
   local r = c.pick(rows)
   return c.get("/v1/stats/funnel?from=" .. r.a .. "&to=" .. r.b, c.token.analyst)
end
