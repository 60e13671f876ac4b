#!/usr/bin/env bash
# netlab's entry point on a fresh Debian 12 machine (run as root):
#   ./dev.sh demo   install what is missing, build, install netlab on the PATH, run the demo
#   ./dev.sh test   install what is missing, build, run every test (also under ASan+UBSan)
set -euo pipefail
cd "$(dirname "$(realpath "$0")")"

packages=(
        meson ninja-build pkg-config gcc clang libclang-rt-14-dev musl-tools
        libnl-3-dev libnl-route-3-dev libgraphviz-dev libmnl-dev libnftnl-dev libcap-dev libseccomp-dev libjansson-dev libcmocka-dev libpcap-dev
        busybox-static iproute2 nftables util-linux bsdutils procps psmisc strace uidmap
        bind9-dnsutils netcat-openbsd iputils-ping jq graphviz
        dnsperf dnsmasq-base iperf3 wrk tcpdump tshark
        passt slirp4netns
)

install_missing() {
        local missing=() p
        for p in "${packages[@]}"; do
                dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
        done
        [ ${#missing[@]} -eq 0 ] && return 0
        echo "dev.sh: installing ${missing[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup_dir() { # DIR [meson options...]
        local dir=$1; shift
        if [ -f "$dir/build.ninja" ]; then
                meson setup --reconfigure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@" >/dev/null
        fi
        ninja -C "$dir"
}

passed=0
failed=0
# Run a meson test suite and add its counts to the totals.
run_suite() { # DIR SUITE [extra args]
        local dir=$1 suite=$2 log rc=0; shift 2
        log=$(mktemp)
        meson test -C "$dir" --suite "$suite" --print-errorlogs "$@" 2>&1 | tee "$log" || rc=1
        passed=$((passed + $(awk '/^Ok:/{print $2}' "$log")))
        failed=$((failed + $(awk '/^Fail:/{print $2}' "$log") + $(awk '/^Timeout:/{print $2}' "$log")))
        rm -f "$log"
        return $rc
}

# fuzz_stats LOG: what a libFuzzer run saw, from its last status line ("#RUNS DONE cov: ...").
fuzz_stats() {
        local counters
        counters=$(grep -o 'Loaded [0-9]* modules *([0-9]* inline 8-bit counters)' "$1" |
                grep -o '([0-9]*' | tr -d '(' | head -1 || true)
        grep -E '^#[0-9]+' "$1" | tail -1 | awk -v c="${counters:-?}" '{
                for (i = 1; i < NF; i++) v[$i] = $(i + 1)
                sub(/^#/, "", $1)
                printf "%s runs, cov %s, ft %s, corpus %s (of %s instrumented edges)\n", $1, v["cov:"], v["ft:"], v["corp:"], c }'
}

run_fuzzers() { # seconds per target
        local t name seeds work log cov status=0
        for t in build-fuzz/tests/fuzz/fuzz_*; do
                [ -f "$t" ] && [ -x "$t" ] || continue
                name=$(basename "$t" | sed 's/^fuzz_//')
                # New inputs go to a scratch corpus; the seeds (and kept crash inputs) stay read-only.
                work=build-fuzz/work/corpus-$name
                log=build-fuzz/work/$(basename "$t").log
                seeds=tests/fuzz/corpus/$name; [ -d "$seeds" ] || seeds=
                mkdir -p "$work"
                echo "fuzzing $name for $1 s"
                if "$t" -max_total_time="$1" -max_len=4096 -artifact_prefix=build-fuzz/work/ "$work" $seeds \
                        >"$log" 2>&1; then
                        passed=$((passed + 1))
                else
                        failed=$((failed + 1)); status=1
                        tail -30 "$log"
                fi
                echo "fuzz $name: $(fuzz_stats "$log")"
                # A target linked against uninstrumented code fuzzes blind (cov 12 once): fail it.
                cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo 0)
                if [ "$cov" -lt 50 ]; then
                        echo "fuzz $name: coverage $cov is below 50: is the code under test instrumented?"
                        failed=$((failed + 1)); status=1
                fi
        done
        return $status
}

cmd_demo() {
        install_missing
        setup_dir build
        meson install -C build --quiet # netlab, netlab-dns, netlab-shim and netlab-init into /usr/local/bin
        ./demo.sh "$(command -v netlab)"
}

cmd_test() {
        local status=0
        install_missing
        setup_dir build
        run_suite build unit || status=1
        run_suite build integration --num-processes 2 || status=1
        setup_dir build-asan -Db_sanitize=address,undefined -Db_lundef=false
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                run_suite build-asan unit || status=1
        ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
                run_suite build-asan integration --num-processes 2 || status=1
        CC=clang setup_dir build-fuzz -Dfuzz=true
        run_fuzzers "${FUZZ_SECONDS:-30}" || status=1
        echo "tests: $passed passed, $failed failed"
        return $status
}

case "${1:-}" in
demo) cmd_demo ;;
test) cmd_test ;;
*) echo "usage: $0 demo|test" >&2; exit 2 ;;
esac
