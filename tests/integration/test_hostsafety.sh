# The host as found: loopback stays loopback (CVE-2020-8558 class), forwarding serves only netlab's
# bridges when it was off before, a flushed ruleset is rebuilt before new work, foreign firewalls
# are named, and `system reset` leaves nothing behind. Every escape is tried with a positive
# control first (the same attempt working where it is allowed, or with netlab's rule removed).
. "$NETLAB_TESTLIB"

# A UDP logger for host services and container sinks: one line per datagram.
mkdir -p /run/sink
cat >/run/sink/udplog.py <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
while True:
    data = s.recv(2048)
    with open(sys.argv[3], "a") as f:
        f.write(data.decode(errors="replace") + "\n")
PY
got() { grep -q "$2" "$1" 2>/dev/null; }
mac_of() { ip -br link show dev "$1" | awk '{print $3}'; }  # /sys shows the outer netns

sysctl -qw net.ipv4.ip_forward=0
# "lan" is the LAN neighbour; "other" sits behind another interface of the host.
make_external nbr 198.51.100.1 198.51.100.2
make_external far 203.0.113.1 203.0.113.2
in_ext nbr ip route add 203.0.113.0/24 via 198.51.100.1
in_ext far ip route add 198.51.100.0/24 via 203.0.113.1
lan_to_other() { in_ext nbr ping -c1 -W1 203.0.113.2; }

# --- forwarding as found -------------------------------------------------------------------------
sysctl -qw net.ipv4.ip_forward=1
check "control: with forwarding on (no netlab), the host routes lan to other" lan_to_other
sysctl -qw net.ipv4.ip_forward=0
check_fails "with forwarding off, it does not" lan_to_other

netid=$(nl network create --subnet 10.89.0.0/24 labnet)
br=br-${netid:0:12}
check_eq "network create turned ip_forward on" "1" "$(cat /proc/sys/net/ipv4/ip_forward)"
check_eq "and recorded that it was off" "0" "$(cat "$NETLAB_ROOT/host/ip_forward")"
check_fails "the host still does not route lan to other" lan_to_other
nl run -d --name c1 --net labnet busybox sleep 1d >/dev/null
check "containers on the network reach the lan (masquerade)" nl exec c1 ping -c1 -W2 198.51.100.2
check "and the other side" nl exec c1 ping -c1 -W2 203.0.113.2

# --- loopback -----------------------------------------------------------------------------------
mkdir -p /run/www && echo served >/run/www/index.html
nl run -d --name web --net labnet --ip 10.89.0.60 -v /run/www:/www -p 127.0.0.1:8081:80 busybox httpd -f -p 80 -h /www >/dev/null
nl run -d --name sink --net labnet -v /run/sink:/mnt -p 127.0.0.1:8082:8082/udp -p 8083:8082/udp \
        host python3 -u /mnt/udplog.py 0.0.0.0 8082 /mnt/ctr.log >/dev/null
check_eq "a 127.0.0.1 mapping answers on the host by 127.0.0.1" "served" "$(wget -qO- http://127.0.0.1:8081/ 2>/dev/null)"
check_eq "and by localhost" "served" "$(wget -qO- http://localhost:8081/ 2>/dev/null)"

hostmac=$(mac_of vnbr)
lan_raw() { in_ext nbr "$RAWFRAME" udp eth0 auto "$hostmac" 198.51.100.2 "$1" "$2" "$3"; }
wait_until 5 grep -q ':1F92 ' /proc/net/udp # the sink is listening (in its netns: give it time)
sleep 1
lan_raw 198.51.100.1 8083 lan-any
check "control: the lan reaches a published UDP port on the host's address" wait_until 3 got /run/sink/ctr.log lan-any
nft flush chain inet netlab loopback
lan_raw 127.0.0.1 8082 lan-loop-open
check "control: without the loopback chain, the lan reaches a 127.0.0.1 mapping" wait_until 3 got /run/sink/ctr.log lan-loop-open
nl network create --subnet 10.90.0.0/24 second >/dev/null   # any network create restores the rules
check_match "the loopback rules are back" 'iif != "lo" ip daddr 127.0.0.0/8 drop' "$(nft list chain inet netlab loopback)"
lan_raw 127.0.0.1 8082 lan-loop-closed
sleep 1
check_fails "a lan neighbour routing 127.0.0.1 to the host does not reach a 127.0.0.1 mapping" got /run/sink/ctr.log lan-loop-closed

# A host service bound to 127.0.0.1, attacked by a container with the default CAP_NET_RAW.
python3 -u /run/sink/udplog.py 127.0.0.1 9999 /run/sink/host.log &
python3 -u /run/sink/udplog.py 10.89.0.1 9998 /run/sink/gw.log &
sleep 0.5
nl run -d --name raw --net labnet --ip 10.89.0.50 -v "$(dirname "$RAWFRAME")":/tools:ro busybox sleep 1d >/dev/null
ctr_raw() { nl exec raw /tools/rawframe udp eth0 auto "$(mac_of "$br")" 10.89.0.50 "$1" "$2" "$3"; }
ctr_raw 10.89.0.1 9998 ctr-gw
check "control: a container's raw frame reaches a host service on the gateway" wait_until 3 got /run/sink/gw.log ctr-gw
nft flush chain inet netlab loopback
ctr_raw 127.0.0.1 9999 ctr-loop-open
check "control: without the loopback chain, it reaches a service bound to 127.0.0.1" wait_until 3 got /run/sink/host.log ctr-loop-open
nl network create --subnet 10.91.0.0/24 third >/dev/null
ctr_raw 127.0.0.1 9999 ctr-loop-closed
sleep 1
check_fails "a container cannot reach a host service bound to 127.0.0.1" got /run/sink/host.log ctr-loop-closed

# --- a flushed ruleset --------------------------------------------------------------------------
in_ext nbr ip route add 10.89.0.0/24 via 198.51.100.1
lan_web() { in_ext nbr sh -c "echo | nc -w 2 10.89.0.60 80" >/dev/null 2>&1; }
check_fails "the lan cannot open a connection into an unpublished container" lan_web
nft flush ruleset
check "control: after nft flush ruleset, it can (netlab is not asked yet)" lan_web
check "control: and the host routes lan to other" lan_to_other
check "run -p after the flush works" nl run -d --name web2 --net labnet -v /run/www:/www -p 8090:80 busybox httpd -f -p 80 -h /www
check_fails "it rebuilt the table first: the unpublished container is closed again" lan_web
check_fails "and forwarding serves only netlab's bridges again" lan_to_other
check_eq "the new mapping works" "served" "$(in_ext nbr wget -qO- http://198.51.100.1:8090/ 2>/dev/null)"
check_eq "the running container's 127.0.0.1 mapping is back" "served" "$(wget -qO- http://127.0.0.1:8081/ 2>/dev/null)"
check_match "every network is back in the sets" "10.91.0.0/24" "$(nft list set inet netlab subnets)"

# --- foreign firewalls --------------------------------------------------------------------------
check_fails "control: no other firewall, no warning" sh -c "nl run -d --net labnet busybox true 2>&1 >/dev/null | grep -q warning"
check "control: a container reaches the lan" nl exec c1 ping -c1 -W2 198.51.100.2
nft add table ip filter
nft add chain ip filter FORWARD '{ type filter hook forward priority 0; policy drop; }'
check_fails "Docker's FORWARD policy drop silently cuts the container off" nl exec c1 ping -c1 -W2 198.51.100.2
warn=$(nl network create --subnet 10.93.0.0/24 fourth 2>&1 >/dev/null)
check_match "network create names the chain and the fix" "^netlab: warning: chain ip filter FORWARD .*drops forwarded packets.* fix: nft 'insert rule ip filter FORWARD" "$warn"
check_eq "in one line" "1" "$(printf '%s\n' "$warn" | wc -l)"
warn=$(nl run -d --net labnet busybox true 2>&1 >/dev/null)
check_match "run warns too" "^netlab: warning: chain ip filter FORWARD" "$warn"
check_eq "once per command" "1" "$(printf '%s\n' "$warn" | wc -l)"
fix=$(printf '%s' "$warn" | sed -n "s/.* fix: \(nft '[^']*'\); \(nft '[^']*'\) .*/\1; \2/p")
check "the fix it names applies" eval "$fix"
check "and works: the container reaches the lan again" nl exec c1 ping -c1 -W2 198.51.100.2
nft delete table ip filter
# firewalld's way: policy accept, but the chain ends with an unconditional reject.
nft add table inet firewalld
nft add chain inet firewalld FORWARD '{ type filter hook forward priority 10; policy accept; }'
nft add rule inet firewalld FORWARD iifname "eth9" drop
check_fails "control: a forward chain that drops only some traffic gets no warning" sh -c "nl run -d --net labnet busybox true 2>&1 >/dev/null | grep -q warning"
nft add rule inet firewalld FORWARD ct state established,related accept
nft add rule inet firewalld FORWARD counter reject
check_fails "a chain ending in reject cuts the container off too" nl exec c1 ping -c1 -W2 198.51.100.2
check_match "and is named, with its last rule" "^netlab: warning: chain inet firewalld FORWARD .*last rule drops or rejects" "$(nl run -d --net labnet busybox true 2>&1 >/dev/null)"
nft delete table inet firewalld

# --- system reset -------------------------------------------------------------------------------
nl run -d --name dnsuser --net second busybox sleep 1d >/dev/null   # netlab-dns serves "second"
# shims (netlab), netlab-dns, and what the containers run; not the sandbox's own shell
netlab_procs() { ps -eo comm=,args= | grep -E '^(netlab|netlab-dns|netlab-shim|sleep|httpd) |udplog.py 0.0.0.0' | grep -v grep; }
nl_links() { ip -o link show | grep -E ' (br-|netlab0|nl[0-9a-f]{12})'; }
check "control: before reset, netlab's bridges exist" nl_links
check "control: and its table" nft list table inet netlab
check "control: and its processes" netlab_procs
check_status "system reset refuses without --force when stdin is no terminal" 1 nl system reset </dev/null
check "control: which left everything in place" nft list table inet netlab
c1id=$(nl inspect -f '{{.Id}}' c1)
cgdirs=$(cat "$NETLAB_ROOT/containers/$c1id/cgroups" 2>/dev/null)
check "control: c1 has cgroup directories" test -n "$cgdirs" -a -d "${cgdirs%%$'\n'*}"
check "system reset --force" nl system reset --force
check_fails "its cgroup directories are gone" sh -c "for d in $(echo $cgdirs); do test -d \$d && exit 0; done; exit 1"
check_fails "no netlab bridge or veth remains" nl_links
ruleset=$(nft list ruleset 2>&1) && procs=$(ps -eo comm=,args= 2>&1) && ok "nft and ps answer after reset" ||
        not_ok "nft and ps answer after reset" "$ruleset $procs"
check_fails "no netlab nftables table remains" grep -q netlab <<<"$ruleset"
check_fails "no shim, container or netlab-dns process remains" netlab_procs
check_eq "ip_forward is back to 0" "0" "$(cat /proc/sys/net/ipv4/ip_forward)"
check_fails "no netns mount remains" grep -q "$NETLAB_ROOT" /proc/mounts
check_eq "the state root is empty" "" "$(ls -A "$NETLAB_ROOT")"
check "netlab works again afterwards" nl run --rm --net none busybox true
finish
