# netlab external: outside machines by hand. add/ls/inspect/exec/rm, outside -> in through a
# published port only, diagnose from outside, the errors, and nothing left after rm, a crash or
# system reset.
. "$NETLAB_TESTLIB"
require wget nsenter

root=$NETLAB_ROOT
# get FROM URL: one HTTP GET from the external host FROM with this machine's wget.
get() { timeout 5 "$NETLAB" external exec "$1" wget -qO- -T 2 -t 1 "$2"; }
# leftovers: every trace of external hosts outside the state root's records.
leftovers() {
        ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^xh-'
        grep " $root/external" /proc/mounts
        ls "$root/external" 2>/dev/null
}

check_output "add prints the name" "laptop" nl external add laptop
check_output "a second one gets the next default subnet" "pc" nl external add pc
check_output "add --subnet" "lan" nl external add lan --subnet 10.77.0.0/30
check_output "ls: name, subnet, its address, the host's address, state" \
        "NAME          SUBNET              ADDRESS          HOST ADDRESS     STATE
lan           10.77.0.0/30        10.77.0.2        10.77.0.1        up
laptop        198.18.1.0/24       198.18.1.2       198.18.1.1       up
pc            198.18.2.0/24       198.18.2.2       198.18.2.1       up" nl external ls
check_output "ls -q: names only" "lan
laptop
pc" nl external ls -q
check_match "the host side holds .1 on xh-laptop" "inet 198.18.1.1/24" "$(ip -4 -o addr show xh-laptop)"
ns=$root/external/laptop/netns
check_match "the external host holds .2 on eth0 (seen with nsenter)" "inet 198.18.1.2/24" \
        "$(nsenter --net="$ns" ip -4 -o addr show eth0)"
check_match "and a default route through the host" "default via 198.18.1.1 dev eth0" \
        "$(nsenter --net="$ns" ip route)"
out=$(nl external inspect laptop)
check_eq "inspect: JSON with the addresses" "laptop 198.18.1.2 198.18.1.1 xh-laptop up" \
        "$(jq -r '.[0] | "\(.Name) \(.Address) \(.HostAddress) \(.HostInterface) \(.State)"' <<<"$out")"

# exec: the host's own tools inside the external host's namespace, Docker's exit codes.
check_match "exec runs a host tool in the external host's namespace" "inet 198.18.1.2/24" \
        "$(nl external exec laptop ip -4 -o addr show eth0)"
check_status "exec passes the command's exit code" 7 nl external exec laptop sh -c 'exit 7'
check_status "a command that is not found: 127" 127 nl external exec laptop no-such-tool
check_eq "and says so in one line" 'netlab: error: exec: "no-such-tool": executable file not found in $PATH' "$out"
check_status "a command that cannot be run: 126" 126 nl external exec laptop /etc
check_status "an unknown external host: 125" 125 nl external exec lapto true
check_eq "with the nearest name" 'netlab: error: no such external host: "lapto" (did you mean "laptop"?)' "$out"

# Outside -> in: a published port answers at the host's address; a container's own address
# and an unpublished port do not (each after a positive control on the same server).
nl run -d --name web -p 8080:80 busybox httpd -f -p 80 >/dev/null
nl run -d --name quiet busybox httpd -f -p 80 >/dev/null
nl exec web sh -c 'echo web-page > /index.html'
nl exec quiet sh -c 'echo quiet-page > /index.html'
web_ip=$(nl inspect -f '{{.NetworkSettings.IPAddress}}' web)
quiet_ip=$(nl inspect -f '{{.NetworkSettings.IPAddress}}' quiet)
check_eq "positive: the external host reaches web's published port 8080" "web-page" \
        "$(get laptop http://198.18.1.1:8080/)"
check_eq "control: web answers on its own address from the host" "web-page" \
        "$(timeout 5 wget -qO- -T 2 -t 1 "http://$web_ip/")"
check_fails "negative: the external host does not reach web's own address" \
        get laptop "http://$web_ip/"
check_eq "control: quiet's server answers from the host" "quiet-page" \
        "$(timeout 5 wget -qO- -T 2 -t 1 "http://$quiet_ip/")"
check_fails "negative: the external host does not reach quiet's unpublished port 80" \
        get laptop "http://$quiet_ip/"

# diagnose with an external host as the source and as the target.
out=$(nl diagnose laptop web:80); rc=$?
check_eq "diagnose laptop web:80: the published path works (exit 0)" 0 "$rc"
check_match "and says which host port it took" \
        "web's 80/tcp is published on host port 8080: laptop uses 198.18.1.1:8080" "$out"
check_match "and that laptop got there" "laptop reaches 198.18.1.1:8080/tcp" "$out"
out=$(nl diagnose laptop quiet:80); rc=$?
check_eq "diagnose laptop quiet:80: broken (exit 1)" 1 "$rc"
check_match "names the reason: the port is not published" \
        "FAIL quiet's port 80/tcp is not published on the host: laptop is outside, and outside machines reach a container only through a port published on the host" "$out"
check_match "and the fix" "fix: publish it: netlab run -p <host port>:80/tcp" "$out"
out=$(nl diagnose web laptop); rc=$?
check_eq "diagnose web laptop: a container reaches the outside (exit 0)" 0 "$rc"
check_match "at the external host's address" "web reaches 198.18.1.2" "$out"

# The errors, each one line naming the bad value and what is accepted.
check_status "a name clash with a container: exit 1" 1 nl external add web
check_eq "says so" 'netlab: error: the name "web" is already in use by a container; choose another name' "$out"
check_status "and the other way: a container named like an external host: exit 125" 125 \
        nl run -d --name laptop --network none busybox sleep 1d
check_eq "says so" 'netlab: error: the name "laptop" is used by an external host: choose another name, or remove it with: netlab external rm laptop' "$out"
check_status "an external host that exists: exit 1" 1 nl external add laptop
check_eq "says so" 'netlab: error: external host "laptop" already exists; remove it with: netlab external rm laptop' "$out"
check_status "a bad subnet: exit 1" 1 nl external add far --subnet 10.0.0.0/31
check_eq "says what is accepted" 'netlab: error: external far: --subnet "10.0.0.0/31": expected A.B.C.D/N with N from 8 to 30, like 198.18.1.0/24' "$out"
check_status "a subnet another one uses: exit 1" 1 nl external add far --subnet 198.18.1.0/25
check_eq "names who uses it" "netlab: error: external far: subnet 198.18.1.0/25 overlaps external host laptop's; choose another --subnet" "$out"
check_status "a subnet a network uses: exit 1" 1 nl external add far --subnet 172.17.5.0/24
check_eq "names the network" "netlab: error: external far: subnet 172.17.5.0/24 overlaps network bridge's; choose another --subnet" "$out"
check_status "a bad name: exit 1" 1 nl external add Far
check_eq "says the rule" "netlab: error: external host name \"Far\": 2 to 11 of a-z, 0-9 and '-', starting with a letter or digit" "$out"
check_status "a mistyped subcommand: exit 1" 1 nl external ad far
check_eq "with the nearest one" 'netlab: error: unknown command "external ad": did you mean "external add"?' "$out"
check_match "--help after NAME belongs to the command" "Usage: ls" "$(nl external exec lan ls --help)"
check_status "rm of an unknown name: exit 1" 1 nl external rm pcc
check_eq "with the nearest name" 'netlab: error: no such external host: "pcc" (did you mean "pc"?)' "$out"
check_output "rm -f of an unknown name is quiet" "" nl external rm -f pcc
check_eq "none of the failures left anything" "xh-lan xh-laptop xh-pc" \
        "$(ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1 | grep '^xh-' | sort | xargs)"

# rm: the veth, the namespace mount and the record go.
check_output "rm prints the names" "laptop
pc" nl external rm laptop pc
check_output "ls shows the rest" "NAME          SUBNET              ADDRESS          HOST ADDRESS     STATE
lan           10.77.0.0/30        10.77.0.2        10.77.0.1        up" nl external ls
check_eq "after rm: no veth, mount or record of laptop or pc" "" "$(leftovers | grep -v lan)"
check_eq "while lan's are still there" 3 "$(leftovers | grep -c lan)"

# Killed mid-way: shown as abandoned, and the next add takes the name back cleanly.
for stage in record netns veth; do
        check_status "SIGKILL at external:$stage kills add" 137 \
                env NETLAB_TEST_CRASH_AT=external:$stage "$NETLAB" external add crash
        check_match "killed at external:$stage: ls says abandoned" "^crash .* abandoned$" \
                "$(nl external ls | grep '^crash')"
        check_output "and the name can be added again" "crash" nl external add crash
        check_eq "without a second veth or mount" "1 1" \
                "$(ip -o link show | grep -c 'xh-crash') $(grep -c " $root/external/crash/" /proc/mounts)"
        nl external rm crash >/dev/null
done

# Killed between its folder and its record: the folder alone does not block the name.
mkdir -p "$root/external/crash"
check_output "a folder without a record does not keep the name" "crash" nl external add crash
nl external rm crash >/dev/null

# system reset removes them all, abandoned ones too.
nl external add laptop >/dev/null
check_status "SIGKILL at external:veth kills add" 137 \
        env NETLAB_TEST_CRASH_AT=external:veth "$NETLAB" external add crash
check "system reset" nl system reset -f
check_eq "after system reset: no veth, mount or record" "" "$(leftovers)"

# The scenario directive makes the same host with the same checks.
lab=$(mktemp -d)
printf 'external Lan\n' >"$lab/bad.lab"
check_error "a scenario refuses the same bad name with the same words" \
        "external host name \"Lan\": 2 to 11 of a-z, 0-9 and '-'" nl scenario run "$lab/bad.lab"
rm -rf "$lab"
finish
