-- common.lua - what every national scenario shares (tools/bench/national.sh
-- runs them with wrk -s):
--   * the inputs: BENCH_INPUTS names a Lua file written by national.sh
--     from the table bench.input (the same rows the pgbench twins pick
--     from), returning { scenario = { {a=..., b=..., ...}, ... } };
--   * the tokens: BENCH_TOKEN_COORDINATOR, BENCH_TOKEN_ANALYST,
--     BENCH_TOKEN_PORTAL (made by national.sh through the API);
--   * a per-thread count of answers outside 2xx, summed in done() and
--     printed as "bench-non2xx N" (national.sh fails the run on N > 0);
--   * pick(rows): a random row, from a generator seeded per thread.
local M = {}

M.inputs = dofile(os.getenv("BENCH_INPUTS"))
M.token = {
   coordinator = os.getenv("BENCH_TOKEN_COORDINATOR"),
   analyst = os.getenv("BENCH_TOKEN_ANALYST"),
   portal = os.getenv("BENCH_TOKEN_PORTAL"),
}

-- Percent-encoding for query values (UTF-8 bytes, e.g. "gåtur").
function M.enc(s)
   return (string.gsub(s, "[^%w%-%._~]", function(c)
      return string.format("%%%02X", string.byte(c))
   end))
end

function M.pick(rows)
   return rows[math.random(#rows)]
end

function M.get(path, token)
   local headers = { Accept = "application/json" }
   if token then headers["Authorization"] = "Bearer " .. token end
   return wrk.format("GET", path, headers)
end

-- wrk hooks. setup() runs in the main state once per thread; the others in
-- each thread's own state, done() in the main state at the end.
local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("tid", #threads)
end

function init(args)
   non2xx = 0
   tid = wrk.thread:get("tid") or 0
   math.randomseed(os.time() * 1000 + tid)
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local n = 0
   for _, t in ipairs(threads) do
      n = n + (t:get("non2xx") or 0)
   end
   io.write(string.format("bench-non2xx %d\n", n))
end

return M
