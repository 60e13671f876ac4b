# The docs runner itself: a page whose shown output is right passes, and each way a page can be
# wrong (output, a "# fails" that succeeds or hangs, a 125-127 "failure", sudo) is caught.
. "$NETLAB_TESTLIB"
here=$(dirname "$NETLAB_TESTLIB")
runner() { NLAB_SANDBOX='' FAIL_TIMEOUT=2 bash "$here/test_docs.sh" "$here/docs_fixtures/$1"; }

res=$(runner good.md); rc=$?
check_eq "a right page passes" 0 "$rc"
check_eq "every command of it ran" "1..11" "$(tail -1 <<<"$res")"
check_eq "no command of it failed" "" "$(grep "^not ok" <<<"$res")"

res=$(runner bad.md); rc=$?
check_eq "a wrong page fails" 1 "$rc"
check_eq "every command of it is caught" "1..8" "$(tail -1 <<<"$res")"
check_eq "none of it passed" "" "$(grep "^ok" <<<"$res")"
check_match "a wrong output line shows as a diff" '^# \+hello$' "$res"
check_match "a missing output line is caught" 'printf .one.ntwo.n. \(output differs' "$res"
check_match "a # fails that succeeds" 'bad.md:8: true \(marked "# fails", but it succeeded\)' "$res"
check_match "a # fails that hangs is stopped" 'bad.md:9: sleep 30 \(still running after 2 s\)' "$res"
check_match "a command not found is not the failure meant" 'bad.md:14: nosuchcommand-xyz \(exit 127: not the failure' "$res"
check_match "an unmarked failure is caught" 'bad.md:10: false \(exit 1\)' "$res"
check_match "sudo is refused" 'bad.md:15: sudo true$' "$res"
check_match "./build/ is refused" 'bad.md:16: ./build/netlab/netlab ps$' "$res"
finish
