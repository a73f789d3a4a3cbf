-- Shared by every scenario script (`local report = require "report"`). Counts how responses were served,
-- from X-DB-Node, X-Cache and X-Edge-Cache, and prints wrk's summary as one JSON line that bench/wrk.ts parses.
-- Node servers (Fastify, the baselines) send these header names in lower case.
local report = {}

-- wrk runs one Lua state per thread: each counts into its own globals, which done() reads back.
served_by = {}
cache = {}
edge = {}
-- Scripts that walk through ids set this to the furthest they have requested.
furthest = nil

local threads = {}

function report.setup(thread)
  thread:set("thread_index", #threads)
  table.insert(threads, thread)
end

local function increment(counts, key)
  if key then counts[key] = (counts[key] or 0) + 1 end
end

function report.count(headers)
  increment(served_by, headers["x-db-node"])
  increment(cache, headers["x-cache"])
  -- nginx's own header, as nginx spells it.
  increment(edge, headers["X-Edge-Cache"])
end

local function merge(into, counts)
  for key, n in pairs(counts) do into[key] = (into[key] or 0) + n end
end

local function json(value)
  if type(value) == "table" then
    local fields = {}
    for key, v in pairs(value) do
      table.insert(fields, json(tostring(key)) .. ":" .. json(v))
    end
    return "{" .. table.concat(fields, ",") .. "}"
  elseif type(value) == "string" then
    return '"' .. value:gsub('[%c"\\]', function(c) return string.format("\\u%04x", c:byte()) end) .. '"'
  end
  return tostring(value)
end

function report.done(summary, latency, requests)
  local all_served_by, all_cache, all_edge, all_furthest = {}, {}, {}, nil
  for _, thread in ipairs(threads) do
    merge(all_served_by, thread:get("served_by"))
    merge(all_cache, thread:get("cache"))
    merge(all_edge, thread:get("edge"))
    local thread_furthest = thread:get("furthest")
    if thread_furthest then all_furthest = math.max(all_furthest or thread_furthest, thread_furthest) end
  end
  io.write("wrk-report ", json({
    requests = summary.requests,
    duration_us = summary.duration,
    errors = summary.errors,
    latency_us = { p50 = latency:percentile(50), p99 = latency:percentile(99), max = latency.max },
    served_by = all_served_by,
    cache = all_cache,
    edge = all_edge,
    furthest = all_furthest,
  }), "\n")
end

-- Installs wrk's callbacks; `on_response(status, headers)` runs after the counting, when given.
function report.install(on_response)
  setup = report.setup
  done = report.done
  response = function(status, headers)
    report.count(headers)
    if on_response then on_response(status, headers) end
  end
end

return report
