#!/bin/bash
# Rootless published ports and egress (runtime/net/portfwd*.c, runtime/net/egress.c) through
# tests/tools/portfwd_driver, which plays the keeper: as uid 4242 it runs the forwarder's outer
# half in the sandbox's network namespace and its inner half in a new user + network namespace
# (the "lab host"). Observers are python3 peers on either side; a "container" behind a bridge in
# the lab host checks egress through NAT and the user-mode stack. Runs in a sandbox (lib.sh); TAP.
# Usage: test_portfwd.sh [PATH/TO/portfwd_driver]   (or PORTFWD_DRIVER=...)
. "$(dirname "$0")/lib.sh"
D=${1:-${PORTFWD_DRIVER:-$(dirname "$0")/../../build/tests/tools/portfwd_driver}}
require "$D" python3 setpriv nsenter ip
U=4242
PY=$(command -v python3)
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3 # not a shim in root's home: other users run it too

mount -t tmpfs -o mode=1777 tmpfs /tmp # private to the sandbox; uid 4242 may use it
cp "$D" /tmp/portfwd_driver
chmod 755 /tmp/portfwd_driver
# a second address of the host, on a veth pair (no dummy module needed)
ip link add pf0 type veth peer name pf1
ip addr add 10.66.0.1/24 dev pf0
ip link set pf0 up
ip link set pf1 up

cat >/tmp/peer.py <<'PY'
import hashlib, os, socket, struct, sys, threading, time
LINGER0 = struct.pack('ii', 1, 0)

def serve(c, log):
    mode = c.recv(1)
    if mode == b'R':  # answer with a reset
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0); c.close(); return
    if mode == b'A':  # one question, one answer, then close: no half-close involved
        c.recv(65536); c.sendall(b'answer'); c.close(); return
    if mode == b'C':  # the client will reset: say what we saw
        try:
            while c.recv(65536): pass
            log.write('eof\n')
        except ConnectionResetError:
            log.write('reset\n')
        log.flush(); c.close(); return
    data = bytearray()
    while True:  # read to EOF: no answer unless the client's half-close got through
        b = c.recv(65536)
        if not b: break
        data += b
    c.sendall(b'%d:%s\n' % (len(data), hashlib.sha256(data).hexdigest().encode()) + data)
    c.close()

def tcp_server(port):
    s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(('::', port)); s.listen(512)
    log = open('/tmp/server.log', 'a')
    print('ready', flush=True)
    while True:
        c, _ = s.accept()
        threading.Thread(target=serve, args=(c, log), daemon=True).start()

def udp_server(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', port))
    while True:
        d, a = s.recvfrom(65536); s.sendto(b'echo:' + d, a)

def conn(host, port):
    return socket.create_connection((host, port), timeout=10)

def echo(host, port, size):
    data = os.urandom(size)
    c = conn(host, port); c.sendall(b'E' + data); c.shutdown(socket.SHUT_WR)
    got = bytearray()
    while True:
        b = c.recv(65536)
        if not b: break
        got += b
    head, _, body = bytes(got).partition(b'\n')
    want = b'%d:%s' % (size, hashlib.sha256(data).hexdigest().encode())
    return head == want and body == data

def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == 'tcp-server': tcp_server(int(args[0]))
    elif cmd == 'udp-server': udp_server(int(args[0]))
    elif cmd == 'echo': print('ok' if echo(args[0], int(args[1]), int(args[2])) else 'bad')
    elif cmd == 'parallel':
        n = int(args[2]); res = []
        ts = [threading.Thread(target=lambda: res.append(echo(args[0], int(args[1]), 20000))) for _ in range(n)]
        [t.start() for t in ts]; [t.join() for t in ts]
        print('%d/%d' % (sum(res), n))
    elif cmd == 'ask':
        c = conn(args[0], int(args[1])); c.sendall(b'A?'); got = b''
        while True:
            b = c.recv(100)
            if not b: break
            got += b
        print(got.decode())
    elif cmd == 'reset':
        c = conn(args[0], int(args[1])); c.sendall(b'R')
        try: print('eof' if c.recv(10) == b'' else 'data')
        except ConnectionResetError: print('reset')
    elif cmd == 'abort':
        c = conn(args[0], int(args[1])); c.sendall(b'C'); time.sleep(0.3)
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0); c.close()
    elif cmd == 'hold':
        c = conn(args[0], int(args[1])); c.sendall(b'E'); print('connected', flush=True)
        try: print('closed' if c.recv(10) == b'' else 'data')
        except ConnectionResetError: print('closed')
    elif cmd == 'listen':
        s = socket.socket(); s.bind(('0.0.0.0', int(args[0]))); s.listen(1); time.sleep(1000)
    elif cmd == 'udp':
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
        s.sendto(args[2].encode(), (args[0], int(args[1])))
        try: print(s.recv(100).decode())
        except socket.timeout: print('timeout')
main()
PY
peer() { timeout 30 python3 /tmp/peer.py "$@"; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT

# start_driver [ENV=VALUE...]: the driver as uid 4242 on the coprocess DRV; INNER is its lab host.
# With AS_ROOT=1: as root, the lab host a new network namespace only.
start_driver() {
        if [ -n "${AS_ROOT:-}" ]; then
                coproc DRV { env "$@" /tmp/portfwd_driver 2>>/tmp/driver.err; }
        else
                coproc DRV { setpriv --reuid $U --regid $U --clear-groups env "$@" \
                        /tmp/portfwd_driver --userns 2>>/tmp/driver.err; }
        fi
        read -r -t 10 _ INNER <&"${DRV[0]}"
        in_lab python3 /tmp/peer.py tcp-server 80 >/dev/null 2>&1 &
        pids+=($!)
        in_lab python3 /tmp/peer.py udp-server 5300 >/dev/null 2>&1 &
        pids+=($!)
        wait_until 10 in_lab python3 -c 'import socket; socket.create_connection(("127.0.0.1", 80))'
}
stop_driver() {
        local p=$DRV_PID
        eval "exec ${DRV[1]}>&-"
        wait "$p" 2>/dev/null
}
# drv COMMAND...: one command to the driver, its one-line reply on stdout.
drv() {
        local reply
        echo "$*" >&"${DRV[1]}"
        read -r -t 20 reply <&"${DRV[0]}" || reply="(no reply)"
        echo "$reply"
}
in_lab() { nsenter -t "$INNER" -n "$@"; }

start_driver
check_match "the driver's lab host is a process of its own" '^[0-9]+$' "${INNER:-}"
fds_at_start=$(ls /proc/$DRV_PID/fd | wc -l)

# ---- TCP
check_output "publish tcp 8080 -> lab host 127.0.0.1:80" "ok" drv add tcp - 8080 127.0.0.1 80
check_match "the listener is in the host's namespace" "LISTEN" "$(ss -Htln 'sport = :8080')"
check_output "data both ways and half-close, from 127.0.0.1" "ok" peer echo 127.0.0.1 8080 1000
check_output "data both ways and half-close, from another address of the host" "ok" \
        peer echo 10.66.0.1 8080 1000
check_output "and from ::1 (the IPv6 any address is bound too)" "ok" peer echo ::1 8080 1000
check_output "4 MiB each way arrive whole" "ok" peer echo 127.0.0.1 8080 4194304
check_output "200 parallel connections all relay" "200/200" peer parallel 127.0.0.1 8080 200
check_output "a reset from the server reaches the client" "reset" peer reset 127.0.0.1 8080
: >/tmp/server.log
peer abort 127.0.0.1 8080
wait_until 5 grep -q . /tmp/server.log
check_output "a reset from the client reaches the server" "reset" cat /tmp/server.log
wait_until 5 bash -c "[ \"\$(echo live >&${DRV[1]}; read -r l <&${DRV[0]}; echo \$l)\" = 'live 0' ]"
check_output "finished connections leave nothing open" "live 0" drv live

# ---- refusals
check_match "a port below ip_unprivileged_port_start is refused naming the sysctl and the fix" \
        "error: port 80/tcp: ports below 1024 are privileged \(net.ipv4.ip_unprivileged_port_start = 1024\): choose a host port >= 1024, or as root run .sysctl net.ipv4.ip_unprivileged_port_start=80." \
        "$(drv add tcp - 80 127.0.0.1 80)"
sysctl -qw net.ipv4.ip_unprivileged_port_start=80
check_output "positive control: with the sysctl lowered, port 80 publishes" "ok" \
        drv add tcp - 80 127.0.0.1 80
check_output "and relays" "ok" peer echo 127.0.0.1 80 100
drv remove tcp - 80 >/dev/null
sysctl -qw net.ipv4.ip_unprivileged_port_start=1024
setpriv --reuid 4243 --regid 4243 --clear-groups "$PY" /tmp/peer.py listen 9400 &
pids+=($!)
wait_until 5 bash -c "ss -Htln 'sport = :9400' | grep -q ."
check_match "a port another user holds names that user" \
        "^error: port 9400/tcp is held by a listening host process: a process of (user [^ ]+ )?\(?uid 4243\)?$" \
        "$(drv add tcp - 9400 127.0.0.1 80)"
check_output "positive control: a free port next to it publishes" "ok" drv add tcp - 9401 127.0.0.1 80
check_match "publishing the same port twice is refused" "already published" \
        "$(drv add tcp - 9401 127.0.0.1 80)"
check_output "a bound host address publishes" "ok" drv add tcp 127.0.0.1 9402 127.0.0.1 80
check_output "reachable there" "ok" peer echo 127.0.0.1 9402 10
check_fails "and not on the host's other addresses" peer echo 10.66.0.1 9402 10

# ---- removal
peer hold 127.0.0.1 9401 >/tmp/hold.out &
wait_until 5 grep -q connected /tmp/hold.out
wait_until 5 bash -c "[ \"\$(echo live >&${DRV[1]}; read -r l <&${DRV[0]}; echo \$l)\" = 'live 1' ]"
check_output "a held connection is live" "live 1" drv live
check_output "remove the mapping" "ok" drv remove tcp - 9401
wait_until 5 grep -q closed /tmp/hold.out
check_output "removal closes the live connection" "connected closed" \
        bash -c "tr '\n' ' ' </tmp/hold.out | sed 's/ \$//'"
check_fails "removal closes the listener" peer echo 127.0.0.1 9401 10
check_output "nothing left live" "live 0" drv live
check_match "removing it again says it is not published" "is not published" \
        "$(drv remove tcp - 9401)"

# ---- UDP
check_output "publish udp 5300" "ok" drv add udp - 5300 127.0.0.1 5300
check_output "UDP round trip from 127.0.0.1" "echo:ping1" peer udp 127.0.0.1 5300 ping1
check_output "UDP round trip from another address" "echo:ping2" peer udp 10.66.0.1 5300 ping2
check_output "one flow per client address" "live 2" drv live
drv udp-timeout 300 >/dev/null
sleep 1
check_output "an idle UDP flow is closed after its timeout" "live 0" drv live
check_output "a new datagram opens a new flow" "echo:ping3" peer udp 127.0.0.1 5300 ping3

for m in "tcp - 8080" "tcp 127.0.0.1 9402" "udp - 5300"; do drv remove $m >/dev/null; done
check_output "every mapping removed: the forwarder holds no more fds than at its start" \
        "$fds_at_start" bash -c "ls /proc/$DRV_PID/fd | wc -l"

# ---- egress through the user-mode stack
make_external ext 10.77.0.1 10.77.0.2
ip route add default via 10.77.0.2
in_ext ext python3 /tmp/peer.py tcp-server 7000 >/dev/null 2>&1 &
pids+=($!)
wait_until 10 python3 -c 'import socket; socket.create_connection(("10.77.0.2", 7000))'
check_output "the test host answers from the sandbox" "answer" python3 /tmp/peer.py ask 10.77.0.2 7000
check_fails "without a stack the lab host cannot reach the test host" \
        in_lab timeout 5 python3 /tmp/peer.py ask 10.77.0.2 7000
stop_driver

# The stacks open /dev/net/tun as the user. Bind a node of each mode over it, private to the sandbox.
mknod -m 600 /tmp/tun600 c 10 200
mknod -m 666 /tmp/tun666 c 10 200
mount --bind /tmp/tun600 /dev/net/tun
start_driver
check_match "/dev/net/tun closed to the user: a note naming it, what it costs and the fix" \
        "^note: no egress: /dev/net/tun is not readable and writable .* chmod 0666 /dev/net/tun" \
        "$(drv egress)"
stop_driver
umount /dev/net/tun
mount --bind /tmp/tun666 /dev/net/tun

# lab_container: a "container" netns behind a bridge in the lab host, masqueraded out of it the way
# a lab's networks are (set up from outside with ip and nft, as root of the sandbox).
lab_container() {
        ip netns add ctr
        in_lab ip link add br0 type bridge
        in_lab ip addr add 10.88.0.1/24 dev br0
        in_lab ip link set br0 up
        in_lab ip link add vc0 type veth peer name eth0 netns ctr
        in_lab ip link set vc0 master br0 up
        ip -n ctr addr add 10.88.0.2/24 dev eth0
        ip -n ctr link set eth0 up
        ip -n ctr route add default via 10.88.0.1
        in_lab sysctl -qw net.ipv4.ip_forward=1
        in_lab nft -f - <<'NFT'
table ip nat {
        chain post {
                type nat hook postrouting priority 100;
                ip saddr 10.88.0.0/24 oifname != "br0" masquerade
        }
}
NFT
}

for tool in pasta slirp4netns; do
        if ! command -v $tool >/dev/null; then
                ok "# SKIP $tool not installed"
                continue
        fi
        start_driver NETLAB_EGRESS=$tool
        lab_container
        check_fails "$tool: before the stack starts, the container cannot get out" \
                ip netns exec ctr timeout 5 python3 /tmp/peer.py ask 10.77.0.2 7000
        check_output "$tool: egress starts" "egress $tool" drv egress
        # (not the half-close echo: pasta 0.0~git20230309 loses the server's FIN after ours)
        check_output "$tool: the lab host reaches the test host" "answer" \
                in_lab python3 /tmp/peer.py ask 10.77.0.2 7000
        check_output "$tool: a container behind the lab host's bridge gets out through its NAT" \
                "answer" ip netns exec ctr python3 /tmp/peer.py ask 10.77.0.2 7000
        ip netns del ctr
        check_output "$tool: stop" "ok" drv egress-stop
        check_output "$tool: stopped and reaped, nothing of it is left" "" \
                bash -c "pgrep -x $tool || true"
        check_fails "$tool: after stop the lab host has no way out" \
                in_lab timeout 5 python3 /tmp/peer.py ask 10.77.0.2 7000
        stop_driver
done
start_driver PATH=/nonexistent
check_match "neither installed: a note saying what that costs, and no failure" \
        "^note: no egress: .*pasta.*slirp4netns.*the lab itself works" "$(drv egress)"
check_output "the forwarder still works then" "ok" drv add tcp - 8081 127.0.0.1 80
check_output "and relays" "ok" peer echo 127.0.0.1 8081 10
stop_driver
for case in "NETLAB_EGRESS=none|^note: no egress: NETLAB_EGRESS=none$" \
        "NETLAB_EGRESS=slirp|^error: NETLAB_EGRESS=slirp: expected pasta, slirp4netns or none$" \
        "PATH=/nonexistent NETLAB_EGRESS=slirp4netns|^error: NETLAB_EGRESS=slirp4netns: slirp4netns is not installed"; do
        # shellcheck disable=SC2086 # the environment words split on purpose
        start_driver ${case%%|*}
        check_match "egress with ${case%%|*}" "${case#*|}" "$(drv egress)"
        stop_driver
done

# As root (`--rootless` tried by root): the same forwarder; pasta gives up root before it joins
# the lab host, so slirp4netns is chosen.
AS_ROOT=1 start_driver
check_output "as root: publish" "ok" drv add tcp - 8082 127.0.0.1 80
check_output "as root: relays" "ok" peer echo 127.0.0.1 8082 1000
check_output "as root: port 80 is no refusal (the bind decides, not a number)" "ok" \
        drv add tcp - 80 127.0.0.1 80
check_output "as root: egress picks slirp4netns" "egress slirp4netns" drv egress
check_output "as root: the lab host reaches the test host" "answer" \
        in_lab python3 /tmp/peer.py ask 10.77.0.2 7000
drv egress-stop >/dev/null
stop_driver
AS_ROOT=1 start_driver NETLAB_EGRESS=pasta
check_match "as root: forcing pasta says why not and what to use" \
        "^error: NETLAB_EGRESS=pasta: pasta cannot be used as root .*use slirp4netns" "$(drv egress)"
stop_driver
check_output "the driver said nothing on stderr" "" cat /tmp/driver.err
finish
