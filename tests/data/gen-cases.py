#!/usr/bin/env python3
# gen-cases.py -- writes the vendor fixtures tests/data/<vendor>/*.case (a developer tool;
# the tests read only the .case files it wrote, which are committed).
# Signatures are computed here from the vendors' formulas (reference/vendors.md sections 1.8, 2.5, 4.2);
# each case fixes "now" so that they stay valid.  Run: python3 tests/data/gen-cases.py
import hashlib, hmac, json, os

D = os.path.dirname(os.path.abspath(__file__))
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
hm = lambda k, m: hmac.new(k.encode(), m.encode(), hashlib.sha256).hexdigest()

def case(vendor, name, comment, body, expect, now=1700000000, method="POST", query=None,
         headers=(), config=(), token=None):
    lines = ["# " + c for c in comment.split("\n")]
    lines.append("method " + method)
    if query is not None: lines.append("query " + query)
    for h, v in headers: lines.append("header %s %s" % (h, v))
    lines.append("now %d" % now)
    if not config and vendor == "aliyun": config = ["key = 0123456789abcdef", "callback_host = hooks.example.com"]
    for c in config: lines.append("config " + c)
    if token: lines.append("token " + token)
    for k, v in expect: lines.append("expect %s %s" % (k, v))
    lines.append("body")
    data = ("\n".join(lines) + "\n").encode() + (body if isinstance(body, bytes) else body.encode()) + b"\n"
    with open(os.path.join(D, vendor, name + ".case"), "wb") as f: f.write(data)

J = lambda o: json.dumps(o, separators=(",", ":"), ensure_ascii=False)
DEEP = '{"a":' * 20 + '1' + '}' * 20

# ---------------------------------------------------------------- Huawei
HK = "0123456789abcdef0123456789abcdef"
HCONF = ["key = " + HK, "sign_type = md5"]
def hw_rec(ev, ts, key=HK, **kw):
    o = {"project_id": "70b76aa1bb34253880af501cd1234567", "event_type": ev, "publish_domain": "push.example.com",
         "app": "live", "stream": "mystream", "record_format": "HLS"}
    o.update(kw)
    o["auth_sign"] = md5(key + str(ts)); o["auth_timestamp"] = str(ts)
    return o
SEED3 = dict(job_id="dc0a1773-0cef-4a1b-9c2d-9a38fdb095d2",
    download_url="https://obs.cn-north-4.myhuaweicloud.com/live/record-mystream-1589967495.m3u8",
    asset_id="1a0d8e9bfae3", play_url="https://2-cn-north-4.cdn-vod.huaweicloud.com/asset/a/b.m3u8",
    file_size=3957964, record_duration=120, start_time="2020-03-08T14:10:25Z", end_time="2020-03-08T14:12:25Z",
    width=1280, height=720, obs_location="https://obs.cn-north-4.myhuaweicloud.com", obs_bucket="mybucket",
    obs_object="live/record-mystream-1589967495.m3u8")
T = 1583676745
FC = [("kind", "record_file_complete"), ("auth", "signature"), ("domain", "push.example.com"), ("app", "live"),
      ("stream", "mystream"), ("event_time", "1583676745000"), ("file_key", SEED3["job_id"]), ("format", "hls"),
      ("url", SEED3["download_url"]), ("duration", "120000"), ("file_size", "3957964"), ("width", "1280"),
      ("height", "720"), ("start_time", "1583676625000"), ("end_time", "1583676745000"),
      ("event_key_group", "hw-fc")]
case("huawei", "record_file_complete", "seed 003 sample, repaired: missing comma after obs_object added, xxx placeholders replaced;\nsigned with the section 7 MD5 vector key (auth_timestamp 1583676745 -> fbea60f41db857bbdee04a5127b742fa)",
     J(hw_rec("RECORD_FILE_COMPLETE", T, **SEED3)), [("status", "200")] + FC, now=T, config=HCONF)
assert md5(HK + str(T)) == "fbea60f41db857bbdee04a5127b742fa"
case("huawei", "record_file_complete-resigned", "the same event delivered again, signed 60 s later: same event_key",
     J(hw_rec("RECORD_FILE_COMPLETE", T + 60, **SEED3)), [("status", "200"), ("event_key_group", "hw-fc")], now=T + 60, config=HCONF)
o = hw_rec("RECORD_FILE_COMPLETE", T, **SEED3); o["auth_sign"] = hm(HK, HK + str(T))
case("huawei", "record-hmac-reading-a", "HMAC-SHA256 record signature, reading A: key=K, msg=K+ts (section 7 vector)",
     J(o), [("status", "200"), ("auth", "signature")], now=T, config=["key = " + HK, "sign_type = hmac-sha256"])
assert o["auth_sign"] == "21626348e89ec05edb350a733eb2f65fd673406029aa2b5bc9688e6e26815b94"
o = hw_rec("RECORD_FILE_COMPLETE", T, **SEED3); o["auth_sign"] = hm(HK + str(T), HK)
case("huawei", "record-hmac-reading-b", "HMAC-SHA256 record signature, reading B: key=K+ts, msg=K (section 7 vector)",
     J(o), [("status", "200")], now=T, config=["key = " + HK, "sign_type = hmac-sha256"])
assert o["auth_sign"] == "1bc5d413eab817b3048d69aadd2c61cdfc811daeb4e0c05eea1c20cce06f71b0"
case("huawei", "record-md5-where-hmac-configured", "an MD5 signature when sign_type is hmac-sha256: refused",
     J(hw_rec("RECORD_FILE_COMPLETE", T, **SEED3)), [("status", "403")], now=T, config=["key = " + HK, "sign_type = hmac-sha256"])
N = 1700000000
case("huawei", "record_start", "RECORD_START (constructed from the seed 003 field list): no time of its own, auth_timestamp is used",
     J(hw_rec("RECORD_START", N)), [("status", "200"), ("kind", "record_started"), ("event_time", "1700000000000"), ("format", "hls")], config=HCONF)
case("huawei", "record_new_file_start", "RECORD_NEW_FILE_START (vendors.md 2.3 constructed sample)",
     J(hw_rec("RECORD_NEW_FILE_START", N, job_id="dc0a1773-0cef-4a1b-9c2d-9a38fdb095d2")),
     [("status", "200"), ("kind", "record_file_started"), ("file_key", "dc0a1773-0cef-4a1b-9c2d-9a38fdb095d2")], config=HCONF)
case("huawei", "record_over", "RECORD_OVER (vendors.md 2.3 constructed sample)",
     J(hw_rec("RECORD_OVER", N)), [("status", "200"), ("kind", "record_over")], config=HCONF)
case("huawei", "record_failed", "RECORD_FAILED with error_message (vendors.md 2.3 constructed sample)",
     J(hw_rec("RECORD_FAILED", N, record_format="MP4", error_message="upload file to obs failed")),
     [("status", "200"), ("kind", "record_failed"), ("format", "mp4"), ("error_message", "upload file to obs failed")], config=HCONF)
def hw_pub(ev, ts, key=HK, old=False, **kw):
    o = {"domain": "push.example.com", "app": "live", "stream": "example_stream",
         ("usr_args" if old else "user_args"): "auth_info=yz1TG0PVN%2F5isfyrGrRj10gKPCWqSS2X02t6QsRrocH&cdn=hw",
         "client_ip": "100.111.12.13", "node_ip": "112.11.14.15", "publish_timestamp": "1587954134", "event": ev}
    o.update(kw)
    if ts is not None:
        o["auth_timestamp"] = ts
        o["auth_sign"] = hm(key, ev + "push.example.comliveexample_stream" + str(ts))
    return o
P = 1587954140
assert hm(HK, "PUBLISHpush.example.comliveexample_stream1587954140") == "fa5addca9ea94589d2a7f936a82e2ef3af10bf7ffc665e278c05214537e2ed41"
case("huawei", "publish", "PUBLISH, live_01_0043 sample with the signature fields (section 7 publish vector)",
     J(hw_pub("PUBLISH", P)), [("status", "200"), ("kind", "publish"), ("session_key", "1587954134"),
     ("event_time", "1587954134000"), ("client_ip", "100.111.12.13"), ("node", "112.11.14.15"),
     ("params", "auth_info=yz1TG0PVN%2F5isfyrGrRj10gKPCWqSS2X02t6QsRrocH&cdn=hw"), ("event_key_group", "hw-pub")], now=P, config=HCONF)
case("huawei", "publish-resigned", "the same PUBLISH re-signed 30 s later: same event_key",
     J(hw_pub("PUBLISH", P + 30)), [("status", "200"), ("event_key_group", "hw-pub")], now=P + 30, config=HCONF)
case("huawei", "publish_done", "PUBLISH_DONE (vendors.md 2.2 constructed sample): session key from publish_timestamp",
     J(hw_pub("PUBLISH_DONE", 1587957800)), [("status", "200"), ("kind", "unpublish"), ("session_key", "1587954134"),
     ("event_key_group", "hw-done")], now=1587957800, config=HCONF)
case("huawei", "publish_done-resigned", "PUBLISH_DONE redelivered with a new auth_timestamp: same event_key",
     J(hw_pub("PUBLISH_DONE", 1587957860)), [("status", "200"), ("event_key_group", "hw-done")], now=1587957860, config=HCONF)
case("huawei", "publish-old-usr_args", "seed 004: the older field name usr_args, no signature fields\n(repaired: \"1587954134,\" stray comma removed); accepted through allow_unsigned",
     J(hw_pub("PUBLISH", None, old=True)), [("status", "200"), ("auth", "unsigned"),
     ("params", "auth_info=yz1TG0PVN%2F5isfyrGrRj10gKPCWqSS2X02t6QsRrocH&cdn=hw")], now=P, config=["allow_unsigned = yes"])
case("huawei", "wrong-key", "signed with another key", J(hw_rec("RECORD_OVER", N, key="ffffffffffffffffffffffffffffffff")),
     [("status", "403"), ("message", "wrong signature")], config=HCONF)
o = hw_rec("RECORD_OVER", N); o["auth_sign"] = o["auth_sign"][:5] + ("0" if o["auth_sign"][5] != "0" else "1") + o["auth_sign"][6:]
case("huawei", "flipped-byte", "one hex digit of the signature changed", J(o), [("status", "403")], config=HCONF)
o = hw_rec("RECORD_OVER", N); o["auth_sign"] = o["auth_sign"].upper()
case("huawei", "upper-case-hex", "the signature in upper-case hex: accepted", J(o), [("status", "200")], config=HCONF)
case("huawei", "expired", "auth_timestamp (an expiry) 301 s in the past with tolerance 300",
     J(hw_rec("RECORD_OVER", N - 301)), [("status", "403"), ("message", "expired")], config=HCONF)
case("huawei", "too-far-future", "auth_timestamp 901 s ahead (max_ahead 900)",
     J(hw_rec("RECORD_OVER", N + 901)), [("status", "403"), ("message", "future")], config=HCONF)
o = hw_rec("RECORD_OVER", N); del o["auth_sign"]; del o["auth_timestamp"]
case("huawei", "missing-signature", "no auth_sign where a key is configured", J(o), [("status", "403"), ("message", "signature missing")], config=HCONF)
case("huawei", "key-rotation", "signed with the second of two configured keys",
     J(hw_rec("RECORD_OVER", N, key="fedcba9876543210fedcba9876543210")), [("status", "200")],
     config=["key = " + HK, "key = fedcba9876543210fedcba9876543210", "sign_type = md5"])
case("huawei", "malformed-json", "the seed 003 sample as published (missing comma): refused, the parser stays strict",
     J(hw_rec("RECORD_FILE_COMPLETE", N, **SEED3)).replace(',"auth_sign"', ' "auth_sign"'), [("status", "400")], config=HCONF)
o = hw_rec("RECORD_OVER", N); del o["stream"]
case("huawei", "missing-stream", "no stream field", J(o), [("status", "400"), ("message", "stream missing")], config=HCONF)
case("huawei", "duplicate-key", "\"app\" twice in one object", J(hw_rec("RECORD_OVER", N))[:-1] + ',"app":"other"}',
     [("status", "400")], config=HCONF)
o = hw_rec("RECORD_FILE_COMPLETE", N, **SEED3); o["file_size"] = "3957964"; o["record_duration"] = "120"; o["width"] = "1280"
case("huawei", "numbers-as-strings", "file_size, record_duration, width sent as strings", J(o),
     [("status", "200"), ("file_size", "3957964"), ("duration", "120000"), ("width", "1280")], config=HCONF)
case("huawei", "integer-beyond-64-bits", "file_size 2^64", J(hw_rec("RECORD_FILE_COMPLETE", N, **SEED3)).replace('"file_size":3957964', '"file_size":18446744073709551616'),
     [("status", "400")], config=HCONF)
case("huawei", "invalid-utf8", "an invalid UTF-8 byte inside a string", J(hw_rec("RECORD_OVER", N)).encode().replace(b'mystream', b'my\xffstream'),
     [("status", "400")], config=HCONF)
case("huawei", "nesting-too-deep", "an object nested 21 levels", J(hw_rec("RECORD_OVER", N))[:-1] + ',"x":' + DEEP + '}',
     [("status", "400")], config=HCONF)
case("huawei", "unknown-event", "an authentic event_type livehook does not map: stored as other",
     J(hw_rec("RECORD_SOMETHING_NEW", N)), [("status", "200"), ("kind", "other")], config=HCONF)
case("huawei", "path-token", "no signature, but the path token", J({k: v for k, v in hw_rec("RECORD_OVER", N).items() if not k.startswith("auth")}),
     [("status", "200"), ("auth", "token")], config=HCONF + ["token = hw-path-token"], token="hw-path-token")

# ---------------------------------------------------------------- Aliyun
AK = "0123456789abcdef"
ACONF = ["key = " + AK, "callback_host = hooks.example.com"]
def ali_h(domain, ts, key=AK):
    return [("HTTP_ALI_LIVE_TIMESTAMP", str(ts)), ("HTTP_ALI_LIVE_SIGNATURE", md5("%s|%s|%s" % (domain, ts, key)))]
assert md5("push.example.com|1609220385|0123456789abcdef") == "c7c76604b64cd0878731b48310375dbe"
assert md5("learn.aliyundoc.com|1519375990|yourkey") == "9e226fc2c250be266e3657e156f68c12"
AT = 1609220385
Q = "action=publish&ip=192.168.0.1&id=world&app=push.example.com&appname=liveApp&time=1609220385&usrargs=auth_key%3D1700003600-0-0-9f2c%26uid%3D42&node=cdnvideocenter010207116011.cm3&height=720&width=1280"
PUB = [("kind", "publish"), ("auth", "signature"), ("domain", "push.example.com"), ("app", "liveApp"), ("stream", "world"),
       ("event_time", "1609220385000"), ("client_ip", "192.168.0.1"), ("node", "cdnvideocenter010207116011.cm3"),
       ("params", "auth_key=1700003600-0-0-9f2c&uid=42"), ("width", "1280"), ("height", "720"), ("event_key_group", "ali-pub")]
case("aliyun", "publish", "GET publish, section 1.2 sample (space before node removed, usrargs percent-encoded);\nsigned with the section 7 Aliyun push vector", "",
     [("status", "200")] + PUB, now=AT, method="GET", query=Q, headers=ali_h("push.example.com", AT))
case("aliyun", "publish-resigned", "the same publish retried 2 s later with a new ALI-LIVE-TIMESTAMP: same event_key", "",
     [("status", "200"), ("event_key_group", "ali-pub")], now=AT + 2, method="GET", query=Q, headers=ali_h("push.example.com", AT + 2))
case("aliyun", "publish-usrargs-unencoded", "usrargs not percent-encoded: the first value is kept; repeated keys keep the first", "",
     [("status", "200"), ("params", "a=1"), ("stream", "world")], now=AT, method="GET",
     query=Q.replace("usrargs=auth_key%3D1700003600-0-0-9f2c%26uid%3D42", "usrargs=a=1&id=other"), headers=ali_h("push.example.com", AT))
case("aliyun", "publish_done", "GET publish_done (section 1.2 constructed sample)", "",
     [("status", "200"), ("kind", "unpublish"), ("event_time", "1700003321000")], now=1700003321, method="GET",
     query="action=publish_done&ip=203.0.113.7&id=room42&app=push.example.com&appname=live&time=1700003321&usrargs=uid%3D42&node=cdn01.cm3",
     headers=ali_h("push.example.com", 1700003321))
REC = {"domain": "live.aliyunlive.com", "app": "live", "stream": "hello", "uri": "live/hello/0_2017-03-08-23:09:46_2017-03-08-23:10:40.flv",
       "duration": 69.403, "start_time": 1488985786, "stop_time": 1488985840}
case("aliyun", "record_file_complete", "seed 002 file callback (no event field); the signed domain is the callback host",
     J(REC), [("status", "200"), ("kind", "record_file_complete"), ("domain", "live.aliyunlive.com"), ("file_key", REC["uri"]),
     ("duration", "69403"), ("start_time", "1488985786000"), ("end_time", "1488985840000"), ("event_time", "1488985840000"),
     ("format", "flv")], now=1488985850, headers=ali_h("hooks.example.com", 1488985850), config=ACONF)
case("aliyun", "record-host-header", "no callback_host configured: the Host header without its port is signed",
     J(REC), [("status", "200")], now=1488985850, headers=ali_h("hooks.example.com", 1488985850) + [("HTTP_HOST", "hooks.example.com:8080")],
     config=["key = " + AK])
for ev, kind in [("record_started", "record_started"), ("record_paused", "record_paused"), ("record_resumed", "record_resumed"), ("record_error", "record_failed")]:
    case("aliyun", ev, "seed 002 status event " + ev, J({"domain": "live.aliyunlive.com", "app": "live", "stream": "hello", "event": ev}),
         [("status", "200"), ("kind", kind), ("event", ev)], now=N, headers=ali_h("hooks.example.com", N), config=ACONF)
case("aliyun", "unknown-post", "a POST without event or uri (an undocumented exception or snapshot body): other",
     J({"domain": "live.aliyunlive.com", "code": "1001"}), [("status", "200"), ("kind", "other")], now=N, headers=ali_h("hooks.example.com", N), config=ACONF)
case("aliyun", "wrong-key", "signed with another key", "", [("status", "403")], now=AT, method="GET", query=Q,
     headers=ali_h("push.example.com", AT, key="fedcba9876543210"))
h = ali_h("push.example.com", AT); sig = h[1][1]; h[1] = (h[1][0], sig[:-1] + ("0" if sig[-1] != "0" else "1"))
case("aliyun", "flipped-byte", "last hex digit changed", "", [("status", "403")], now=AT, method="GET", query=Q, headers=h)
case("aliyun", "expired", "ALI-LIVE-TIMESTAMP (issue time) 301 s old", "", [("status", "403")], now=AT + 301, method="GET", query=Q,
     headers=ali_h("push.example.com", AT))
case("aliyun", "too-far-future", "ALI-LIVE-TIMESTAMP 301 s ahead", "", [("status", "403")], now=AT - 301, method="GET", query=Q,
     headers=ali_h("push.example.com", AT))
case("aliyun", "missing-signature", "no headers while a key is configured", "", [("status", "403")], now=AT, method="GET", query=Q)
case("aliyun", "vendor-example-vector", "the vendor's own example inputs: md5(learn.aliyundoc.com|1519375990|yourkey)", "",
     [("status", "200"), ("domain", "learn.aliyundoc.com")], now=1519375990, method="GET",
     query="action=publish&ip=1.2.3.4&id=s&app=learn.aliyundoc.com&appname=live&time=1519375990", headers=ali_h("learn.aliyundoc.com", 1519375990, key="yourkey"),
     config=["key = yourkey"])
case("aliyun", "key-rotation", "signed with the older of two keys (rotation)", "", [("status", "200")], now=AT, method="GET", query=Q,
     headers=ali_h("push.example.com", AT, key="oldkey0123456789"), config=["key = " + AK, "key = oldkey0123456789"])
case("aliyun", "malformed-query", "a bad percent escape", "", [("status", "400")], now=AT, method="GET", query=Q + "&x=%zz",
     headers=ali_h("push.example.com", AT))
case("aliyun", "missing-stream", "no id (stream) parameter", "", [("status", "400")], now=AT, method="GET",
     query=Q.replace("id=world&", ""), headers=ali_h("push.example.com", AT))
case("aliyun", "malformed-json", "record callback that is not JSON", '{"domain": "live.aliyunlive.com",', [("status", "400")],
     now=N, headers=ali_h("hooks.example.com", N), config=ACONF)
case("aliyun", "duplicate-key", "\"stream\" twice", J(REC)[:-1] + ',"stream":"x"}', [("status", "400")], now=N, headers=ali_h("hooks.example.com", N), config=ACONF)
case("aliyun", "numbers-as-strings", "time, width and height are strings on the wire anyway; duration as a string in JSON",
     J(dict(REC, duration="69.403", start_time="1488985786")), [("status", "200"), ("duration", "69403"), ("start_time", "1488985786000")],
     now=1488985850, headers=ali_h("hooks.example.com", 1488985850), config=ACONF)
case("aliyun", "integer-beyond-64-bits", "stop_time beyond 64 bits", J(REC).replace("1488985840", "99999999999999999999"), [("status", "400")],
     now=N, headers=ali_h("hooks.example.com", N), config=ACONF)
case("aliyun", "invalid-utf8", "invalid UTF-8 in the query (percent-encoded 0xff)", "", [("status", "400")], now=AT, method="GET",
     query=Q.replace("id=world", "id=wor%FFld"), headers=ali_h("push.example.com", AT))
case("aliyun", "nesting-too-deep", "deep nesting in a record body", J(REC)[:-1] + ',"x":' + DEEP + '}', [("status", "400")],
     now=N, headers=ali_h("hooks.example.com", N), config=ACONF)

# ---------------------------------------------------------------- JD Cloud
JCONF = ["token = jd-secret-token"]
JT = "jd-secret-token"
base = {"version": "v1.1", "publishDomain": "push.example.com", "appName": "live", "streamName": "room42"}
def jd(**kw):
    o = dict(base); o.update(kw); return o
case("jdcloud", "publish_started", "seed 001 realistic publish (vendors.md 3.2 [C])",
     J(jd(event="publish_started", status="success", clientIp="203.0.113.7", eventTime=1700000000123, pushParams={"token": "abc"})),
     [("status", "200"), ("kind", "publish"), ("auth", "token"), ("event_time", "1700000000123"), ("client_ip", "203.0.113.7"),
      ("params", '{"token":"abc"}'), ("event_key_group", "jd-pub")], token=JT, config=JCONF)
case("jdcloud", "publish_started-again", "the same publish delivered again later: same event_key",
     J(jd(event="publish_started", status="success", clientIp="203.0.113.7", eventTime=1700000000123, pushParams={"token": "abc"})),
     [("status", "200"), ("event_key_group", "jd-pub")], now=1700000300, token=JT, config=JCONF)
case("jdcloud", "publish_done", "seed 001 publish_done (eventTime placeholder kept)",
     J(jd(streamName="350802", event="publish_done", status="success", eventTime=12312312312)),
     [("status", "200"), ("kind", "unpublish"), ("event_time", "12312312312")], token=JT, config=JCONF)
RD = jd(streamName="350802", format="flv", duration="18439.0", fileSize="6007851133", beginTime=1553741853968, endTime=1553741935867,
        event="record_done", downloadUrl="http://s3.cn-north-1.jcloudcs.com/jd-video-formal/record/20190319/57/live/62caee8d6c595e9441be/20190319175419_20190319175422.flv",
        status="success")
case("jdcloud", "record_done", "seed 001 automatic recording (repaired: missing comma after downloadUrl, whitespace in the URL removed);\nduration from endTime - beginTime, fileSize in the documented KB",
     J(RD), [("status", "200"), ("kind", "record_file_complete"), ("duration", "81899"), ("file_size", str(6007851133 * 1024)),
     ("format", "flv"), ("start_time", "1553741853968"), ("end_time", "1553741935867"), ("file_key", RD["downloadUrl"])], token=JT, config=JCONF)
RD2 = {k: v for k, v in RD.items() if k not in ("beginTime", "endTime")}
case("jdcloud", "record_done-units-config", "no begin/end times: duration in the configured unit (s), fileSize in bytes",
     J(RD2), [("status", "200"), ("duration", "18439000"), ("file_size", "6007851133")], token=JT,
     config=JCONF + ["duration_unit = s", "size_unit = bytes"])
case("jdcloud", "record_done-documented-units", "no begin/end times: duration in the documented ms",
     J(RD2), [("status", "200"), ("duration", "18439")], token=JT, config=JCONF)
MK = jd(streamName="350802", duration="18439.0", event="record_done", fileSize="6007851133", format="flv", status="success",
        group=[{"beginTime": "1553228747000", "endTime": "1553228747100"}, {"beginTime": "1553228747200", "endTime": "1553228747300"}],
        downloadUrl="http://s3.cn-north-1.jcloudcs.com/ngwcloud1oss/record/20190322/jdpush.jd.com/live/347031/20190322122547_20190322173152.mp4",
        taskExternalId="163594946396839936")
case("jdcloud", "record_done-marked", "seed 001 marked (group) recording: segments kept, task id",
     J(MK), [("status", "200"), ("kind", "record_file_complete"), ("task_id", "163594946396839936"),
     ("segments", J(MK["group"]))], token=JT, config=JCONF)
case("jdcloud", "record_done-failed", "older doc: status fail -> record failed",
     J(jd(event="record_done", status="fail", errorMsg="disk full")), [("status", "200"), ("kind", "record_failed"), ("error_message", "disk full")],
     token=JT, config=JCONF)
case("jdcloud", "snapshot", "seed 001 snapshot: no event field, snapshotTime",
     J(jd(appName="jw", streamName="210235T85E3188001452", snapshotTime=1553826618026,
          downloadUrl="http://s3.cn-north-1.jcloudcs.com/jd-video-formal/snapshot/20190328/43/jw/210235T85E3188001452.jpg", status="success")),
     [("status", "200"), ("kind", "snapshot"), ("event_time", "1553826618026"), ("stream", "210235T85E3188001452")], token=JT, config=JCONF)
case("jdcloud", "allow-unsigned", "no token but allow_unsigned = yes", J(jd(event="publish_done", status="success", eventTime=1700000000000)),
     [("status", "200"), ("auth", "unsigned")], config=["allow_unsigned = yes"])
case("jdcloud", "missing-token", "no path token", J(jd(event="publish_done", status="success", eventTime=1700000000000)), [("status", "403")], config=JCONF)
case("jdcloud", "wrong-token", "a wrong path token", J(jd(event="publish_done", status="success", eventTime=1700000000000)),
     [("status", "403")], token="jd-secret-tokeN", config=JCONF)
case("jdcloud", "token-rotation", "the second of two tokens", J(jd(event="publish_done", status="success", eventTime=1700000000000)),
     [("status", "200")], token="new-token", config=JCONF + ["token = new-token"])
case("jdcloud", "malformed-json", "seed 000 as published: curly quote and missing comma", '{"version":"v1.1","publishDomain":"push.yourdomain.com",\u201cstatus":"success"}',
     [("status", "400")], token=JT, config=JCONF)
case("jdcloud", "missing-stream", "no streamName", J({k: v for k, v in jd(event="publish_done", eventTime=1).items() if k != "streamName"}),
     [("status", "400")], token=JT, config=JCONF)
case("jdcloud", "duplicate-key", "event twice", J(jd(event="publish_done", eventTime=1))[:-1] + ',"event":"publish_started"}', [("status", "400")], token=JT, config=JCONF)
case("jdcloud", "numbers-as-strings", "eventTime as a string", J(jd(event="publish_started", status="success", eventTime="1700000000123")),
     [("status", "200"), ("event_time", "1700000000123")], token=JT, config=JCONF)
case("jdcloud", "integer-beyond-64-bits", "fileSize beyond 64 bits as a string", J(dict(RD, fileSize="99999999999999999999")), [("status", "400")], token=JT, config=JCONF)
case("jdcloud", "invalid-utf8", "invalid UTF-8", J(jd(event="publish_done", eventTime=1)).encode().replace(b"room42", b"room\xc342"), [("status", "400")], token=JT, config=JCONF)
case("jdcloud", "nesting-too-deep", "pushParams nested too deep", J(jd(event="publish_started", eventTime=1))[:-1] + ',"pushParams":' + DEEP + '}', [("status", "400")], token=JT, config=JCONF)

# ---------------------------------------------------------------- Tencent
TK = "abcdef"
TCONF = ["key = " + TK]
def tc(t, key=TK, **kw):
    o = dict(kw); o["t"] = t; o["sign"] = md5(key + str(t)); return o
assert md5("abcdef1545030873") == "cbb1dd71328f9b21fdef173921bbfa1e"
PUSH = dict(app="test.domain.com", appid=12345678, appname="live", channel_id="test_stream", errcode=0, errmsg="ok", event_time=1545115790,
            event_type=1, set_id=2, node="100.121.160.92", sequence="6674468118806626493", stream_id="test_stream", stream_param="stream_param=test",
            user_ip="119.29.94.245", width=0, height=0)
case("tencent", "publish", "section 4.3 push sample; signed with Tencent's documented vector (key abcdef, t 1545030873);\nnow is set just before t so that the expiry holds",
     J(tc(1545030873, **PUSH)), [("status", "200"), ("kind", "publish"), ("domain", "test.domain.com"), ("app", "live"), ("stream", "test_stream"),
     ("session_key", "6674468118806626493"), ("event_time", "1545115790000"), ("client_ip", "119.29.94.245"), ("event_key_group", "tc-pub")], now=1545030800, config=TCONF)
case("tencent", "publish-resigned", "the same push retried a minute later with a new t: same event_key",
     J(tc(1545030933, **PUSH)), [("status", "200"), ("event_key_group", "tc-pub")], now=1545030860, config=TCONF)
UNP = dict(PUSH, event_type=0, errcode=1, errmsg="recv rtmp deleteStream", push_duration="3321456", width=1280, height=720)
case("tencent", "unpublish", "unpublish (vendors.md 4.3 [C]): push_duration a string of ms, errcode kept",
     J(tc(N + 600, **UNP)), [("status", "200"), ("kind", "unpublish"), ("push_duration", "3321456"), ("error_code", "1"),
     ("error_message", "recv rtmp deleteStream"), ("session_key", "6674468118806626493")], config=TCONF)
REC = dict(event_type=100, appid=1250000001, app="push.example.com", appname="live", stream_id="room42", channel_id="room42",
           file_id="5285890813745581111", record_file_id="5285890813745581111", record_temp_id="", file_format="HLS", task_id="",
           start_time=1700000000, end_time=1700003321, start_time_usec=120000, end_time_usec=480000, duration=3321, file_size=612345678,
           stream_param="txSecret=abc", video_url="http://1250000001.vod2.myqcloud.com/abc/def/playlist.m3u8", media_start_time=3456, record_bps=0,
           callback_ext=J({"video_codec": "h264", "resolution": "1280x720", "session_id": "2918085116267032069"}))
case("tencent", "record_file", "event 100 (newer shape, vendors.md 4.3 [C]): callback_ext is JSON inside a string",
     J(tc(N + 600, **REC)), [("status", "200"), ("kind", "record_file_complete"), ("format", "hls"), ("duration", "3321000"),
     ("file_size", "612345678"), ("start_time", "1700000000120"), ("end_time", "1700003321480"), ("file_key", "5285890813745581111"),
     ("url", REC["video_url"]), ("task_id", "-")], config=TCONF)
RS = dict(appid=123456789, appname="live", domain="5000.livepush.myqcloud.com", event_time=1700207929, event_type=332,
          record_detail=J({"file_format": 2, "record_bps": 0, "start_model": 1, "record_content": 1, "source_type": 2, "codec_temp_id": 0}),
          seq="3266441426274648065", session_id="2918085116267032069", stream_id="2991615887188599295")
for re_, kind in [("record_start_succeeded", "record_started"), ("record_start_failed", "record_failed"), ("record_paused", "record_paused"),
                  ("record_resumed", "record_resumed"), ("record_error", "record_failed"), ("record_ended", "record_over")]:
    case("tencent", "record_status-" + re_, "event 332 " + re_ + " (vendor sample, escaping normalised): domain, not app; record_detail JSON in a string",
         J(tc(1700207929 + 600, **dict(RS, record_event=re_))), [("status", "200"), ("kind", kind), ("domain", "5000.livepush.myqcloud.com"),
         ("format", "hls"), ("event_time", "1700207929000")], now=1700207930, config=TCONF)
SNAP = dict(app="test.app", appname="live", channel_id="your_channelid", create_time=1622599925, event_type=200, file_size=30670, height=720,
            pic_full_url="http://your.cos.region.myqcloud.com/channelid/channelid-screenshot-10-12-05-1280x720.jpg",
            pic_url="/channelid/channelid-screenshot-10-12-05-1280x720.jpg", stream_id="your_streamid", stream_param="txSecret=x", width=1280)
case("tencent", "snapshot", "event 200 snapshot sample (t = create_time + 600 as in the sample)", J(tc(1622600525, **SNAP)),
     [("status", "200"), ("kind", "snapshot"), ("event_time", "1622599925000"), ("file_size", "30670"), ("width", "1280"), ("url", SNAP["pic_full_url"])],
     now=1622599930, config=TCONF)
case("tencent", "moderation-317", "event 317 (moderation) has no mapping: other; its sample carries no t/sign (allow_unsigned)",
     J(dict(event_type=317, streamId="s1", app="push.example.com", appid=1, appname="live", sendTime=1700000000, type=[1])),
     [("status", "200"), ("kind", "other"), ("auth", "unsigned")], config=TCONF + ["allow_unsigned = yes"])
case("tencent", "anomaly-321", "event 321 (push anomaly): other, data_time in ms",
     J(tc(N + 600, event_type=321, appid=1, stream_id="room42", domain="push.example.com", data_time=1700000000500, sequence="6674468118806626493")),
     [("status", "200"), ("kind", "other"), ("event_time", "1700000000500")], config=TCONF)
case("tencent", "wrong-key", "signed with another key", J(tc(N + 600, key="zzzzzz", **PUSH)), [("status", "403")], config=TCONF)
o = tc(N + 600, **PUSH); o["sign"] = ("1" if o["sign"][0] != "1" else "2") + o["sign"][1:]
case("tencent", "flipped-byte", "first hex digit changed", J(o), [("status", "403")], config=TCONF)
case("tencent", "expired", "t (the expiry) 301 s ago", J(tc(N - 301, **PUSH)), [("status", "403")], config=TCONF)
case("tencent", "too-far-future", "t 901 s ahead", J(tc(N + 901, **PUSH)), [("status", "403")], config=TCONF)
case("tencent", "missing-signature", "no sign where a key is configured", J(PUSH), [("status", "403")], config=TCONF)
case("tencent", "key-rotation", "second key", J(tc(N + 600, key="newkey", **PUSH)), [("status", "200")], config=TCONF + ["key = newkey"])
case("tencent", "malformed-json", "the intl record sample as published: \"app\":yourapp unquoted", '{"event_type":100,"appid":12345678,"app":yourapp}',
     [("status", "400")], config=TCONF)
case("tencent", "missing-stream", "no stream_id or channel_id", J(tc(N + 600, **{k: v for k, v in PUSH.items() if k not in ("stream_id", "channel_id")})),
     [("status", "400")], config=TCONF)
case("tencent", "duplicate-key", "sign twice", J(tc(N + 600, **PUSH))[:-1] + ',"sign":"00"}', [("status", "400")], config=TCONF)
case("tencent", "numbers-as-strings", "event_time and event_type as strings", J(tc(N + 600, **dict(PUSH, event_time="1545115790", event_type="1"))),
     [("status", "200"), ("event_time", "1545115790000")], config=TCONF)
case("tencent", "integer-beyond-64-bits", "file_size beyond 64 bits", J(tc(N + 600, **REC)).replace("612345678", "18446744073709551616"),
     [("status", "400")], config=TCONF)
case("tencent", "invalid-utf8", "invalid UTF-8", J(tc(N + 600, **PUSH)).encode().replace(b"test_stream", b"test\xe2\x28stream", 1), [("status", "400")], config=TCONF)
case("tencent", "nesting-too-deep", "deep nesting", J(tc(N + 600, **PUSH))[:-1] + ',"x":' + DEEP + '}', [("status", "400")], config=TCONF)
case("tencent", "record-detail-malformed", "record_detail that is not JSON", J(tc(1700207929 + 600, **dict(RS, record_event="record_ended", record_detail="{oops"))),
     [("status", "400")], now=1700207930, config=TCONF)

# ---------------------------------------------------------------- AWS IVS (reference/ivs-mux.md section 1)
# IVS signs nothing: the API destination's connection sends a static header value.
import base64, copy
IK = "ivs-api-key-0123456789abcdef"
ICONF = ["header = X-Livehook-Key", "key = " + IK]
IH = [("HTTP_X_LIVEHOOK_KEY", IK)]
ARN1 = "arn:aws:ivs:us-east-1:aws_account_id:channel/12345678-1a23-4567-a1bc-1a2b34567890"
def ivs_state(name, eid="01234567-0123-0123-0123-012345678901", **kw):
    d = {"event_name": name, "channel_name": "Your Channel", "stream_id": "st-1A2b3c4D5e6F78ghij9Klmn"}
    d.update(kw)
    return {"version": "0", "id": eid, "detail-type": "IVS Stream State Change", "source": "aws.ivs",
            "account": "aws_account_id", "time": "2017-06-12T10:23:43Z", "region": "us-east-1", "resources": [ARN1], "detail": d}
IT = 1497263023
IVS_ID = [("domain", "aws_account_id.us-east-1"), ("app", "ivs"), ("stream", "12345678-1a23-4567-a1bc-1a2b34567890"),
          ("event_time", "1497263023000"), ("auth", "token")]
case("ivs", "stream_start", "IVS Stream State Change, Stream Start: the eventbridge.html example verbatim;\nidentity from the channel ARN, stream_id the session",
     J(ivs_state("Stream Start")), [("status", "200"), ("kind", "publish"), ("event", "Stream Start"),
     ("session_key", "st-1A2b3c4D5e6F78ghij9Klmn")] + IVS_ID + [("event_key_group", "ivs-start")], now=IT + 5, headers=IH, config=ICONF)
o = ivs_state("Stream Start"); o["detail"] = dict(reversed(list(o["detail"].items())))
case("ivs", "stream_start-redelivered", "the same event (same id) retried 6 hours later, members reordered: no time window, same event_key",
     J(o), [("status", "200"), ("kind", "publish"), ("event_key_group", "ivs-start")], now=IT + 6 * 3600, headers=IH, config=ICONF)
case("ivs", "stream_end", "Stream End (eventbridge.html event list; example shape)", J(ivs_state("Stream End", eid="11234567-0123-0123-0123-012345678901")),
     [("status", "200"), ("kind", "unpublish"), ("session_key", "st-1A2b3c4D5e6F78ghij9Klmn"), ("error_message", "-")] + IVS_ID,
     now=IT, headers=IH, config=ICONF)
case("ivs", "stream_failure", "Stream Failure adds reason: an unpublish with the reason as error_message",
     J(ivs_state("Stream Failure", eid="21234567-0123-0123-0123-012345678901", reason="Unsupported video codec")),
     [("status", "200"), ("kind", "unpublish"), ("error_message", "Unsupported video codec")], now=IT, headers=IH, config=ICONF)
o = ivs_state("Session Created", eid="31234567-0123-0123-0123-012345678901", channel_name="")
case("ivs", "session_created", "Session Created (the example's trap: empty channel_name, region us-east-1 with a us-west-2 ARN): other;\nthe domain follows the ARN",
     J(dict(o, resources=["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"])),
     [("status", "200"), ("kind", "other"), ("event", "Session Created"), ("domain", "123456789012.us-west-2"), ("stream", "AbCdef1G2hij")],
     now=IT, headers=IH, config=ICONF)
case("ivs", "session_ended", "Session Ended with a code: other", J(ivs_state("Session Ended", eid="41234567-0123-0123-0123-012345678901", code="MultitrackInputNotAllowed")),
     [("status", "200"), ("kind", "other"), ("event", "Session Ended")], now=IT, headers=IH, config=ICONF)
case("ivs", "stream_takeover", "Stream Takeover: other", J(ivs_state("Stream Takeover", eid="51234567-0123-0123-0123-012345678901")),
     [("status", "200"), ("kind", "other")], now=IT, headers=IH, config=ICONF)
case("ivs", "stream_takeover_failure", "Stream Takeover Failure adds code: other", J(ivs_state("Stream Takeover Failure", eid="61234567-0123-0123-0123-012345678901", code="InvalidPriority")),
     [("status", "200"), ("kind", "other")], now=IT, headers=IH, config=ICONF)
REC_IVS = {"version": "0", "id": "12345678-1a23-4567-a1bc-1a2b34567890", "detail-type": "IVS Recording State Change", "source": "aws.ivs",
           "account": "123456789012", "time": "2020-06-24T07:51:32Z", "region": "us-west-2",
           "resources": ["arn:aws:ivs:us-west-2:123456789012:channel/AbCdef1G2hij"],
           "detail": {"channel_name": "Your Channel", "stream_id": "st-1A2b3c4D5e6F78ghij9Klmn", "recording_status": "Recording End",
                      "recording_status_reason": "", "recording_s3_bucket_name": "r2s3-dev-channel-1-recordings",
                      "recording_s3_key_prefix": "ivs/v1/123456789012/AbCdef1G2hij/2020/6/23/20/12/j8Z9O91ndcVs",
                      "recording_duration_ms": 99370264, "recording_session_id": "a6RfV23ES97iyfoQ",
                      "recording_session_stream_ids": ["st-254sopYUvi6F78ghpO9vn0A", "st-1A2b3c4D5e6F78ghij9Klmn"]}}
RT = 1592985092
case("ivs", "recording_end", "IVS Recording State Change, Recording End: the eventbridge.html example verbatim",
     J(REC_IVS), [("status", "200"), ("kind", "record_over"), ("event", "Recording End"), ("domain", "123456789012.us-west-2"),
     ("stream", "AbCdef1G2hij"), ("event_time", "1592985092000"), ("duration", "99370264"), ("file_key", "a6RfV23ES97iyfoQ"),
     ("storage_path", "s3://r2s3-dev-channel-1-recordings/ivs/v1/123456789012/AbCdef1G2hij/2020/6/23/20/12/j8Z9O91ndcVs"),
     ("task_id", "st-1A2b3c4D5e6F78ghij9Klmn"), ("error_message", "-")], now=RT, headers=IH, config=ICONF)
def ivs_rec(status, eid, **kw):
    o = copy.deepcopy(REC_IVS); o["id"] = eid; o["detail"]["recording_status"] = status; o["detail"].update(kw); return o
case("ivs", "recording_start", "Recording Start (example shape): record_started",
     J(ivs_rec("Recording Start", "22345678-1a23-4567-a1bc-1a2b34567890", recording_duration_ms=0)), [("status", "200"), ("kind", "record_started")],
     now=RT, headers=IH, config=ICONF)
case("ivs", "recording_start_failure", "Recording Start Failure: record_failed with recording_status_reason",
     J(ivs_rec("Recording Start Failure", "32345678-1a23-4567-a1bc-1a2b34567890", recording_status_reason="S3 bucket access denied")),
     [("status", "200"), ("kind", "record_failed"), ("error_message", "S3 bucket access denied")], now=RT, headers=IH, config=ICONF)
case("ivs", "recording_end_failure", "Recording End Failure: record_failed",
     J(ivs_rec("Recording End Failure", "42345678-1a23-4567-a1bc-1a2b34567890", recording_status_reason="InternalServerException")),
     [("status", "200"), ("kind", "record_failed"), ("error_message", "InternalServerException")], now=RT, headers=IH, config=ICONF)
o = ivs_state("Starvation Start", eid="71234567-0123-0123-0123-012345678901"); o["detail-type"] = "IVS Stream Health Change"
case("ivs", "health_change", "IVS Stream Health Change, Starvation Start: other", J(o),
     [("status", "200"), ("kind", "other"), ("event", "Starvation Start"), ("stream", "12345678-1a23-4567-a1bc-1a2b34567890")],
     now=IT, headers=IH, config=ICONF)
case("ivs", "limit_breach", "IVS Limit Breach (event source list; body constructed): other",
     J({"version": "0", "id": "81234567-0123-0123-0123-012345678901", "detail-type": "IVS Limit Breach", "source": "aws.ivs",
        "account": "123456789012", "time": "2017-06-12T10:23:43Z", "region": "us-west-2", "resources": [],
        "detail": {"limit_name": "Concurrent streams", "limit_value": 5}}),
     [("status", "200"), ("kind", "other"), ("domain", "-")], now=IT, headers=IH, config=ICONF)
case("ivs", "missing-header", "no X-Livehook-Key header where keys are configured", J(ivs_state("Stream Start")),
     [("status", "403"), ("message", "X-Livehook-Key header missing")], now=IT, config=ICONF)
case("ivs", "wrong-header-value", "a wrong X-Livehook-Key value", J(ivs_state("Stream Start")),
     [("status", "403"), ("message", "wrong X-Livehook-Key header value")], now=IT, headers=[("HTTP_X_LIVEHOOK_KEY", IK[:-1] + "F")], config=ICONF)
case("ivs", "wrong-header-value-prefix", "a value that is a prefix of the key", J(ivs_state("Stream Start")),
     [("status", "403")], now=IT, headers=[("HTTP_X_LIVEHOOK_KEY", IK[:10])], config=ICONF)
case("ivs", "key-rotation", "the second of two accepted values (the connection updated one at a time)", J(ivs_state("Stream Start")),
     [("status", "200"), ("auth", "token")], now=IT, headers=[("HTTP_X_LIVEHOOK_KEY", "the-new-key")], config=ICONF + ["key = the-new-key"])
BASIC = "Basic " + base64.b64encode(b"eventbridge:s3cret-Pa55").decode()
case("ivs", "basic-auth", "HTTP Basic: header = Authorization, key = the whole \"Basic <base64>\" value", J(ivs_state("Stream Start")),
     [("status", "200"), ("auth", "token")], now=IT, headers=[("HTTP_AUTHORIZATION", BASIC)], config=["header = Authorization", "key = " + BASIC])
case("ivs", "basic-auth-wrong", "HTTP Basic with a wrong password", J(ivs_state("Stream Start")),
     [("status", "403")], now=IT, headers=[("HTTP_AUTHORIZATION", "Basic " + base64.b64encode(b"eventbridge:guess").decode())],
     config=["header = Authorization", "key = " + BASIC])
case("ivs", "path-token", "no header, but the path token", J(ivs_state("Stream Start")), [("status", "200"), ("auth", "token")],
     now=IT, config=ICONF + ["token = ivs-path-token"], token="ivs-path-token")
o = ivs_state("Stream Start"); del o["id"]
case("ivs", "missing-id", "no event id: refused (it is what deduplicates)", J(o), [("status", "400"), ("message", "id missing")], now=IT, headers=IH, config=ICONF)
o = ivs_state("Stream Start"); del o["detail-type"]
case("ivs", "missing-detail-type", "no detail-type", J(o), [("status", "400")], now=IT, headers=IH, config=ICONF)
case("ivs", "not-a-channel-arn", "Stream Start whose resources[0] is no IVS channel ARN", J(dict(ivs_state("Stream Start"), resources=["arn:aws:s3:::bucket"])),
     [("status", "400"), ("message", "channel ARN")], now=IT, headers=IH, config=ICONF)
o = ivs_state("Stream Start"); del o["detail"]["stream_id"]
case("ivs", "missing-stream_id", "Stream Start without detail.stream_id", J(o), [("status", "400")], now=IT, headers=IH, config=ICONF)
case("ivs", "bad-time", "time that is not RFC 3339", J(dict(ivs_state("Stream Start"), time="12/06/2017 10:23")), [("status", "400")], now=IT, headers=IH, config=ICONF)
case("ivs", "malformed-json", "truncated body", J(ivs_state("Stream Start"))[:-2], [("status", "400")], now=IT, headers=IH, config=ICONF)
case("ivs", "duplicate-key", "\"id\" twice", J(ivs_state("Stream Start"))[:-1] + ',"id":"x"}', [("status", "400")], now=IT, headers=IH, config=ICONF)
case("ivs", "invalid-utf8", "invalid UTF-8 in channel_name", J(ivs_state("Stream Start")).encode().replace(b"Your Channel", b"Your \xc0Channel"),
     [("status", "400")], now=IT, headers=IH, config=ICONF)
case("ivs", "nesting-too-deep", "deep nesting", J(ivs_state("Stream Start"))[:-1] + ',"x":' + DEEP + '}', [("status", "400")], now=IT, headers=IH, config=ICONF)
case("ivs", "duration-negative", "recording_duration_ms below zero", J(ivs_rec("Recording End", "52345678-1a23-4567-a1bc-1a2b34567890", recording_duration_ms=-5)),
     [("status", "400")], now=RT, headers=IH, config=ICONF)

# ---------------------------------------------------------------- Mux (reference/ivs-mux.md section 2, vendors.md 5.5 and 7)
MK = "mux-signing-secret-0123456789"
MCONF = ["key = " + MK]
MT = 1767607203	# 2026-01-05T10:00:03Z
def mux_h(body, t, *keys):
    return [("HTTP_MUX_SIGNATURE", "t=%d," % t + ",".join("v1=" + hm(k, "%d.%s" % (t, body)) for k in (keys or (MK,))))]
def mux_case(name, comment, o, expect, t=MT, now=None, keys=(), config=MCONF, hdr=None):
    body = o if isinstance(o, (str, bytes)) else J(o)
    case("mux", name, comment, body, expect, now=now if now is not None else t,
         headers=hdr if hdr is not None else mux_h(body, t, *keys), config=config)
LS = "ZEBkLsRWU1Bl5KWZr00ei00Dq7wP6h8q8X"
ASSET = "00ecNLnqiG8v00TLqqeZ00uCE5wCAaO3kKc"
def mux_ls(typ, eid="8c1d3e6b-5e4f-4c2a-9b1d-2f3e4a5b6c7d", attempts=(), **data):
    d = {"id": LS, "status": "active", "active_asset_id": ASSET, "stream_key": "sk-SECRET-5f2a-4b7c-live-key",
         "latency_mode": "standard", "max_continuous_duration": 43200, "created_at": 1736071200, "reconnect_window": 60,
         "recent_asset_ids": [ASSET], "playback_ids": [{"policy": "public", "id": "pb1xyz"}]}
    d.update(data)
    return {"type": typ, "id": eid, "created_at": "2026-01-05T10:00:03.123000Z",
            "environment": {"id": "j0863n", "name": "Production"}, "object": {"type": "live_stream", "id": LS},
            "attempts": list(attempts), "data": d}
MUX_ID = [("domain", "j0863n"), ("app", "mux"), ("stream", LS), ("auth", "signature")]
mux_case("live_stream-active", "video.live_stream.active, the ivs-mux.md 2 (c) [C] sample with its ellipses filled in:\npublish, the active asset as the session; stream_key never stored",
         mux_ls("video.live_stream.active"), [("status", "200"), ("kind", "publish"), ("event", "video.live_stream.active"),
         ("session_key", ASSET), ("event_time", "1767607203123"), ("payload_excludes", "sk-SECRET"), ("payload_includes", '"active_asset_id"'),
         ("event_key_group", "mux-active")] + MUX_ID)
ATT = {"id": "b9e1a7c2", "address": "https://hooks.example.com/livehook/mux", "created_at": "2026-01-05T10:00:08.000000Z",
       "max_attempts": 30, "response_body": "", "response_headers": {}, "response_status_code": 503, "webhook_id": 12345}
mux_case("live_stream-active-redelivered", "the same event (same id) redelivered 90 s later after a 503: attempts[] grew, re-signed; same event_key",
         mux_ls("video.live_stream.active", attempts=[ATT]), [("status", "200"), ("event_key_group", "mux-active")], t=MT + 90)
mux_case("live_stream-idle", "video.live_stream.idle: unpublish of the same session", mux_ls("video.live_stream.idle", eid="9d2e4f7c-0001", status="idle"),
         [("status", "200"), ("kind", "unpublish"), ("session_key", ASSET), ("payload_excludes", "sk-SECRET")] + MUX_ID)
o = mux_ls("video.live_stream.idle", eid="9d2e4f7c-0002", status="idle", recent_asset_ids=["oldasset1", ASSET]); del o["data"]["active_asset_id"]
mux_case("live_stream-idle-recent-assets", "idle without active_asset_id: the newest of recent_asset_ids is the session", o,
         [("status", "200"), ("kind", "unpublish"), ("session_key", ASSET)])
mux_case("live_stream-connected", "video.live_stream.connected: other (the encoder connected; media may not flow yet)",
         mux_ls("video.live_stream.connected", eid="9d2e4f7c-0003", status="idle"), [("status", "200"), ("kind", "other"), ("stream", LS)])
mux_case("live_stream-disconnected", "video.live_stream.disconnected: other, not the end (reconnect_window)",
         mux_ls("video.live_stream.disconnected", eid="9d2e4f7c-0004"), [("status", "200"), ("kind", "other"), ("payload_excludes", "sk-SECRET")])
mux_case("live_stream-created", "video.live_stream.created: other", mux_ls("video.live_stream.created", eid="9d2e4f7c-0005", status="idle"),
         [("status", "200"), ("kind", "other")])
o = mux_ls("video.live_stream.updated", eid="9d2e4f7c-0006", simulcast_targets=[{"id": "st1", "url": "rtmp://a.rtmp.youtube.com/live2",
         "stream_key": "yt-SECRET-simulcast", "status": "idle"}])
mux_case("live_stream-simulcast-keys", "the stream keys of simulcast targets are credentials too: removed", o,
         [("status", "200"), ("kind", "other"), ("payload_excludes", "SECRET"), ("payload_includes", "a.rtmp.youtube.com")])
def mux_asset(typ, eid, **data):
    d = {"id": ASSET, "status": "ready", "duration": 3600.48, "live_stream_id": LS, "is_live": False, "ingest_type": "live_rtmp",
         "playback_ids": [{"policy": "public", "id": "pbAsset42"}], "max_stored_resolution": "HD", "passthrough": "room42"}
    d.update(data)
    return {"type": typ, "id": eid, "created_at": "2026-01-05T11:00:10.000000Z", "environment": {"id": "j0863n", "name": "Production"},
            "object": {"type": "asset", "id": ASSET}, "attempts": [], "data": d}
mux_case("asset-live_stream_completed", "video.asset.live_stream_completed: the recording of the broadcast, finished (recording_files)",
         mux_asset("video.asset.live_stream_completed", "a1b2c3d4-0001"), [("status", "200"), ("kind", "record_file_complete"),
         ("file_key", ASSET), ("duration", "3600480"), ("play_url", "https://stream.mux.com/pbAsset42.m3u8"), ("stream", LS),
         ("event_time", "1767610810000")], t=MT + 3607)
mux_case("asset-ready", "video.asset.ready of a live stream's asset: record_started (playable while live)",
         mux_asset("video.asset.ready", "a1b2c3d4-0002", is_live=True, duration=12.5), [("status", "200"), ("kind", "record_started"),
         ("file_key", ASSET), ("duration", "12500")], t=MT + 3607)
mux_case("asset-errored", "video.asset.errored of a live stream's asset: record_failed with the first error message",
         mux_asset("video.asset.errored", "a1b2c3d4-0003", status="errored", errors={"type": "invalid_input", "messages": ["The input stream could not be recorded"]}),
         [("status", "200"), ("kind", "record_failed"), ("error_message", "The input stream could not be recorded")], t=MT + 3607)
o = mux_asset("video.asset.ready", "a1b2c3d4-0004"); del o["data"]["live_stream_id"]
mux_case("asset-ready-not-live", "an uploaded asset (no live_stream_id): other", o, [("status", "200"), ("kind", "other"), ("stream", "-")], t=MT + 3607)
mux_case("asset-created", "video.asset.created: other", mux_asset("video.asset.created", "a1b2c3d4-0005", status="preparing"),
         [("status", "200"), ("kind", "other")], t=MT + 3607)
VB = '{"type":"video.live_stream.active","id":"evt1"}'
assert hm("my secret", "1565220904." + VB) == "526d21391541fee504aeb95d447c460981aa812ae73f31c54a09f3ba20fb0cc1"
mux_case("vendors-md-vector", "the vendors.md section 7 vector: secret \"my secret\", t 1565220904; no data, so other",
         VB, [("status", "200"), ("auth", "signature"), ("kind", "other")], t=1565220904,
         hdr=[("HTTP_MUX_SIGNATURE", "t=1565220904,v1=526d21391541fee504aeb95d447c460981aa812ae73f31c54a09f3ba20fb0cc1")], config=["key = my secret"])
mux_case("wrong-key", "signed with another secret", mux_ls("video.live_stream.active"), [("status", "403"), ("message", "wrong signature")], keys=("not-the-secret",))
mux_case("rotated-two-v1", "during a rotation Mux sends one v1 per secret: the old one's matches", mux_ls("video.live_stream.active"),
         [("status", "200")], keys=("the-new-secret-not-configured-yet", MK))
mux_case("rotated-second-key", "signed with the second of two configured secrets", mux_ls("video.live_stream.active"),
         [("status", "200")], keys=("mux-old-secret",), config=MCONF + ["key = mux-old-secret"])
mux_case("expired", "t 301 s old with tolerance 300", mux_ls("video.live_stream.active"), [("status", "403"), ("message", "window")], now=MT + 301)
mux_case("too-far-future", "t 301 s ahead", mux_ls("video.live_stream.active"), [("status", "403"), ("message", "window")], now=MT - 301)
mux_case("tolerance-config", "t 500 s old, tolerance = 600", mux_ls("video.live_stream.active"), [("status", "200")], now=MT + 500,
         config=MCONF + ["tolerance = 600"])
mux_case("missing-signature", "no Mux-Signature where a key is configured", mux_ls("video.live_stream.active"), [("status", "403"), ("message", "signature missing")], hdr=[])
mux_case("header-without-t", "Mux-Signature without t", mux_ls("video.live_stream.active"), [("status", "403"), ("message", "malformed")],
         hdr=[("HTTP_MUX_SIGNATURE", "v1=" + hm(MK, "%d.%s" % (MT, J(mux_ls("video.live_stream.active")))))])
b = J(mux_ls("video.live_stream.active"))
mux_case("upper-case-hex", "v1 in upper-case hex", b, [("status", "200")], hdr=[("HTTP_MUX_SIGNATURE", "t=%d,v1=%s" % (MT, hm(MK, "%d.%s" % (MT, b)).upper()))])
mux_case("body-changed", "signature of another body (one character changed)", b.replace("standard", "Standard"), [("status", "403")],
         hdr=[("HTTP_MUX_SIGNATURE", "t=%d,v1=%s" % (MT, hm(MK, "%d.%s" % (MT, b))))])
mux_case("reserialized-body", "the signature covers the bytes as sent: same JSON with other whitespace is refused",
         json.dumps(mux_ls("video.live_stream.active")), [("status", "403")], hdr=[("HTTP_MUX_SIGNATURE", "t=%d,v1=%s" % (MT, hm(MK, "%d.%s" % (MT, b))))])
o = mux_ls("video.live_stream.active"); del o["id"]
mux_case("missing-id", "no event id", o, [("status", "400"), ("message", "id missing")])
o = mux_ls("video.live_stream.active"); del o["type"]
mux_case("missing-type", "no type", o, [("status", "400")])
o = mux_ls("video.live_stream.active"); del o["environment"]
mux_case("missing-environment", "a live stream event without environment.id: its domain is missing", o, [("status", "400"), ("message", "environment.id missing")])
mux_case("malformed-json", "truncated body", b[:-3], [("status", "400")])
mux_case("duplicate-key", "\"type\" twice", b[:-1] + ',"type":"x"}', [("status", "400")])
mux_case("invalid-utf8", "invalid UTF-8", b.encode().replace(b"Production", b"Produc\xf5tion"), [("status", "400")],
         hdr=[("HTTP_MUX_SIGNATURE", "t=%d,v1=00" % MT)])
mux_case("nesting-too-deep", "deep nesting", b[:-1] + ',"x":' + DEEP + '}', [("status", "400")])
mux_case("bad-created_at", "created_at that is not RFC 3339", dict(mux_ls("video.live_stream.active"), created_at="yesterday"), [("status", "400")])
case("ivs", "allow-unsigned", "no header, keys configured and allow_unsigned = yes: stored as unsigned", J(ivs_state("Stream Start")),
     [("status", "200"), ("auth", "unsigned")], now=IT, config=ICONF + ["allow_unsigned = yes"])
mux_case("t-too-long", "a t of 20 digits (beyond 64 bits): malformed, not an overflow", b, [("status", "403"), ("message", "malformed")],
         hdr=[("HTTP_MUX_SIGNATURE", "t=99999999999999999999,v1=" + hm(MK, "99999999999999999999." + b))])
