#!/bin/sh
# Style is checked, not hoped for: C with the root .clang-format (Debian's clang-format), JavaScript
# and TypeScript with Prettier (pinned in package.json; .prettierrc.json). Fix with --fix.
#
#   scripts/check-format.sh         # report files that are not formatted, exit 1 if any
#   scripts/check-format.sh --fix   # format them in place
set -eu
cd "$(dirname "$0")/.."

# Tracked files and new ones not yet added (not those .gitignore names), so a file is checked
# before its first commit too.
c_files=$(git ls-files --cached --others --exclude-standard 'include/*.h' 'src/*.c' 'src/*.h' 'tests/c/*.c' \
    'tests/c/*.h' 'tests/fuzz/*.c' 'tests/bench/*.c')
js_files=$(git ls-files --cached --others --exclude-standard '*.js' '*.cjs' '*.mjs' '*.ts' '*.mts')
if [ "${1:-}" = "--fix" ]; then
    # shellcheck disable=SC2086
    clang-format -i $c_files
    # shellcheck disable=SC2086
    node_modules/.bin/prettier --log-level warn --write $js_files
    exit 0
fi
status=0
# shellcheck disable=SC2086
clang-format --dry-run --Werror $c_files || status=1
# shellcheck disable=SC2086
node_modules/.bin/prettier --log-level warn --check $js_files || status=1
if [ "$status" -ne 0 ]; then
    echo "format: the files above are not formatted; run scripts/check-format.sh --fix" >&2
else
    echo "format: $(echo "$c_files" | wc -l) C and $(echo "$js_files" | wc -l) JavaScript/TypeScript files formatted"
fi
exit $status
