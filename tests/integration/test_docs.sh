# Docs that run: every command block of one page runs, in order, in a fresh sandbox, and the
# output the page shows is compared, so a page cannot drift from the program.
#   NETLAB=build/netlab/netlab bash tests/integration/test_docs.sh docs/tutorials/bridge.md
#   bash tests/integration/test_docs.sh --registered SRCDIR PAGE...   (no root: is every page listed?)
#
# The markup (keep pages readable on GitHub; only fences at column 0 count):
#   ```console   "$ COMMAND" lines, each followed by the output it prints (stdout and stderr
#                together), compared line by line: trailing blanks and trailing empty lines are
#                ignored; "..." inside a line matches any text, and a line that is only "..."
#                matches any number of lines (ids, times, MACs, long listings).
#   ```console single   the first "$ " line is the block's only command and every line after it
#                is its output (for output with "$ " lines of its own, as a scenario run prints).
#   ```sh        one command per line (a line ending in "\" continues); each must succeed; the
#                output is not shown, so it is not checked. Lines starting with # are comments.
#   # fails      a command whose comment starts with "fails" must exit non-zero within
#                FAIL_TIMEOUT seconds. In a sh block, exit 125-127 (netlab's own error, a command
#                that cannot run or does not exist) is not the failure shown: put such a command
#                in a console block with its error line.
#   ```sh norun  shown, never run (anything after the language word hides from GitHub's view);
#                any other fence (```, ```text, ```dot) is a diagram or a file, never run.
# Each command runs in its own `bash -c` (no variables carry over), stdin from /dev/null, in a
# scratch directory where `scenarios/` is the library, with `netlab` first on the PATH and a
# private state root, within CMD_TIMEOUT seconds. Pages say `netlab ...`, never `sudo netlab` or
# `./build/...`: the reader is root with netlab installed. The sandbox has no upstream DNS
# server (its resolv.conf names only a loopback stub, as on a machine offline), so a lookup that
# leaves the lab fails at once, the same way on every machine.
set -u
CMD_TIMEOUT=${CMD_TIMEOUT:-30}
FAIL_TIMEOUT=${FAIL_TIMEOUT:-5}

# --registered SRCDIR PAGE...: every page that can hold runnable blocks is in the list, and back.
if [ "${1:-}" = --registered ]; then
        src=$2; shift 2
        want=$(cd "$src" && ls README.md docs/tutorial.md docs/tutorials/*.md docs/zh/*.md \
                docs/zh/tutorials/*.md 2>/dev/null | sort)
        have=$(printf '%s\n' "$@" | sort)
        echo "1..1"
        if [ "$want" = "$have" ]; then echo "ok 1 - every tutorial page is run by the test suite"; exit 0; fi
        echo "not ok 1 - pages and the docs tests differ (tests/integration/meson.build, doc_pages)"
        diff <(echo "$want") <(echo "$have") | sed 's/^/# /'
        exit 1
fi

. "$NETLAB_TESTLIB"
require "$NETLAB" timeout
page=$(realpath "$1")
src=$(realpath "$(dirname "$NETLAB_TESTLIB")/../..")
name=${page#"$src"/}

mkdir -p /run/netlab-test/bin /run/netlab-test/work
ln -s "$NETLAB" /run/netlab-test/bin/netlab
ln -s "$src/scenarios" /run/netlab-test/work/scenarios
export PATH=/run/netlab-test/bin:$PATH
echo 'nameserver 127.0.0.53' >/run/netlab-test/resolv.conf
mount --bind /run/netlab-test/resolv.conf /etc/resolv.conf

# line_matches EXPECTED ACTUAL: "..." matches any text; every other character is itself.
line_matches() {
        local p=$1
        p=${p//\\/\\\\}; p=${p//\*/\\*}; p=${p//\?/\\?}; p=${p//\[/\\[}
        p=${p//.../*}
        # shellcheck disable=SC2053 # the right side is a pattern on purpose
        [[ $2 == $p ]]
}
# lines_match EI AI: exp[EI..] matches act[AI..]; a line "..." takes any number of lines.
lines_match() {
        local ei=$1 ai=$2 k
        if [ "$ei" -eq ${#exp[@]} ]; then [ "$ai" -eq ${#act[@]} ]; return; fi
        if [ "${exp[ei]}" = ... ]; then
                for ((k = ai; k <= ${#act[@]}; k++)); do
                        lines_match $((ei + 1)) "$k" && return 0
                done
                return 1
        fi
        [ "$ai" -lt ${#act[@]} ] && line_matches "${exp[ei]}" "${act[ai]}" &&
                lines_match $((ei + 1)) $((ai + 1))
}
# show_diff: exp against act, where a line of act that its line of exp matches is shown as exp.
show_diff() {
        local i shown=("${act[@]}")
        for ((i = 0; i < ${#exp[@]} && i < ${#act[@]}; i++)); do
                line_matches "${exp[i]}" "${act[i]}" && shown[i]=${exp[i]}
        done
        diff -u <(printf '%s\n' "${exp[@]}") <(printf '%s\n' "${shown[@]}") | tail -n +3
}
# to_lines VAR TEXT: TEXT into array VAR, without trailing blanks and trailing empty lines.
to_lines() {
        local -n arr=$1
        local l
        arr=()
        while IFS= read -r l; do arr+=("${l%"${l##*[![:space:]]}"}"); done <<<"$2"
        while [ ${#arr[@]} -gt 0 ] && [ -z "${arr[-1]}" ]; do unset 'arr[-1]'; done
}

# run_cmd LINE KIND COMMAND EXPECTED: KIND is sh or console (EXPECTED is then the shown output).
run_cmd() {
        local line=$1 kind=$2 cmd=$3 want=$4 fails=0 tmo=$CMD_TIMEOUT rc=0 out desc
        desc="$name:$line: ${cmd%%  *}"
        if [[ $cmd =~ [[:space:]]#[[:space:]]*fails([^[:alnum:]]|$) ]]; then fails=1; tmo=$FAIL_TIMEOUT; fi
        if [[ $cmd =~ ^(sudo|\./build/) ]]; then
                not_ok "$desc" "say \`netlab ...\`: the reader is root with netlab on the PATH"
                return
        fi
        # To a file, not a pipe: a process the command left (a container's, past the timeout) may
        # hold a pipe open for minutes.
        (cd /run/netlab-test/work && timeout -k 2 "$tmo" bash -c "$cmd") </dev/null \
                >/run/netlab-test/out 2>&1 || rc=$?
        out=$(cat /run/netlab-test/out)
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
                not_ok "$desc (still running after $tmo s)" "$out"; return
        fi
        if [ "$fails" = 1 ] && [ "$rc" = 0 ]; then
                not_ok "$desc (marked \"# fails\", but it succeeded)" "$out"; return
        fi
        if [ "$fails" = 1 ] && [ "$kind" = sh ] && [ "$rc" -ge 125 ] && [ "$rc" -le 127 ]; then
                not_ok "$desc (exit $rc: not the failure the page means)" "$out"; return
        fi
        if [ "$fails" = 0 ] && [ "$rc" != 0 ]; then not_ok "$desc (exit $rc)" "$out"; return; fi
        if [ "$kind" = console ]; then
                to_lines exp "$want"
                to_lines act "$out"
                if ! lines_match 0 0; then
                        not_ok "$desc (output differs: - the page, + the command)" "$(show_diff)"
                        return
                fi
        fi
        ok "$desc"
}

# The page, block by block: a console command's output runs up to the next "$ " line.
fence='' single=0 cmd='' cmd_line=0 want='' lineno=0 cont=0
flush() {
        [ -n "$cmd" ] && run_cmd "$cmd_line" "$fence" "$cmd" "$want"
        cmd='' want=''
}
while IFS= read -r l || [ -n "$l" ]; do
        lineno=$((lineno + 1))
        if [ -z "$fence" ] || [ "$fence" = skip ]; then
                if [[ $l =~ ^\`\`\`(.*)$ ]]; then
                        if [ -n "$fence" ]; then fence=''; continue; fi
                        single=0
                        case ${BASH_REMATCH[1]} in
                        sh) fence=sh ;; console) fence=console ;; 'console single') fence=console single=1 ;;
                        *) fence=skip ;;
                        esac
                fi
                continue
        fi
        if [[ $l =~ ^\`\`\`[[:space:]]*$ ]]; then flush; fence=''; continue; fi
        if [ "$cont" = 1 ]; then # a "\" at the end of the line before
                cmd="${cmd%\\} ${l#> }"
                [[ $l == *\\ ]] || cont=0
                continue
        fi
        if [ "$fence" = sh ]; then
                [[ $l =~ ^[[:space:]]*(#|$) ]] && continue
                flush
                cmd=$l cmd_line=$lineno
                [[ $l == *\\ ]] && cont=1
        elif [[ $l == '$ '* ]] && { [ "$single" = 0 ] || [ -z "$cmd" ]; }; then
                flush
                cmd=${l#'$ '} cmd_line=$lineno
                [[ $l == *\\ ]] && cont=1
        elif [ -n "$cmd" ]; then
                want+="$l"$'\n'
        fi
done <"$page"
[ -z "$fence" ] || [ "$fence" = skip ] || not_ok "$name: a command block is not closed"
[ "$tap_n" -gt 0 ] || not_ok "$name: no command block to run"
finish
