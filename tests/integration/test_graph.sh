# netlab graph: the picture of the router lab and of the tour, looked at through the SVG it renders
# (clusters, nodes, labels, left-to-right order), and the docs' images regenerated from their labs,
# each lab in a sandbox of its own (so addresses start afresh, as in the tutorial).
SANDBOX_RUNS="GRAPH_PART=labs"
for doc in tour:tour.lab router:05-router.lab none:01-none.lab host:02-host.lab \
        bridge:03-default-bridge.lab user-defined:04-user-network-dns.lab \
        container:06-sidecar.lab connect:07-connect-disconnect.lab; do
        SANDBOX_RUNS="$SANDBOX_RUNS GRAPH_PART=$doc"
done
. "$NETLAB_TESTLIB"
require python3 strace ip script

src=$(realpath "$(dirname "$NETLAB_TESTLIB")/../..")
# Sanitizer builds: Graphviz's and fontconfig's own leaks set aside, by their full stacks.
export LSAN_OPTIONS="suppressions=$src/tests/integration/graph.lsan.supp:fast_unwind_on_malloc=0"
svg() { python3 "$src/tests/integration/graph_svg.py" "$@"; }
tmp=$(mktemp -d /run/graph.XXXXXX) # the sandbox's tmpfs: gone with it

# replay FILE: build the lab a scenario describes by hand (its commands, not its checks), up to
# its first disconnect, so the picture shows the lab at its fullest.
replay() {
        local line
        while IFS= read -r line; do
                case $line in
                "" | "#"* | title* | note* | expect* | external*) continue ;;
                *disconnect*) break ;;
                esac
                eval "nl $line" >/dev/null || echo "# replay failed: $line"
        done <"$1"
}
# empty: remove every container and user network, for the next lab.
empty() {
        local ids nets
        ids=$(nl ps -aq)
        [ -z "$ids" ] || nl rm -f $ids >/dev/null
        nets=$(nl network ls --format '{{.Name}}' | grep -vxE 'bridge|host|none')
        [ -z "$nets" ] || nl network rm $nets >/dev/null
}
node_text() { svg summary "$1" | grep -F "node $2 |"; }

# ---- the router lab ---------------------------------------------------------------------------
router_lab() {
        replay "$src/scenarios/05-router.lab"
        check "graph -o router.svg renders" nl graph -o "$tmp/router.svg"
        check_match "the file is SVG" "<svg" "$(head -c 2000 "$tmp/router.svg")"
        s=$(svg summary "$tmp/router.svg")
        raw=$(svg raw "$tmp/router.svg")
        check_eq "one box per network, and no host or none box" \
                "cluster_net:left cluster_net:right" "$(grep '^cluster' <<<"$s" | cut -d' ' -f2 | xargs)"
        check_match "the router shows both interfaces with their addresses" \
                "router eth0 10.10.1.254/24 eth1 10.10.2.254/24" "$(node_text "$tmp/router.svg" ctr:router)"
        check_match "the bridge shows its gateway, netlab-dns and NAT" \
                "bridge br-[0-9a-f]+ gateway 10.10.1.1/24 netlab-dns 10.10.1.1:53 NAT to the outside \(masquerade\)" \
                "$(grep -F "node net:left |" <<<"$raw")"
        # The host end of alice's veth, as the kernel names it (observer: ip), labels her link.
        left_br=$(nl graph | awk '$1 == "network" && $2 == "left" {print $4}')
        ports=$(ip -o link show master "$left_br" 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | xargs)
        label=$(grep -F "edge ctr:alice:if0->net:left |" <<<"$raw" | sed 's/.*| //')
        check_match "alice's link is labelled with the host end of her veth, a port of the left bridge" \
                "(^| )${label:-none}( |$)" "$ports"
        check_eq "the router's legs are drawn: left bridge to router, router to right bridge (control)" \
                "2" "$(grep -cE '^edge (net:left->ctr:router|ctr:router:if1->net:right)' <<<"$s")"
        check_eq "and nothing else joins the networks: no edge between bridges, 4 links in all" \
                "0 4" "$(grep -cE '^edge net:[^ ]*->net:' <<<"$s") $(grep -c '^edge' <<<"$s")"
        check_eq "alice sits in left's box, the router outside both, bob in right's box" \
                "cluster_net:left|-|cluster_net:right" \
                "$(svg inside "$tmp/router.svg" ctr:alice)|$(svg inside "$tmp/router.svg" ctr:router)|$(svg inside "$tmp/router.svg" ctr:bob)"
        read -r xa xr xb <<<"$(svg x "$tmp/router.svg" ctr:alice ctr:router ctr:bob | xargs)"
        check "the chain reads left to right: x(alice) $xa < x(router) $xr < x(bob) $xb" \
                test "$xa" -lt "$xr" -a "$xr" -lt "$xb"
        # Rendered in-process: the only program started is netlab itself (strace as the observer).
        strace -f -qq -e trace=execve -o "$tmp/exec.log" "$NETLAB" graph --format svg >/dev/null 2>&1
        check_eq "SVG is rendered by libgvc in-process: one execve (netlab), no dot" \
                "1" "$(grep -c 'execve(' "$tmp/exec.log")"
        check "PNG renders too" nl graph --format png -o "$tmp/router.png"
        check_eq "and is a PNG" "PNG" "$(head -c 4 "$tmp/router.png" | tail -c 3)"
        check_error "an unknown format names the accepted ones and the nearest" \
                "--format sgv: graph writes text, dot, svg or png (did you mean svg?)" nl graph --format sgv
        check_error "so does an -o FILE whose extension is no format" \
                "-o $tmp/lab.jpg: graph writes text, dot, svg or png" nl graph -o "$tmp/lab.jpg"
        check_fails "and writes nothing" test -e "$tmp/lab.jpg"
        check "PNG goes to a pipe (control)" sh -c "'$NETLAB' graph --format png | head -c 4 | grep -q PNG"
        check_error "but not to a terminal" "--format png is binary" \
                script -qec "'$NETLAB' graph --format png" /dev/null
        check_status "an unwritable -o fails (1)" 1 nl graph -o "$tmp/no/such/dir/x.svg"
        check_fails "and leaves no file" test -e "$tmp/no/such/dir/x.svg"
        # A disk too small for the picture: the old file stays whole and no temporary is left.
        mkdir "$tmp/small" && mount -t tmpfs -o size=8k graph-small "$tmp/small"
        echo old >"$tmp/small/lab.svg"
        check "a file that fits is written (control)" nl graph --format text -o "$tmp/small/lab.svg"
        echo old >"$tmp/small/lab.svg"
        check_status "a picture that does not fit fails (1)" 1 nl graph -o "$tmp/small/lab.svg"
        check_eq "and leaves the old file as it was, and nothing else" "lab.svg old" \
                "$(ls "$tmp/small" | xargs) $(cat "$tmp/small/lab.svg")"
        umount "$tmp/small"
}

# ---- the tour, with a sidecar, a host and a none container, an internal network, -P ----------
tour_lab() {
        replay "$src/scenarios/tour.lab"
        nl run -d --name side --network container:web2 busybox sleep 1d >/dev/null
        nl run -d --name hostc --network host busybox sleep 1d >/dev/null
        nl run -d --name lonely --network none busybox sleep 1d >/dev/null
        nl network create --internal --subnet 10.91.0.0/24 sealed >/dev/null
        nl run -d --name db --network sealed busybox sleep 1d >/dev/null
        nl run -d --name pall -P --expose 80 --network labnet busybox sleep 1d >/dev/null
        check "graph -o tour.svg renders" nl graph -o "$tmp/tour.svg"
        s=$(svg summary "$tmp/tour.svg")
        check_eq "one box per bridge network plus the host's; no host/host or none/null box" \
                "cluster_host cluster_net:bridge cluster_net:labnet cluster_net:sealed" \
                "$(grep '^cluster' <<<"$s" | cut -d' ' -f2 | sort | xargs)"
        check_match "the published path: host:8080/tcp to web2:80" \
                "^edge pub:web2:80/tcp:N->ctr:web2 \| → web2:80$" "$s"
        check_match "from a node in the host box that says host:8080/tcp" \
                "^node pub:web2:80/tcp:N \| host:8080/tcp$" "$s"
        pport=$(nl port pall 80/tcp | head -1 | sed 's/.*://')
        check_match "-P's port too, the one it picked ($pport)" \
                "^host:$pport/tcp$" "$(svg summary "$tmp/tour.svg" | grep -F 'node pub:pall:' | sed 's/.*| //' | sed 's/EPHEMERAL/'"$pport"'/')"
        check_eq "the published port sits in the host box" "cluster_host" \
                "$(svg inside "$tmp/tour.svg" 'pub:web2:80/tcp:0')"
        check_match "the sidecar is drawn in its owner's box: one namespace" \
                "web2 \+ side one network namespace eth0 10.89.0.2/24" "$(node_text "$tmp/tour.svg" ctr:web2)"
        check_eq "and has no box of its own" "" "$(grep -F 'node ctr:side ' <<<"$s")"
        check_eq "the --network host container sits in the host box" "cluster_host" \
                "$(svg inside "$tmp/tour.svg" ctr:hostc)"
        check_match "the none container shows only lo" "lonely lo 127.0.0.1/8 no network: loopback only" \
                "$(node_text "$tmp/tour.svg" ctr:lonely)"
        check_eq "and stands alone, in no box" "-" "$(svg inside "$tmp/tour.svg" ctr:lonely)"
        check_match "a network with a way out says NAT (control)" "NAT to the outside" \
                "$(node_text "$tmp/tour.svg" net:labnet)"
        check_match "the internal network is drawn closed, with no NAT" \
                "^[^N]*internal: no way out$" "$(node_text "$tmp/tour.svg" net:sealed | sed 's/.*| //')"
        check_match "and its box says so" "network sealed 10.91.0.0/24 \(internal: closed\)" \
                "$(grep -F 'cluster cluster_net:sealed' <<<"$s")"
        check_eq "no edge joins two networks" "0" "$(grep -cE '^edge net:[^ ]*->net:' <<<"$s")"
}

# ---- a scenario file is code: graph -o from a .lab writes a host file only with --trust --------
scenario_output() {
        printf 'title draws to a file\ngraph -o %s/from-lab.svg\n' "$tmp" >"$tmp/draw.lab"
        check "with --trust, a lab's graph -o writes the file (control)" \
                nl scenario run --trust "$tmp/draw.lab"
        check "and the file is there" test -s "$tmp/from-lab.svg"
        rm -f "$tmp/from-lab.svg"
        check_error "without --trust the lab is refused" "graph -o writes a file on the host" \
                nl scenario run "$tmp/draw.lab"
        check_fails "and writes nothing" test -e "$tmp/from-lab.svg"
}

# ---- the docs' images: regenerated from their labs, compared by structure ---------------------
docs_image() { # NAME LAB
        replay "$src/scenarios/$2"
        nl graph -o "$tmp/$1.svg"
        [ -z "${NETLAB_GRAPH_REGEN:-}" ] || cp "$tmp/$1.svg" "$src/docs/img/graph-$1.svg"
        check_eq "docs/img/graph-$1.svg is the picture of scenarios/$2" \
                "$(svg summary "$src/docs/img/graph-$1.svg" 2>&1)" "$(svg summary "$tmp/$1.svg")"
}

case $GRAPH_PART in
labs)
        router_lab
        empty
        tour_lab
        scenario_output
        ;;
*) docs_image "${GRAPH_PART%%:*}" "${GRAPH_PART#*:}" ;;
esac
rm -rf "$tmp"
finish
