-- wrk script of the API benchmark (python -m bench.api): one endpoint, its ids walked per thread, figures as one JSON line.
--
--   wrk -t2 -c8 -d10s -s bench/api/wrk.lua http://127.0.0.1:8340 -- METHOD PATH IDS_FILE BODY_FILE MODE
--
-- PATH may hold "{id}", replaced by the ids of IDS_FILE (one a line, "-" for none). The ids are dealt out
-- to the threads (id n goes to thread n mod threads) and each thread walks its own share in order; MODE
-- "cycle" starts again at the top when a share is used up (reads), "once" never sends an id twice (confirming
-- drafts: a thread whose share is used up sends its last id again, which fails and is counted as an error).
-- BODY_FILE holds the request body ("-" for none). The token comes from the environment (BENCH_TOKEN).
-- Every answer outside 2xx is counted (non2xx). At the end, done() prints one line "BENCH_JSON {...}" with the
-- figures (times in microseconds; errors: socket errors, timeouts and the non-2xx answers).

local thread_count = 0
local all_threads = {}

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(all_threads, thread)
end

local function read_file(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return text
end

function init(args)
  method = args[1]
  local template = args[2]
  local ids_file = args[3]
  local body_file = args[4]
  mode = args[5] or "cycle"
  threads = tonumber(os.getenv("BENCH_THREADS") or "1")
  local at = string.find(template, "{id}", 1, true)
  if at then
    prefix = string.sub(template, 1, at - 1)
    suffix = string.sub(template, at + 4)
  else
    prefix = template
    suffix = nil
  end
  ids = {}
  if ids_file ~= "-" then
    local n = 0
    for line in io.lines(ids_file) do
      if line ~= "" then
        if n % threads == tid then
          ids[#ids + 1] = line
        end
        n = n + 1
      end
    end
  end
  body = nil
  if body_file ~= "-" then
    body = read_file(body_file)
  end
  headers = {}
  headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
  headers["Accept"] = "application/json"
  if body then
    headers["Content-Type"] = "application/json"
  end
  position = 0
  non2xx = 0
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function request()
  local path = prefix
  if suffix then
    position = position + 1
    if position > #ids then
      if mode == "cycle" then
        position = 1
      else
        position = #ids
      end
    end
    path = prefix .. ids[position] .. suffix
  end
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  local non2xx_total = 0
  for _, thread in ipairs(all_threads) do
    non2xx_total = non2xx_total + (thread:get("non2xx") or 0)
  end
  io.write(string.format(
    'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "non2xx": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, ' ..
    '"mean": %.1f, "max": %d}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, non2xx_total, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
