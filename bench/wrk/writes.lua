-- POST /articles only, every request the same small article.
local report = require "report"
report.install()

wrk.method = "POST"
wrk.path = "/articles"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Bench write","body":"' .. string.rep("lorem ipsum ", 25) .. '"}'
