-- wrk script: the client_credentials grant authenticated by private_key_jwt
-- (RFC 7523 2.2), one client assertion per request, from ASSERTIONS (one per
-- line, from examples/client_assertions.rs). Every request is formatted in
-- init(), before the clock starts, as client_credentials_dpop.lua does for
-- the client_secret_basic run it is compared with.
--
-- Environment:
--   ASSERTIONS   the assertions file; each assertion is sent once
--   SCOPE        requested scope (default "content:read")
--   WRK_THREADS  wrk's -t, so that each thread takes its own share
--
-- done() prints "ok=<n> failed=<n> exhausted=<n>": ok only for a 200 with a
-- Bearer access token; exhausted counts requests sent after a thread ran
-- out of assertions (they reuse its last one and fail as replays).

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local assertions_file = os.getenv("ASSERTIONS") or error("set ASSERTIONS")
local scope = os.getenv("SCOPE") or "content:read"
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")
local assertion_type = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Accept"] = "application/json"

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

ok, failed, exhausted, sample = 0, 0, 0, nil
local requests, used = {}, 0

function init(args)
  local prefix = "grant_type=client_credentials&scope=" .. urlencode(scope)
    .. "&client_assertion_type=" .. urlencode(assertion_type) .. "&client_assertion="
  local line_no = 0
  for line in io.lines(assertions_file) do
    if line_no % nthreads == id then
      requests[#requests + 1] = wrk.format(nil, nil, nil, prefix .. line)
    end
    line_no = line_no + 1
  end
  if #requests == 0 then error("no assertions for thread " .. id .. " in " .. assertions_file) end
end

function request()
  used = used + 1
  local prepared = requests[used]
  if prepared then return prepared end
  exhausted = exhausted + 1
  return requests[#requests]
end

function response(status, headers, body)
  if status == 200 and body:find('"access_token":"', 1, true)
    and body:find('"token_type":"Bearer"', 1, true) then
    ok = ok + 1
  else
    failed = failed + 1
    sample = sample or (status .. " " .. body:sub(1, 200))
  end
end

function done(summary, latency, requests)
  local total_ok, total_failed, total_exhausted, first = 0, 0, 0, nil
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_failed = total_failed + t:get("failed")
    total_exhausted = total_exhausted + t:get("exhausted")
    first = first or t:get("sample")
  end
  io.write(string.format("ok=%d failed=%d exhausted=%d\n", total_ok, total_failed, total_exhausted))
  if first then io.write("first_failure=", (first:gsub("%s+", " ")), "\n") end
end
