-- wrk script: complete authorization-code + PKCE flows by a signed-in user
-- whose consent is remembered. One flow is two requests, each sent on
-- whichever connection is free next:
--
--   1. GET AUTHORIZE_PATH?response_type=code&...&state=...   (session cookie)
--      -> 302/303 to REDIRECT_URI?code=...&state=...; response() keeps the code
--   2. POST TOKEN_PATH grant_type=authorization_code&code=...&code_verifier=...
--      (client_secret_basic) -> 200 with an access_token: one completed flow
--
-- Each wrk thread keeps a queue of the codes it has received. A free
-- connection sends a token request when the queue holds a code and an
-- authorization request otherwise, so codes are redeemed within milliseconds.
--
-- Environment (required unless a default is given):
--   AUTHORIZE_PATH  e.g. /oauth/authorize (Tessera) or /auth (reference)
--   TOKEN_PATH      e.g. /oauth/token (Tessera) or /token (reference)
--   CLIENT_ID, REDIRECT_URI
--   SCOPE           default "profile content:read"
--   COOKIE          the whole Cookie header value of the signed-in session
--   BASIC_AUTH      base64("client_id:client_secret")
--   VERIFIER        PKCE code_verifier, the same for every flow of the run
--   CHALLENGE       BASE64URL(SHA-256(VERIFIER)), computed by the caller
--
-- done() prints lines of key=value that scripts/bench-oauth.sh parses:
--   flows, failed, authorizations, duration_s, flows_per_s
--   p99_ms            every request of the flow, both steps (wrk's figure,
--                     the same measure as the other scenarios)
--   authorize_p99_ms  the authorization step alone, timed exactly: the send
--                     time travels in `state` and comes back in the redirect
--   token_p99_ms      the token step alone. wrk does not say which connection
--                     a response arrived on, and a token response echoes
--                     nothing of its request, so a token response can be
--                     paired with its request only when a thread never has
--                     more than one token request in flight, i.e. when wrk
--                     runs one connection per thread (-t32 -c32). Otherwise
--                     it prints "n/a": matching by arrival order would hide
--                     slow requests that were overtaken.
--   first_failure     status and start of the body of the first unexpected
--                     response, if any

local ffi = require("ffi")
ffi.cdef [[
  struct bench_timeval { long tv_sec; long tv_usec; };
  int gettimeofday(struct bench_timeval *tv, void *tz);
]]
local tv = ffi.new("struct bench_timeval")
-- The clock wrk itself uses for latencies (gettimeofday), in microseconds.
local function now_us()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000000 + tonumber(tv.tv_usec)
end

local function need(name)
  local v = os.getenv(name)
  if v == nil or v == "" then error("code_flow.lua: set " .. name) end
  return v
end

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function urldecode(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local authorize_path = need("AUTHORIZE_PATH")
local token_path = need("TOKEN_PATH")
local client_id = need("CLIENT_ID")
local redirect_uri = need("REDIRECT_URI")
local scope = os.getenv("SCOPE") or "profile content:read"
local cookie = need("COOKIE")
local basic = need("BASIC_AUTH")
local verifier = need("VERIFIER")
local challenge = need("CHALLENGE")

local authorize_prefix = authorize_path
  .. "?response_type=code"
  .. "&client_id=" .. urlencode(client_id)
  .. "&redirect_uri=" .. urlencode(redirect_uri)
  .. "&scope=" .. urlencode(scope)
  .. "&code_challenge=" .. urlencode(challenge)
  .. "&code_challenge_method=S256"
  .. "&state="
local authorize_headers = { ["Cookie"] = cookie }

local token_suffix = "&redirect_uri=" .. urlencode(redirect_uri)
  .. "&code_verifier=" .. urlencode(verifier)
local token_headers = {
  ["Authorization"] = "Basic " .. basic,
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Accept"] = "application/json",
}

-- Per-thread state (each wrk thread has its own Lua state). The globals are
-- read back by done() through thread:get().
local codes, code_head, code_tail = {}, 1, 0
local seq = 0
local token_starts, token_start_head, token_start_tail = {}, 1, 0

flows, failed, authorizations = 0, 0, 0
authorize_lat = {} -- latency in microseconds -> count
token_lat = {}
token_ambiguous = false
first_failure = nil

local function record(hist, us)
  hist[us] = (hist[us] or 0) + 1
end

local function fail(status, body)
  failed = failed + 1
  first_failure = first_failure or (tostring(status) .. " " .. (body or ""):sub(1, 200))
end

function request()
  if code_head <= code_tail then
    local code = codes[code_head]
    codes[code_head] = nil
    code_head = code_head + 1
    token_start_tail = token_start_tail + 1
    token_starts[token_start_tail] = now_us()
    return wrk.format("POST", token_path, token_headers,
      "grant_type=authorization_code&code=" .. urlencode(code) .. token_suffix)
  end
  seq = seq + 1
  -- state = "<send time in us>-<sequence>": only unreserved characters.
  return wrk.format("GET", string.format("%s%.0f-%d", authorize_prefix, now_us(), seq), authorize_headers)
end

function response(status, headers, body)
  local location = headers["Location"] or headers["location"]
  if location ~= nil then
    -- The answer to an authorization request.
    local code = location:match("[?&]code=([^&#]+)")
    local sent = location:match("[?&]state=(%d+)%-%d+")
    if (status == 302 or status == 303) and code and sent then
      authorizations = authorizations + 1
      record(authorize_lat, now_us() - tonumber(sent))
      code_tail = code_tail + 1
      codes[code_tail] = urldecode(code)
    else
      fail(status, "Location: " .. location)
    end
    return
  end
  if body:find('"access_token"%s*:%s*"') or body:find('"error"%s*:') then
    -- The answer to a token request.
    if token_start_tail - token_start_head + 1 == 1 then
      record(token_lat, now_us() - token_starts[token_start_head])
    else
      token_ambiguous = true
    end
    token_starts[token_start_head] = nil
    token_start_head = token_start_head + 1
    if status == 200 and body:find('"access_token"') then
      flows = flows + 1
    else
      fail(status, body)
    end
    return
  end
  -- Neither: a sign-in page, a consent page, an error page.
  fail(status, body)
end

local threads = {}
function setup(thread)
  table.insert(threads, thread)
end

-- p-th percentile (0-100) of a histogram table {value = count}, in ms.
local function percentile_ms(hist, p)
  local values, total = {}, 0
  for v, n in pairs(hist) do
    values[#values + 1] = v
    total = total + n
  end
  if total == 0 then return nil end
  table.sort(values)
  local want, seen = math.ceil(total * p / 100), 0
  for _, v in ipairs(values) do
    seen = seen + hist[v]
    if seen >= want then return v / 1000 end
  end
  return values[#values] / 1000
end

local function merge(into, hist)
  for v, n in pairs(hist) do into[v] = (into[v] or 0) + n end
end

local function fmt(ms)
  if ms == nil then return "n/a" end
  return string.format("%.2f", ms)
end

function done(summary, latency, _requests)
  local total_flows, total_failed, total_auth = 0, 0, 0
  local auth_hist, token_hist, ambiguous, first = {}, {}, false, nil
  for _, t in ipairs(threads) do
    total_flows = total_flows + t:get("flows")
    total_failed = total_failed + t:get("failed")
    total_auth = total_auth + t:get("authorizations")
    merge(auth_hist, t:get("authorize_lat"))
    merge(token_hist, t:get("token_lat"))
    ambiguous = ambiguous or t:get("token_ambiguous")
    first = first or t:get("first_failure")
  end
  local seconds = summary.duration / 1e6
  io.write(string.format("flows=%d failed=%d authorizations=%d duration_s=%.2f\n",
    total_flows, total_failed, total_auth, seconds))
  io.write(string.format("flows_per_s=%.2f\n", total_flows / seconds))
  io.write(string.format("p99_ms=%.2f\n", latency:percentile(99) / 1000))
  io.write("authorize_p99_ms=", fmt(percentile_ms(auth_hist, 99)), "\n")
  if ambiguous then
    io.write("token_p99_ms=n/a (several token requests in flight per wrk thread; run with as many threads as connections to time this step)\n")
  else
    io.write("token_p99_ms=", fmt(percentile_ms(token_hist, 99)), "\n")
  end
  if first then io.write("first_failure=", (first:gsub("%s+", " ")), "\n") end
end
