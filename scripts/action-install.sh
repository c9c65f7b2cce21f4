#!/usr/bin/env bash
# Download, verify and cache a released hardpin for the GitHub Action
# (action.yml), and print the path of its binary.
#
# Every input comes through the environment (action.yml never splices a
# value into a script):
#   HARDPIN_VERSION           the release, `0.2.0` or `v0.2.0` (default: the
#                             `version` of $GITHUB_ACTION_PATH/Cargo.toml, i.e.
#                             the version of the commit the action is pinned to)
#   RUNNER_OS, RUNNER_ARCH    which archive (Linux/macOS/Windows, X64/ARM64)
#   HARDPIN_RELEASES_URL      default https://github.com/hardpin/hardpin/releases/download;
#                             must be https, except plain http to 127.0.0.1 or
#                             localhost (for tests)
#   RUNNER_TOOL_CACHE         the binary is kept in
#                             $RUNNER_TOOL_CACHE/hardpin/<version>/<target> and
#                             reused from there without downloading
#   GH_TOKEN                  with it, and when `gh` is installed, the archive's
#                             build provenance is checked too with
#                             `gh attestation verify`
#   HARDPIN_SKIP_ATTESTATION  `true` skips that check (SHA256SUMS is still checked)
#   GITHUB_OUTPUT             `path=<binary>` is appended to it; unset: printed
#
# Release layout: tag v<version>; assets hardpin-<version>-<target>.tar.gz
# (Windows: .zip) with the binary at the archive root, and SHA256SUMS with
# lines `<sha256>  <file name>`.
#
# Any failure prints an `::error::` line and exits non-zero. The archive is
# checked before anything is extracted: a tampered archive never reaches the
# cache. Written for bash 3.2 too (macOS's /bin/bash).
set -euo pipefail

repository=hardpin/hardpin

fail() {
  echo "::error title=hardpin install::$*" >&2
  exit 1
}

notice() {
  echo "::notice title=hardpin install::$*" >&2
}

action_path="${GITHUB_ACTION_PATH:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

# --- version -----------------------------------------------------------------
version="${HARDPIN_VERSION:-}"
if [[ -z "$version" ]]; then
  manifest="$action_path/Cargo.toml"
  [[ -f "$manifest" ]] || fail "no version given and no $manifest to read it from: set the action's \`version\` input"
  # The first `version = "…"` of the [package] table.
  version=$(awk '
    /^\[/ { in_package = ($0 == "[package]"); next }
    in_package && /^version[[:space:]]*=/ {
      sub(/^version[[:space:]]*=[[:space:]]*"/, ""); sub(/".*$/, ""); print; exit
    }' "$manifest")
  [[ -n "$version" ]] || fail "no [package] version in $manifest: set the action's \`version\` input"
fi
version="${version#v}"
# It names a folder and a file: nothing but a version may pass.
[[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] ||
  fail "\`$version\` is not a release version (like 0.2.0)"

# --- target ------------------------------------------------------------------
os="${RUNNER_OS:-}"
arch="${RUNNER_ARCH:-}"
case "$os/$arch" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  # Windows on ARM runs x64 programs.
  Windows/X64 | Windows/ARM64) target=x86_64-pc-windows-msvc ;;
  *) fail "no hardpin release for RUNNER_OS=$os RUNNER_ARCH=$arch: use \`build-from-source: true\`" ;;
esac
if [[ "$target" == *windows* ]]; then
  asset="hardpin-$version-$target.zip"
  exe=hardpin.exe
else
  asset="hardpin-$version-$target.tar.gz"
  exe=hardpin
fi

# --- cache -------------------------------------------------------------------
tool_cache="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"
cache_dir="$tool_cache/hardpin/$version/$target"
# Written last, after the binary is in place (the tool cache's own marker).
marker="$cache_dir.complete"

emit() {
  if [[ -n "${GITHUB_OUTPUT:-}" ]]; then
    printf 'path=%s\n' "$1" >>"$GITHUB_OUTPUT"
  else
    printf '%s\n' "$1"
  fi
}

if [[ -f "$marker" && -f "$cache_dir/$exe" ]]; then
  echo "hardpin $version ($target) from the tool cache: $cache_dir" >&2
  emit "$cache_dir/$exe"
  exit 0
fi

# --- where from --------------------------------------------------------------
base="${HARDPIN_RELEASES_URL:-https://github.com/$repository/releases/download}"
base="${base%/}"
if [[ "$base" =~ ^https:// ]]; then
  protocols=(--proto "=https" --tlsv1.2)
elif [[ "$base" =~ ^http://(127\.0\.0\.1|localhost)(:[0-9]+)?(/|$) ]]; then
  # Plain http only to this machine: the tests' local release server.
  protocols=(--proto "=http")
else
  fail "HARDPIN_RELEASES_URL must be https (plain http only to 127.0.0.1 or localhost): $base"
fi

command -v curl >/dev/null || fail "curl is needed to download hardpin"
if command -v sha256sum >/dev/null; then
  sha256() { sha256sum "$1" | awk '{ print $1 }'; }
elif command -v shasum >/dev/null; then
  sha256() { shasum -a 256 "$1" | awk '{ print $1 }'; }
else
  fail "sha256sum or shasum is needed to check the download"
fi

work=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/hardpin-install.XXXXXX")
staging=""
cleanup() {
  rm -rf "$work"
  if [[ -n "$staging" ]]; then rm -rf "$staging"; fi
}
trap cleanup EXIT

download() {
  # No token is sent: the releases are public.
  curl --fail --silent --show-error --location "${protocols[@]}" \
    --connect-timeout 30 --retry 3 --output "$2" "$1" ||
    fail "could not download $1 (is there a hardpin release v$version for $target? else set \`version\` or \`build-from-source: true\`)"
}

echo "downloading hardpin $version ($target) from $base/v$version/" >&2
download "$base/v$version/$asset" "$work/$asset"
download "$base/v$version/SHA256SUMS" "$work/SHA256SUMS"

# --- SHA256SUMS --------------------------------------------------------------
# `<sha256>  <name>` (or `<sha256> *<name>`, binary mode); CRLF tolerated.
expected=$(awk -v f="$asset" '{ sub(/\r$/, "") } $2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS" |
  tr '[:upper:]' '[:lower:]' | sort -u)
[[ -n "$expected" ]] || fail "SHA256SUMS of v$version has no checksum line for $asset: not installed"
[[ "$expected" =~ ^[0-9a-f]{64}$ ]] ||
  fail "SHA256SUMS of v$version has no single valid sha256 for $asset: not installed"
actual=$(sha256 "$work/$asset" | tr '[:upper:]' '[:lower:]')
[[ "$actual" == "$expected" ]] ||
  fail "checksum mismatch for $asset: SHA256SUMS says sha256 $expected, the download is $actual; not installed"
echo "sha256 of $asset matches SHA256SUMS" >&2

# --- build provenance --------------------------------------------------------
if [[ "${HARDPIN_SKIP_ATTESTATION:-false}" == true ]]; then
  notice "HARDPIN_SKIP_ATTESTATION=true: the attestation of $asset was not checked (SHA256SUMS was)"
elif ! command -v gh >/dev/null; then
  echo "gh is not installed: attestation not checked (SHA256SUMS was)" >&2
elif [[ -z "${GH_TOKEN:-}" ]]; then
  echo "no token: attestation not checked (SHA256SUMS was)" >&2
elif ! gh attestation verify --help >/dev/null 2>&1; then
  notice "this gh has no \`attestation\` command: attestation not checked (SHA256SUMS was)"
else
  gh attestation verify "$work/$asset" --repo "$repository" >&2 ||
    fail "gh attestation verify failed for $asset (not built by $repository's release workflow, or the token cannot read attestations; HARDPIN_SKIP_ATTESTATION=true skips this check): not installed"
fi

# --- extract into the cache --------------------------------------------------
mkdir -p "$(dirname "$cache_dir")"
staging=$(mktemp -d "$cache_dir.partial.XXXXXX")
if [[ "$asset" == *.zip ]]; then
  if command -v unzip >/dev/null; then
    unzip -q -o "$work/$asset" "$exe" -d "$staging" || fail "could not extract $exe from $asset"
  elif command -v 7z >/dev/null; then
    7z e -y -bso0 "-o$staging" "$work/$asset" "$exe" || fail "could not extract $exe from $asset"
  else
    fail "unzip or 7z is needed to extract $asset"
  fi
else
  tar -xzf "$work/$asset" -C "$staging" "$exe" || fail "could not extract $exe from $asset"
fi
[[ -f "$staging/$exe" && ! -L "$staging/$exe" ]] || fail "$asset has no $exe at its root"
chmod 755 "$staging/$exe"
# A half-written folder is never taken for a cached one: moved into place
# whole, then marked complete.
rm -rf "$cache_dir" "$marker"
mv "$staging" "$cache_dir"
staging=""
touch "$marker"
echo "hardpin $version ($target) installed in $cache_dir" >&2
emit "$cache_dir/$exe"
