# Isolation keyed to bridge ports, and anti-spoofing: icc=false holds whatever source a frame
# claims, and a container sends only from its own MAC and address on each port. Raw frames come
# from tests/tools/rawframe run inside busybox; a tcpdump on the target's host-side veth sees
# every frame the bridge delivers to it.
. "$NETLAB_TESTLIB"
: "${RAWFRAME:?set RAWFRAME to the rawframe binary}"
RF=(-v "$(dirname "$RAWFRAME")":/tools:ro)

# hostif CTR [IFACE]: the host end of a container's veth (the peer of its eth0)
hostif() {
        local idx
        idx=$(nl exec "$1" cat "/sys/class/net/${2:-eth0}/iflink")
        ip -o link | awk -F': ' -v i="$idx" '$1 == i { sub(/@.*/, "", $2); print $2 }'
}
mac_of() { nl exec "$1" cat "/sys/class/net/${2:-eth0}/address"; }
bridge_of() { ip -o -4 addr show | awk -v gw="$1/" 'index($4, gw) == 1 { print $2 }'; }
# observe NAME IFACE: capture UDP port 5000 delivered on a host veth into /run/NAME.cap
observe() {
        tcpdump -i "$2" -nn -l -A 'udp port 5000' >"/run/$1.cap" 2>"/run/$1.err" &
        wait_until 5 grep -q listening "/run/$1.err"
}
seen() { grep -q -- "$2" "/run/$1.cap"; }
# arrives/never_arrives CAPTURE PAYLOAD: a negative is judged once a later true-source frame
# from the same sender has arrived, so it is not just slow
arrives() { wait_until 3 seen "$1" "$2"; }
# ready CTR SRC_IP: a new port forwards only once the bridge has seen its carrier; send true
# frames until one arrives at o1, so a later negative is not just an early frame lost
ready() {
        local n
        for n in 1 2 3 4 5 6 7 8 9 10; do
                nl exec "$1" /tools/rawframe udp eth0 auto "$o1_mac" "$2" 10.93.0.2 5000 "ready-$1-$n"
                wait_until 1 seen o1 "ready-$1-$n" && return 0
        done
        return 1
}
neigh_mac() { nl exec "$1" cat /proc/net/arp | awk -v ip="$2" '$1 == ip { print $4 }'; }
neigh_is() { [ "$(neigh_mac "$1" "$2")" = "$3" ]; }

nl network create --subnet 10.93.0.0/24 open >/dev/null
nl network create --subnet 10.92.0.0/24 -o icc=false quiet >/dev/null
nl network create --subnet 10.94.0.0/24 other >/dev/null
nl run -d --name o1 --net open --ip 10.93.0.2 busybox httpd -f -p 80 >/dev/null
nl run -d --name o2 --net open --ip 10.93.0.3 "${RF[@]}" busybox sleep 1d >/dev/null
nl run -d --name q1 --net quiet --ip 10.92.0.2 busybox httpd -f -p 80 >/dev/null
nl run -d --name q2 --net quiet --ip 10.92.0.3 "${RF[@]}" busybox sleep 1d >/dev/null
nl run -d --name q3 --net quiet --ip 10.92.0.4 -p 8089:80 busybox httpd -f -p 80 >/dev/null
nl run -d --name p1 --net other --ip 10.94.0.2 busybox sleep 1d >/dev/null
o1_mac=$(mac_of o1)
q1_mac=$(mac_of q1)
br_open=$(bridge_of 10.93.0.1)
br_open_mac=$(ip -o link show dev "$br_open" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
observe o1 "$(hostif o1)"
observe q1 "$(hostif q1)"

# --- icc=false, keyed to ports ---------------------------------------------------------------
check "icc=true (control): a peer answers TCP" tcp_ok o2 10.93.0.2 80
check "icc=true (control): and ping" nl exec o2 ping -c1 -W2 10.93.0.2
check_fails "icc=false: TCP to the peer fails" tcp_ok q2 10.92.0.2 80
check_fails "icc=false: ping to the peer fails" nl exec q2 ping -c1 -W2 10.92.0.2
check "icc=false: the host gateway answers" nl exec q2 ping -c1 -W2 10.92.0.1
check "icc=false: a peer's published port still answers through the gateway" tcp_ok q2 10.92.0.1 8089
nl exec o2 /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.3 10.93.0.2 5000 icc-open-true
check "icc=true (control): a raw frame with the true source reaches the peer" arrives o1 icc-open-true
# The old rule matched `ip saddr` of the quiet subnet: a source outside it slipped through.
nl exec q2 /tools/rawframe udp eth0 auto "$q1_mac" 10.92.0.3 10.92.0.2 5000 icc-quiet-true
nl exec q2 /tools/rawframe udp eth0 auto "$q1_mac" 198.18.0.9 10.92.0.2 5000 icc-quiet-foreign
sleep 1
check_fails "icc=false: a raw frame with the true source does not reach the peer" seen q1 icc-quiet-true
check_fails "icc=false: nor one claiming an address outside the subnet" seen q1 icc-quiet-foreign

# --- anti-spoofing: source IP and MAC ----------------------------------------------------------
# Control: the same spoofed frames, sent from the host's end of the bridge (no container port),
# do reach the target, so the target and the observer would see them.
"$RAWFRAME" udp "$br_open" 02:00:de:ad:be:ef "$o1_mac" 10.92.0.2 10.93.0.2 5000 host-spoof-ip
check "control: a frame from the bridge itself with a foreign source reaches o1" arrives o1 host-spoof-ip
nl exec o2 /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.1 10.93.0.2 5000 spoof-gw-ip
nl exec o2 /tools/rawframe udp eth0 auto "$o1_mac" 10.92.0.2 10.93.0.2 5000 spoof-peer-ip
nl exec o2 /tools/rawframe udp eth0 auto "$o1_mac" 10.94.0.2 10.93.0.2 5000 spoof-other-ip
nl exec o2 /tools/rawframe udp eth0 "$br_open_mac" "$o1_mac" 10.93.0.3 10.93.0.2 5000 spoof-gw-mac
nl exec o2 /tools/rawframe udp eth0 02:42:0a:5d:00:63 "$o1_mac" 10.93.0.3 10.93.0.2 5000 spoof-any-mac
nl exec o2 /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.3 10.93.0.2 5000 true-after
check "the true source still arrives after the spoofed frames" arrives o1 true-after
check_fails "a spoofed source IP (the gateway's) does not reach the target" seen o1 spoof-gw-ip
check_fails "a spoofed source IP (a peer's on another network) does not reach the target" seen o1 spoof-peer-ip
check_fails "a spoofed source IP (a third network's) does not reach the target" seen o1 spoof-other-ip
check_fails "a spoofed source MAC (the gateway's) does not reach the target" seen o1 spoof-gw-mac
check_fails "a made-up source MAC does not reach the target" seen o1 spoof-any-mac

# The host side enforces it: privileges inside the container do not lift it.
nl run -d --name o4 --net open --ip 10.93.0.4 --privileged "${RF[@]}" busybox sleep 1d >/dev/null
check "control: o4's port forwards" ready o4 10.93.0.4
nl exec o4 /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.1 10.93.0.2 5000 priv-spoof-ip
nl exec o4 /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.4 10.93.0.2 5000 priv-true
check "--privileged (control): its true source arrives" arrives o1 priv-true
check_fails "--privileged: a spoofed source IP still does not" seen o1 priv-spoof-ip
nl exec o4 ip link set eth0 address 02:42:0a:5d:00:64
check_fails "--privileged: after changing its MAC it cannot send at all" nl exec o4 ping -c1 -W2 10.93.0.2

# --- ARP -----------------------------------------------------------------------------------------
# An ARP reply that is not a gratuitous one by the kernel's test (target MAC = sender MAC)
# overrides an entry only if it is older than locktime (1 s): wait that out before each.
nl exec o1 ping -c1 -W2 10.93.0.1 >/dev/null
check_eq "o1 knows the gateway's MAC" "$br_open_mac" "$(neigh_mac o1 10.93.0.1)"
# Control: a gratuitous ARP from the bridge itself does rewrite o1's entry; then undo it.
sleep 1.2
"$RAWFRAME" arp "$br_open" 02:00:de:ad:be:ef 10.93.0.1 10.93.0.1
wait_until 3 neigh_is o1 10.93.0.1 02:00:de:ad:be:ef
check_eq "control: a gratuitous ARP from the bridge rewrites o1's entry" "02:00:de:ad:be:ef" "$(neigh_mac o1 10.93.0.1)"
sleep 1.2
"$RAWFRAME" arp "$br_open" auto 10.93.0.1 10.93.0.1
wait_until 3 neigh_is o1 10.93.0.1 "$br_open_mac"
check_eq "control: and the bridge's own puts it back" "$br_open_mac" "$(neigh_mac o1 10.93.0.1)"
sleep 1.2
nl exec o2 /tools/rawframe arp eth0 auto 10.93.0.1 10.93.0.1
nl exec o2 /tools/rawframe arp eth0 02:00:de:ad:be:ef 10.93.0.1 10.93.0.1
sleep 1
check_eq "a container's gratuitous ARP claiming the gateway leaves o1's entry alone" "$br_open_mac" "$(neigh_mac o1 10.93.0.1)"

# --- a router: several networks, forwarded sources ---------------------------------------------
nl run -d --name rt --net open --ip 10.93.0.254 "${RF[@]}" busybox sleep 1d >/dev/null
check "control: the router's port forwards" ready rt 10.93.0.254
nl exec rt /tools/rawframe udp eth0 auto "$o1_mac" 10.94.0.2 10.93.0.2 5000 route-before
nl network connect --ip 10.94.0.254 other rt
nl exec rt /tools/rawframe udp eth0 auto "$o1_mac" 10.94.0.2 10.93.0.2 5000 route-forwarded
check "on two networks, a container may send the other network's sources (it routes)" arrives o1 route-forwarded
check_fails "which it could not before it joined that network" seen o1 route-before
nl exec rt /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.1 10.93.0.2 5000 route-gw
nl exec rt /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.254 10.93.0.2 5000 route-true
check "the router's own address arrives" arrives o1 route-true
check_fails "but it still cannot claim an address of the network it sends into" seen o1 route-gw
nl network disconnect other rt
nl exec rt /tools/rawframe udp eth0 auto "$o1_mac" 10.94.0.2 10.93.0.2 5000 route-after
nl exec rt /tools/rawframe udp eth0 auto "$o1_mac" 10.93.0.254 10.93.0.2 5000 route-true-after
arrives o1 route-true-after
check_fails "after disconnect, the other network's sources are refused again" seen o1 route-after

# --- elements follow the ports; rules stay flat --------------------------------------------------
rules() { nft -a list table bridge netlab | grep -c '# handle'; }
before=$(rules)
o2_if=$(hostif o2)
check_match "a running container's port is in @port_mac" "$o2_if" "$(nft list set bridge netlab port_mac)"
nl stop -t 0 o2 >/dev/null
check_fails "stop removes its port" sh -c "nft list table bridge netlab | grep -q $o2_if"
nl start o2 >/dev/null
check_match "start puts it back" "$o2_if" "$(nft list set bridge netlab port_mac)"
nl rm -f o2 o4 rt >/dev/null
check_fails "rm -f leaves none of their elements" sh -c "nft list table bridge netlab | grep -q $o2_if"
check_eq "ports come and go as elements, never rules" "$before" "$(rules)"

# A container port the sets do not know (say, a table rebuilt empty) sends nothing: fail closed.
check "control: o1 reaches its gateway" nl exec o1 ping -c1 -W2 10.93.0.1
nft flush set bridge netlab port_mac
nft flush set bridge netlab port_addr
nft flush set bridge netlab port_ip
check_fails "with its elements gone, o1 sends nothing" nl exec o1 ping -c1 -W2 10.93.0.1
# A flushed ruleset is rebuilt by the next command, running containers' ports included.
nft flush ruleset
nl network create --subnet 10.97.0.0/24 later >/dev/null
check "after a flush and a rebuild, o1 reaches its gateway again" nl exec o1 ping -c1 -W2 10.93.0.1
check "so does q2 (its port's elements are back)" nl exec q2 ping -c1 -W2 10.92.0.1
nl exec q2 /tools/rawframe udp eth0 auto "$q1_mac" 10.92.0.3 10.92.0.2 5000 rebuilt-quiet
nl exec q2 /tools/rawframe udp eth0 auto "$q1_mac" 10.92.0.1 10.92.0.2 5000 rebuilt-spoof
sleep 1
check_fails "and icc=false holds again" seen q1 rebuilt-quiet
check_fails "and so does anti-spoofing" seen q1 rebuilt-spoof
finish
