-- search.lua - public event search, as a socialkompas portal does it:
-- GET /v1/public/events?centre=&q=&from=&to=&category=&limit=20 (no
-- credential), with a centre (chosen by size), a word, a 30-day window in
-- the next two months and an activity category from bench.input.
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.search

request = function()
   local r = c.pick(rows)
   return c.get("/v1/public/events?centre=" .. r.e .. "&q=" .. c.enc(r.a) .. "&from=" .. r.b
                .. "&to=" .. r.c .. "&category=" .. r.d .. "&limit=20")
end
