-- wrk script of bench/api.py: one endpoint, its ids walked per thread, figures as one JSON line.
--
--   wrk -t2 -c8 -d10s -s bench/api_wrk.lua http://127.0.0.1:8340 -- METHOD PATH IDS_FILE BODY_FILE MODE
--
-- PATH may hold "{id}", replaced by the ids of IDS_FILE (one a line, "-" for none). The ids are dealt out
-- to the threads (id n goes to thread n mod threads) and each thread walks its own share in order; MODE
-- "cycle" starts again at the top when a share is used up (reads), "once" never sends an id twice (confirming
-- drafts: a thread whose share is used up sends its last id again, which fails and is counted as an error).
-- BODY_FILE holds the request body ("-" for none). The token comes from the environment (BENCH_TOKEN).
-- At the end, done() prints one line "BENCH_JSON {...}" with the figures (times in microseconds).

local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
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
  io.write(string.format(
    'BENCH_JSON {"duration_us": %d, "requests": %d, "bytes": %d, "errors": {"connect": %d, "read": %d, ' ..
    '"write": %d, "status": %d, "timeout": %d}, "latency_us": {"p50": %d, "p90": %d, "p99": %d, ' ..
    '"mean": %.1f, "max": %d}}\n',
    summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.mean, latency.max))
end
