-- 90 % GET /articles/:id over a hot set, 10 % POST /articles (args: hot-set size, write percent),
-- each request carrying the consistency token of the last response. wrk's Lua state is per thread, not
-- per connection: each thread plays one client whose token is the last one any of its connections got.
local report = require "report"

local hot, write_percent, token
local body = '{"title":"Bench write","body":"' .. string.rep("lorem ipsum ", 25) .. '"}'

report.install(function(status, headers)
  token = headers["x-consistency-token"] or token
end)

function init(args)
  hot, write_percent = tonumber(args[1]), tonumber(args[2])
  math.randomseed(thread_index + 1)
end

function request()
  local headers = { ["X-Consistency-Token"] = token }
  if math.random(1, 100) <= write_percent then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/articles", headers, body)
  end
  return wrk.format("GET", "/articles/" .. math.random(1, hot), headers)
end
