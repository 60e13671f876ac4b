# A reason for every "no": each reason staged in a lab built by hand, checked with `scenario check`.
# Every negative line follows a positive control (the path or the server works), and `because`
# fails when the verdict holds for another reason.
. "$NETLAB_TESTLIB"

work=$(mktemp -d /tmp/netlab-reasons-test.XXXXXX)
srv='httpd -f -p 80'

# The lab's commands: `scenario check` does not run them, they name the containers for the parser.
cat >"$work/hdr" <<LAB
external laptop
external lan
network create neta --subnet 10.89.0.0/24
network create netb --subnet 10.90.0.0/24
network create sealed --internal --subnet 10.91.0.0/24
network create quiet -o icc=false --subnet 10.92.0.0/24
run -d --name web --network neta -p 8080:80 busybox $srv
run -d --name client --network neta busybox sleep 1d
run -d --name client2 --network neta busybox sleep 1d
run -d --name pub --network neta busybox $srv
run -d --name lo --network neta -p 127.0.0.1:9090:80 busybox $srv
run -d --name far --network netb busybox sleep 1d
run -d --name inside --network sealed busybox sleep 1d
run -d --name q1 --network quiet busybox sleep 1d
run -d --name q2 --network quiet busybox $srv
run -d --name box --network none busybox sleep 1d
LAB
nl external add laptop >/dev/null
make_external lan 192.168.78.1 192.168.78.2
sed -n 's/^\(network .*\)$/\1/p; s/^run \(.*\)$/run \1/p' "$work/hdr" | while read -r line; do
        eval "nl $line" >/dev/null || echo "setup failed: $line" >&2
done

# chk NAME LINE...: check the lab against these expect lines; sets out and rc.
chk() {
        { cat "$work/hdr"; printf '%s\n' "${@:2}"; } >"$work/$1.lab"
        out=$(nl scenario check "$work/$1.lab" 2>&1)
        rc=$?
}
# holds NAME REASON LINE...: the lines hold, and the last one's why names REASON.
holds() {
        local name=$1 reason=$2
        shift 2
        chk "$name" "$@"
        check_eq "$name: the positive control and the cannot-reach hold (exit 0)" 0 "$rc"
        [ "$rc" = 0 ] || grep -a -A3 '^\[FAIL\]' <<<"$out" | sed 's/^/# /'
        check_match "$name: the why names the reason $reason" "why \($reason\): " "$out"
}

holds different-networks different-networks \
        "expect client reaches web:80/tcp" \
        "expect far cannot-reach web:80/tcp because different-networks"
check_match "different-networks: the sentence names both networks" "far is on netb and web is on neta" "$out"
holds internal internal \
        "expect client reaches laptop" \
        "expect inside cannot-reach laptop because internal"
holds icc-disabled icc-disabled \
        "expect host reaches q2:80/tcp" \
        "expect q1 cannot-reach q2:80/tcp because icc-disabled"
holds not-published not-published \
        "expect client reaches pub:80/tcp" \
        "expect laptop cannot-reach pub:80/tcp via host because not-published"
holds not-published-host not-published \
        "expect laptop reaches host:8080/tcp" \
        "expect laptop cannot-reach host:8099/tcp because not-published"
holds firewall firewall \
        "expect laptop reaches web:80/tcp via host" \
        "expect laptop cannot-reach web:80/tcp because firewall" \
        "expect laptop cannot-reach web because firewall"
check_match "firewall: names the published port that would let it in" \
        "only the published port 8080 lets it in; fix: go through the published port: 198.18.1.1:8080" "$out"
holds other-host-port other-host-port \
        "expect laptop reaches host:8080/tcp" \
        "expect laptop cannot-reach host:80/tcp because other-host-port"
check_match "other-host-port: names the host port it is published on" "published on host port (8080|9090), not on 80" "$out"
holds loopback-only loopback-only \
        "expect host reaches host:9090/tcp" \
        "expect laptop cannot-reach host:9090/tcp because loopback-only" \
        "expect client cannot-reach host:9090/tcp because loopback-only"
holds not-listening not-listening \
        "expect client reaches web:80/tcp" \
        "expect client cannot-reach web:81/tcp because not-listening"
holds no-network no-network \
        "expect client reaches web:80/tcp" \
        "expect box cannot-reach web:80/tcp because no-network"
holds no-route no-route \
        "expect lan reaches 192.168.78.1" \
        "expect lan cannot-reach web:80/tcp because no-route"
holds no-host no-host \
        "expect client reaches 10.89.0.2" \
        "expect client cannot-reach 10.89.0.77 because no-host"
holds name-unknown name-unknown \
        "expect client resolves web" \
        "expect far cannot-resolve web because name-unknown"
check_match "name-unknown: says where the asker is and where the name exists" \
        "far is on netb, and web is a name only on neta" "$out"
holds name-nowhere name-unknown \
        "expect client resolves web" \
        "expect client cannot-resolve nosuch because name-unknown"
check_match "name-unknown: a name nowhere says so" "no container or alias is named nosuch on any network" "$out"

# Without because, the why is printed all the same: a held cannot-reach is never a bare timeout.
chk plain "expect far cannot-reach web:80/tcp"
check_match "a held cannot-reach without because still says why" "why \(different-networks\): " "$out"
json=$(nl scenario check --json "$work/different-networks.lab")
check_eq "--json carries reason_code and because" "different-networks different-networks" \
        "$(jq -r '.steps[] | select(.check == "cannot-reach") | "\(.reason_code) \(.because)"' <<<"$json")"
check_eq "--json: a positive check that held has no reason_code" "null" \
        "$(jq -r '.steps[] | select(.check == "reaches") | .reason_code' <<<"$json")"

# The wrong reason fails the line, naming both.
chk wrong "expect client reaches web:80/tcp" "expect far cannot-reach web:80/tcp because internal"
check_eq "because with the wrong reason fails (exit 1)" 1 "$rc"
check_match "and says which reason was expected and which was found" \
        "it holds, but not because internal: the reason found is different-networks" "$out"

# A bridge port down: the link is broken under a working lab.
holds port-up not-listening "expect client2 reaches web:80/tcp" "expect client2 cannot-reach web:81/tcp"
veth=$(nl inspect client2 | jq -r '.[0].NetworkSettings.Networks.neta.HostIfName')
ip link set "$veth" down
holds port-down port-down "expect client cannot-reach client2 because port-down"
check_match "port-down: names the bridge port" "client2's port on the bridge br-[0-9a-f]+ \($veth\) is down" "$out"
ip link set "$veth" up

# Another firewall's forward chain: name its table and chain.
holds before-firewall not-listening "expect client reaches laptop" "expect client cannot-reach web:81/tcp"
nft add table ip foreign
nft add chain ip foreign FORWARD '{ type filter hook forward priority 0; policy drop; }'
holds foreign-firewall foreign-firewall "expect client cannot-reach laptop because foreign-firewall"
check_match "foreign-firewall: names the table and chain" "chain ip foreign FORWARD" "$out"
nft delete table ip foreign
chk after-firewall "expect client reaches laptop"
check_eq "without the foreign chain the path works again" 0 "$rc"

# The server stops: a negative expectation that held for the lesson's reason now holds because
# the target is down, and `because` catches it.
holds before-stop different-networks "expect client reaches web:80/tcp" \
        "expect far cannot-reach web:80/tcp because different-networks"
nl stop -t 1 web >/dev/null
holds stopped stopped "expect client cannot-reach web:80/tcp because stopped"
chk stopped-wrong "expect laptop cannot-reach web:80/tcp via host because not-published"
check_eq "a stopped server fails 'because not-published' (exit 1)" 1 "$rc"
check_match "naming the reason found: stopped" "not because not-published: the reason found is stopped" "$out"

nl external rm laptop >/dev/null
rm -rf "$work"
finish
