-- 90 % GET <prefix><n> over a hot set, 10 % POST /api/articles (args: prefix, hot-set size, write percent, then
-- one Conduit access token per wrk thread). wrk's Lua state is per thread, not per connection: each thread plays
-- one signed-in user, sending its access token on every request and the consistency token of the last response
-- any of its connections got.
local report = require "report"

local prefix, hot, write_percent, authorization, token
local body = '{"article":{"title":"Bench write","description":"A bench write.","body":"' .. string.rep("lorem ipsum ", 25) ..
  '","tagList":["bench","replication"]}}'

report.install(function(status, headers)
  token = headers["x-consistency-token"] or token
end)

function init(args)
  prefix, hot, write_percent = args[1], tonumber(args[2]), tonumber(args[3])
  authorization = "Token " .. args[4 + thread_index]
  math.randomseed(thread_index + 1)
end

function request()
  local headers = { ["Authorization"] = authorization, ["X-Consistency-Token"] = token }
  if math.random(1, 100) <= write_percent then
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/api/articles", headers, body)
  end
  return wrk.format("GET", prefix .. math.random(1, hot), headers)
end
