-- wrk script: the client_credentials grant, one token per request, with a
-- DPoP proof per request when DPOP_PROOFS names a file of proofs (one per
-- line, from examples/dpop_proofs.rs). Without it the requests are the
-- same, handed out by the same request() function, so both runs cost wrk
-- alike. Every request is formatted once, in init(), before the clock
-- starts: wrk shares the two cores with the server, and formatting a
-- request per call cost wrk more in the DPoP run (its requests are larger)
-- than in the plain one, which the ratio would have charged to the server.
--
-- Environment:
--   BASIC_AUTH    base64("client_id:client_secret") for client_secret_basic
--   SCOPE         requested scope (default "content:read")
--   DPOP_PROOFS   the proofs file (optional); each proof is sent once
--   WRK_THREADS   wrk's -t, so that each thread takes its own share of proofs
--
-- done() prints "ok=<n> failed=<n> exhausted=<n>": ok only for a 200 with an
-- access token of the expected type (DPoP with proofs, Bearer without);
-- exhausted counts requests sent after a thread ran out of proofs (they
-- reuse its last proof and fail as replays: make more proofs).

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local basic = os.getenv("BASIC_AUTH") or error("set BASIC_AUTH")
local scope = os.getenv("SCOPE") or "content:read"
local proofs_file = os.getenv("DPOP_PROOFS")
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")

wrk.method = "POST"
wrk.body = "grant_type=client_credentials&scope=" .. urlencode(scope)
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. basic
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
local expected = proofs_file and '"token_type":"DPoP"' or '"token_type":"Bearer"'

function init(args)
  if not proofs_file then
    requests[1] = wrk.format()
    return
  end
  local line_no = 0
  for line in io.lines(proofs_file) do
    if line_no % nthreads == id then
      wrk.headers["DPoP"] = line
      requests[#requests + 1] = wrk.format()
    end
    line_no = line_no + 1
  end
  if #requests == 0 then error("no proofs for thread " .. id .. " in " .. proofs_file) end
end

function request()
  if not proofs_file then return requests[1] end
  used = used + 1
  local prepared = requests[used]
  if prepared then return prepared end
  exhausted = exhausted + 1
  return requests[#requests]
end

function response(status, headers, body)
  -- Plain finds: Tessera writes compact JSON.
  if status == 200 and body:find('"access_token":"', 1, true) and body:find(expected, 1, true) then
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
