# Port publishing: every -p form, TCP and UDP, reached from a test host outside, from the host
# (its own addresses and 127.0.0.1), from other containers (via gateway and host address) and
# hairpin; mappings appear on start and vanish on stop; conflicts and bad input.
. "$NETLAB_TESTLIB"

make_external ext 198.51.100.1 198.51.100.2
ip addr add 192.0.2.1/32 dev lo                       # a second host address for IP-bound mappings
in_ext ext ip route add 192.0.2.1/32 via 198.51.100.1
mkdir -p /run/www && echo served >/run/www/index.html
web() { echo "busybox httpd -f -p $1 -h /www"; }
get() { wget -qO- "http://$1/" 2>/dev/null; }              # from the host
ext_get() { in_ext ext busybox wget -qO- "http://$1/" 2>/dev/null; }

nl network create --subnet 10.89.0.0/24 neta >/dev/null
nl network create --subnet 10.90.0.0/24 netb >/dev/null
nl run -d --name web --net neta -v /run/www:/www -p 8080:80 $(web 80) >/dev/null
nl run -d --name peer --net neta busybox sleep 1d >/dev/null
nl run -d --name other --net netb busybox sleep 1d >/dev/null

check_eq "from a test host outside" "served" "$(ext_get 198.51.100.1:8080)"
check_eq "from the host on its own address" "served" "$(get 198.51.100.1:8080)"
check_eq "from the host on 127.0.0.1" "served" "$(get 127.0.0.1:8080)"
check_eq "from a container on the same network, via the gateway" "served" "$(nl exec peer wget -qO- http://10.89.0.1:8080/)"
check_eq "from a container on another network, via its gateway" "served" "$(nl exec other wget -qO- http://10.90.0.1:8080/)"
check_eq "from a container on another network, via the host address" "served" "$(nl exec other wget -qO- http://198.51.100.1:8080/)"
check_eq "hairpin: the server reaches itself through the published port" "served" "$(nl exec web wget -qO- http://10.89.0.1:8080/)"
check_fails "straight to the container address from another network stays blocked" tcp_ok other 10.89.0.2 80
check_fails "an unpublished container port is not reachable from outside" in_ext ext busybox wget -qO- http://198.51.100.1:80/
check_eq "port lists the mapping" "80/tcp -> 0.0.0.0:8080" "$(nl port web)"
check_eq "port CTR PRIVATE" "0.0.0.0:8080" "$(nl port web 80/tcp)"
check_match "ps shows it in PORTS" "0.0.0.0:8080->80/tcp" "$(nl ps --filter name=web)"
check_eq "inspect has NetworkSettings.Ports" '{"80/tcp":[{"HostIp":"0.0.0.0","HostPort":"8080"}]}' "$(nl inspect -f '{{json .NetworkSettings.Ports}}' web)"

# Bound to one host IP; bound to loopback.
nl run -d --name bound --net neta -v /run/www:/www -p 192.0.2.1:8081:80 $(web 80) >/dev/null
check_eq "an IP-bound mapping answers on that IP" "served" "$(ext_get 192.0.2.1:8081)"
check_fails "and not on another host address" in_ext ext busybox wget -qO- http://198.51.100.1:8081/
nl run -d --name local --net neta -v /run/www:/www -p 127.0.0.1:8082:80 $(web 80) >/dev/null
check_eq "a 127.0.0.1 mapping answers on the host" "served" "$(get 127.0.0.1:8082)"
check_fails "and never from outside" in_ext ext busybox wget -qO- http://198.51.100.1:8082/

# Random host ports, ranges, UDP, -P with --expose.
nl run -d --name rnd --net neta -v /run/www:/www -p 80 $(web 80) >/dev/null
hp=$(nl port rnd 80 | cut -d: -f2)
lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range); hi=$(cut -f2 /proc/sys/net/ipv4/ip_local_port_range)
check "-p CTRPORT picks a host port from the ephemeral range" test "$hp" -ge "$lo" -a "$hp" -le "$hi"
check_eq "and it works" "served" "$(ext_get 198.51.100.1:$hp)"
nl run -d --name rng --net neta -v /run/www:/www -p 9000-9001:80-81 busybox sh -c 'httpd -p 80 -h /www; httpd -f -p 81 -h /www' >/dev/null
check_eq "ranges map one to one" "80/tcp -> 0.0.0.0:9000
81/tcp -> 0.0.0.0:9001" "$(nl port rng)"
wait_until 5 ext_get 198.51.100.1:9001 # the second httpd starts after the first
check_eq "the second port of the range works" "served" "$(ext_get 198.51.100.1:9001)"
nl run -d --name r1 --net neta -v /run/www:/www -p 9100-9102:80 $(web 80) >/dev/null
nl run -d --name r2 --net neta -v /run/www:/www -p 9100-9102:80 $(web 80) >/dev/null
check_eq "a host range to one port takes the first free port" "0.0.0.0:9101" "$(nl port r2 80)"
# busybox nc has no UDP: the host image's netcat-openbsd records what arrives.
mkdir -p /run/udp
nl run -d --name udp --net neta -v /run/udp:/mnt -p 5353:53/udp host sh -c 'nc -u -l 53 > /mnt/got' >/dev/null
sleep 0.3
echo udp-ping | in_ext ext nc -u -w 1 198.51.100.1 5353 >/dev/null 2>&1 || true
wait_until 3 grep -q udp-ping /run/udp/got
check_match "UDP mappings deliver datagrams from outside" "udp-ping" "$(cat /run/udp/got 2>/dev/null)"
nl run -d --name all --net neta -v /run/www:/www --expose 80 -P $(web 80) >/dev/null
ap=$(nl port all 80 | cut -d: -f2)
check_eq "-P publishes exposed ports to random host ports" "served" "$(ext_get 198.51.100.1:$ap)"

# Lifecycle: stop removes the elements before returning; start restores the same host port.
nl stop -t 0 web >/dev/null
check_fails "after stop, the published port is gone" in_ext ext busybox wget -qO- http://198.51.100.1:8080/
check_fails "and its map element" sh -c "nft list map inet netlab dnat_any | grep -q 8080"
check_eq "port shows nothing for a stopped container" "" "$(nl port web)"
nl start web >/dev/null
check_eq "after start, the same host port works again" "served" "$(ext_get 198.51.100.1:8080)"
nl network connect netb web
nl network disconnect neta web
check_eq "the port follows the container to its new network" "served" "$(ext_get 198.51.100.1:8080)"
check_eq "with port output unchanged" "80/tcp -> 0.0.0.0:8080" "$(nl port web)"
nl rm -f web >/dev/null
check_fails "rm -f leaves no map element" sh -c "nft list map inet netlab dnat_any | grep -q 8080"

# Conflicts: another container, a host listener; nothing created.
nl run -d --name holder --net neta -p 8090:80 busybox sleep 1d >/dev/null
before=$(ls $NETLAB_ROOT/containers | wc -l)
check_status "a host port published by another container is refused (125)" 125 nl run -d --net neta -p 8090:80 busybox true
check_match "naming the holder" "holder" "$(nl run -d --net neta -p 8090:80 busybox true 2>&1)"
busybox nc -l -p 8095 >/dev/null 2>&1 &
sleep 0.2
check_status "a port held by a host process is refused (125)" 125 nl run -d --net neta -p 8095:80 busybox true
check_match "naming the process" "8095/tcp.*(pid|nc|busybox)" "$(nl run -d --net neta -p 8095:80 busybox true 2>&1)"
check_eq "nothing was created" "$before" "$(ls $NETLAB_ROOT/containers | wc -l)"

# Bad input: exit 125, a clear message naming the value, no container.
for bad in 0:80 65536:80 abcd:8080:80 8080:80/sctp 9090-9089:80 9090-:80 8000-8002:80-81; do
        check_status "-p $bad is refused (125)" 125 nl run --net neta -p "$bad" busybox true
done
check_match "the message names the value" "9090-9089" "$(nl run --net neta -p 9090-9089:80 busybox true 2>&1)"
check_status "--expose 80000 is refused (125)" 125 nl run --net neta --expose 80000 busybox true
check_eq "and no container was created" "$before" "$(ls $NETLAB_ROOT/containers | wc -l)"
finish
