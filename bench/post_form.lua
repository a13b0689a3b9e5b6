-- wrk script for bench/comments.py: posts comments as the no-JavaScript form does
-- (application/x-www-form-urlencoded, answered with 303), each with a unique text.
-- The placeholders in braces are filled in by the Python script.
local made = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)  -- each wrk thread has its own Lua state: number them apart
end

counter = 0
request = function()
  counter = counter + 1
  local body = string.format(
    "site=blog&thread={thread}&url={origin_q}%%2Fpost&token={token}&name=Bench"
    .. "&email=bench{run}-%d-%d%%40example.org"
    .. "&text=Comment+%d+of+wrk+thread+%d+in+run+{run}%%2C+with+a+few+words.",
    tid, counter, counter, tid)
  local headers = {}
  headers["Content-Type"] = "application/x-www-form-urlencoded"
  headers["Origin"] = "{origin}"
  -- A visitor network of its own per request (flood control counts per /24).
  headers["X-Forwarded-For"] = string.format(
    "%d.%d.%d.7", 10 + 2 * {run} + tid, math.floor(counter / 256) % 256, counter % 256)
  return wrk.format("POST", "/comments", headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("ACK %d\n",
    summary.requests - e.status - e.connect - e.read - e.write - e.timeout))
  io.write(string.format("NON2XX %d\n", e.status))
end
