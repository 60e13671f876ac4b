#!/bin/bash
# Bridges and container endpoints (runtime/kernel/endpoint.c) against real kernel objects, observed with
# ip(8) and ping. Runs itself in a throwaway sandbox (lib.sh); prints TAP.
# Usage: net_endpoint.sh [PATH/TO/net_driver]   (or NET_DRIVER=...)
. "$(dirname "$0")/lib.sh"
D=${1:-${NET_DRIVER:-$(dirname "$0")/../../build/tests/tools/net_driver}}
require "$D" ip jq
in_ns() { local p=$1; shift; nsenter --net="/proc/$p/ns/net" "$@"; }
jq_true() { jq -e "$1" >/dev/null; } # reads JSON on stdin

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
new_ns() { unshare --net sleep 1000 & pids+=($!); }

mount -t tmpfs tmpfs /tmp # private to the sandbox: mktemp leaves nothing behind
ip link set lo up
new_ns; ns1=${pids[0]}
new_ns; ns2=${pids[1]}
new_ns; ns3=${pids[2]}
sleep 0.2
N1=/proc/$ns1/ns/net N2=/proc/$ns2/ns/net N3=/proc/$ns3/ns/net

# bridge_ensure (ip_forward is not its business: netglue records it, then turns it on)
sysctl -qw net.ipv4.ip_forward=0
check "bridge-ensure creates br0" $D bridge-ensure br0 10.89.0.1/24
ip -j addr show br0 | jq_true '.[0].operstate != null and (.[0].flags | index("UP")) and
    ([.[0].addr_info[] | select(.local == "10.89.0.1" and .prefixlen == 24)] | length == 1)' &&
        ok "br0 is up with 10.89.0.1/24" || not_ok "br0 is up with 10.89.0.1/24" "$(ip addr show br0)"
[ "$(cat /proc/sys/net/ipv4/ip_forward)" = 0 ] && ok "ip_forward is left alone (netglue records it first)" ||
        not_ok "ip_forward is left alone"
[ "$(cat /proc/sys/net/ipv4/conf/br0/route_localnet)" = 1 ] && ok "route_localnet on br0" ||
        not_ok "route_localnet on br0"
check "bridge-ensure again is idempotent" $D bridge-ensure br0 10.89.0.1/24
ip -j addr show br0 | jq_true '[.[0].addr_info[] | select(.family == "inet")] | length == 1' &&
        ok "still one address" || not_ok "still one address" "$(ip addr show br0)"
ip link add other0 type veth peer name other1
check_error "bridge-ensure on a veth name is refused" "other0: an interface of that name exists and is a veth" \
        $D bridge-ensure other0 10.90.0.1/24
ip -j addr show other0 | jq_true '.[0].addr_info | length == 0' && ok "that veth is left untouched" ||
        not_ok "that veth is left untouched"
ip link del other0

# ten concurrent ensures of one new bridge: all succeed, one bridge, one address
errs=$(mktemp)
ens=()
for i in $(seq 10); do $D bridge-ensure br1 10.91.0.1/24 2>>"$errs" & ens+=($!); done
wait_ok=1
for j in "${ens[@]}"; do wait "$j" || wait_ok=0; done
[ ! -s "$errs" ] && [ $wait_ok = 1 ] && ok "10 concurrent bridge-ensure succeed" ||
        not_ok "10 concurrent bridge-ensure succeed" "$(cat "$errs")"
rm -f "$errs"
ip -j addr show br1 | jq_true '[.[0].addr_info[] | select(.family == "inet")] | length == 1' &&
        ok "br1 has one address" || not_ok "br1 has one address" "$(ip addr show br1)"
check "bridge-rm br1" $D bridge-rm br1

# attach
check "attach ns1 eth0 with derived MAC" $D attach "$N1" br0 nlhost1 eth0 10.89.0.2/24 10.89.0.1
check "attach ns2 eth0 with MAC and MTU" $D attach "$N2" br0 nlhost2 eth0 10.89.0.3/24 10.89.0.1 \
        02:42:0a:59:00:63 1400
in_ns "$ns1" ip -j addr show eth0 | jq_true '.[0].address == "02:42:0a:59:00:02" and
    (.[0].flags | index("UP")) and
    ([.[0].addr_info[] | select(.local == "10.89.0.2" and .prefixlen == 24)] | length == 1)' &&
        ok "ns1 eth0 has 10.89.0.2/24, derived MAC, up" ||
        not_ok "ns1 eth0 has 10.89.0.2/24, derived MAC, up" "$(in_ns "$ns1" ip addr)"
in_ns "$ns1" ip -j route show default | jq_true '.[0].gateway == "10.89.0.1" and .[0].dev == "eth0"' &&
        ok "ns1 default route via 10.89.0.1 dev eth0" ||
        not_ok "ns1 default route via 10.89.0.1 dev eth0" "$(in_ns "$ns1" ip route)"
in_ns "$ns1" ip -j addr show lo | jq_true '(.[0].flags | index("UP")) and
    ([.[0].addr_info[] | select(.local == "127.0.0.1")] | length == 1)' &&
        ok "ns1 lo up with 127.0.0.1" || not_ok "ns1 lo up with 127.0.0.1"
in_ns "$ns2" ip -j link show eth0 | jq_true '.[0].address == "02:42:0a:59:00:63" and .[0].mtu == 1400' &&
        ok "ns2 eth0 has the given MAC and MTU 1400" ||
        not_ok "ns2 eth0 has the given MAC and MTU 1400" "$(in_ns "$ns2" ip link)"
ip -j link show nlhost2 | jq_true '.[0].mtu == 1400 and .[0].master == "br0" and (.[0].flags | index("UP"))' &&
        ok "host end nlhost2 enslaved to br0, up, MTU 1400" ||
        not_ok "host end nlhost2 enslaved to br0, up, MTU 1400" "$(ip link show nlhost2)"
check "ns1 pings ns2" in_ns "$ns1" ping -c1 -W2 10.89.0.3
check "ns2 pings the gateway" in_ns "$ns2" ping -c1 -W2 10.89.0.1

# failures leave nothing behind
links_ns1=$(in_ns "$ns1" ip -j link | jq -c '[.[].ifname]')
check_error "duplicate ctr ifname refused" "veth nlhost3 (peer eth0): File exists" \
        $D attach "$N1" br0 nlhost3 eth0 10.89.0.4/24 10.89.0.1
check_error "second default route refused" "default route via 10.89.0.1 dev eth1: File exists" \
        $D attach "$N1" br0 nlhost3 eth1 10.89.0.4/24 10.89.0.1
check_error "bad MAC refused, naming it" 'invalid MAC address "02:42:zz:00:00:01"' \
        $D attach "$N1" br0 nlhost3 eth1 10.89.0.4/24 10.89.0.1 02:42:zz:00:00:01
check_error "multicast MAC refused" "multicast" \
        $D attach "$N1" br0 nlhost3 eth1 10.89.0.4/24 10.89.0.1 01:00:5e:00:00:01
check_error "unknown bridge refused" "bridge nobr: no such bridge" \
        $D attach "$N1" nobr nlhost3 eth1 10.89.0.4/24 10.89.0.1
check_error "host ifname too long refused" "must be 1 to 15 characters" \
        $D attach "$N1" br0 nl0123456789abcdef eth1 10.89.0.4/24 10.89.0.1
check_error "gateway off the subnet refused" "gateway 10.90.0.1 is not another address on its subnet" \
        $D attach "$N1" br0 nlhost3 eth1 10.89.0.4/24 10.90.0.1
check_error "MTU out of range refused" "invalid MTU 70000" \
        $D attach "$N1" br0 nlhost3 eth1 10.89.0.4/24 - - 70000
check_error "missing netns refused" "netns /nonexistent" \
        $D attach /nonexistent br0 nlhost3 eth1 10.89.0.4/24 10.89.0.1
check_error "no nlhost3 left on the host" "does not exist" ip link show nlhost3
[ "$(in_ns "$ns1" ip -j link | jq -c '[.[].ifname]')" = "$links_ns1" ] &&
        ok "ns1 interfaces unchanged ($links_ns1)" || not_ok "ns1 interfaces unchanged" "$(in_ns "$ns1" ip -br link)"
[ "$(ip -j link show master br0 | jq length)" = 2 ] && ok "br0 still has exactly 2 ports" ||
        not_ok "br0 still has exactly 2 ports" "$(ip -br link show master br0)"
check "eth1 without default route works" $D attach "$N1" br0 nlhost3 eth1 10.89.0.4/24 -
in_ns "$ns1" ip -j route show default | jq_true 'length == 1 and .[0].dev == "eth0"' &&
        ok "ns1 keeps its single default route" || not_ok "ns1 keeps its single default route"

# detach
check "detach ns1 eth1 from inside" $D detach "$N1" eth1
check_error "nlhost3 gone with its peer" "does not exist" ip link show nlhost3
check "detach by host ifname" $D detach - nlhost2
check_error "ns2 eth0 gone" "does not exist" in_ns "$ns2" ip link show eth0
check "detach again is success" $D detach - nlhost2
check "detach in a vanished netns is success" $D detach /proc/999999999/ns/net eth0
check "list-kind veth shows nlhost1 only" bash -c "[ \"\$($D list-kind veth)\" = nlhost1 ]"

# lo for --network none
check "lo-up in ns3" $D lo-up "$N3"
in_ns "$ns3" ip -j addr show lo | jq_true '(.[0].flags | index("UP")) and
    ([.[0].addr_info[] | select(.local == "127.0.0.1" and .prefixlen == 8)] | length == 1)' &&
        ok "ns3 lo up with 127.0.0.1/8" || not_ok "ns3 lo up with 127.0.0.1/8"
[ "$(in_ns "$ns3" ip -j link | jq length)" = 1 ] && ok "ns3 has only lo" || not_ok "ns3 has only lo"

# host routes and pool choice
check "routes lists 10.89.0.0/24" bash -c "$D routes | grep -qx 10.89.0.0/24"
ip route add 172.18.0.0/16 dev br0
ip route add 172.19.128.0/17 dev br0
check "pick-pool skips pools overlapping host routes" bash -c "[ \"\$($D pick-pool)\" = 172.20.0.0/16 ]"

# bridge_remove
check "bridge-rm br0" $D bridge-rm br0
check_error "br0 gone" "does not exist" ip link show br0
check "bridge-rm again is success" $D bridge-rm br0
check "host end nlhost1 survives bridge removal" ip link show nlhost1
check "detach ns1 eth0" $D detach "$N1" eth0
[ "$(ip -j link show type veth | jq length)" = 0 ] && ok "no veth left" || not_ok "no veth left" "$(ip -br link)"

finish
