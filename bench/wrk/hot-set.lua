-- GETs `<prefix><n>` for n drawn from a small hot set (args: prefix count [step first]): n = first + step * k,
-- k in 0..count-1 (step and first default to 1). Anonymous: after warm-up, what the app caches is cached.
local report = require "report"
report.install()

local prefix, count, step, first

function init(args)
  prefix, count = args[1], tonumber(args[2])
  step, first = tonumber(args[3] or "1"), tonumber(args[4] or "1")
  math.randomseed(thread_index + 1)
end

function request()
  return wrk.format("GET", prefix .. (first + step * math.random(0, count - 1)))
end
