-- wrk script: the refresh_token grant with rotation, one refresh per request.
--
-- Every refresh answers with a new refresh token and retires the one sent,
-- and sending a retired one again revokes its whole family (RFC 9700
-- 4.14.2), so a fixed request cannot be replayed. Instead each wrk thread
-- keeps a pool of live refresh tokens: request() takes one out, response()
-- puts the new one from the answer back in. A thread starts with its share
-- of the tokens in REFRESH_TOKENS (line n goes to thread n mod WRK_THREADS);
-- with at least one more token per thread than the thread has connections,
-- a free connection always finds one, and each token is sent exactly once.
--
-- The endpoint is the URL given to wrk. Environment:
--   BASIC_AUTH      base64("client_id:client_secret") for client_secret_basic
--   REFRESH_TOKENS  a file of fresh refresh tokens, one per line
--   WRK_THREADS     wrk's -t (default 2)
--
-- done() prints "ok=<n> failed=<n> exhausted=<n>": ok only for a 200 with a
-- new refresh token; exhausted counts requests a thread had to send with no
-- live token left (a deliberately invalid one, answered with an error and
-- also counted as failed): give it more tokens.

local function urlencode(s)
  return (s:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local basic = os.getenv("BASIC_AUTH") or error("set BASIC_AUTH")
local tokens_file = os.getenv("REFRESH_TOKENS") or error("set REFRESH_TOKENS")
local nthreads = tonumber(os.getenv("WRK_THREADS") or "2")

local headers = {
  ["Content-Type"] = "application/x-www-form-urlencoded",
  ["Authorization"] = "Basic " .. basic,
  ["Accept"] = "application/json",
}

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

ok, failed, exhausted, sample = 0, 0, 0, nil
local pool, head, tail = {}, 1, 0

local function put(token)
  tail = tail + 1
  pool[tail] = token
end

function init(args)
  local line_no = 0
  for line in io.lines(tokens_file) do
    if line ~= "" then
      if line_no % nthreads == id then put(line) end
      line_no = line_no + 1
    end
  end
  if tail == 0 then error("no refresh tokens for thread " .. id .. " in " .. tokens_file) end
end

function request()
  local token = "exhausted"
  if head <= tail then
    token = pool[head]
    pool[head] = nil
    head = head + 1
  else
    exhausted = exhausted + 1
  end
  return wrk.format("POST", nil, headers, "grant_type=refresh_token&refresh_token=" .. urlencode(token))
end

function response(status, headers, body)
  local fresh = status == 200 and body:match('"refresh_token"%s*:%s*"([^"]+)"')
  if fresh and body:find('"access_token"%s*:%s*"') then
    ok = ok + 1
    put(fresh)
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
