#!/bin/bash
# netlab-dns: truncation and TCP, several queries per TCP connection, EDNS0, malformed input.
. "$(dirname "$0")/dns_lib.sh"
dns_setup "$@"

ip link add upbr type bridge
ip addr add 10.250.0.1/24 dev upbr
ip link set upbr up
"$FAKE" 10.250.0.1 >"$ROOT/up1.log" &
echo "nameserver 10.250.0.1" >"$ROOT/resolv.conf"
mount --bind "$ROOT/resolv.conf" /etc/resolv.conf

net neta br-a 10.89.0.1/24
ctr client; attach client eth0 br-a 10.89.0.4/24
reg "$(cid 1)" client neta:10.89.0.4
for i in $(seq 10 49); do reg "$(cid $i)" "m$i" "neta:10.89.0.$i:many"; done

count() { # NS DIG-ARGS...: number of answers
        local ns=$1
        shift
        ip netns exec "$ns" dig +time=2 +tries=1 "$@" | sed -n 's/.*ANSWER: \([0-9]*\),.*/\1/p'
}
flags() {
        local ns=$1
        shift
        ip netns exec "$ns" dig +time=2 +tries=1 "$@" | sed -n 's/.*flags: \([a-z ]*\);.*/\1/p'
}

check_eq "UDP answer over 512 bytes without EDNS: TC, no answers" "qr aa tc rd ra 0" \
        "$(flags client +noedns +ignore @10.89.0.1 many) $(count client +noedns +ignore @10.89.0.1 many)"
check_eq "over the client's EDNS size: TC" "1" \
        "$(flags client +bufsize=600 +ignore @10.89.0.1 many | grep -c tc)"
check_eq "same query over TCP: all 40 answers" "40" "$(count client +tcp @10.89.0.1 many)"
check_eq "dig retries over TCP by itself" "40" "$(count client +noedns @10.89.0.1 many)"
check_eq "EDNS size large enough: full UDP answer" "40" "$(count client +bufsize=4096 @10.89.0.1 many)"
check_eq "forwarded big answer over UDP without EDNS: TC" "1" \
        "$(flags client +noedns +ignore @10.89.0.1 big.example | grep -c tc)"
check_eq "forwarded big answer over TCP: complete" "60" "$(count client +tcp @10.89.0.1 big.example)"
check_eq "TCP query without EDNS: complete answer carries no OPT" "60 0" \
        "$(count client +tcp +noedns @10.89.0.1 big.example) $(ip netns exec client dig +tcp \
                +noedns @10.89.0.1 big.example | grep -c 'OPT PSEUDOSECTION')"
check_eq "EDNS0 OPT echoed" "1" \
        "$(ip netns exec client dig +bufsize=1232 @10.89.0.1 m10 | grep -c 'EDNS: version: 0.*udp: 4096')"
check_eq "EDNS version 1: BADVERS" "BADVERS" \
        "$(status client +edns=1 +noednsnegotiation @10.89.0.1 m10)"

cat >"$ROOT/probe.py" <<'PY'
import socket, struct, sys

SERVER = ("10.89.0.1", 53)

def q(name, qid=0x1234, qtype=1, flags=0x0100):
    out = struct.pack(">HHHHHH", qid, flags, 1, 0, 0, 0)
    for label in name.split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0" + struct.pack(">HH", qtype, 1)

def udp(pkt):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.5)
    s.sendto(pkt, SERVER)
    try:
        r = s.recv(65535)
    except socket.timeout:
        return "drop"
    return {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP"}.get(r[3] & 15, "?")

hdr = lambda qd, an=0, ns=0, ar=0, flags=0x0100: struct.pack(">HHHHHH", 0x4242, flags, qd, an, ns, ar)
cases = {
    "short": b"\x12\x34\x01",
    "header-only": hdr(1),
    "qdcount-0": hdr(0),
    "qdcount-2": q("m10")[:4] + b"\x00\x02" + q("m10")[6:],
    "big-counts": hdr(1, 65535, 65535, 65535) + q("m10")[12:],
    "pointer-loop": hdr(1) + b"\xc0\x0c\x00\x01\x00\x01",
    "pointer-forward": hdr(1) + b"\xc0\x20\x00\x01\x00\x01",
    "label-64": hdr(1) + b"\x40" + b"a" * 64 + b"\x00\x00\x01\x00\x01",
    "name-300": hdr(1) + (b"\x3f" + b"a" * 63) * 5 + b"\x00\x00\x01\x00\x01",
    "opcode-2": q("m10", flags=0x1100),
    "junk-text": b"this is not a dns packet at all\n",
    "response": q("m10", flags=0x8100),
    "trailing-junk": q("m10") + b"xyz",
    "truncated-opt": q("m10")[:10] + b"\x00\x01" + q("m10")[12:] + b"\x00\x00\x29",
}
for name, pkt in cases.items():
    print(name, udp(pkt))

# TCP: a length prefix with no body, then a close
t = socket.create_connection(SERVER, timeout=2)
t.sendall(b"\x00\x40")
t.close()
# TCP: a prefix with no body kept open must not block others
hang = socket.create_connection(SERVER, timeout=2)
hang.sendall(b"\x00\x40")
print("after-tcp-junk", udp(q("m10")))
# three queries on one connection, the forwarded one first: answers come back in order
t = socket.create_connection(SERVER, timeout=5)
msgs = [q("ext.example", 1), q("m10", 2), q("nosuchname", 3)]
t.sendall(b"".join(struct.pack(">H", len(m)) + m for m in msgs))
buf, ids = b"", []
while len(ids) < 3:
    chunk = t.recv(65535)
    if not chunk:
        break
    buf += chunk
    while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
        n = struct.unpack(">H", buf[:2])[0]
        ids.append(struct.unpack(">H", buf[2:4])[0])
        buf = buf[2 + n:]
print("tcp-order", ",".join(map(str, ids)))
hang.close()
# a client that half-closes after its query still gets the answer
t = socket.create_connection(SERVER, timeout=2)
m = q("m11", 7)
t.sendall(struct.pack(">H", len(m)) + m)
t.shutdown(socket.SHUT_WR)
r = t.recv(65535)
print("half-close", "answered" if len(r) > 4 and r[2:4] == b"\x00\x07" else repr(r))
PY
pid=$(daemon_pid)
ip netns exec client python3 "$ROOT/probe.py" >"$ROOT/probe.out" 2>&1
r() { sed -n "s/^$1 //p" "$ROOT/probe.out"; }
check_eq "packet shorter than a header: dropped" "drop" "$(r short)"
for c in header-only qdcount-0 qdcount-2 big-counts pointer-loop pointer-forward label-64 \
        name-300 opcode-2 junk-text trailing-junk truncated-opt; do
        check_eq "malformed ($c): FORMERR" "FORMERR" "$(r $c)"
done
check_eq "a response packet is not answered" "drop" "$(r response)"
check_eq "TCP prefix without body does not block UDP" "NOERROR" "$(r after-tcp-junk)"
check_eq "several TCP queries answered in order" "1,2,3" "$(r tcp-order)"
check_eq "TCP client that half-closes is answered" "answered" "$(r half-close)"
ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
ip netns exec client bash -c 'exec 3<>/dev/tcp/10.89.0.1/53; printf "\x00\x40" >&3; sleep 3' &
hold=$!
sleep 0.3
t0=$(ticks)
sleep 1
t1=$(ticks)
check_eq "no busy loop with a half-sent TCP message open" "1" "$(( t1 - t0 < 10 ))"
wait $hold
check_eq "normal query after all that" "10.89.0.10" "$(q client @10.89.0.1 m10)"
check_eq "daemon survived (same pid)" "$pid" "$(daemon_pid)"
kill -0 "$pid" 2>/dev/null && ok "daemon alive" || not_ok "daemon alive"

dns_done
