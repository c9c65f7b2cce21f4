#!/usr/bin/env bash
# Run hardpin for the GitHub Action (action.yml) and write the step's outputs.
#
# Every input comes through the environment (action.yml never splices a
# value into a script):
#   HARDPIN_BIN               the binary (scripts/action-install.sh's `path`)
#   HARDPIN_COMMAND           ONE word: fix, update, pr, audit or explain
#   HARDPIN_ARGS              its arguments, ONE PER LINE: each line is one
#                             argument exactly as written (no quoting, no
#                             splitting, no `$VAR` or `$(…)`: no shell reads
#                             it); blank lines are skipped, a trailing CR too
#   HARDPIN_FAIL_ON_FINDINGS  `true` (default): hardpin's exit code is the
#                             step's; `false`: exit 1 (findings, changes to
#                             make) passes, 2 (an error) still fails
#   GITHUB_OUTPUT             outputs: exit-code, pr-url, pr-urls, files-changed,
#                             changes, errors, warnings, findings
#
# Written for bash 3.2 too (macOS's /bin/bash): the lines are read with
# `read -r`, one argument each, never with eval or word splitting.
set -euo pipefail

fail() {
  echo "::error title=hardpin::$*" >&2
  exit 2
}

bin="${HARDPIN_BIN:-}"
[[ -n "$bin" ]] || fail "HARDPIN_BIN is not set (no hardpin was installed)"

command="${HARDPIN_COMMAND:-}"
case "$command" in
  fix | update | pr | audit | explain) ;;
  *[[:space:]]*)
    fail "the \`command\` input is one word (fix, update, pr, audit or explain), not \`$command\`: put its arguments in \`args\`, one per line (e.g. command: pr, args: --update)"
    ;;
  *) fail "unknown command \`$command\`: use fix, update, pr, audit or explain" ;;
esac

fail_on_findings="${HARDPIN_FAIL_ON_FINDINGS:-true}"
case "$fail_on_findings" in
  true | false) ;;
  *) fail "fail-on-findings is \`true\` or \`false\`, not \`$fail_on_findings\`" ;;
esac

args=("$command")
while IFS= read -r line || [[ -n "$line" ]]; do
  line="${line%$'\r'}"
  if [[ -n "$line" ]]; then
    args+=("$line")
  fi
done <<<"${HARDPIN_ARGS:-}"

log=$(mktemp "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/hardpin-run.XXXXXX")
trap 'rm -f "$log"' EXIT

# stdout and stderr both reach the job log as they come, and a copy is
# read for the outputs (the URL is on stdout, or on stderr with
# --format json; the counts are on stderr).
set +e
"$bin" "${args[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# `created <url>` / `updated <url>`, or the `--repo` table's
# `<owner/name>  created <url>` rows.
urls=$(awk '
  { sub(/\r$/, "") }
  NF == 2 && ($1 == "created" || $1 == "updated") && $2 ~ /^https?:\/\// { print $2; next }
  NF == 3 && ($2 == "created" || $2 == "updated") && $3 ~ /^https?:\/\// { print $3 }
' "$log")
first_url=$(printf '%s\n' "$urls" | head -n 1)

# fix, update, pr: `hardpin: N files scanned, M changed, K references pinned
# or added, E errors, W warnings`; audit: `hardpin: N files audited: E errors,
# W warnings, X notes, S suppressed`. The last such line counts; without one
# (`explain`, `pr --repo`, `--quiet`) the counts are empty.
counts=$(awk '
  { sub(/\r$/, "") }
  /^hardpin: [0-9]+ files? scanned, [0-9]+ changed, [0-9]+ references? pinned or added, [0-9]+ errors?, [0-9]+ warnings?$/ {
    split($0, w, /[ ,:]+/)
    files = w[5]; changes = w[7]; errors = w[12]; warnings = w[14]; findings = w[12] + w[14]
  }
  /^hardpin: [0-9]+ files? audited: [0-9]+ errors?, [0-9]+ warnings?, [0-9]+ notes?, [0-9]+ suppressed$/ {
    split($0, w, /[ ,:]+/)
    files = ""; changes = ""; errors = w[5]; warnings = w[7]; findings = w[5] + w[7] + w[9]
  }
  END {
    print "files-changed=" files
    print "changes=" changes
    print "errors=" errors
    print "warnings=" warnings
    print "findings=" findings
  }
' "$log")

if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
  {
    echo "exit-code=$status"
    echo "pr-url=$first_url"
    delimiter="hardpin_urls_$$_${RANDOM}${RANDOM}"
    echo "pr-urls<<$delimiter"
    if [[ -n "$urls" ]]; then printf '%s\n' "$urls"; fi
    echo "$delimiter"
    printf '%s\n' "$counts"
  } >>"$GITHUB_OUTPUT"
fi

case "$status" in
  0) exit 0 ;;
  1)
    if [[ "$fail_on_findings" == false ]]; then
      echo "::notice title=hardpin::hardpin exited 1 (findings or changes to make); fail-on-findings is false, so the step passes"
      exit 0
    fi
    exit 1
    ;;
  *) exit "$status" ;;
esac
