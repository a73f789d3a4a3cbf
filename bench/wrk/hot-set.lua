-- GET /articles/:id over a small hot set of ids (args: how many): after warm-up each is in the cache.
local report = require "report"
report.install()

local hot

function init(args)
  hot = tonumber(args[1])
  math.randomseed(thread_index + 1)
end

function request()
  return wrk.format("GET", "/articles/" .. math.random(1, hot))
end
