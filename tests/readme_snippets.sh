#!/usr/bin/env bash
# Every C snippet of the README (```c blocks) compiles against the public headers, inside a function
# that declares the names the snippets use: tests/readme_snippets.sh SOURCE_DIR WORK_DIR [CC]
set -euo pipefail
src="$1" work="$2" cc="${3:-cc}"
mkdir -p "$work"
rm -f "$work"/snippet-*.c
awk -v dir="$work" '
  /^```c$/ { n++; file = sprintf("%s/snippet-%d.c", dir, n); inside = 1;
             print "#include <stdio.h>\n#include \"spikefuse.h\"\n#include \"spikefuse_tuning.h\"" > file;
             printf "void snippet_%d(int64_t T, int64_t M, void *d_x, void *d_y, void *d_v, void *stream);\n", n > file;
             printf "void snippet_%d(int64_t T, int64_t M, void *d_x, void *d_y, void *d_v, void *stream)\n{\n", n > file;
             next }
  /^```$/ && inside { print "}" > file; close(file); inside = 0; next }
  inside { print > file }
' "$src/README.md"
count=0
for f in "$work"/snippet-*.c; do
  [ -e "$f" ] || continue
  "$cc" -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -I"$src/include" -I"$src/lookup" -c "$f" -o "${f%.c}.o" ||
    { n="${f##*-}"; echo "readme_snippets: the README's C snippet ${n%.c} does not compile" >&2; exit 1; }
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "readme_snippets: no \`\`\`c block found in $src/README.md" >&2; exit 1; }
echo "readme_snippets: $count C snippets compile"
