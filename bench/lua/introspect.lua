-- wrk script: token introspection (RFC 7662) of one valid access token.
--
-- The endpoint is the URL given to wrk. Environment:
--   BASIC_AUTH       base64("client_id:client_secret") for client_secret_basic
--   TOKEN            the access token to introspect
--
-- done() prints "ok=<n> failed=<n>": ok means 200 with "active": true, so an
-- endpoint that answers {"active":false} (wrong token, wrong client) counts
-- as failed rather than as throughput.

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local basic = os.getenv("BASIC_AUTH") or error("set BASIC_AUTH")
local token = os.getenv("TOKEN") or error("set TOKEN")

wrk.method = "POST"
wrk.body = "token=" .. urlencode(token) .. "&token_type_hint=access_token"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. basic
wrk.headers["Accept"] = "application/json"

local threads = {}
function setup(thread) table.insert(threads, thread) end

ok, failed, sample = 0, 0, nil

function response(status, headers, body)
  if status == 200 and body:find('"active"%s*:%s*true') then
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
