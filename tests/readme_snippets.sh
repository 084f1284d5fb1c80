#!/usr/bin/env bash
# The README's snippets, checked: tests/readme_snippets.sh SOURCE_DIR WORK_DIR CC SPIKEFUSE
# (SPIKEFUSE: the built command, "$<TARGET_FILE:spikefuse_cli>"; README: $SF_README, default SOURCE_DIR/README.md).
#
# What "runs in a test" means here, per kind of fenced block:
# - ```c: compiled (-c, -std=c11 -Wall -Wextra -Werror) against the public headers, inside a function
#   that declares the names the snippets use (T, M, d_x, d_y, d_v, stream). Not linked or run: the
#   kernels tests and tuning/example.c (install_package) run the same calls.
# - ```sh, ```bash, ```console (its "$ " lines), and the `spikefuse` call of a ```python block: every
#   command that invokes spikefuse (the word `spikefuse`, `build/spikefuse`, any path ending in
#   /spikefuse, where it is not the value of an option such as --prefix) must
#   name a subcommand that `spikefuse --help` lists and only options (--long, -a) that the
#   subcommand's `--help` lists. Continuation lines (after a trailing \, or indented under a
#   spikefuse synopsis) belong to the command; a `# comment` is dropped. Every subcommand named has
#   its --help run (exit 0). A `list` or `device` command with no placeholder in it (no [ ] | ( ) or
#   capitalised word) is run as written and must exit 0: these are short and write nothing. In a
#   ```console block, the lines after such a command are its output, compared loosely: each line
#   shown, blanks squeezed, must be a line of what it prints ("..." stands for the lines left out).
#   Every script a command names (ci/*.sh, plots/*.sh, peers/*.sh, peers/*.py) must exist, must be
#   executable where it is run directly (not as an argument of bash, sh or python), and every --option
#   given to it must appear in its text (for a .py, in its folder's Python files).
#   Nothing else runs here: the full jobs (ci/main.sh, ci/test.sh, spikefuse reproduce, sweep, tune,
#   ci/gpu-check.sh, ci/regress.sh) are run by CI's main job and by other tests (reproduce,
#   perf_gates, gpu_check_pack, install_package, peers), so their snippets are checked, not run.
# - ```cmake: not checked here; install_package builds a project with the same find_package and
#   target_link_libraries lines.
# - Output in ```text or a plain ``` block (the layout, say): left alone.
set -euo pipefail
src="$1" work="$2" cc="${3:-cc}" bin="${4:-}"
readme="${SF_README:-$src/README.md}"
[ -n "$bin" ] && [ -x "$bin" ] || { echo "readme_snippets: usage: $0 SOURCE_DIR WORK_DIR CC SPIKEFUSE (the built command)" >&2; exit 2; }
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"
mkdir -p "$work"
rm -f "$work"/snippet-*.c "$work"/commands.txt "$work"/shown.txt
fail=0
bad() { echo "readme_snippets: README.md:$*" >&2; fail=1; }

# --- C snippets ---
awk -v dir="$work" '
  /^```c$/ { n++; file = sprintf("%s/snippet-%d.c", dir, n); inside = 1;
             print "#include <stdio.h>\n#include \"spikefuse.h\"\n#include \"spikefuse_tuning.h\"" > file;
             printf "void snippet_%d(int64_t T, int64_t M, void *d_x, void *d_y, void *d_v, void *stream);\n", n > file;
             printf "void snippet_%d(int64_t T, int64_t M, void *d_x, void *d_y, void *d_v, void *stream)\n{\n", n > file;
             next }
  /^```$/ && inside { print "}" > file; close(file); inside = 0; next }
  inside { print > file }
' "$readme"
count=0
for f in "$work"/snippet-*.c; do
  [ -e "$f" ] || continue
  "$cc" -std=c11 -Wall -Wextra -Werror -Wno-unused-parameter -I"$src/include" -I"$src/lookup" -c "$f" -o "${f%.c}.o" ||
    { n="${f##*-}"; echo "readme_snippets: the README's C snippet ${n%.c} does not compile" >&2; exit 1; }
  count=$((count + 1))
done
[ "$count" -gt 0 ] || { echo "readme_snippets: no \`\`\`c block found in $readme" >&2; exit 1; }

# --- shell commands: one logical command a line, "LINE<TAB>command" ---
awk -v out="$work/commands.txt" -v shown="$work/shown.txt" '
  function flush() { if (cmd != "") print start "\t" cmd > out; cmd = ""; cont = 0 }
  /^```/ && !inside { inside = 1; lang = substr($0, 4); start = ""; next }
  /^```$/ && inside { flush(); inside = 0; lang = ""; next }
  !inside { next }
  lang == "python" {
    if ($0 ~ /spikefuse"/) {
      line = $0; sub(/^[^[]*\[/, "", line); sub(/\].*$/, "", line); gsub(/[",]/, " ", line)
      print NR "\t" line > out }
    next }
  lang == "console" && !/^\$ / { if (start != "") print start "\t" NR "\t" $0 > shown; next }
  lang == "sh" || lang == "bash" || lang == "console" {
    line = $0
    if (lang == "console") sub(/^\$ /, "", line)
    sub(/(^|[ \t])#.*$/, "", line)
    if (cont || (line ~ /^[ \t]/ && cmd ~ /(^|[ \t\/])spikefuse[ \t]/)) {
      cmd = cmd " " line
    } else { flush(); start = ""; if (line ~ /[^ \t]/) { cmd = line; start = NR } }
    cont = (cmd ~ /\\[ \t]*$/)
    if (cont) sub(/\\[ \t]*$/, "", cmd)
    next }
' "$readme"
touch "$work/commands.txt" "$work/shown.txt"

"$bin" --help > "$work/help.txt"
subcommands=$(awk '/^  [a-z][a-z-]* / { print $1 }' "$work/help.txt")
declare -A helped=()
options_of() {  # the options a subcommand's --help names, one a line
  "$bin" "$1" --help 2>&1 | grep -oE -- '(^|[^A-Za-z0-9-])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[^-]+//' | sort -u
}
interpreters='^(bash|sh|python|python3|.*/python|.*/python3)$'
commands=0 scripts=0 ran=0
while IFS=$'\t' read -r line cmd; do
  read -ra words <<< "$cmd"
  for ((i = 0; i < ${#words[@]}; i++)); do
    w="${words[$i]}"
    # a script the project ships
    if [[ "$w" =~ ^[\"\']?((ci|plots|peers)/[A-Za-z0-9_.-]+\.(sh|py))[\"\']?$ ]]; then
      s="${BASH_REMATCH[1]}"; scripts=$((scripts + 1))
      if [ ! -f "$src/$s" ]; then bad "$line: $s does not exist: $cmd"; continue; fi
      prev="${words[$((i - 1))]:-}"
      [[ "$prev" =~ $interpreters ]] || [ -x "$src/$s" ] || bad "$line: $s is run directly but is not executable"
      for ((j = i + 1; j < ${#words[@]}; j++)); do
        o="${words[$j]}"; o="${o#[}"; o="${o%%]*}"; o="${o%%=*}"
        case "$o" in ';'|'&&'|'||'|'|') break ;; esac
        [[ "$o" =~ ^--[A-Za-z][A-Za-z0-9-]*$ ]] || continue
        if [[ "$s" == *.py ]]; then where=$(dirname "$src/$s"); grep -rqF --include='*.py' -- "\"$o\"" "$where" || bad "$line: $s has no option $o"
          else grep -qF -- "$o" "$src/$s" || bad "$line: $s has no option $o"; fi
      done
    fi
    # a spikefuse command
    if { [ "$w" = spikefuse ] || [[ "$w" == */spikefuse ]]; } && [[ "${words[$((i - 1))]:-}" != -* || $i == 0 ]]; then
      commands=$((commands + 1))
      sub="${words[$((i + 1))]:-}"
      if ! grep -qx -- "$sub" <<< "$subcommands"; then bad "$line: '$sub' is not a spikefuse subcommand: $cmd"; break; fi
      if [ -z "${helped[$sub]:-}" ]; then
        "$bin" "$sub" --help > /dev/null 2>&1 || bad "$line: spikefuse $sub --help exits non-zero"
        options_of "$sub" > "$work/options-$sub.txt"; helped[$sub]=1
      fi
      rest=("${words[@]:$((i + 2))}")
      for o in $(printf '%s\n' "${rest[@]}" | grep -oE -- '(^|[[(|])--?[A-Za-z][A-Za-z0-9-]*' | sed -E 's/^[^-]+//'); do
        grep -qxF -- "$o" "$work/options-$sub.txt" || bad "$line: spikefuse $sub has no option $o (see spikefuse $sub --help): $cmd"
      done
      if [[ "$sub" == list || "$sub" == device ]] && ! [[ "${rest[*]:-}" =~ [][|()]|[A-Z] ]]; then
        (cd "$work" && "$bin" "$sub" ${rest[@]+"${rest[@]}"}) > "$work/ran.txt" || bad "$line: '$cmd' exits non-zero"
        ran=$((ran + 1))
        tr -s ' ' < "$work/ran.txt" > "$work/ran-squeezed.txt"
        while IFS=$'\t' read -r at at_line row; do
          [ "$at" = "$line" ] || continue
          row=$(tr -s ' ' <<< "$row"); [ "$row" = "..." ] && continue
          grep -qxF -- "$row" "$work/ran-squeezed.txt" || bad "$at_line: not a line that '$cmd' prints: $row"
        done < "$work/shown.txt"
      fi
      break
    fi
  done
done < "$work/commands.txt"
[ "$commands" -gt 0 ] || { echo "readme_snippets: no spikefuse command found in the README's shell blocks" >&2; exit 1; }

[ "$fail" = 0 ] || exit 1
echo "readme_snippets: $count C snippets compile; $commands spikefuse commands name real subcommands and options ($ran run), $scripts script paths exist"
