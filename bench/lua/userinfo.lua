-- wrk script: the OpenID Connect userinfo endpoint (Core 5.3) with one valid
-- access token (scopes "openid profile").
--
-- The endpoint is the URL given to wrk. Environment:
--   TOKEN   the access token, sent as "Authorization: Bearer TOKEN"
--
-- done() prints "ok=<n> failed=<n>": ok means 200 with the user's "sub" and
-- the "name" that the profile scope releases, so an answer of 401/403 (a
-- token the endpoint does not accept) counts as failed, not as throughput.

local token = os.getenv("TOKEN") or error("set TOKEN")

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. token
wrk.headers["Accept"] = "application/json"

local threads = {}
function setup(thread) table.insert(threads, thread) end

ok, failed, sample = 0, 0, nil

function response(status, headers, body)
  if status == 200 and body:find('"sub"%s*:%s*"') and body:find('"name"%s*:%s*"') then
    ok = ok + 1
  else
    failed = failed + 1
    sample = sample or (status .. " " .. body:sub(1, 200))
  end
end

function done(summary, latency, requests)
  local total_ok, total_failed, first = 0, 0, nil
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_failed = total_failed + t:get("failed")
    first = first or t:get("sample")
  end
  io.write(string.format("ok=%d failed=%d\n", total_ok, total_failed))
  if first then io.write("first_failure=", (first:gsub("%s+", " ")), "\n") end
end
