-- wrk script that sends pre-generated requests, each one at most once per pass.
--
--   wrk -s rotate.lua URL -- post   FILE [SKIP [LIMIT]]  -- POST each line as a form body
--   wrk -s rotate.lua URL -- bearer FILE [SKIP [LIMIT]]  -- GET, "Authorization: Bearer <line>"
--
-- The first SKIP lines of FILE are ignored (run.sh spends them on its pre-flight check and
-- its warm-up), and at most LIMIT lines after them are used (0 or absent: all).
-- Environment:
--   BENCH_THREADS  the -t value given to wrk (default 1). Each wrk thread has its own Lua
--                  state, so thread k takes lines k, k+T, k+2T, ...: no line is sent by two
--                  threads, which matters for one-time client assertions (jti replay checks).
--   BENCH_AUTH     optional Authorization header value for "post" (e.g. "Basic ...").
--
-- All requests are formatted in init(), which wrk runs before its clock starts, so the
-- per-request Lua work is one table lookup. When a thread has sent all its lines it starts
-- again from the first and counts a wrap; done() reports the wraps so that the caller can
-- tell a run that replayed one-time assertions from a clean one.
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
  -- wrk passes the URL as args[0] and the words after "--" as args[1], args[2], ...
  local mode, file = args[1], args[2]
  local skip, limit = tonumber(args[3] or "0"), tonumber(args[4] or "0")
  if (mode ~= "post" and mode ~= "bearer") or not file then
    error("usage: wrk -s rotate.lua URL -- post|bearer FILE [SKIP [LIMIT]]")
  end
  if limit <= 0 then limit = math.huge end
  local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local auth = os.getenv("BENCH_AUTH")
  reqs = {}
  count, idx, wrapped = 0, 0, 0
  local i = 0
  for line in io.lines(file) do
    if line ~= "" then
      if i >= skip + limit then break end
      if i >= skip and (i - skip) % nthreads == tid then
        count = count + 1
        if mode == "post" then
          local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
          if auth and auth ~= "" then headers["Authorization"] = auth end
          reqs[count] = wrk.format("POST", nil, headers, line)
        else
          reqs[count] = wrk.format("GET", nil, { ["Authorization"] = "Bearer " .. line }, nil)
        end
      end
      i = i + 1
    end
  end
  if count == 0 then error("rotate.lua: no usable lines in " .. file) end
end

function request()
  idx = idx + 1
  if idx > count then
    idx = 1
    wrapped = wrapped + 1
  end
  return reqs[idx]
end

function done(summary, latency, requests)
  local wraps, loaded = 0, 0
  for _, t in ipairs(threads) do
    wraps = wraps + (t:get("wrapped") or 0)
    loaded = loaded + (t:get("count") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d mean_us=%d max_us=%d " ..
    "status_errors=%d connect=%d read=%d write=%d timeout=%d wrapped=%d loaded=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    math.floor(latency.mean), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout, wraps, loaded))
end
