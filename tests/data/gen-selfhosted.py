#!/usr/bin/env python3
# gen-selfhosted.py -- writes the fixtures tests/data/srs/*.case and tests/data/nginx-rtmp/*.case
# (a developer tool, like gen-cases.py; the tests read only the committed .case files).
# SRS bodies: the captures of SRS 6.0.157 and the shapes of 3.0/4.0/5.0/7.0 read in
# srs_app_http_hooks.cpp per release branch (reference/selfhosted.md sections 1.4, 1.5).
# nginx-rtmp bodies: the captures of nginx-rtmp 1.2.2 (reference/selfhosted.md sections 2.2, 2.3).
# Signed publish URLs: sign = HMAC-SHA256(publish_key, app "/" stream ":" expires), hex (SPEC section 4).
# Run: python3 tests/data/gen-selfhosted.py
import glob, hashlib, hmac, json, os

D = os.path.dirname(os.path.abspath(__file__))
NOW = 1796172290
hm = lambda k, m: hmac.new(k.encode(), m.encode(), hashlib.sha256).hexdigest()
J = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)

def case(vendor, name, comment, body, expect, method="POST", query=None, config=("allow_unsigned = yes",), now=NOW):
    lines = ["# " + c for c in comment.split("\n")]
    lines.append("method " + method)
    if query is not None: lines.append("query " + query)
    lines.append("now %d" % now)
    for c in config: lines.append("config " + c)
    for k, v in expect: lines.append("expect %s %s" % (k, v))
    lines.append("body")
    with open(os.path.join(D, vendor, name + ".case"), "wb") as f:
        f.write(("\n".join(lines) + "\n" + body + "\n").encode())

for v in ("srs", "nginx-rtmp"):
    for f in glob.glob(os.path.join(D, v, "*.case")): os.remove(f)

# ---------------------------------------------------------------- SRS
# The order of the keys is SRS's own per hook (it differs per hook): Python keeps it.
S6 = [("server_id", "vid-2681436"), ("service_id", "g00409f4")]
def srs(action, cid, extra, common=S6, vhost="__defaultVhost__", tail=True, stream_id=True):
    o = dict(common)
    o.update([("action", action), ("client_id", cid), ("ip", "127.0.0.1"), ("vhost", vhost), ("app", "live")])
    o.update(extra)
    if tail:
        o["stream_url"] = "/live/cam1"
        if stream_id: o["stream_id"] = "vid-7909nvp"
    return J(o)

PUB_PARAM = "?token=abc%2Fdef&x=a+b"
TC = "rtmp://127.0.0.1:19361/live"
cap = "captured on the wire from SRS 6.0.157 (selfhosted.md 1.5)"
case("srs", "v6-on_connect", "on_connect, " + cap,
     srs("on_connect", "46vxi84v", [("stream", "cam1"), ("param", PUB_PARAM), ("tcUrl", TC), ("pageUrl", "")], tail=False),
     [("status", 200), ("kind", "other"), ("event", "on_connect"), ("domain", "__defaultVhost__"), ("session_key", "46vxi84v")])
case("srs", "v6-on_publish", "on_publish, " + cap,
     srs("on_publish", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM)]),
     [("status", 200), ("kind", "publish"), ("domain", "__defaultVhost__"), ("app", "live"), ("stream", "cam1"),
      ("session_key", "46vxi84v"), ("node", "vid-2681436"), ("client_ip", "127.0.0.1"), ("params", "token=abc%2Fdef&x=a+b"),
      ("event_time", "-"), ("event_key_group", "srs-pub")])
case("srs", "v6-on_publish-keys-reordered", "the same on_publish with its keys in another order: the same event",
     J(dict(reversed(list(json.loads(srs("on_publish", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM)])).items())))),
     [("status", 200), ("kind", "publish"), ("session_key", "46vxi84v"), ("event_key_group", "srs-pub")])
case("srs", "v6-on_publish-later", "the same on_publish one second later: SRS never retries, so this is a new event\n(a reconnect whose client id repeats)",
     srs("on_publish", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM)]),
     [("status", 200), ("kind", "publish"), ("event_key_group", "srs-pub-later")], now=NOW + 1)
case("srs", "v6-on_publish-vhost-mapped", "on_publish of the default vhost with [srs] domain set: stored as that domain",
     srs("on_publish", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM)]),
     [("status", 200), ("domain", "live.example.com")], config=("allow_unsigned = yes", "domain = live.example.com"))
case("srs", "v6-on_publish-named-vhost", "on_publish of a configured vhost: the vhost is the domain, [srs] domain does not apply\n(selfhosted.md 1.5: the vhost query stays in param)",
     srs("on_publish", "b1kx7w0c", [("tcUrl", "rtmp://127.0.0.1:19361/live"), ("stream", "s_zero-nl"), ("param", "?vhost=zero-nl.test")], vhost="zero-nl.test"),
     [("status", 200), ("domain", "zero-nl.test"), ("stream", "s_zero-nl"), ("params", "vhost=zero-nl.test")],
     config=("allow_unsigned = yes", "domain = live.example.com"))
case("srs", "v6-on_play", "on_play of an RTMP player, " + cap,
     srs("on_play", "k070y8b2", [("stream", "cam1"), ("tcUrl", TC), ("param", "?ptoken=p1"), ("pageUrl", "")]),
     [("status", 200), ("kind", "play"), ("session_key", "k070y8b2"), ("params", "ptoken=p1")])
case("srs", "v6-on_play-flv", "on_play of an HTTP-FLV player (synthesized tcUrl), " + cap,
     srs("on_play", "x7d99594", [("stream", "cam1"), ("tcUrl", "rtmp://__defaultVhost__/live"), ("param", "?ftoken=f1"), ("pageUrl", "")]),
     [("status", 200), ("kind", "play"), ("session_key", "x7d99594")])
case("srs", "v6-on_stop", "on_stop, " + cap,
     srs("on_stop", "k070y8b2", [("tcUrl", TC), ("stream", "cam1"), ("param", "?ptoken=p1")]),
     [("status", 200), ("kind", "play_done"), ("session_key", "k070y8b2")])
case("srs", "v6-on_close", "on_close (no stream), " + cap,
     srs("on_close", "k070y8b2", [("send_bytes", 73062), ("recv_bytes", 3533)], tail=False),
     [("status", 200), ("kind", "other"), ("event", "on_close"), ("stream", "-")])
case("srs", "v6-on_hls", "on_hls: the publisher's heartbeat (SPEC 11), " + cap,
     srs("on_hls", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM), ("duration", 2.02), ("cwd", "/opt/srs/trunk"),
         ("file", "/opt/srs/objs/nginx/html/live/cam1-0.ts"), ("url", "live/cam1-0.ts"), ("m3u8", "/opt/srs/objs/nginx/html/live/cam1.m3u8"),
         ("m3u8_url", "live/cam1.m3u8"), ("seq_no", 0)]),
     [("status", 200), ("kind", "heartbeat"), ("session_key", "46vxi84v"), ("stream", "cam1")])
case("srs", "v6-on_dvr", "on_dvr, " + cap + "; dvr_path [timestamp] gives the file's start in ms",
     srs("on_dvr", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM), ("cwd", "/opt/srs/trunk"),
         ("file", "/opt/srs/objs/nginx/dvr/live/cam1.1796172290547.flv")]),
     [("status", 200), ("kind", "record_file_complete"), ("storage_path", "/opt/srs/objs/nginx/dvr/live/cam1.1796172290547.flv"),
      ("file_key", "/opt/srs/objs/nginx/dvr/live/cam1.1796172290547.flv"), ("format", "flv"), ("start_time", "1796172290547"),
      ("duration", "-"), ("file_size", "-")])
case("srs", "v6-on_dvr-mp4-no-time", "on_dvr of an mp4 whose dvr_path has no [timestamp]: no start time",
     srs("on_dvr", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", ""), ("cwd", "/opt/srs/trunk"),
         ("file", "./objs/nginx/html/live/cam1.MP4")]),
     [("status", 200), ("kind", "record_file_complete"), ("format", "mp4"), ("start_time", "-"), ("params", "-")])
case("srs", "v6-on_unpublish", "on_unpublish, the 6.x shape (tcUrl, stream, param + tail; srs_app_http_hooks.cpp 6.0release)",
     srs("on_unpublish", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM)]),
     [("status", 200), ("kind", "unpublish"), ("session_key", "46vxi84v")])
case("srs", "v6-on_unpublish-no-stream_id", "on_unpublish without stream_id (missing when the stat stream is gone)",
     srs("on_unpublish", "46vxi84v", [("tcUrl", TC), ("stream", "cam1"), ("param", PUB_PARAM)], stream_id=False),
     [("status", 200), ("kind", "unpublish")])
S7 = [("server_id", "vid-0q6k2t1"), ("service_id", "p2m7c0ah")]
case("srs", "v7-on_publish-whip", "on_publish of a WHIP publisher, SRS 7 (develop 101382a): no tcUrl, param without '?'",
     srs("on_publish", "z81ke0qp", [("tcUrl", ""), ("stream", "cam1"), ("param", "token=t7")], common=S7),
     [("status", 200), ("kind", "publish"), ("params", "token=t7"), ("node", "vid-0q6k2t1")])
case("srs", "v7-on_forward", "on_forward (forward backend), answered {\"code\":0,\"data\":{\"urls\":[]}} and not stored (SPEC 11)",
     J(dict([("action", "on_forward"), ("server_id", "vid-0q6k2t1"), ("service_id", "p2m7c0ah"), ("client_id", "z81ke0qp"), ("ip", "127.0.0.1"),
             ("vhost", "__defaultVhost__"), ("app", "live"), ("tcUrl", TC), ("stream", "cam1"), ("param", "")])),
     [("status", 200), ("kind", "ignore")])
S5 = [("server_id", "vid-51x0a2c")]
case("srs", "v5-on_publish-before-service_id", "on_publish, SRS 5.0.130 shape: server_id, no service_id (it came in 5.0.142), tail present (5.0.55+)",
     srs("on_publish", "3m0b91xa", [("tcUrl", TC), ("stream", "cam1"), ("param", "")], common=S5),
     [("status", 200), ("kind", "publish"), ("session_key", "3m0b91xa"), ("params", "-")])
S4 = [("server_id", "vid-k21d7y2")]
case("srs", "v4-on_unpublish", "on_unpublish, SRS 4.0.271 (4.0release): no tcUrl, no tail (selfhosted.md 1.5)",
     srs("on_unpublish", "9o7g1330", [("stream", "cam1"), ("param", "?token=x")], common=S4, tail=False).replace('"ip":"127.0.0.1"', '"ip":"10.0.0.5"'),
     [("status", 200), ("kind", "unpublish"), ("session_key", "9o7g1330"), ("client_ip", "10.0.0.5"), ("node", "vid-k21d7y2")])
case("srs", "v4-on_play", "on_play, SRS 4.0.271: stream, param, pageUrl; no tcUrl, no tail",
     srs("on_play", "p0q1r2s3", [("stream", "cam1"), ("param", ""), ("pageUrl", "")], common=S4, tail=False),
     [("status", 200), ("kind", "play"), ("session_key", "p0q1r2s3")])
case("srs", "v4-on_dvr", "on_dvr, SRS 4.0.271: no tcUrl, no tail",
     srs("on_dvr", "9o7g1330", [("stream", "cam1"), ("param", ""), ("cwd", "/srs"), ("file", "./objs/nginx/html/live/cam1.1796172000000.flv")], common=S4, tail=False),
     [("status", 200), ("kind", "record_file_complete"), ("start_time", "1796172000000")])
case("srs", "v3-on_publish-int-client_id", "on_publish, SRS 3.0.170 (3.0release): client_id an integer, no server_id (selfhosted.md 1.5)",
     '{"action":"on_publish","client_id":107,"ip":"10.0.0.5","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://10.0.0.5/live","stream":"cam1","param":"?token=x"}',
     [("status", 200), ("kind", "publish"), ("session_key", "107"), ("node", "-"), ("event_key_group", "srs3-pub")])
case("srs", "v3-on_publish-int-client_id-as-string", "the same with client_id \"107\" as a string: the same event",
     '{"action":"on_publish","client_id":"107","ip":"10.0.0.5","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://10.0.0.5/live","stream":"cam1","param":"?token=x"}',
     [("status", 200), ("session_key", "107"), ("event_key_group", "srs3-pub")])
case("srs", "v3-on_stop", "on_stop, SRS 3.0: int client_id, no tcUrl",
     '{"action":"on_stop","client_id":108,"ip":"10.0.0.6","vhost":"__defaultVhost__","app":"live","stream":"cam1","param":""}',
     [("status", 200), ("kind", "play_done"), ("session_key", "108")])
case("srs", "v3-on_connect", "on_connect, SRS 3.0: only tcUrl and pageUrl, no stream",
     '{"action":"on_connect","client_id":107,"ip":"10.0.0.5","vhost":"__defaultVhost__","app":"live","tcUrl":"rtmp://10.0.0.5/live","pageUrl":""}',
     [("status", 200), ("kind", "other")])
case("srs", "on_hls_notify-get", "on_hls_notify is a GET of the operator's URL template: answered, nothing stored",
     "", [("status", 200), ("kind", "ignore")], method="GET", query="app=live&stream=cam1&ts_url=live/cam1-0.ts")
case("srs", "unknown-action", "an action livehook does not know: kept as other",
     srs("on_something_new", "46vxi84v", [("stream", "cam1")], tail=False), [("status", 200), ("kind", "other"), ("event", "on_something_new")])
case("srs", "missing-action", "no action", '{"client_id":"a","vhost":"v","app":"live","stream":"cam1"}',
     [("status", 400), ("message", "action missing")])
case("srs", "missing-stream", "on_publish without stream", srs("on_publish", "46vxi84v", [("tcUrl", TC)], tail=False),
     [("status", 400), ("message", "stream missing")])
case("srs", "missing-client_id", "on_publish without client_id",
     '{"action":"on_publish","ip":"10.0.0.5","vhost":"__defaultVhost__","app":"live","stream":"cam1","param":""}',
     [("status", 400), ("message", "client_id missing")])
case("srs", "client_id-float", "client_id neither a string nor an integer",
     '{"action":"on_publish","client_id":1.5,"ip":"10.0.0.5","vhost":"__defaultVhost__","app":"live","stream":"cam1","param":""}',
     [("status", 400), ("message", "client_id")])
case("srs", "malformed-json", "not JSON", '{"action":"on_publish",', [("status", 400)])
case("srs", "no-auth", "neither token nor allow_unsigned: refused", srs("on_close", "k070y8b2", [], tail=False),
     [("status", 403)], config=("token = t0ken-for-the-hook-url",))

# Signed publish URLs.
KEY, OLD = "publish-signing-key", "previous-signing-key"
exp = NOW + 3600
good = hm(KEY, "live/cam1:%d" % exp)
PK = ("allow_unsigned = yes", "publish_key = " + KEY, "publish_key = " + OLD)
def pub(param, cid="46vxi84v"):
    return srs("on_publish", cid, [("tcUrl", TC), ("stream", "cam1"), ("param", param)])
case("srs", "signed-publish", "a publish whose param carries a valid expires and sign (SPEC 4)",
     pub("?expires=%d&sign=%s" % (exp, good)), [("status", 200), ("kind", "publish")], config=PK)
case("srs", "signed-publish-upper-hex", "the same signature in upper case", pub("?sign=%s&expires=%d&x=1" % (good.upper(), exp)),
     [("status", 200)], config=PK)
case("srs", "signed-publish-old-key", "signed with the second listed key (rotation)",
     pub("?expires=%d&sign=%s" % (exp, hm(OLD, "live/cam1:%d" % exp))), [("status", 200)], config=PK)
case("srs", "signed-publish-wrong", "a signature over another stream",
     pub("?expires=%d&sign=%s" % (exp, hm(KEY, "live/cam2:%d" % exp))), [("status", 403), ("message", "wrong publish signature")], config=PK)
case("srs", "signed-publish-expired", "expires in the past",
     pub("?expires=%d&sign=%s" % (NOW - 1, hm(KEY, "live/cam1:%d" % (NOW - 1)))), [("status", 403), ("message", "expired")], config=PK)
case("srs", "signed-publish-missing", "publish_key set, no signature", pub(PUB_PARAM), [("status", 403), ("message", "not signed")], config=PK)
case("srs", "signed-publish-play-unaffected", "publish_key set: a play needs no signature",
     srs("on_play", "k070y8b2", [("stream", "cam1"), ("tcUrl", TC), ("param", ""), ("pageUrl", "")]), [("status", 200), ("kind", "play")], config=PK)
case("srs", "signed-publish-with-token", "a path token does not replace the publish signature",
     pub(PUB_PARAM), [("status", 403)], config=("token = hooktoken",) + PK[1:])

# ---------------------------------------------------------------- nginx-rtmp
P = "app=live&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:19350/live&pageurl=&addr=127.0.0.1"
PL = "app=live&flashver=LNX%209,0,124,2&swfurl=&tcurl=rtmp://127.0.0.1:19350/live&pageurl=&addr=127.0.0.1"
A = "token=abc%2Fdef&x=a+b&name=evil"
ncap = "captured on the wire from nginx-rtmp 1.2.2, Debian 12 (selfhosted.md 2.3)"
N = "nginx-rtmp"
case(N, "publish", "publish, " + ncap + "; the client's name=evil after the module's name is ignored",
     P + "&clientid=9&call=publish&name=cam1&type=live&" + A,
     [("status", 200), ("kind", "publish"), ("domain", "127.0.0.1"), ("app", "live"), ("stream", "cam1"), ("session_key", "9"),
      ("client_ip", "127.0.0.1"), ("params", A), ("event_time", "-"), ("event_key_group", "ng-pub")])
case(N, "publish-domain-configured", "[nginx-rtmp] domain set: stored as that domain",
     P + "&clientid=9&call=publish&name=cam1&type=live&" + A, [("status", 200), ("domain", "live.example.com")],
     config=("allow_unsigned = yes", "domain = live.example.com"))
case(N, "publish-tcurl-host-case-port", "the tcurl host in upper case with a port: lower case, no port",
     P.replace("127.0.0.1:19350", "Live.Example.COM:1935") + "&clientid=3&call=publish&name=cam1&type=live",
     [("status", 200), ("domain", "live.example.com"), ("params", "-")])
case(N, "publish-later", "the same publish a second later: a new event (nginx-rtmp never retries; clientid restarts with nginx)",
     P + "&clientid=9&call=publish&name=cam1&type=live&" + A, [("status", 200), ("event_key_group", "ng-pub-later")], now=NOW + 1)
case(N, "publish-get-double-question-mark", "notify_method get with a hook URL that has a query: the module adds a second '?' (selfhosted.md 2.1)",
     "", [("status", 200), ("kind", "publish"), ("app", "getm"), ("stream", "s%20p"), ("session_key", "43"), ("params", "k=v")],
     method="GET", query="domain=live.example.com?app=getm&flashver=FMLE/3.0%20(compatible%3B%20Lavf59.27&swfurl=&tcurl=rtmp://127.0.0.1:19350/getm&pageurl=&addr=127.0.0.1&clientid=43&call=publish&name=s%2520p&type=live&k=v")
case(N, "publish-get", "notify_method get: the same fields in the query, body empty",
     "", [("status", 200), ("kind", "publish"), ("session_key", "9"), ("event_key_group", "ng-pub")],
     method="GET", query=P + "&clientid=9&call=publish&name=cam1&type=live&" + A)
case(N, "publish-empty-name", "Wirecast's extra publish with an empty name at stop (#789): kept as other",
     P + "&clientid=9&call=publish&name=&type=", [("status", 200), ("kind", "other")])
case(N, "publish_done", "publish_done, " + ncap, P + "&clientid=9&call=publish_done&name=cam1&" + A,
     [("status", 200), ("kind", "unpublish"), ("session_key", "9"), ("stream", "cam1")])
case(N, "play", "play, " + ncap + " (start=4294965296 is -2000 as uint32)",
     PL + "&clientid=12&call=play&name=cam1&start=4294965296&duration=0&reset=0&ptoken=p1",
     [("status", 200), ("kind", "play"), ("session_key", "12"), ("params", "ptoken=p1")])
case(N, "play_done", "play_done, " + ncap, PL + "&clientid=12&call=play_done&name=cam1&ptoken=p1",
     [("status", 200), ("kind", "play_done"), ("session_key", "12")])
case(N, "update_publish", "update_publish: the publisher's heartbeat, no callbacks row (SPEC 11), " + ncap,
     P + "&clientid=9&call=update_publish&time=2&timestamp=1823&name=cam1&" + A,
     [("status", 200), ("kind", "heartbeat"), ("session_key", "9"), ("stream", "cam1")])
case(N, "update_play", "update_play: the player's heartbeat, no callbacks row (SPEC 11), " + ncap,
     PL + "&clientid=12&call=update_play&time=2&timestamp=3343&name=cam1&ptoken=p1", [("status", 200), ("kind", "play_heartbeat"), ("session_key", "12")])
case(N, "record_done-app", "record_done of the application's recorder (record_unique on: the open time in s), " + ncap,
     P + "&clientid=24&call=record_done&recorder=&name=cam1&path=/srv/rtmp-test/rec/cam1-1796172060.flv&" + A,
     [("status", 200), ("kind", "record_file_complete"), ("storage_path", "/srv/rtmp-test/rec/cam1-1796172060.flv"),
      ("file_key", "/srv/rtmp-test/rec/cam1-1796172060.flv"), ("format", "flv"), ("start_time", "1796172060000"), ("task_id", "-"),
      ("duration", "-"), ("file_size", "-")])
case(N, "record_done-chunks", "record_done of a recorder 'chunks' with record_interval and a strftime suffix, " + ncap,
     P + "&clientid=24&call=record_done&recorder=chunks&name=cam1&path=/srv/rtmp-test/rec/cam1-1796172060-20261202-004100.flv&" + A,
     [("status", 200), ("kind", "record_file_complete"), ("task_id", "chunks"), ("start_time", "1796172060000")])
case(N, "connect", "connect: no clientid, kept as other, " + ncap, P + "&epoch=1090528&call=connect",
     [("status", 200), ("kind", "other"), ("event", "connect")], method="GET", query=P + "&epoch=1090528&call=connect")
case(N, "disconnect", "disconnect repeats app by itself, " + ncap, P + "&clientid=9&call=disconnect&app=live",
     [("status", 200), ("kind", "other"), ("event", "disconnect")])
case(N, "done", "done (publishers and players, after publish_done / play_done): other, " + ncap,
     P + "&clientid=9&call=done&name=cam1&" + A, [("status", 200), ("kind", "other"), ("event", "done")])
case(N, "missing-call", "no call", P + "&clientid=9&name=cam1", [("status", 400), ("message", "call missing")])
case(N, "missing-clientid", "publish without clientid", P + "&call=publish&name=cam1&type=live", [("status", 400), ("message", "clientid missing")])
case(N, "missing-tcurl", "no tcurl and no domain configured",
     "app=live&addr=127.0.0.1&clientid=9&call=publish&name=cam1&type=live", [("status", 400), ("message", "tcurl")])
case(N, "bad-escape", "a malformed %-escape", P + "&clientid=9&call=publish&name=cam%zz&type=live", [("status", 400)])
def npub(args): return P + "&clientid=9&call=publish&name=cam1&type=live" + ("&" + args if args else "")
case(N, "signed-publish", "a publish whose URL carries a valid expires and sign (SPEC 4)",
     npub("expires=%d&sign=%s" % (exp, good)), [("status", 200), ("kind", "publish")], config=PK)
case(N, "signed-publish-client-cannot-rename", "a client repeating name= after a signature for cam1: the module's name (cam2) is the one checked",
     P + "&clientid=9&call=publish&name=cam2&type=live&expires=%d&sign=%s&name=cam1" % (exp, good),
     [("status", 403), ("message", "wrong publish signature")], config=PK)
case(N, "signed-publish-wrong", "a wrong signature", npub("expires=%d&sign=%s" % (exp, "0" * 64)),
     [("status", 403), ("message", "wrong publish signature")], config=PK)
case(N, "signed-publish-missing", "publish_key set, no signature", npub("token=abc"), [("status", 403), ("message", "not signed")], config=PK)
case(N, "signed-publish-done-unaffected", "publish_key set: publish_done needs no signature",
     P + "&clientid=9&call=publish_done&name=cam1", [("status", 200), ("kind", "unpublish")], config=PK)
case(N, "signed-publish-get", "GET mode: the signature in the appended arguments",
     "", [("status", 200), ("kind", "publish")], method="GET", query=npub("expires=%d&sign=%s" % (exp, good)), config=PK)
