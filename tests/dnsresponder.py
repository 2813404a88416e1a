#!/usr/bin/env python3
"""dnsresponder.py - a tiny scripted DNS responder on loopback for DNSBL faults

Usage: dnsresponder.py PORTFILE LOGFILE [ADDRESS]

Binds UDP ADDRESS (default 127.0.0.1) on a free port, writes the port to
PORTFILE once it answers, and appends each query name to LOGFILE (one line,
flushed).  The zone (the labels after the reversed IP) picks the behaviour:

  silent.test    never answers
  servfail.test  SERVFAIL            refused.test   REFUSED
  public.test    A 127.255.255.254   outside.test   A 192.0.2.1
  dnswl.test     A 127.0.0.255       trunc.test     TC bit set, no answer
  cut.test       an A answer cut in the middle of its record
  garbage.test   valid header and question, then random bytes
  wild.test      A 127.0.0.2 for every name (lists 127.0.0.1)
  listed.test    A 127.0.0.2 for every name but 127.0.0.1 and
                 ::ffff:7f00:1 (NXDOMAIN; the RFC 5782 addresses)
  slow.test      as listed.test, answered after 150 ms
  sleepy.test    as listed.test, answered after 1 s
  txt.test       as listed.test, and TXT "listed by txt.test" for the
                 names it lists
  anything else  NXDOMAIN

Standard library only; stops on SIGTERM.
"""
import heapq
import os
import random
import select
import signal
import socket
import struct
import sys
import time


def parse_question(pkt):
    """(id, flags, labels, end of question) or None"""
    if len(pkt) < 12:
        return None
    qid, flags, qd = struct.unpack("!HHH", pkt[:6])
    if qd != 1:
        return None
    off, labels = 12, []
    while off < len(pkt):
        n = pkt[off]
        off += 1
        if n == 0:
            break
        if n & 0xC0:
            return None
        labels.append(pkt[off:off + n].decode("ascii", "replace").lower())
        off += n
    off += 4
    if off > len(pkt):
        return None
    return qid, flags, labels, off


def reply(pkt, q, rcode=0, answers=(), tc=False, ttl=60, txt=None):
    qid, flags, labels, qend = q
    rflags = 0x8000 | (flags & 0x0100) | 0x0080 | rcode | (0x0200 if tc else 0)
    n = len(answers) + (txt is not None)
    hdr = struct.pack("!HHHHHH", qid, rflags, 1, n, 0, 0)
    body = pkt[12:qend]
    for a in answers:
        body += struct.pack("!HHHIH", 0xC00C, 1, 1, ttl, 4) + socket.inet_aton(a)
    if txt is not None:
        t = txt.encode("ascii")
        body += struct.pack("!HHHIHB", 0xC00C, 16, 1, ttl, len(t) + 1, len(t)) + t
    return hdr + body


# ::ffff:7f00:1 in the 32-nibble form
NEVER6 = "1.0.0.0.0.0.f.7.f.f.f.f." + "0." * 20


def respond(pkt, q):
    """(delay seconds, packet) or None"""
    labels = q[2]
    name = ".".join(labels)
    zone = ".".join(labels[-2:])
    qtype = struct.unpack("!H", pkt[q[3] - 4:q[3] - 2])[0]
    if zone == "silent.test":
        return None
    if zone == "servfail.test":
        return 0, reply(pkt, q, rcode=2)
    if zone == "refused.test":
        return 0, reply(pkt, q, rcode=5)
    if zone == "txt.test" and qtype == 16:
        if name.startswith(("1.0.0.127.", NEVER6)):
            return 0, reply(pkt, q, rcode=3)
        return 0, reply(pkt, q, txt="listed by txt.test")
    if qtype != 1:
        return 0, reply(pkt, q)
    if zone == "public.test":
        return 0, reply(pkt, q, answers=["127.255.255.254"])
    if zone == "outside.test":
        return 0, reply(pkt, q, answers=["192.0.2.1"])
    if zone == "dnswl.test":
        return 0, reply(pkt, q, answers=["127.0.0.255"])
    if zone == "trunc.test":
        return 0, reply(pkt, q, tc=True)
    if zone == "cut.test":
        return 0, reply(pkt, q, answers=["127.0.0.2"])[:-3]
    if zone == "garbage.test":
        hdr = struct.pack("!HHHHHH", q[0], 0x8180, 1, 2, 0, 0)
        return 0, hdr + pkt[12:q[3]] + os.urandom(random.randint(1, 40))
    if zone == "wild.test":
        return 0, reply(pkt, q, answers=["127.0.0.2"])
    if zone in ("listed.test", "slow.test", "sleepy.test", "txt.test"):
        delay = {"slow.test": 0.15, "sleepy.test": 1.0}.get(zone, 0)
        if name.startswith(("1.0.0.127.", NEVER6)):
            return delay, reply(pkt, q, rcode=3)
        return delay, reply(pkt, q, answers=["127.0.0.2"])
    return 0, reply(pkt, q, rcode=3)


def main():
    portfile, logfile = sys.argv[1], sys.argv[2]
    addr = sys.argv[3] if len(sys.argv) > 3 else "127.0.0.1"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((addr, 0))
    log = open(logfile, "a", buffering=1)
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % sock.getsockname()[1])
    os.rename(tmp, portfile)
    pending = []  # (due, seq, packet, peer)
    seq = 0
    while True:
        timeout = None
        if pending:
            timeout = max(0.0, pending[0][0] - time.monotonic())
        r, _, _ = select.select([sock], [], [], timeout)
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, _, out, peer = heapq.heappop(pending)
            sock.sendto(out, peer)
        if not r:
            continue
        pkt, peer = sock.recvfrom(4096)
        q = parse_question(pkt)
        if q is None:
            continue
        log.write(".".join(q[2]) + "\n")
        r = respond(pkt, q)
        if r is None:
            continue
        delay, out = r
        if delay <= 0:
            sock.sendto(out, peer)
        else:
            seq += 1
            heapq.heappush(pending, (now + delay, seq, out, peer))


if __name__ == "__main__":
    main()
