-- funnel_centre.lua - the funnel for a year by centre, as FriSe's pull asks
-- for it: GET /v1/stats/funnel?from=&to=&group_by=centre as the analyst
-- (the same windows as funnel.lua, from bench.input).
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.funnel

request = function()
   local r = c.pick(rows)
   return c.get("/v1/stats/funnel?from=" .. r.a .. "&to=" .. r.b .. "&group_by=centre", c.token.analyst)
end
