# netlab capture: a ping, a DNS lookup and a TCP connect between busybox containers (no tcpdump in
# them), decoded lines checked; the -w pcap read by tshark as an independent observer; BPF filters
# (what they let through and what they keep out); network and external-host targets; errors.
. "$NETLAB_TESTLIB"
require tshark nsenter
T=/run/netlab-test

nl network create --subnet 10.96.0.0/24 capnet >/dev/null
nl run -d --name web --net capnet busybox httpd -f -p 80 >/dev/null
nl run -d --name client --net capnet busybox sleep 1d >/dev/null
wait_until 5 tcp_ok client 10.96.0.2 80

# start_capture OUT ARGS...: netlab capture in the background (its own pid in $cap, so a signal
# reaches it and not a shell), once it says it is capturing. stderr goes to OUT.err.
start_capture() {
        local out=$1; shift
        "$NETLAB" capture "$@" >"$out" 2>"$out.err" &
        cap=$!
        wait_until 5 grep -q '^capturing on' "$out.err"
}
# stop_capture: Ctrl-C, and its exit status in rc.
stop_capture() { sleep 0.3; kill -INT "$cap"; rc=0; wait "$cap" || rc=$?; }

# Readable lines: a ping, a lookup, a TCP connect, seen on client's eth0. The readiness check
# above filled client's ARP cache: empty it (nsenter and ip as test tools) to see ARP again.
nsenter -t "$(nl inspect -f '{{.State.Pid}}' client)" -n ip neigh flush all
start_capture $T/all client
nl exec client ping -c 1 web >/dev/null
nl exec client sh -c 'echo | nc -w 2 web 80' >/dev/null
stop_capture
lines=$(cat $T/all)
check_eq "Ctrl-C stops it cleanly (exit 0)" 0 "$rc"
check_match "each line has time and interface" '^[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6} eth0 ' "$lines"
check_match "the ping's request" 'eth0 IP 10\.96\.0\.3 > 10\.96\.0\.2: ICMP echo-request id [0-9]+ seq 0' "$lines"
check_match "and its reply" 'IP 10\.96\.0\.2 > 10\.96\.0\.3: ICMP echo-reply id [0-9]+ seq 0' "$lines"
check_match "the DNS question" 'IP 10\.96\.0\.3 > 10\.96\.0\.1: UDP [0-9]+ > 53, DNS query 0x[0-9a-f]{4} A web\?' "$lines"
check_match "the DNS answer" 'IP 10\.96\.0\.1 > 10\.96\.0\.3: UDP 53 > [0-9]+, DNS response 0x[0-9a-f]{4} A web\? -> 10\.96\.0\.2' "$lines"
check_match "the SYN" 'IP 10\.96\.0\.3 > 10\.96\.0\.2: TCP [0-9]+ > 80 \[S\] seq' "$lines"
check_match "the SYN-ACK" 'IP 10\.96\.0\.2 > 10\.96\.0\.3: TCP 80 > [0-9]+ \[S\.\] seq [0-9]+ ack' "$lines"
check_match "the FIN" 'TCP [0-9]+ > 80 \[F\.\]' "$lines"
check_match "ARP who-has" 'ARP who-has 10\.96\.0\.2 tell 10\.96\.0\.3' "$lines"
check_match "ARP is-at" 'ARP 10\.96\.0\.2 is-at 02:42:0a:60:00:02' "$lines"
n=$(wc -l <$T/all)
check_eq "the count on stderr is the number of lines" "$n packets captured" "$(tail -1 $T/all.err)"

# -w FILE -c N: tshark reads the pcap; the same count and addresses.
"$NETLAB" capture client -c 4 -w $T/ping.pcap icmp 2>$T/w.err &
cap=$!
wait_until 5 grep -q '^capturing on' $T/w.err
nl exec client ping -c 2 web >/dev/null
rc=0; wait "$cap" || rc=$?
check_eq "-c 4 stops by itself after 4 packets" 0 "$rc"
check_eq "it says so" "4 packets captured" "$(tail -1 $T/w.err)"
check_eq "tshark reads 4 packets: requests and replies between client and web" \
"10.96.0.3 10.96.0.2 8
10.96.0.2 10.96.0.3 0
10.96.0.3 10.96.0.2 8
10.96.0.2 10.96.0.3 0" "$(tshark -r $T/ping.pcap -T fields -e ip.src -e ip.dst -e icmp.type 2>/dev/null | tr '\t' ' ')"

# Filters: the positive control first (tcp port 80 passes the connect), then what it keeps out.
start_capture $T/tcp client tcp port 80
nl exec client ping -c 1 web >/dev/null
nl exec client sh -c 'echo | nc -w 2 web 80' >/dev/null
stop_capture
check_match "a 'tcp port 80' filter lets the connect through" 'TCP [0-9]+ > 80 \[S\]' "$(cat $T/tcp)"
check_fails "and keeps the ping out" grep -q ICMP $T/tcp
check_fails "and ARP" grep -q ARP $T/tcp
start_capture $T/none client udp port 9
nl exec client ping -c 1 web >/dev/null
stop_capture
check_eq "a filter nothing matches captures nothing" "0 packets captured" "$(tail -1 $T/none.err)"

# A network: its bridge sees the packets between two of its containers.
"$NETLAB" capture capnet -c 2 icmp >$T/br 2>$T/br.err &
cap=$!
wait_until 5 grep -q '^capturing on' $T/br.err
nl exec client ping -c 1 web >/dev/null
rc=0; wait "$cap" || rc=$?
check_match "a network's capture runs on its bridge" '^capturing on br-[0-9a-f]+ of network capnet' "$(cat $T/br.err)"
check_match "and sees client's ping to web" 'br-[0-9a-f]+ IP 10\.96\.0\.3 > 10\.96\.0\.2: ICMP echo-request' "$(cat $T/br)"
# web/eth0 as a target, the directive's form
"$NETLAB" capture web/eth0 -c 1 icmp >$T/web 2>$T/web.err &
cap=$!
wait_until 5 grep -q '^capturing on' $T/web.err
nl exec client ping -c 1 web >/dev/null
wait "$cap"
check_match "CONTAINER/IFACE captures on that interface" 'eth0 IP 10\.96\.0\.3 > 10\.96\.0\.2: ICMP echo-request' "$(cat $T/web)"

# An external host: its eth0, inside its own namespace.
make_external lan 198.18.7.1 198.18.7.2
"$NETLAB" capture lan -c 1 icmp >$T/ext 2>$T/ext.err &
cap=$!
wait_until 5 grep -q '^capturing on' $T/ext.err
ping -c 1 -W 2 198.18.7.2 >/dev/null
wait "$cap"
check_match "an external host's link" 'eth0 IP 198\.18\.7\.1 > 198\.18\.7\.2: ICMP echo-request' "$(cat $T/ext)"

# diagnose --capture: the final probe's packets at each link. Positive control first: a path that
# works shows the SYN at every link, web's eth0 included; then across two networks they stop at
# the second bridge.
# at_link TEXT LINK: LINK's header line and the packet lines under it.
at_link() { awk -v l="  $2" 'index($0, l) == 1 { on = 1; print; next } /^  [^ ]/ { on = 0 } on' <<<"$1"; }
out=$(nl diagnose --capture client web:80 2>&1); rc=$?
check_eq "diagnose --capture on a working path exits 0" 0 "$rc"
check_match "it names the probe and its result" 'capture of the probe: tcp to 10\.96\.0\.2:80 from client: ok' "$out"
check_match "and shows the SYN arriving at web's eth0" \
        '^      IP 10\.96\.0\.3 > 10\.96\.0\.2: TCP [0-9]+ > 80 \[S\]' "$(at_link "$out" "web eth0: ")"
check_fails "no link says the packets stop" grep -q "stop before here" <<<"$out"
nl network create --subnet 10.98.0.0/24 other >/dev/null
nl run -d --name far --net other busybox sleep 1d >/dev/null
out=$(nl diagnose --capture far client 2>&1); rc=$?
check_eq "across networks diagnose --capture exits 1" 1 "$rc"
check_match "the echo request leaves far" '^      IP 10\.98\.0\.2 > 10\.96\.0\.3: ICMP echo-request' \
        "$(at_link "$out" "far eth0: ")"
check_match "and reaches its own bridge" '^      IP 10\.98\.0\.2 > 10\.96\.0\.3: ICMP echo-request' \
        "$(at_link "$out" "network other (")"
check_match "and stops before the other network's bridge" \
        'network capnet \(br-[0-9a-f]+\): no packets: they stop before here' "$out"
check_match "client sees nothing" 'client eth0: no packets$' "$out"

# Errors: one line naming the bad value; nothing written for a capture that never ran.
check_error "an unknown target" "netlab: error: no container, network or external host named nosuch" nl capture nosuch
check_error "a near miss is suggested" "did you mean client?" nl capture clinet
check_error "a filter that does not compile" 'netlab: error: invalid filter "icmpx and"' \
        nl capture client -w $T/bad.pcap icmpx and
check_fails "and no pcap file is left behind" test -e $T/bad.pcap
check_error "-c 0" 'netlab: error: invalid count "0" for -c' nl capture client -c 0
check_error "an interface the container lacks" "netlab: error: container client has no interface eth9" nl capture client/eth9
check_error "-i on a network" "capture runs on its bridge" nl capture capnet -i eth0
check_error "host without -i" "capture on host needs an interface: -i IFACE" nl capture host
nl stop -t 0 web >/dev/null
check_error "a stopped container" "container web is not running" nl capture web
check_status "usage error without a target" 1 nl capture
check "capture --help prints its usage and creates no state root" \
        sh -c "$NETLAB --root /run/nohelp capture --help | grep -q '^Usage: netlab capture' && test ! -e /run/nohelp"

# The scenario directive: captured while the step above runs. Holds first, then the same packets
# asked for the wrong way round, or packets that are not there, fail.
work=$(mktemp -d $T/lab.XXXXXX)
cat >"$work/ok.lab" <<'LAB'
network create --subnet 10.97.0.0/24 lan
run -d --name web --net lan busybox httpd -f -p 80
run -d --name client --net lan busybox sleep 1d
expect client reaches web
expect capture on web/eth0 contains icmp echo-request from client to web
expect capture on lan contains icmp echo-reply from web
expect capture on web lacks tcp
expect client reaches web:80
expect capture on web contains tcp syn from client
exec client nslookup web
expect capture on client contains dns response web
LAB
out=$(nl scenario run "$work/ok.lab" 2>&1); rc=$?
check_eq "a scenario whose capture checks hold passes" 0 "$rc"
check_match "it shows the packet it saw" \
        'matched, first: eth0 IP 10\.97\.0\.3 > 10\.97\.0\.2: ICMP echo-request' "$out"
check_match "on the bridge too" 'br-[0-9a-f]+ IP 10\.97\.0\.2 > 10\.97\.0\.3: ICMP echo-reply' "$out"
check_match "and the DNS answer" 'DNS response 0x[0-9a-f]{4} A web\? -> 10\.97\.0\.2' "$out"
cat >"$work/bad.lab" <<'LAB'
network create --subnet 10.97.0.0/24 lan
run -d --name web --net lan busybox httpd -f -p 80
run -d --name client --net lan busybox sleep 1d
expect client reaches web
expect capture on web contains icmp echo-request from web
expect capture on web contains tcp syn from client
expect capture on web lacks icmp
LAB
out=$(nl scenario run "$work/bad.lab" 2>&1); rc=$?
check_eq "a scenario whose capture checks do not hold fails" 1 "$rc"
check_match "a request from the wrong side fails" \
        '\[FAIL\] expect capture on web contains icmp echo-request from web' "$out"
check_match "a SYN during a ping fails" '\[FAIL\] expect capture on web contains tcp syn from client' "$out"
check_match "saying what it saw instead" 'none of [0-9]+ packets on web matched' "$out"
check_match "lacks fails when the packet is there" '\[FAIL\] expect capture on web lacks icmp' "$out"
check_match "the reach check passes, the three capture checks fail" '1 passed, 3 failed' "$out"
printf 'run -d --name web busybox sleep 1d\nexpect capture on web contains icmp echo\n' >"$work/parse.lab"
check_error "a bad ICMP type stops the file at its column" \
        'parse.lab:2:37: error: ICMP type "echo": echo-request, echo-reply' nl scenario run "$work/parse.lab"

finish
