#!/bin/bash
# Firewall integration test (TAP): isolation, masquerade and port publishing through
# runtime/kernel/firewall.c, driven by tests/tools/fw_driver, observed with curl/ping/nc/nft.
# Runs itself inside a fresh net+mount+pid namespace, once with br_netfilter active on bridges
# (bridge-nf-call-iptables=1) and once without, so it holds on both kinds of machine.
# Usage: fw_isolation_nat.sh [path/to/fw_driver]
DRIVER=${1:-${FW_DRIVER:-$(dirname "$0")/../../build/tests/tools/fw_driver}}
SANDBOX_RUNS="FW_BRNF=1 FW_BRNF=0"
. "$(dirname "$0")/lib.sh"
require "$DRIVER" curl busybox nft
TAP_PREFIX="[brnf=$FW_BRNF] "
mkdir -p /run/fwtest # web roots, on the sandbox's /run
# commands bound their own time (curl -m, ping -W, in_ns uses timeout)
GET() { curl -sf -m 2 "$@"; }
in_ns() { local ns=$1; shift; timeout 5 ip netns exec "$ns" "$@"; }
fw() { "$DRIVER" "$@"; }
rules() { nft -j list ruleset | grep -o '"rule"' | wc -l; }
elems() { nft list map inet netlab "$1" | grep -c ' : '; }

setup() {
        ip link set lo up
        sysctl -qw net.ipv4.ip_forward=1
        sysctl -qw net.bridge.bridge-nf-call-iptables="$FW_BRNF"
        mkbr nlbra 172.30.1.1/24
        mkbr nlbrb 172.30.2.1/24
        mkbr nlbri 172.30.3.1/24
        mkbr nlbrq 172.30.4.1/24
        mkctr c1 nlbra 172.30.1.2 && mkctr c3 nlbra 172.30.1.3
        mkctr c2 nlbrb 172.30.2.2
        mkctr ci nlbri 172.30.3.2
        mkctr q1 nlbrq 172.30.4.2 && mkctr q2 nlbrq 172.30.4.3
        # "the internet": a host beyond the machine, with a route to the container subnets
        ip netns add ext
        ip link add uplink type veth peer name eth0 netns ext
        ip addr add 192.0.2.1/24 dev uplink
        ip addr add 192.0.2.5/24 dev uplink # a second host address for IP-bound mappings
        ip link set uplink up
        in_ns ext ip link set lo up
        in_ns ext ip addr add 192.0.2.2/24 dev eth0
        in_ns ext ip link set eth0 up
        in_ns ext ip route add 172.30.0.0/16 via 192.0.2.1
        serve ext
        for c in c1 c2 c3 ci q1 q2; do serve "$c"; done
}

# What the network code does for real: bridge with route_localnet, ports with hairpin mode.
mkbr() {
        ip link add "$1" type bridge
        ip addr add "$2" dev "$1"
        ip link set "$1" up
        sysctl -qw "net.ipv4.conf.$1.route_localnet=1"
}
mkctr() {
        local gw=${3%.*}.1
        ip netns add "$1"
        ip link add "v$1" type veth peer name eth0 netns "$1"
        ip link set "v$1" master "$2" up
        ip link set "v$1" type bridge_slave hairpin on
        in_ns "$1" ip link set lo up
        in_ns "$1" ip addr add "$3/24" dev eth0
        in_ns "$1" ip link set eth0 up
        in_ns "$1" ip route add default via "$gw"
}
# httpd answering "hello NAME" on / and the client's address on /cgi-bin/ip
serve() {
        local d=/run/fwtest/$1
        mkdir -p "$d/cgi-bin"
        echo "hello $1" >"$d/index.html"
        printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "$REMOTE_ADDR" | sed "s/^\\[::ffff://; s/\\]\$//"\n' >"$d/cgi-bin/ip"
        chmod +x "$d/cgi-bin/ip"
        in_ns "$1" busybox httpd -p 80 -h "$d"
}

setup
sleep 0.2
check "ensure creates the table" fw ensure
ensure_rules=$(rules)
check "network nlbra" fw net-add nlbra 172.30.1.0/24
check "network nlbrb" fw net-add nlbrb 172.30.2.0/24
check "network nlbri (internal)" fw net-add nlbri 172.30.3.0/24 internal
check "network nlbrq" fw net-add nlbrq 172.30.4.0/24
# icc=false goes by port, entered with the port's anti-spoofing elements
port() { fw "$1" "v$2" "$(in_ns "$2" cat /sys/class/net/eth0/address)" "$3" noicc; }
q_ports() { port port-add q1 172.30.4.2 && port port-add q2 172.30.4.3; }
check "ports of q1 and q2 (icc=false)" q_ports
check "ensure again is idempotent" fw ensure
check "nft shows table inet netlab" sh -c 'nft list tables | grep -qx "table inet netlab"'
base_rules=$(rules)
check_output "networks add set elements, not rules" "$ensure_rules" echo "$base_rules"
check "nft lists the four bridges in @bridges" \
        sh -c 'nft list set inet netlab bridges | grep -q "\"nlbra\", \"nlbrb\", \"nlbri\", \"nlbrq\"" ||
               [ "$(nft list set inet netlab bridges | grep -o "\"nlbr[abiq]\"" | wc -l)" = 4 ]'

# egress, masquerade, asymmetry
check_output "container reaches the external host" "hello ext" in_ns c1 curl -sf -m 2 http://192.0.2.2/
check_output "external host sees the host address (masquerade)" "192.0.2.1" \
        in_ns c1 curl -sf -m 2 http://192.0.2.2/cgi-bin/ip
check "container pings the external host" in_ns c1 ping -c1 -W2 192.0.2.2
check_fails "external host cannot connect into a container (even with a route)" \
        in_ns ext curl -sf -m 2 http://172.30.1.2/
check_fails "external host cannot ping a container" in_ns ext ping -c1 -W1 172.30.1.2
# isolation
check_output "same bridge: c1 reaches c3" "hello c3" in_ns c1 curl -sf -m 2 http://172.30.1.3/
check_fails "two bridges isolated: c1 -> c2" in_ns c1 curl -sf -m 2 http://172.30.2.2/
check_fails "two bridges isolated: c2 -> c1" in_ns c2 curl -sf -m 2 http://172.30.1.2/
check_fails "two bridges isolated: ping c2 -> c1" in_ns c2 ping -c1 -W1 172.30.1.2
check_fails "internal bridge has no egress" in_ns ci curl -sf -m 2 http://192.0.2.2/
check_fails "internal bridge: no ping out" in_ns ci ping -c1 -W1 192.0.2.2
check_fails "internal bridge cannot be reached from another bridge" in_ns c1 curl -sf -m 2 http://172.30.3.2/
check_fails "icc=false: q1 cannot reach q2" in_ns q1 curl -sf -m 2 http://172.30.4.3/
check_fails "icc=false: q1 cannot ping q2" in_ns q1 ping -c1 -W1 172.30.4.3
check_output "icc=false: egress still works" "hello ext" in_ns q1 curl -sf -m 2 http://192.0.2.2/

# publishing
check_fails "before publishing, 8080 is closed from outside" in_ns ext curl -sf -m 2 http://192.0.2.1:8080/
check "publish 8080:80 -> c1, 192.0.2.5:9090:80 -> c3, 127.0.0.1:7070:80 -> c1" \
        sh -c "$DRIVER ports-add 172.30.1.2 8080:80 127.0.0.1:7070:80 5300:5300/udp && $DRIVER ports-add 172.30.1.3 192.0.2.5:9090:80 && $DRIVER ports-add 172.30.4.3 8181:80"
check_output "external host reaches the published port" "hello c1" in_ns ext curl -sf -m 2 http://192.0.2.1:8080/
check_output "the container sees the external client's address" "192.0.2.2" \
        in_ns ext curl -sf -m 2 http://192.0.2.1:8080/cgi-bin/ip
check_output "host reaches it on its own address" "hello c1" GET http://192.0.2.1:8080/
check_output "host reaches it on 127.0.0.1" "hello c1" GET http://127.0.0.1:8080/
check_output "container on another bridge via its gateway" "hello c1" in_ns c2 curl -sf -m 2 http://172.30.2.1:8080/
check_output "container on another bridge via the host address" "hello c1" in_ns c2 curl -sf -m 2 http://192.0.2.1:8080/
check_output "container on the same bridge via the gateway" "hello c1" in_ns c3 curl -sf -m 2 http://172.30.1.1:8080/
check_output "hairpin: the server container reaches itself" "hello c1" in_ns c1 curl -sf -m 2 http://172.30.1.1:8080/
check_fails "still no straight path from another bridge to the container" in_ns c2 curl -sf -m 2 http://172.30.1.2/
check_output "IP-bound mapping answers on its address" "hello c3" in_ns ext curl -sf -m 2 http://192.0.2.5:9090/
check_fails "IP-bound mapping does not answer on another address" in_ns ext curl -sf -m 2 http://192.0.2.1:9090/
check_output "127.0.0.1-bound mapping answers on the host" "hello c1" GET http://127.0.0.1:7070/
check_fails "127.0.0.1-bound mapping is not reachable from outside" in_ns ext curl -sf -m 2 http://192.0.2.1:7070/
check_output "icc=false network: published port reachable from outside" "hello q2" in_ns ext curl -sf -m 2 http://192.0.2.1:8181/
# With br_netfilter this DNAT'd packet is bridged back into the same bridge; the DNAT mark lets
# it past the bridge-family icc=false drop, as Docker lets published ports through.
check_output "icc=false network: a peer reaches the published port via the gateway" "hello q2" \
        in_ns q1 curl -sf -m 2 http://172.30.4.1:8181/
check_output "icc=false network: hairpin to its own published port" "hello q2" \
        in_ns q2 curl -sf -m 2 http://172.30.4.1:8181/
check_fails "icc=false network: still no direct peer traffic after publishing" \
        in_ns q1 curl -sf -m 2 http://172.30.4.3/
in_ns c1 sh -c 'nc -u -l -W 1 5300 >/run/fwtest/udp.out 2>/dev/null &'
sleep 0.2
in_ns ext sh -c 'echo udp-hello | nc -u -w 1 192.0.2.1 5300' >/dev/null 2>&1
check "UDP mapping delivers a datagram" grep -q udp-hello /run/fwtest/udp.out

check "move 8181 from q2 to c3 in one batch (network connect/disconnect)" \
        fw ports-move 172.30.4.3 172.30.1.3 8181:80
check_output "the moved mapping reaches the new address" "hello c3" in_ns ext curl -sf -m 2 http://192.0.2.1:8181/

# conflicts and errors name the port
out=$(fw ports-add 172.30.1.3 8080:80 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q "port 8080/tcp"; then ok "a published host port is refused, naming it"; else not_ok "conflict: $out"; fi
check_output "the refused batch changed nothing" "hello c1" in_ns ext curl -sf -m 2 http://192.0.2.1:8080/
busybox nc -l -p 6000 >/dev/null 2>&1 &
sleep 0.2
out=$(fw check-host 6000:80 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q "port 6000/tcp is held by a listening host process: pid [0-9]* (busybox)"; then
        ok "a host listener is found and named"
else
        not_ok "host listener: $out"
fi
check "a free host port passes the check" fw check-host 6001:80
out=$(fw ports-add 172.30.1.2 6000:80 2>&1)
if [ $? -ne 0 ] && echo "$out" | grep -q "port 6000/tcp is held by a listening host process: pid"; then
        ok "publishing a port a host process holds is refused, naming it"
else
        not_ok "publish over a host listener: $out"
fi
check "a host range to one port takes the first free one" fw ports-add 172.30.1.2 6000-6002:80
check_output "... which is 6001, reachable from outside" "hello c1" in_ns ext curl -sf -m 2 http://192.0.2.1:6001/

# rules never grow; elements do
before=$(elems dnat_any)
specs=$(seq 20000 20049 | sed 's/$/:80/' | tr '\n' ' ')
check "publish 50 more ports in one batch" fw ports-add 172.30.1.3 $specs
check_output "rule count unchanged after 50 mappings" "$base_rules" rules
check_output "map grew by 50 elements" "$((before + 50))" elems dnat_any
check_output "one of them works" "hello c3" in_ns ext curl -sf -m 2 http://192.0.2.1:20049/

# unpublishing
check "unpublish 8080" fw ports-del 172.30.1.2 8080:80
check_fails "after unpublishing, 8080 is closed from outside" in_ns ext curl -sf -m 2 http://192.0.2.1:8080/
check_fails "after unpublishing, 8080 is closed on 127.0.0.1" GET http://127.0.0.1:8080/
check "unpublishing again is not an error" fw ports-del 172.30.1.2 8080:80
check_output "rule count unchanged after unpublishing" "$base_rules" rules
check "port del" port port-del q1 172.30.4.2
check "icc=false and anti-spoofing gone with the port's elements" sh -c '! nft list table bridge netlab | grep -q vq1'
check "network del" fw net-del nlbrq 172.30.4.0/24
check "teardown" fw teardown
check "teardown twice" fw teardown
check_output "no netlab table left" "" sh -c 'nft list tables | grep netlab'

finish
