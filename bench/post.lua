-- wrk script for bench/comments.py: posts comments, each with a unique text, as the
-- script does (JSON) or as the form does without JavaScript (URL-encoded, answered 303).
-- The placeholders in braces are filled in by the Python script; {body} is a Lua
-- format string taking the wrk thread, the counter, the counter and the wrk thread.
local made = 0
function setup(thread)
  made = made + 1
  thread:set("tid", made)  -- each wrk thread has its own Lua state: number them apart
end

counter = 0
request = function()
  counter = counter + 1
  local body = string.format({body}, tid, counter, counter, tid)
  local headers = {}
  headers["Content-Type"] = "{content_type}"
  headers["Origin"] = "{origin}"
  headers["Accept"] = "{accept}"
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
