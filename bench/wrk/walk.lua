-- GETs `<prefix><id>`, ids counting up from `start` and wrapping within [lo, hi] (args: prefix lo hi start
-- threads). Each id once per run, so every request misses the cache. The count never wraps (only the id
-- does): done() reports the furthest, and bench/ starts the next run after it.
local report = require "report"
report.install()

local prefix, lo, span, stride

function init(args)
  prefix, lo = args[1], tonumber(args[2])
  span = tonumber(args[3]) - lo + 1
  stride = tonumber(args[5])
  furthest = tonumber(args[4]) + thread_index - stride
end

function request()
  furthest = furthest + stride
  return wrk.format("GET", prefix .. (lo + (furthest - lo) % span))
end
