-- wrk.lua -- replay pre-signed livehook callbacks (tests/loadgen -G), each request once,
-- and count the answers by status so that bench/run can compare 2xx with stored rows.
-- Any server will do: bench/run also sends the same files to the peer (bench/peer).
-- Usage: REQUESTS=file wrk -s bench/wrk.lua -t T -c C -d D URL
local threads = {}
local counter = 0

function setup(thread)
	thread:set("id", counter)
	table.insert(threads, thread)
	counter = counter + 1
end

function init(args)
	nthreads = counter
	reqs = {}
	ok, bad, sent = 0, 0, 0
	local i = 0
	for line in io.lines(os.getenv("REQUESTS")) do
		-- Thread k takes lines k, k + n, k + 2n, ...: no request is sent twice.
		if i % tonumber(os.getenv("NTHREADS")) == id then
			local m, p, h, b = line:match("^(%u+)\t([^\t]+)\t([^\t]+)\t(.*)$")
			local headers = {}
			if h ~= "-" then
				for kv in h:gmatch("[^|]+") do
					local k, v = kv:match("^([^:]+): (.*)$")
					headers[k] = v
				end
			end
			if b == "-" then b = nil else headers["Content-Type"] = "application/json" end
			table.insert(reqs, wrk.format(m, p, headers, b))
		end
		i = i + 1
	end
	pos = 0
end

function request()
	pos = pos + 1
	if pos > #reqs then
		-- Out of unique requests: stop rather than resend (a resend would be a duplicate).
		wrk.thread:stop()
		return wrk.format("GET", "/livehook/healthz")
	end
	sent = sent + 1
	return reqs[pos]
end

function response(status, headers, body)
	if pos > #reqs then return end	-- the filler /healthz after the last callback
	if status >= 200 and status < 300 then ok = ok + 1 else bad = bad + 1 end
end

function done(summary, latency, requests)
	local o, b = 0, 0
	for _, t in ipairs(threads) do
		o = o + t:get("ok")
		b = b + t:get("bad")
	end
	io.write(string.format("LIVEHOOK 2xx=%d non2xx=%d\n", o, b))
end
