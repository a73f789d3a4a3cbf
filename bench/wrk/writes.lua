-- POST /api/articles only, as signed-in users (args: one Conduit access token per wrk thread), every request the
-- same small article with two tags (each gets a slug of its own).
local report = require "report"
report.install()

local headers
local body = '{"article":{"title":"Bench write","description":"A bench write.","body":"' .. string.rep("lorem ipsum ", 25) ..
  '","tagList":["bench","replication"]}}'

function init(args)
  headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Token " .. args[1 + thread_index] }
end

function request()
  return wrk.format("POST", "/api/articles", headers, body)
end
