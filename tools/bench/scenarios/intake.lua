-- intake.lua - portal intake: POST /v1/requests with the portal key of the
-- largest centre, a unique portal reference and Idempotency-Key per call
-- (run id from BENCH_RUN_ID, thread, counter), and a citizen with a phone
-- number and an e-mail address (sealed and blind-indexed by kompasd).
package.path = os.getenv("BENCH_SCENARIOS") .. "/?.lua;" .. package.path
local c = require("common")
local run = os.getenv("BENCH_RUN_ID") or tostring(os.time())
local counter = 0

request = function()
   counter = counter + 1
   local ref = string.format("bench-%s-%d-%d", run, tid, counter)
   local phone = 20000000 + (counter * 7919 + tid * 1000003) % 79999999
   local body = string.format(
      '{"portal_reference":"%s","citizen":{"name":"Bench Borger %d","phone":"+45%d",'
         .. '"email":"%s@example.invalid"},"postal_code":"1550","age_band":"65-79",'
         .. '"heard_from":"socialkompas","consents":[{"purpose":"contact","given":true,'
         .. '"text_version":"2025-09"}]}',
      ref, counter, phone, ref)
   return wrk.format("POST", "/v1/requests", {
      ["Authorization"] = "Bearer " .. c.token.portal,
      ["Content-Type"] = "application/json",
      ["Accept"] = "application/json",
      ["Idempotency-Key"] = ref,
   }, body)
end
