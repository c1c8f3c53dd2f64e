-- wrk script: POST /licensing/v1/authorize, rotating through one (token, body) pair per
-- person.
--
--   wrk -s authorize.lua http://127.0.0.1:PORT/licensing/v1/authorize -- PAIRS_FILE
--
-- PAIRS_FILE has one line per person: "<access token>\t<JSON body>" (written by
-- examples/licensing_bench_prep.rs). Every request is formatted in init(), before wrk's
-- clock starts, so the per-request Lua work is one table lookup.
-- Environment:
--   BENCH_THREADS  the -t value given to wrk (default 1). Thread k of T starts at pair
--                  k*N/T, so the threads are spread over the people, not in step; the
--                  connections of one thread take the next pair in turn.
--
-- done() prints one machine-readable line starting with BENCH_RESULT.

local threads = {}
local next_tid = 0

function setup(thread)
  thread:set("tid", next_tid)
  next_tid = next_tid + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  if not file then error("usage: wrk -s authorize.lua URL -- PAIRS_FILE") end
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  reqs = {}
  count = 0
  for line in io.lines(file) do
    local token, body = line:match("^([^\t]+)\t(.+)$")
    if token then
      count = count + 1
      reqs[count] = wrk.format("POST", nil, {
        ["Authorization"] = "Bearer " .. token,
        ["Content-Type"] = "application/json",
      }, body)
    end
  end
  if count == 0 then error("authorize.lua: no pairs in " .. file) end
  idx = math.floor(tid * count / nthreads)
end

function request()
  idx = idx + 1
  if idx > count then idx = 1 end
  return reqs[idx]
end

function done(summary, latency, requests)
  local loaded = threads[1] and threads[1]:get("count") or 0
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p90_us=%d p99_us=%d mean_us=%d max_us=%d " ..
    "status_errors=%d connect=%d read=%d write=%d timeout=%d loaded=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), math.floor(latency.mean), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, loaded))
end
