-- wrk script: replays the requests listed in the file named by BENCH_REQUESTS, checks each
-- response's status, and prints one JSON line (prefixed BENCH_JSON) with the figures.
--
-- The file has one request per line, tab-separated: METHOD, PATH, COOKIE, BODY (the last two
-- may be empty). Requests are sent in file order, cycling, unless BENCH_ONCE=1: then each
-- line is sent at most once (a quiz attempt can be submitted once) and running out is
-- counted as "exhausted" (the caller then prepares more and runs again).
-- BENCH_EXPECT is the status every response must have (200, or 302 for a form post); a
-- redirect to the sign-in page never counts as expected.

local requests_file = os.getenv("BENCH_REQUESTS")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")
local once = os.getenv("BENCH_ONCE") == "1"
local user_agent = os.getenv("BENCH_USER_AGENT") or "ce-bench"

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

local list = {}
local count = 0
local index = 0
local bad = 0
local exhausted = 0
local first_bad = ""

local function split(line)
  local fields = {}
  local start = 1
  while true do
    local tab = string.find(line, "\t", start, true)
    if not tab then
      table.insert(fields, string.sub(line, start))
      break
    end
    table.insert(fields, string.sub(line, start, tab - 1))
    start = tab + 1
  end
  return fields
end

function init(args)
  for line in io.lines(requests_file) do
    if line ~= "" then
      local f = split(line)
      local headers = { ["User-Agent"] = user_agent }
      if f[3] and f[3] ~= "" then
        headers["Cookie"] = f[3]
      end
      local body = nil
      if f[4] and f[4] ~= "" then
        body = f[4]
        headers["Content-Type"] = "application/x-www-form-urlencoded"
      end
      count = count + 1
      list[count] = wrk.format(f[1], f[2], headers, body)
    end
  end
end

function request()
  index = index + 1
  if index > count then
    if once then
      exhausted = exhausted + 1
      return list[count]
    end
    index = 1
  end
  return list[index]
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"] or ""
  if status ~= expect or string.find(location, "sign-in", 1, true) then
    bad = bad + 1
    if first_bad == "" then
      first_bad = tostring(status) .. " " .. location
    end
  end
  wrk.thread:set("bad", bad)
  wrk.thread:set("exhausted", exhausted)
  wrk.thread:set("first_bad", first_bad)
end

function done(summary, latency, requests)
  local total_bad, total_exhausted, sample = 0, 0, ""
  for _, thread in ipairs(threads) do
    total_bad = total_bad + (thread:get("bad") or 0)
    total_exhausted = total_exhausted + (thread:get("exhausted") or 0)
    local first = thread:get("first_bad")
    if first and first ~= "" and sample == "" then
      sample = first
    end
  end
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %.1f, "p95_us": %.1f, "p99_us": %.1f, ' ..
    '"max_us": %.1f, "mean_us": %.1f, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d, "bad": %d, "exhausted": %d, "first_bad": "%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, latency.mean, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.timeout, total_bad, total_exhausted,
    string.gsub(sample, '"', "'")))
end
