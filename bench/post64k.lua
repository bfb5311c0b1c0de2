-- wrk script: POST a 64 KiB body to the URL given on the command line (run.sh uses /echo-size).
-- wrk adds Content-Length from the body; the body string is built once, not per request.
wrk.method = "POST"
wrk.body = string.rep("a", 65536)
wrk.headers["Content-Type"] = "application/octet-stream"
