# Grading: scenario check against a lab built by hand, --json and --junit reports, and grading a
# class's directory of submissions in parallel sandboxes.
. "$NETLAB_TESTLIB"

work=$(mktemp -d /tmp/netlab-grade-test.XXXXXX)
labs_before=$(ls -d /run/netlab-lab.* 2>/dev/null | wc -l)
xml_ok() { python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"; }

cat >"$work/lab.lab" <<'LAB'
title a hand-built lab
network create gradenet --subnet 10.77.0.0/24
run -d --name gweb --network gradenet --ip 10.77.0.2 busybox httpd -f -p 80
run -d --name gcli --network gradenet busybox sleep 1d
expect gcli resolves gweb = 10.77.0.2
expect gcli reaches gweb:80/tcp
expect gcli cannot-reach gweb:81/tcp
expect gcli exec hostname
LAB

# The lab is built by hand, as a student would, in this sandbox's state root.
nl network create gradenet --subnet 10.77.0.0/24 >/dev/null
nl run -d --name gweb --network gradenet --ip 10.77.0.2 busybox httpd -f -p 80 >/dev/null
nl run -d --name gcli --network gradenet busybox sleep 1d >/dev/null
ctrs_before=$(nl ps -aq | sort)
nets_before=$(nl network ls -q | sort)

out=$(nl scenario check "$work/lab.lab" 2>&1); rc=$?
check_eq "check: every expectation holds in the lab built by hand (exit 0)" 0 "$rc"
check_match "check: it says what it saw" "connected in [0-9]+ ms" "$out"
check_fails "check: no command of the file ran" grep -q '\$ netlab' <<<"$out"
check_eq "check: no container was created or removed" "$ctrs_before" "$(nl ps -aq | sort)"
check_eq "check: no network was created or removed" "$nets_before" "$(nl network ls -q | sort)"

json=$(nl scenario check --json "$work/lab.lab"); rc=$?
check_eq "check --json exits 0 when all hold" 0 "$rc"
check_eq "check --json: mode, summary.ok, total" "check true 4 4" \
        "$(jq -r '"\(.mode) \(.summary.ok) \(.summary.total) \(.summary.passed)"' <<<"$json")"
check_eq "check --json: per expectation the verdict and the check" "pass reaches gcli gweb" \
        "$(jq -r '.steps[] | select(.line == 6) | "\(.verdict) \(.check) \(.subject) \(.target)"' <<<"$json")"
check_match "check --json: the evidence is what was observed" "^tcp 10.77.0.2:80: connected in [0-9]+ ms$" \
        "$(jq -r '.steps[] | select(.line == 6) | .evidence' <<<"$json")"
check_match "check --json: the resolved address is the evidence" "^gweb = 10.77.0.2" \
        "$(jq -r '.steps[] | select(.line == 5) | .evidence' <<<"$json")"

# Break the lab by hand: the server goes, and exactly that expectation fails, with a reason.
nl rm -f gweb >/dev/null
nl run -d --name gweb --network gradenet --ip 10.77.0.2 busybox sleep 1d >/dev/null
json=$(nl scenario check --json "$work/lab.lab"); rc=$?
check_eq "check after breaking the lab exits 1" 1 "$rc"
check_eq "check: the server's expectation fails, the others hold" "pass fail pass pass" \
        "$(jq -r '[.steps[].verdict] | join(" ")' <<<"$json")"
check_match "check: the failure's evidence is what the probe saw" "^tcp 10.77.0.2:80: refused" \
        "$(jq -r '.steps[] | select(.line == 6) | .evidence' <<<"$json")"
check_match "check: the failure has a reason from diagnose" "listens on 80" \
        "$(jq -r '.steps[] | select(.line == 6) | .reason' <<<"$json")"
check_eq "check: summary counts" "1 3 false" \
        "$(jq -r '"\(.summary.failed) \(.summary.passed) \(.summary.ok)"' <<<"$json")"

nl scenario check --junit "$work/check.xml" "$work/lab.lab" >/dev/null
check "check --junit writes XML that parses" xml_ok "$work/check.xml"
check_eq "check --junit: four test cases, one failure" "4 1" \
        "$(python3 -c 'import sys, xml.etree.ElementTree as E; s = E.parse(sys.argv[1]).getroot().find("testsuite"); print(s.get("tests"), s.get("failures"))' "$work/check.xml")"

out=$(nl scenario check --tap "$work/lab.lab" 2>&1)
check_match "check --tap: a plan of the expectations only" "^1\.\.4" "$out"
out=$(nl --root /run/netlab-nolab scenario check "$work/lab.lab" 2>&1); rc=$?
check_eq "check of a state root with no lab fails (exit 1)" 1 "$rc"
check_match "... saying so" "^netlab: error: state root /run/netlab-nolab holds no lab" "$out"
check_fails "... and does not create it" test -e /run/netlab-nolab

# External hosts of the file must exist (netlab external add, or ip netns add); a missing one is named.
make_external lanx 10.66.0.1 10.66.0.2
printf 'external lanx\nexpect host reaches lanx\nexpect lanx cannot-reach 10.77.0.2\n' >"$work/ext.lab"
check "check: an external host made by hand counts, and is probed" nl scenario check "$work/ext.lab"
nl external add --subnet 198.18.9.0/24 lanz >/dev/null
sed 's/lanx/lanz/g' "$work/ext.lab" >"$work/ext2.lab"
out=$(nl scenario check "$work/ext2.lab" 2>&1); rc=$?
check_eq "check: an external host of 'netlab external add' counts (exit 0)" 0 "$rc"
check_match "... found at its address" "external host lanz at 198.18.9.2" "$out"
nl external rm lanz
sed 's/lanx/lany/g' "$work/ext.lab" >"$work/noext.lab"
out=$(nl scenario check "$work/noext.lab" 2>&1); rc=$?
check_eq "check: a missing external host fails (exit 1)" 1 "$rc"
check_match "check: it is named as missing" "external host lany does not exist" "$out"

# scenario run --json and --junit: the same fields from a sandboxed run.
cat >"$work/run.lab" <<'LAB'
title run reports
run -d --name rr --network none busybox sleep 1d
expect rr has-interface lo
expect rr reaches host
LAB
json=$(nl scenario run --json "$work/run.lab"); rc=$?
check_eq "run --json exits 1 on a failed expectation" 1 "$rc"
check_eq "run --json is one JSON object (nothing else on stdout)" 1 "$(jq -s length <<<"$json")"
check_eq "run --json: verdicts of the command and both expectations" "command:pass expect:pass expect:fail" \
        "$(jq -r '[.steps[] | "\(.kind):\(.verdict)"] | join(" ")' <<<"$json")"
check_match "run --json: timings" "^[0-9]+ [0-9]+$" "$(jq -r '"\(.steps[2].ms) \(.summary.ms)"' <<<"$json")"
nl scenario run --junit - "$work/run.lab" "$work/run.lab" >"$work/run.xml"
check "run --junit - writes XML that parses" xml_ok "$work/run.xml"
check_eq "run --junit: one testsuite per file, written by each lab" 2 "$(grep -c '<testsuite ' "$work/run.xml")"
check_match "run --junit: the failure names what was seen" "<failure message=\"[^\"]*no network" "$(cat "$work/run.xml")"

# A class: one passing, one failing, one unparsable submission; the class is graded regardless.
mkdir -p "$work/class"
cat >"$work/class/alice.lab" <<'LAB'
network create anet --subnet 10.78.0.0/24
run -d --name web --network anet busybox httpd -f -p 80
run -d --name cli --network anet busybox sleep 1d
expect cli reaches web:80
expect cli resolves web
LAB
sed 's/^run -d --name web --network anet/run -d --name web/' "$work/class/alice.lab" >"$work/class/bob.lab"
printf 'run -d --name web busybox sleep 1d\nexpect web reachs host\n' >"$work/class/carol.lab"
out=$(nl scenario grade "$work/class" --jobs 3 --csv "$work/grades.csv" 2>&1); rc=$?
check_eq "grade exits 0 when the class was graded" 0 "$rc"
check_match "grade: alice passes everything" "^alice +2 +0 +2 +100%" "$out"
check_match "grade: bob fails, naming his first failing expectation" \
        "^bob +0 +2 +2 +0% +line 4: expect cli reaches web:80" "$out"
check_match "grade: carol's file does not parse, and says where" "^carol .*unparsable: .*carol.lab:2:" "$out"
check_eq "grade --csv: one row per student, in name order" "alice ran 100
bob ran 0
carol unparsable 0" "$(python3 -c 'import csv, sys
for r in csv.DictReader(open(sys.argv[1])): print(r["student"], r["status"], r["score"])' "$work/grades.csv")"
nl scenario grade "$work/class" --json "$work/grades.json" >/dev/null
check_eq "grade --json: the same table" "alice:2/2 bob:0/2 carol:unparsable" \
        "$(jq -r '[.students[] | if .status == "ran" then "\(.student):\(.passed)/\(.total)" else "\(.student):\(.status)" end] | join(" ")' "$work/grades.json")"
check_match "grade --json: bob's first failure carries its evidence" "timeout|unreachable|refused" \
        "$(jq -r '.students[1].first_failing.evidence' "$work/grades.json")"

# Ctrl-C stops the class: running labs remove themselves, no new one starts, exit 130.
mkdir -p "$work/slow"
for i in 1 2 3 4; do cp "$work/class/bob.lab" "$work/slow/s$i.lab"; done
setsid "$NETLAB" scenario grade --jobs 2 "$work/slow" >"$work/slow.txt" 2>&1 &
g=$!
sleep 2
kill -INT -- -"$g"
wait "$g"; rc=$?
check_eq "grade interrupted by Ctrl-C exits 130" 130 "$rc"
check_eq "... and grades nobody" 4 "$(grep -c 'interrupted (Ctrl-C): not graded' "$work/slow.txt")"

check_eq "no sandbox directory is left behind" "$labs_before" "$(ls -d /run/netlab-lab.* 2>/dev/null | wc -l)"
rm -rf "$work"
finish
