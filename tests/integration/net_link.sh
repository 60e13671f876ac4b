#!/bin/bash
# Single-object verbs of runtime/kernel/link.c and runtime/kernel/addr.c against real kernel objects, observed
# with ip(8). Runs itself in a throwaway sandbox (lib.sh); prints TAP.
# Usage: net_link.sh [PATH/TO/net_driver]   (or NET_DRIVER=...)
. "$(dirname "$0")/lib.sh"
D=${1:-${NET_DRIVER:-$(dirname "$0")/../../build/tests/tools/net_driver}}
require "$D" ip jq
expect_json() { # expect_json DESC JQ-FILTER CMD...: ok when CMD's JSON satisfies the filter
        local d=$1 f=$2; shift 2
        if "$@" 2>/dev/null | jq -e "$f" >/dev/null; then ok "$d"; else not_ok "$d" "$("$@" 2>&1)"; fi
}

check "bridge-ensure br0" $D bridge-ensure br0 10.1.0.1/24
br_mac=$(ip -j link show br0 | jq -r '.[0].address')
check "veth pair in one netns" $D veth va vb
expect_json "both ends exist as veth" '.[0].linkinfo.info_kind == "veth"' ip -j -d link show vb
check_error "veth with a taken name refused" "veth va (peer vc): File exists" $D veth va vc
check_error "no vc left behind" "does not exist" ip link show vc

check "set master br0" $D link va master br0
expect_json "va enslaved to br0" '.[0].master == "br0"' ip -j link show va
[ "$(ip -j link show br0 | jq -r '.[0].address')" = "$br_mac" ] &&
        ok "bridge MAC stays fixed when a port joins" || not_ok "bridge MAC stays fixed when a port joins"
check "set nomaster" $D link va nomaster
expect_json "va released" '.[0].master == null' ip -j link show va
check_error "master on a missing bridge refused" "link va: set master: link nope: No such device" \
        $D link va master nope

check "set up" $D link va up
expect_json "va admin up" '.[0].flags | index("UP")' ip -j link show va
check "set down" $D link va down
expect_json "va admin down" '.[0].flags | index("UP") | not' ip -j link show va
check "set MTU 1300" $D link va mtu 1300
expect_json "va MTU is 1300" '.[0].mtu == 1300' ip -j link show va
check_error "MTU 10 refused with the kernel's reason" "set MTU 10: Invalid argument (mtu less than device minimum)" \
        $D link va mtu 10
check "set MAC" $D link va mac 02:00:00:00:00:05
expect_json "va MAC is 02:00:00:00:00:05" '.[0].address == "02:00:00:00:00:05"' ip -j link show va
check_error "verbs on a missing link name it" "link nope: No such device" $D link nope up
check "info on a missing link says absent" bash -c "[ \"\$($D link nope info)\" = absent ]"
check "info reports kind and MTU" bash -c "$D link va info | grep -q 'kind=veth mtu=1300 up=0 master=0'"

check "addr-add 10.2.0.5/24" $D addr-add va 10.2.0.5/24
expect_json "va has 10.2.0.5/24 brd 10.2.0.255" \
        '[.[0].addr_info[] | select(.local == "10.2.0.5" and .prefixlen == 24 and .broadcast == "10.2.0.255")] | length == 1' \
        ip -j addr show va
check_error "adding it twice refused" "link va: add address 10.2.0.5/24: File exists" $D addr-add va 10.2.0.5/24
check_error "adding to a missing link refused" "link nope: No such device" $D addr-add nope 10.2.0.5/24
check "addr-del" $D addr-del va 10.2.0.5/24
expect_json "va has no IPv4 address" '[.[0].addr_info[] | select(.family == "inet")] | length == 0' \
        ip -j addr show va
check "addr-del again is success" $D addr-del va 10.2.0.5/24
check "addr-del on a missing link is success" $D addr-del nope 10.2.0.5/24

check "list-kind bridge" bash -c "[ \"\$($D list-kind bridge)\" = br0 ]"
check_error "detach refuses a non-veth" "link br0 is a bridge, not a veth: refusing to delete it" \
        $D detach - br0
check_error "bridge-rm refuses a non-bridge" "link va is a veth, not a bridge: refusing to delete it" \
        $D bridge-rm va
check_error "detach refuses lo" "link lo is a plain device, not a veth" $D detach - lo
ip link show br0 >/dev/null && ip link show va >/dev/null && ok "br0 and va survive" ||
        not_ok "br0 and va survive"
check "delete va" $D detach - va
check_error "vb went with va" "does not exist" ip link show vb
check "bridge-rm br0" $D bridge-rm br0
[ "$(ip -j link | jq length)" = 1 ] && ok "only lo left" || not_ok "only lo left" "$(ip -br link)"

finish
