#!/usr/bin/env python3
"""pipeline.py VIP FIXDIR PATH... — send every request on ONE connection in
one write (HTTP/1.1 pipelining), then read the responses in order and check
status 200, the body's SHA-256 against FIXDIR/SHA256SUMS, and that /a/, /b/,
/c/ were answered by s1, s2, s3 (X-Server). This is what makes splice-lb
answer ROUTE_WAIT and resume: the next head is buffered while the previous
response to another back-end is still in flight. Prints one summary line;
exit 0 when every response is right, 1 otherwise."""
import hashlib, socket, sys

vip, fixdir, paths = sys.argv[1], sys.argv[2], sys.argv[3:]
sums = dict(reversed(l.split()) for l in open(fixdir + "/SHA256SUMS"))
want_srv = {"a": "s1", "b": "s2", "c": "s3"}
s = socket.create_connection((vip, 80), timeout=30)
reqs = []
for i, p in enumerate(paths):
    last = i == len(paths) - 1
    reqs.append("GET %s HTTP/1.1\r\nHost: e2e\r\n%s\r\n" %
                (p, "Connection: close\r\n" if last else ""))
s.sendall("".join(reqs).encode())
buf = b""
def need(n):
    global buf
    while len(buf) < n:
        d = s.recv(1 << 20)
        if not d:
            raise EOFError("connection closed early")
        buf += d
bad = 0
try:
    for p in paths:
        while b"\r\n\r\n" not in buf:
            need(len(buf) + 1)
        head, buf = buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        hdrs = {k.strip().lower(): v.strip() for k, v in
                (l.split(":", 1) for l in lines[1:])}
        n = int(hdrs.get("content-length", "0"))
        need(n)
        body, buf = buf[:n], buf[n:]
        name = p.rsplit("/", 1)[1]
        route = p.split("/")[1]
        ok = status == 200 and hashlib.sha256(body).hexdigest() == sums[name]
        if route in want_srv and hdrs.get("x-server") != want_srv[route]:
            ok = False
        if not ok:
            bad += 1
            print("pipeline: %s: status %d, %d bytes, server %s: WRONG" %
                  (p, status, len(body), hdrs.get("x-server")))
except (OSError, EOFError, ValueError) as e:
    print("pipeline: %s" % e)
    bad = len(paths)
print("pipeline: %d requests on one connection, %d wrong" % (len(paths), bad))
sys.exit(1 if bad else 0)
