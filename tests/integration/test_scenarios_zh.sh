# Scenarios narrate in Chinese: with --lang zh, or under a zh_* locale (LC_ALL, LC_MESSAGES, LANG:
# the first one set decides); English first, as the positive control of each switch.
. "$NETLAB_TESTLIB"

lib=$(realpath "$(dirname "$NETLAB_TESTLIB")/../../scenarios")
work=$(mktemp -d /tmp/netlab-scen-zh.XXXXXX)
unset LC_ALL LC_MESSAGES LANG

# One shipped scenario, whole, in both languages.
out=$(nl scenario run "$lib/01-none.lab" 2>&1)
check_match "English by default: the title" "01-none.lab: --network none: a container with nothing" "$out"
check_fails "English by default: no Chinese note" grep -q '只有 lo' <<<"$out"
out=$(nl scenario run --lang zh "$lib/01-none.lab" 2>&1); rc=$?
check_eq "--lang zh: the scenario still passes" 0 "$rc"
check_match "--lang zh: the Chinese title" "01-none.lab: --network none：只有回环接口的容器" "$out"
check_match "--lang zh: a Chinese note" "^> 使用 --network none 时，容器有自己的网络命名空间，但里面只有 lo。" "$out"
check_match "--lang zh: commands stay as typed" '^\$ netlab run -d --name box --network none' "$out"
check_fails "--lang zh: no English note" grep -q 'It can talk to itself' <<<"$out"
out=$(env LANG=zh_CN.UTF-8 "$NETLAB" scenario run "$lib/01-none.lab" 2>&1)
check_match "LANG=zh_CN.UTF-8: the Chinese title" "01-none.lab: --network none：只有回环接口的容器" "$out"
check_match "LANG=zh_CN.UTF-8: a Chinese note" "^> 它只能通过 127.0.0.1 和自己通信" "$out"

# The order of the variables and the flag, on a file with no commands (quick to run).
cat >"$work/lang.lab" <<'LAB'
title    Languages
title.zh 语言
note     translated
note.zh  已翻译
note     English only
LAB
# env, not a prefix: bash itself would try to switch to a locale that may not be installed
lang_of() { env "$@" 2>&1 | tr '\n' ' '; }
check_match "LC_ALL=C over LANG=zh_CN: English" "Languages > translated" \
        "$(lang_of LC_ALL=C LANG=zh_CN.UTF-8 "$NETLAB" scenario run "$work/lang.lab")"
check_match "LC_MESSAGES=zh_TW over LANG=C: Chinese" "语言 > 已翻译" \
        "$(lang_of LC_MESSAGES=zh_TW.UTF-8 LANG=C "$NETLAB" scenario run "$work/lang.lab")"
check_match "--lang en over LANG=zh_CN: English" "Languages > translated" \
        "$(lang_of LANG=zh_CN.UTF-8 "$NETLAB" scenario run --lang en "$work/lang.lab")"
check_match "a note without note.zh falls back to English" "> 已翻译 > English only" \
        "$(lang_of "$NETLAB" scenario run --lang zh "$work/lang.lab")"
out=$(nl scenario run --lang fr "$work/lang.lab" 2>&1); rc=$?
check_eq "--lang fr exits 1" 1 "$rc"
check_eq "--lang fr names the value and what is accepted" \
        'netlab: error: --lang "fr": want en or zh' "$out"

check_match "scenario list: English titles" "^01-none.lab +--network none: a container" \
        "$(nl scenario list "$lib")"
check_match "scenario list under LANG=zh_CN: Chinese titles" \
        "^01-none.lab +--network none：只有回环接口的容器" "$(env LANG=zh_CN.UTF-8 "$NETLAB" scenario list "$lib")"

# A malformed variant stops the file before anything runs, naming the line.
printf 'title T\nrun -d --name web busybox sleep 1d\nnote.zh 说明\n' >"$work/bad.lab"
out=$(nl scenario run --lang zh "$work/bad.lab" 2>&1); rc=$?
check_eq "a misplaced note.zh exits 1" 1 "$rc"
check_match "the error names the line" "bad.lab:3:1: error: note.zh: goes on the line right after the note" "$out"
check_fails "nothing ran" grep -q '\$ netlab run' <<<"$out"

rm -rf "$work"
finish
