# Name discovery through netlab-dns, driven by the CLI: nslookup inside busybox containers and
# dig from the host, before and after connect, disconnect, stop and rm. Forwarding goes to a
# fake upstream that this test starts inside the sandbox.
. "$NETLAB_TESTLIB"
FAKE=${FAKE_UPSTREAM:-$(dirname "$NETLAB")/../tests/tools/fake_upstream}

# A fake upstream on its own bridge, named by the host's resolv.conf.
ip link add upbr type bridge && ip addr add 10.250.0.1/24 dev upbr && ip link set upbr up
"$FAKE" 10.250.0.1 >/run/netlab-test/upstream.log 2>&1 &
printf 'nameserver 127.0.0.53\nnameserver 10.250.0.1\n' >/run/netlab-test/resolv.conf
mount --bind /run/netlab-test/resolv.conf /etc/resolv.conf

lookup() { nl exec "$1" nslookup "$2" 2>/dev/null | awk '/^Name:/{n=1} n && /^Address/{print $NF}' | sed 's/:53$//' | sort | tr '\n' ' ' | sed 's/ $//'; }
upcount() { grep -c "^QUERY $1 1\$" /run/netlab-test/upstream.log; } # A queries for $1 upstream
digq() { dig +short +time=2 +tries=1 @"$1" "$2" "${3:-A}" | sort | tr '\n' ' ' | sed 's/ $//'; }

nl network create --subnet 10.89.0.0/24 neta >/dev/null
nl network create --subnet 10.90.0.0/24 netb >/dev/null
nl run -d --name web --net neta --network-alias www --network-alias shared busybox sleep 1d >/dev/null
nl run -d --name web2 --net neta --network-alias shared busybox sleep 1d >/dev/null
nl run -d --name client --net neta busybox sleep 1d >/dev/null
nl run -d --name bonly --net netb busybox sleep 1d >/dev/null
wid=$(nl inspect -f '{{.Id}}' web)

check_eq "resolv.conf points at the gateway" "nameserver 10.89.0.1
options ndots:0" "$(nl exec client cat /etc/resolv.conf)"
check_eq "a container name resolves" "10.89.0.2" "$(lookup client web)"
check_eq "NAME.NETWORK resolves" "10.89.0.2" "$(lookup client web.neta)"
check_eq "an alias resolves" "10.89.0.2" "$(lookup client www)"
check_eq "the short id resolves" "10.89.0.2" "$(lookup client ${wid:0:12})"
check_eq "names are case-insensitive" "10.89.0.2" "$(lookup client WEB)"
check_eq "a shared alias returns all addresses" "10.89.0.2 10.89.0.3" "$(lookup client shared)"
check_eq "dig from the host gets the same answer" "10.89.0.2" "$(digq 10.89.0.1 web)"
check_match "PTR for a container address" "web" "$(dig +short @10.89.0.1 -x 10.89.0.2)"
check_eq "AAAA of a v4-only name is NODATA (NOERROR, no answer)" "NOERROR" "$(dig +time=2 +tries=1 @10.89.0.1 web AAAA | awk '/status:/{print $6}' | tr -d ,)"
check_match "the RA flag is set" "flags:.* ra" "$(dig +time=2 +tries=1 @10.89.0.1 web)"
check_eq "an unknown name is NXDOMAIN after the upstream says so" "NXDOMAIN" "$(dig +time=2 +tries=1 @10.89.0.1 nosuch.test | awk '/status:/{print $6}' | tr -d ,)"
check_eq "other names are forwarded to the upstream" "198.51.100.7" "$(digq 10.89.0.1 www.example)"

# Scoping: bonly (netb) does not see neta's names; a container on both sees both.
check_eq "a container on netb cannot resolve neta's names" "" "$(lookup bonly web)"
nl network connect --alias bweb netb web
check_eq "after connect, netb resolves web to its netb address" "10.90.0.3" "$(lookup bonly web)"
check_eq "the connect alias resolves on netb" "10.90.0.3" "$(lookup bonly bweb)"
check_eq "neta still answers web with the neta address" "10.89.0.2" "$(lookup client web)"
check_eq "neta never learns web's netb address (web.netb is not its network)" "" "$(lookup client web.netb)"
nl network disconnect netb web
check_eq "after disconnect, netb loses web" "" "$(lookup bonly web)"
check_eq "and its netb alias" "" "$(lookup bonly bweb)"
check_eq "neta keeps it" "10.89.0.2" "$(lookup client web)"

# Only a network's own containers (and the host) may ask its gateway.
make_external lan 192.168.77.1 192.168.77.2
in_ext lan ip route add 10.89.0.0/24 via 192.168.77.1
check_eq "control: a container's external name reaches the upstream" "198.51.100.7 1" \
        "$(lookup client ctl.example) $(upcount ctl.example)"
check_match "a LAN neighbour routed to the subnet is refused by the gateway" "status: REFUSED" \
        "$(in_ext lan dig +time=2 +tries=1 @10.89.0.1 web)"
check_eq "... and nothing it asks is forwarded (no open resolver)" "0" \
        "$(in_ext lan dig +time=2 +tries=1 @10.89.0.1 lan.example >/dev/null; upcount lan.example)"

# The default bridge has no names; the record follows stop, start and rm.
nl run -d --name onbridge busybox sleep 1d >/dev/null
check_fails "no names on the default bridge" nl exec onbridge nslookup web
check_match "control: a neta container asking neta's gateway by address" "10.89.0.2" \
        "$(nl exec client nslookup web 10.89.0.1 2>&1)"
check_match "a default-bridge container asking neta's gateway is refused" "REFUSED" \
        "$(nl exec onbridge nslookup web 10.89.0.1 2>&1)"
check_eq "the default bridge keeps the host's non-loopback servers" "nameserver 10.250.0.1" "$(nl exec onbridge grep nameserver /etc/resolv.conf)"
nl stop -t 0 web2 >/dev/null
check_eq "stop removes the name before returning" "10.89.0.2" "$(lookup client shared)"
nl start web2 >/dev/null
check_eq "start brings it back" "10.89.0.2 10.89.0.3" "$(lookup client shared)"
nl run -d --name fresh --net neta busybox sleep 1d >/dev/null
check_eq "a new container resolves as soon as run returns" "10.89.0.5" "$(digq 10.89.0.1 fresh)"
nl rm -f fresh >/dev/null
check_eq "rm removes it" "" "$(digq 10.89.0.1 fresh)"

# --dns overrides the upstream; a --dns at the resolver itself is SERVFAIL, not a loop.
nl run -d --name loop --net neta --dns 10.89.0.1 busybox sleep 1d >/dev/null
check_match "a --dns pointing at the resolver gets SERVFAIL" "SERVFAIL" "$(nl exec loop nslookup www.example 2>&1)"
check_eq "and local names still resolve for it" "10.89.0.2" "$(lookup loop web)"

# Internal networks: local names, nothing forwarded.
nl network create --internal --subnet 10.91.0.0/24 inside >/dev/null
nl run -d --name hidden --net inside busybox sleep 1d >/dev/null
nl run -d --name peer --net inside busybox sleep 1d >/dev/null
check_eq "an internal container resolves local names" "10.91.0.3" "$(lookup hidden peer)"
check_eq "but nothing is forwarded for it" "" "$(lookup hidden www.example)"
# With NET_ADMIN it can route to another network's gateway, through its own (CVE-2024-29018).
nl run -d --name hidden2 --net inside --cap-add NET_ADMIN busybox sleep 1d >/dev/null
nl exec hidden2 ip route add 10.89.0.0/24 via 10.91.0.1
check_match "an internal-only container asking another network's gateway: REFUSED" "REFUSED" \
        "$(nl exec hidden2 nslookup exfil.example 10.89.0.1 2>&1)"
check_eq "... and the upstream never sees the name" "0" "$(upcount exfil.example)"
nl network connect neta hidden
check_eq "connecting it to a normal network restores forwarding" "198.51.100.7" "$(lookup hidden www.example)"
check_eq "control: the same name is forwarded now" "198.51.100.7 1" \
        "$(lookup hidden exfil.example) $(upcount exfil.example)"

# The daemon: SIGKILL loses nothing; it stops when the last DNS network goes.
kill -9 "$(pgrep -f 'netlab-dns --root')"
nl run -d --name after --net neta busybox sleep 1d >/dev/null
check_eq "after SIGKILL, the next command restarts the daemon and names resolve" "10.89.0.2" "$(lookup client web)"
# More than 64 containers on one network: the last one started resolves like the first.
nl network create --subnet 10.92.0.0/24 many >/dev/null
for i in $(seq 1 70); do nl run -d --name m$i --net many busybox sleep 1d >/dev/null; done
check_eq "control: the first of 70 containers on one network resolves" "10.92.0.2" "$(digq 10.92.0.1 m1)"
check_eq "and so does the 70th" "10.92.0.71" "$(digq 10.92.0.1 m70)"
check_eq "from inside too" "10.92.0.71" "$(lookup m1 m70)"
nl rm -f $(seq -f m%g 1 70) >/dev/null
nl network rm many >/dev/null
nl rm -f web web2 client bonly onbridge loop hidden hidden2 peer after >/dev/null
nl network rm neta netb inside >/dev/null
check_fails "the daemon is gone with the last network" pgrep -f 'netlab-dns --root'

# A state root whose path is too long for a unix socket's address still gets its netlab-dns.
long=$(mktemp -d /run/longroot.XXXXXX)/$(printf 'y%.0s' $(seq 1 120)) # /run is the sandbox's
mkdir -m 700 "$long"
ln() { "$NETLAB" --root "$long" "$@"; }
ln network create --subnet 10.93.0.0/24 longnet >/dev/null
ln run -d --name lweb --net longnet busybox sleep 1d >/dev/null
ln run -d --name lclient --net longnet busybox sleep 1d >/dev/null
check_eq "a state root of ${#long} characters: names resolve" "10.93.0.2" \
        "$(ln exec lclient nslookup lweb 2>/dev/null | awk '/^Name:/{n=1} n && /^Address/{print $NF}')"
ln rm -f lweb lclient >/dev/null
ln network rm longnet >/dev/null
check_fails "... and its daemon is gone with its network" pgrep -f "netlab-dns --root $long"
finish
