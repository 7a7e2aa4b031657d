-- activities.lua - activity suggestions:
-- GET /v1/requests/{id}/activity-suggestions as the coordinator, for open
-- requests of the largest centre (events of the next 60 days and the
-- centre's associations, scored).
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local rows = c.inputs.activities

request = function()
   return c.get("/v1/requests/" .. c.pick(rows).a .. "/activity-suggestions", c.token.coordinator)
end
