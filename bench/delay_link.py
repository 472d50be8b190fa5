#!/usr/bin/env python3
"""delay_link.py - a user-space network link with a fixed delay, between
the root network namespace and a namespace of the benchmark's own.

Usage: delay_link.py NETNS DELAY_MS MAX_SECONDS

This kernel has no netem, so the delay is made here: a TUN device in the
root namespace (mxrtt0) and one in NETNS (mxrtt1), both created by this
process; every IP packet read from one is written to the other DELAY_MS
later (a round trip costs twice that). The caller configures addresses
and routes once the devices exist (bench/tls_scan_rtt.sh), and stops the
process by its PID; it also exits by itself after MAX_SECONDS. Packets
beyond 20,000 in flight are dropped, as a full link would.
Benchmark-only code (root): stdlib and ctypes, no packages.
"""
import collections
import ctypes
import fcntl
import os
import select
import signal
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN, IFF_NO_PI = 0x0001, 0x1000
CLONE_NEWNET = 0x40000000
QUEUE_MAX = 20000


def tun(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def main():
    netns, delay, lifetime = sys.argv[1], float(sys.argv[2]) / 1000.0, float(sys.argv[3])
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    outer = tun("mxrtt0")
    nsfd = os.open("/run/netns/" + netns, os.O_RDONLY)
    if libc.setns(nsfd, CLONE_NEWNET) != 0:
        sys.exit("setns %s: %s" % (netns, os.strerror(ctypes.get_errno())))
    inner = tun("mxrtt1")
    os.close(nsfd)
    other = {outer: inner, inner: outer}
    queue = collections.deque()  # (due, fd to write, packet), in due order
    end = time.monotonic() + lifetime
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    while time.monotonic() < end:
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, fd, pkt = queue.popleft()
            try:
                os.write(fd, pkt)
            except OSError:
                pass  # a device going down drops the packet
        timeout = max(0.0, queue[0][0] - now) if queue else 0.5
        readable, _, _ = select.select([outer, inner], [], [], min(timeout, 0.5))
        for fd in readable:
            for _ in range(64):
                try:
                    pkt = os.read(fd, 65536)
                except BlockingIOError:
                    break
                if len(queue) < QUEUE_MAX:
                    queue.append((time.monotonic() + delay, other[fd], pkt))


main()
