#!/usr/bin/env bash
# The steps of action.yml: runs the command with the action's inputs (INPUT_*), appends the Markdown
# report (and with a history, the trend) to the job summary ($GITHUB_STEP_SUMMARY) and sets the
# outputs ($GITHUB_OUTPUT): verdict, exit-code, scope, report-path. Exits with the command's exit code.
# Under GitHub Actions the command prints annotations (::error / ::warning) itself.
# test/action.test.ts runs it locally.
set -uo pipefail
here="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
cli="$here/dist/app/cli.js"
if [ ! -f "$cli" ]; then
  # `uses: owner/repo@ref` checks out the sources: npm ci builds dist/ (prepare)
  (cd "$here" && npm ci --no-audit --no-fund >&2) || { echo "::error::cannot install the conformance tool" >&2; exit 2; }
fi

# Keys reach the command only as environment variables; an empty secret leaves its variable unset.
[ -n "${INPUT_API_KEY:-}" ] && export FFMPEG_API_KEY="$INPUT_API_KEY"
[ -n "${INPUT_QUOTA_EXCEEDED_KEY:-}" ] && export FFMPEG_API_QUOTA_EXCEEDED_KEY="$INPUT_QUOTA_EXCEEDED_KEY"
[ -n "${INPUT_REVOKED_KEY:-}" ] && export FFMPEG_API_REVOKED_KEY="$INPUT_REVOKED_KEY"

dir="${INPUT_REPORT_DIR:-conformance-reports}"
args=(--report-dir "$dir")
[ -n "${INPUT_TARGET:-}" ] && args+=(--target "$INPUT_TARGET")
[ "${INPUT_STRICT:-false}" = "true" ] && args+=(--strict)
[ -n "${INPUT_BASELINE:-}" ] && args+=(--baseline "$INPUT_BASELINE")
[ -n "${INPUT_HISTORY:-}" ] && args+=(--history "$INPUT_HISTORY")
[ -n "${INPUT_HISTORY_KEEP:-}" ] && args+=(--history-keep "$INPUT_HISTORY_KEEP")
# More flags, split into words as a shell would (--only 'auth.missing.*'), nothing expanded or run
# (scripts/action-args.mjs); a variable or an operator in them stops the step (exit 2).
words=$(mktemp)
if ! node "$here/scripts/action-args.mjs" > "$words"; then
  rm -f "$words"
  echo "::error title=FFmpeg API conformance::the args input cannot be used (see the line above)"
  printf 'verdict=could-not-run\nexit-code=2\nreport-path=\n' >> "${GITHUB_OUTPUT:-/dev/null}"
  exit 2
fi
mapfile -d '' -t extra < "$words"
rm -f "$words"
args+=("${extra[@]}")

node "$cli" "${args[@]}"
code=$?

report="$dir/report.json"
if [ -f "$report" ]; then
  verdict=$(node -e 'process.stdout.write(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).summary.verdict)' "$report")
  # A narrowed run (--only, --skip, --operation in args) says so: "4 of 99 checks: --only …"; empty for the whole catalog.
  scope=$(node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).summary.scope; process.stdout.write(s ? `${s.checks} of ${s.of} checks: ${s.by.join(" ")}` : "")' "$report")
  cat "$dir/report.md" >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
  # with a history: the trend after the report
  [ -n "${INPUT_HISTORY:-}" ] && [ -f "$dir/history.md" ] && { echo; cat "$dir/history.md"; } >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
else
  verdict=could-not-run
  scope=
  report=
  echo "**FFmpeg API conformance: no report** (exit $code): see the step's log." >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
fi
{
  echo "verdict=$verdict"
  echo "exit-code=$code"
  echo "scope=$scope"
  echo "report-path=$report"
} >> "${GITHUB_OUTPUT:-/dev/null}"
exit "$code"
