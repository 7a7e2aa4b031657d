-- detail.lua - request detail: GET /v1/requests/{id} as the coordinator,
-- over many requests of the largest centre (not anonymised: the citizen's
-- details are opened and the read is written to the access log).
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.detail

request = function()
   return c.get("/v1/requests/" .. c.pick(rows).a, c.token.coordinator)
end
