#!/usr/bin/env python3
"""Sends the IPv4 packets described in a JSON list (argv[1]) through a raw IP_HDRINCL socket,
so each crosses the OUTPUT hook (out lo) and, if accepted there, INPUT (in lo). Used by
capture-classify.mjs inside `unshare -n` only."""
import json, socket, struct, sys

def checksum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def build(p):
    proto = p['protocol']
    payload = b'x' * p.get('payload', 0)
    if proto == 6:
        l4 = struct.pack('!HHIIBBHHH', p.get('sourcePort', 0), p.get('destinationPort', 0), 1, 0, 5 << 4, p.get('tcpFlags', 0), 8192, 0, 0)
    elif proto == 17:
        l4 = struct.pack('!HHHH', p.get('sourcePort', 0), p.get('destinationPort', 0), 8 + len(payload), 0)
    elif proto == 1:
        l4 = struct.pack('!BBHI', p.get('icmpType', 0), p.get('icmpCode', 0), 0, 0)
    else:
        l4 = b''
    body = l4 + payload
    frag = (p.get('fragmentOffset', 0) & 0x1fff)
    header = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(body), 1, frag, 64, proto, 0,
                         socket.inet_aton(p['source']), socket.inet_aton(p['destination']))
    header = header[:10] + struct.pack('!H', checksum(header)) + header[12:]
    return header + body

sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for p in json.load(open(sys.argv[1])):
    packet = build(p)
    try:
        sock.sendto(packet, (p['destination'], 0))
    except OSError:
        pass  # EPERM when OUTPUT drops it: expected
