# Bridge networks: the default bridge, user-defined networks, container:NAME, connect/disconnect,
# IPAM, and bad input. Observed with ip(8) inside the namespaces, ping and nc.
. "$NETLAB_TESTLIB"

in_ctr() { local c=$1; shift; nsenter --net="$NETLAB_ROOT/netns/$(nl inspect -f '{{.Id}}' "$c")" "$@"; }
ip_of() { nl inspect -f "{{(index .NetworkSettings.Networks \"$2\").IPAddress}}" "$1"; }

# Default bridge.
check_match "network ls shows the predefined networks" "bridge.*bridge.*local" "$(nl network ls)"
check_eq "network ls --filter type=builtin" "bridge host none" "$(nl network ls --filter type=builtin --format '{{.Name}}' | tr '\n' ' ' | sed 's/ $//')"
nl run -d --name aa busybox sleep 1d >/dev/null
nl run -d --name bb busybox sleep 1d >/dev/null
check_match "netlab0 exists with 172.17.0.1/16" "172.17.0.1/16" "$(ip -o addr show netlab0)"
check_match "aa got 172.17.0.2 on eth0" "inet 172.17.0.2/16" "$(nl exec aa ip -o addr show eth0)"
check_match "default route via the gateway" "default via 172.17.0.1 dev eth0" "$(nl exec aa ip route)"
check_match "aa's veth is a port of netlab0" "master netlab0" "$(ip -o link show type veth)"
check "aa reaches bb by IP on the default bridge" nl exec aa ping -c1 -W2 172.17.0.3
check_fails "no name resolution on the default bridge" nl exec aa nslookup b
check_match "/etc/hosts has the container's own line" "172.17.0.2	$(nl inspect -f '{{.Config.Hostname}}' aa)" "$(nl exec aa cat /etc/hosts)"
check_eq "inspect shows the bridge address" "172.17.0.3" "$(ip_of bb bridge)"
check_match "network inspect bridge lists the containers" '"IPv4Address": "172.17.0.2/16"' "$(nl network inspect bridge)"
check_status "bridge cannot be removed" 1 nl network rm bridge
check_status "bridge cannot be created" 1 nl network create bridge
check_status "--ip on the default bridge is refused (125)" 125 nl run --ip 172.17.0.50 busybox true
nl rm -f aa bb >/dev/null

# User-defined networks.
id=$(nl network create --subnet 10.89.0.0/24 --label team=red labnet)
check_match "network create prints a 64-hex id" "^[0-9a-f]{64}$" "$id"
br=br-${id:0:12}
check_match "its bridge has the gateway" "10.89.0.1/24" "$(ip -o addr show $br)"
nl run -d --name web --network labnet busybox httpd -f -p 80 >/dev/null
nl run -d --name client --net=labnet --ip 10.89.0.77 --mac-address 02:00:00:00:00:77 busybox sleep 1d >/dev/null
check_eq "first dynamic address is .2" "10.89.0.2" "$(ip_of web labnet)"
check_eq "--ip is honoured" "10.89.0.77" "$(ip_of client labnet)"
check_match "--mac-address is honoured" "02:00:00:00:00:77" "$(nl exec client ip link show eth0)"
check_eq "netlab networks are IPv4-only: IPv6 is off on eth0" "1" "$(nl exec client cat /proc/sys/net/ipv6/conf/eth0/disable_ipv6)"
check_eq "and on the host end of its veth" "1" "$(cat /proc/sys/net/ipv6/conf/$(nl inspect -f '{{(index .NetworkSettings.Networks "labnet").HostIfName}}' client)/disable_ipv6)"
check_eq "but not on the host itself" "0" "$(cat /proc/sys/net/ipv6/conf/all/disable_ipv6)"
check "client reaches web:80" nl exec client sh -c "echo | nc -w 2 10.89.0.2 80"
check_eq "network ls --filter label=" "labnet" "$(nl network ls --filter label=team=red --format '{{.Name}}')"
check_eq "network ls --filter type=custom" "labnet" "$(nl network ls --filter type=custom --format '{{.Name}}')"
check_match "network inspect shows subnet and gateway" '"Gateway": "10.89.0.1"' "$(nl network inspect labnet)"
check_status "--ip already taken is refused (125)" 125 nl run --net labnet --ip 10.89.0.77 busybox true
check_status "--ip outside the subnet is refused (125)" 125 nl run --net labnet --ip 10.90.0.5 busybox true
check_status "unknown network is refused (125)" 125 nl run --net nosuchnet busybox true
check_status "a used network name is refused (1)" 1 nl network create labnet
check_status "an overlapping subnet is refused (1)" 1 nl network create --subnet 10.89.0.128/25 overlap
check_status "an invalid CIDR is refused (1)" 1 nl network create --subnet 10.89.0.0/33 badcidr
check_status "a gateway outside the subnet is refused (1)" 1 nl network create --subnet 10.91.0.0/24 --gateway 10.92.0.1 badgw
check_eq "failed creates leave no bridge" "1" "$(ip -o link show type bridge | grep -c br-)"
check_eq "failed runs leave no record" "2" "$(ls $NETLAB_ROOT/containers | wc -l)"
auto=$(nl network create auto1)
check_match "a network without --subnet gets 172.18.0.0/16" "172.18.0.0/16" "$(nl network inspect -f '{{json .IPAM.Config}}' auto1)"
nl network create --subnet 10.93.0.0/24 --ip-range 10.93.0.128/25 ranged >/dev/null
nl run -d --name r1 --net ranged busybox sleep 1d >/dev/null
check_eq "--ip-range gives dynamic addresses from the range" "10.93.0.128" "$(ip_of r1 ranged)"
nl run -d --name r2 --net ranged --ip 10.93.0.9 busybox sleep 1d >/dev/null
check_eq "--ip may lie outside the range" "10.93.0.9" "$(ip_of r2 ranged)"
nl rm -f r1 r2 >/dev/null

# Issue 11: like Docker, --ip needs a subnet the user chose; refused before anything is claimed.
nl run -d --name pin busybox sleep 1d >/dev/null
check "control: network connect --ip on a network made with --subnet" nl network connect --ip 10.93.0.20 ranged pin
records=$(ls "$NETLAB_ROOT/containers" | wc -l)
check_status "--ip on a network without --subnet is refused (125)" 125 nl run --net auto1 --ip 172.18.0.9 busybox true
check_match "with Docker's reason, the pool and the way out" \
        'supported only on networks with a user configured subnet: network "auto1" got 172\.18\.0\.0/16 from the default pools \(create it with --subnet\)' "$out"
check_status "create --ip too (125)" 125 nl create --net auto1 --ip 172.18.0.10 busybox true
check_status "network connect --ip too (1)" 1 nl network connect --ip 172.18.0.11 auto1 pin
check_match "saying why" "user configured subnet" "$out"
check_eq "nothing was claimed on auto1" "" "$(ls "$NETLAB_ROOT/networks/auto1/ips")"
check_eq "and no record was left" "$records" "$(ls "$NETLAB_ROOT/containers" | wc -l)"
check "without --ip, connecting to auto1 works" nl network connect auto1 pin
check "control: auto1's record says its subnet is not the user's" grep -q '"NetlabUserSubnet":false' "$NETLAB_ROOT/networks/auto1/network.json"
check_fails "network inspect does not show netlab's own key" grep -q NetlabUserSubnet <<<"$(nl network inspect auto1 ranged bridge)"
nl network create --subnet 10.95.0.0/24 legacy >/dev/null
check "control: a --subnet record says the subnet is the user's" grep -q '"NetlabUserSubnet":true' "$NETLAB_ROOT/networks/legacy/network.json"
sed -i 's/,"NetlabUserSubnet":true//' "$NETLAB_ROOT/networks/legacy/network.json"
check_fails "without the key, as older netlab wrote it" grep -q NetlabUserSubnet "$NETLAB_ROOT/networks/legacy/network.json"
check "keeps taking --ip" nl network connect --ip 10.95.0.9 legacy pin
nl rm -f pin >/dev/null
nl network rm legacy >/dev/null

# Isolation between networks, and a container attached to both.
nl network create --subnet 10.94.0.0/24 othernet >/dev/null
nl run -d --name far --net othernet busybox httpd -f -p 80 >/dev/null
check_fails "labnet cannot reach othernet" nl exec client sh -c "echo | nc -w 2 10.94.0.2 80"
nl network connect othernet client
check_match "connect adds eth1 at once" "10.94.0.3/24" "$(nl exec client ip -o addr show eth1)"
check "after connect, client reaches far" nl exec client sh -c "echo | nc -w 2 10.94.0.2 80"
check "and still reaches web" nl exec client sh -c "echo | nc -w 2 10.89.0.2 80"
check_match "/etc/hosts gained othernet's line" "10.94.0.3	" "$(nl exec client cat /etc/hosts)"
check_match "inspect shows both networks" "othernet" "$(nl inspect -f '{{json .NetworkSettings.Networks}}' client)"
check_status "connecting twice is refused" 1 nl network connect othernet client
nl network disconnect othernet client
check_fails "disconnect removes eth1 at once" nl exec client ip link show eth1
check_fails "after disconnect, client cannot reach far" nl exec client sh -c "echo | nc -w 2 10.94.0.2 80"
check_eq "/etc/hosts lost exactly that line" "1" "$(nl exec client grep -c '^10\.' /etc/hosts)"
check_status "disconnect when not connected is refused" 1 nl network disconnect othernet client
check_status "connect with a taken --ip is refused" 1 nl network connect --ip 10.94.0.2 othernet client
check_fails "and leaves no eth1" nl exec client ip link show eth1
check_eq "and inspect is unchanged" "labnet" "$(nl inspect -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}}{{end}}' client)"
check_status "connect with a bad --mac-address is refused" 1 nl network connect --mac-address zz othernet client
check_status "network rm refuses a network with running containers" 1 nl network rm othernet
check_match "and names them" "far" "$(nl network rm othernet 2>&1)"

# A created container: connect before start, disconnect from bridge before first start.
nl create --name later busybox sleep 1d >/dev/null
nl network disconnect bridge later
nl network connect labnet later
nl start later >/dev/null
check_fails "later has no eth on bridge" sh -c "nl exec later ip -o addr | grep -q 172.17."
check_match "later got labnet on eth0" "10.89.0.3/24" "$(nl exec later ip -o addr show eth0)"
nl rm -f later >/dev/null

# container:NAME shares the network namespace.
nl run -d --name side --network container:web busybox sleep 1d >/dev/null
check_eq "container:NAME sees the same interfaces" "$(nl exec web ip -o addr | awk '{print $2, $4}')" "$(nl exec side ip -o addr | awk '{print $2, $4}')"
check_eq "and the same hostname" "$(nl exec web hostname)" "$(nl exec side hostname)"
check "and serves on the target's ports" nl exec side sh -c "echo | nc -w 2 127.0.0.1 80"
check_status "container: refuses -p" 125 nl run --network container:web -p 8080:80 busybox true
check_match "with Docker's message" "conflicting options: port publishing" "$(nl run --network container:web -p 8080:80 busybox true 2>&1)"
check_status "container: refuses --hostname" 125 nl run --network container:web --hostname x busybox true
check_status "container: refuses --dns" 125 nl run --network container:web --dns 10.0.0.1 busybox true
check_status "container: refuses --add-host" 125 nl run --network container:web --add-host a:10.0.0.1 busybox true
check_status "container: refuses --mac-address" 125 nl run --network container:web --mac-address 02:00:00:00:00:01 busybox true
check_status "container: refuses --expose" 125 nl run --network container:web --expose 80 busybox true
check_match "container: without a name says what it expects" "expected container:NAME" "$(nl run --network container: busybox true 2>&1)"
check_status "connect of a container: container is refused" 1 nl network connect othernet side
nl create --name stopped busybox true >/dev/null
check_status "container: refuses a target that is not running" 125 nl run --network container:stopped busybox true
nl run -d --name hostctr --net host busybox sleep 1d >/dev/null
check_status "host containers cannot be connected" 1 nl network connect labnet hostctr
check_match "with a clear reason" "uses --network host" "$(nl network connect labnet hostctr 2>&1)"
nl rm -f side stopped hostctr >/dev/null

# Lifecycle: stop keeps the address, rm frees it, restart keeps a static --ip.
nl stop -t 0 client >/dev/null
check_eq "a stopped container keeps its address" "10.89.0.77" "$(ip_of client labnet)"
hostif=$(nl inspect -f '{{(index .NetworkSettings.Networks "labnet").HostIfName}}' client)
check_match "the stopped container's host interface is recorded" "^nl[0-9a-f]{12}$" "$hostif"
# The veth goes with the container's netns, which the kernel dismantles asynchronously after
# stop returns (3-26 ms measured): give it a second before calling it left behind.
check "but its veth is gone" wait_until 2 sh -c "! ip -o link show type veth | grep -q $hostif"
nl start client >/dev/null
check_match "restart keeps the static --ip" "10.89.0.77/24" "$(nl exec client ip -o addr show eth0)"
nl rm -f client >/dev/null
check "rm frees the address" test ! -e "$NETLAB_ROOT/networks/labnet/ips/10.89.0.77"

# IPAM under 20 concurrent runs.
for i in $(seq 1 20); do nl run -d --net labnet --name p$i busybox sleep 1d >/dev/null & done
wait
addrs=$(for i in $(seq 1 20); do ip_of p$i labnet; done | sort)
check_eq "20 concurrent runs all got an address" "20" "$(echo "$addrs" | grep -c '^10\.89\.0\.')"
check_eq "no address was handed out twice" "20" "$(echo "$addrs" | sort -u | wc -l)"
check_eq "every record is there" "20" "$(nl ps -q --filter name=p | wc -l)"
for i in $(seq 1 20); do nl rm -f p$i >/dev/null & done; wait

# Docker's long option names mean the same as the short ones, everywhere the option is used.
nl network create --subnet 10.98.0.0/24 -o mtu=1400 shortmtu >/dev/null
nl run -d --name m1 --net shortmtu busybox sleep 1d >/dev/null
check_eq "-o mtu=1400: the container's eth0 has MTU 1400" "1400" "$(nl exec m1 cat /sys/class/net/eth0/mtu)"
nl network create --subnet 10.95.0.0/24 -o com.docker.network.driver.mtu=1400 longmtu >/dev/null
nl run -d --name m2 --net longmtu busybox sleep 1d >/dev/null
check_match "-o com.docker.network.driver.mtu=1400: the bridge has MTU 1400" "mtu 1400" "$(ip -o link show br-$(nl network inspect -f '{{.Id}}' longmtu | cut -c1-12))"
check_eq "and so has the container's eth0" "1400" "$(nl exec m2 cat /sys/class/net/eth0/mtu)"
nl network create --subnet 10.96.0.0/24 -o icc=true openicc >/dev/null
nl run -d --name i1 --net openicc busybox httpd -f -p 80 >/dev/null
nl run -d --name i2 --net openicc busybox sleep 1d >/dev/null
check "icc=true: i2 reaches i1:80" nl exec i2 sh -c "echo | nc -w 2 $(ip_of i1 openicc) 80"
check_match "icc=true: diagnose finds the path open" "i2 reaches" "$(nl diagnose i2 i1:80 2>&1)"
nl network create --subnet 10.97.0.0/24 -o com.docker.network.bridge.enable_icc=false closedicc >/dev/null
nl run -d --name j1 --net closedicc busybox httpd -f -p 80 >/dev/null
nl run -d --name j2 --net closedicc busybox sleep 1d >/dev/null
check_fails "enable_icc=false: j2 cannot reach j1:80" nl exec j2 sh -c "echo | nc -w 2 $(ip_of j1 closedicc) 80"
check_match "enable_icc=false: diagnose names icc as the cause" "icc=false" "$(nl diagnose j2 j1:80 2>&1)"
# disconnect reports a step that failed, after it has taken the container off the network.
nl network create --subnet 10.99.0.0/24 dnet >/dev/null
nl run -d --name dc --net shortmtu busybox sleep 1d >/dev/null
check "connect dc to dnet" nl network connect dnet dc
dcid=$(nl inspect -f '{{.Id}}' dc)
rm "$NETLAB_ROOT/containers/$dcid/hosts" && mkdir "$NETLAB_ROOT/containers/$dcid/hosts"
out=$(nl network disconnect dnet dc 2>&1); rc=$?
check_eq "disconnect with an unwritable hosts file exits 1" "1" "$rc"
check_match "and says what failed" "left network dnet, but not cleanly: .*hosts" "$out"
check_match "the container is still on shortmtu" "shortmtu" "$(nl inspect -f '{{json .NetworkSettings.Networks}}' dc)"
check_eq "but off dnet all the same" "0" "$(nl inspect -f '{{json .NetworkSettings.Networks}}' dc | grep -c dnet)"
check_fails "and its eth1 is gone" nl exec dc ip link show eth1
rmdir "$NETLAB_ROOT/containers/$dcid/hosts"
nl rm -f dc >/dev/null
nl network rm dnet >/dev/null
# No cap on networks per container: its name is registered on every one of 17 networks.
for i in $(seq 1 17); do nl network create --subnet 10.100.$i.0/24 many$i >/dev/null; done
nl run -d --name big --net many1 busybox sleep 1d >/dev/null
for i in $(seq 2 17); do nl network connect many$i big; done
nl run -d --name ask16 --net many16 busybox sleep 1d >/dev/null
nl run -d --name ask17 --net many17 busybox sleep 1d >/dev/null
answer() { nl exec "$1" nslookup "$2" 2>/dev/null | awk '/^Name:/{n=1} n && /^Address/{print $NF}'; }
check_eq "big resolves on its 16th network" "$(ip_of big many16)" "$(answer ask16 big)"
check_eq "and on its 17th" "$(ip_of big many17)" "$(answer ask17 big)"
nl rm -f big ask16 ask17 >/dev/null
for i in $(seq 1 17); do nl network rm many$i >/dev/null; done
nl rm -f m1 m2 i1 i2 j1 j2 >/dev/null
nl network rm shortmtu longmtu openicc closedicc >/dev/null

nl rm -f web far >/dev/null
check "network rm removes a network and its bridge" nl network rm labnet othernet ranged auto1
check_eq "no user bridge remains" "0" "$(ip -o link show type bridge | grep -c br- || true)"
nl network create --label gone=yes prunable >/dev/null
nl network create keepme >/dev/null
check_match "network prune --filter label= removes only matching networks" "prunable" "$(nl network prune -f --filter label=gone=yes)"
check_eq "keepme survived" "keepme" "$(nl network ls --filter type=custom --format '{{.Name}}')"

# Issue 11: the resolver follows connect and disconnect. rsc's nameserver is rsa's gateway;
# disconnecting rsa must not leave it pointing at an address it can no longer reach.
nsof() { nl exec "$1" awk '/^nameserver/{print $2}' /etc/resolv.conf; }
rlookup() { nl exec "$1" nslookup "$2" 2>/dev/null | awk '/^Name:/{n=1} n && /^Address/{print $NF}'; }
nl network create --subnet 10.93.0.0/24 rsa >/dev/null
nl network create --subnet 10.94.0.0/24 rsb >/dev/null
nl run -d --name rsweb --net rsb busybox sleep 1d >/dev/null
nl run -d --name rsc --net rsa busybox sleep 1d >/dev/null
nl network connect rsb rsc
check_eq "control: resolv.conf names rsa's gateway" "10.93.0.1" "$(nsof rsc)"
check_eq "control: rsb's names resolve through it" "10.94.0.2" "$(rlookup rsc rsweb)"
nl network disconnect rsa rsc
check_eq "after disconnect of rsa, resolv.conf names rsb's gateway" "10.94.0.1" "$(nsof rsc)"
check_eq "and rsb's names still resolve" "10.94.0.2" "$(rlookup rsc rsweb)"
nl network connect rsa rsc
check_eq "after connecting rsa back, the resolver stays on rsb" "10.94.0.1" "$(nsof rsc)"
check_eq "and names still resolve" "10.94.0.2" "$(rlookup rsc rsweb)"
nl rm -f rsc rsweb >/dev/null
nl network rm rsa rsb >/dev/null

# Issue 11: two state roots side by side. The first takes netlab0 and 172.17.0.0/16, the second
# gets a default bridge and pool of its own, and both publish ports.
nl rm -f $(nl ps -aq) >/dev/null 2>&1 || true
nl system reset --force >/dev/null
ra() { "$NETLAB" --root /run/ra "$@"; }
rb() { "$NETLAB" --root /run/rb "$@"; }
brname() { "$NETLAB" --root "$1" network inspect -f '{{index .Options "com.docker.network.bridge.name"}}' bridge; }
mkdir -p /run/wa /run/wb && echo served-a >/run/wa/index.html && echo served-b >/run/wb/index.html
ra run -d --name wa -v /run/wa:/www -p 8080:80 busybox httpd -f -p 80 -h /www >/dev/null
check_eq "control: root a gets netlab0" "netlab0" "$(brname /run/ra)"
check_eq "control: root a's container is served on 8080" "served-a" "$(wget -qO- http://127.0.0.1:8080/ 2>/dev/null)"
check "root b runs a container with -p 8081" rb run -d --name wb -v /run/wb:/www -p 8081:80 busybox httpd -f -p 80 -h /www
check_match "root b's default bridge is its own" "^netlab-[0-9a-f]{8}$" "$(brname /run/rb)"
check_eq "root b's bridge exists" "1" "$(ip -o link show "$(brname /run/rb)" type bridge | wc -l)"
check_fails "root b's container is not on 172.17.0.0/16" sh -c "rb inspect -f '{{.NetworkSettings.IPAddress}}' wb | grep -q '^172\.17\.'"
check_eq "the two MAC addresses differ" "2" "$( (ra inspect -f '{{.NetworkSettings.MacAddress}}' wa; rb inspect -f '{{.NetworkSettings.MacAddress}}' wb) | sort -u | wc -l)"
check_eq "root b's container is served on 8081" "served-b" "$(wget -qO- http://127.0.0.1:8081/ 2>/dev/null)"
check_eq "and root a's still on 8080" "served-a" "$(wget -qO- http://127.0.0.1:8080/ 2>/dev/null)"
ra rm -f wa >/dev/null
rb rm -f wb >/dev/null

# Two roots that both recorded netlab0 before either made it: the second to use it says whose it is,
# and its reset leaves the other root's bridge alone.
ra system reset --force >/dev/null
rb system reset --force >/dev/null
rc() { "$NETLAB" --root /run/rc "$@"; }
rd() { "$NETLAB" --root /run/rd "$@"; }
# a write that records the predefined networks without making the bridge (a read records nothing)
rc network create --subnet 10.198.0.0/24 rcnet >/dev/null && rc network rm rcnet >/dev/null
check_eq "control: rc recorded netlab0 (not made yet)" "netlab0 0" "$(brname /run/rc) $(ip -o link show netlab0 2>/dev/null | wc -l)"
rd run -d --name wd -v /run/wb:/www -p 8082:80 busybox httpd -f -p 80 -h /www >/dev/null
check_eq "control: rd made netlab0 and serves on it" "netlab0 served-b" "$(brname /run/rd) $(wget -qO- http://127.0.0.1:8082/ 2>/dev/null)"
check_status "rc's run on it fails (125)" 125 rc run --rm busybox true
check_match "naming the root whose bridge it is" "bridge netlab0 belongs to state root /run/rd, not to /run/rc" "$(rc run --rm busybox true 2>&1)"
check_eq "and leaving nothing in rc" "" "$(rc ps -aq)"
rc system reset --force >/dev/null
check "rc's reset leaves rd's netlab0 alone" ip link show netlab0
rd rm -f wd >/dev/null

# A host whose 172.17.0.0/16 is taken (docker0): the default bridge keeps its name, not the subnet.
rd system reset --force >/dev/null
ip link add dk0 type bridge && ip addr add 172.17.0.1/16 dev dk0 && ip link set dk0 up
check_eq "control: no netlab0 is left, 172.17.0.0/16 is routed" "0 1" \
        "$(ip -o link show netlab0 2>/dev/null | wc -l) $(ip route show 172.17.0.0/16 | wc -l)"
re() { "$NETLAB" --root /run/re "$@"; }
re network ls >/dev/null
check_match "with 172.17.0.0/16 routed elsewhere, netlab0 takes a free pool" "^netlab0 172\.(1[89]|2[0-9]|3[01])\.0\.0/16$" \
        "$(brname /run/re) $(re network inspect -f '{{(index .IPAM.Config 0).Subnet}}' bridge)"
re system reset --force >/dev/null
ip link del dk0
finish
