-- guides.lua - guide suggestions: GET /v1/requests/{id}/guide-suggestions
-- as the coordinator, for requests of the largest centre that wait for a
-- guide (received or accepted; other open ones when there are few).
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.guides

request = function()
   return c.get("/v1/requests/" .. c.pick(rows).a .. "/guide-suggestions", c.token.coordinator)
end
