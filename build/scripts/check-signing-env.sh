#!/usr/bin/env bash
# Release builds must not silently come out unsigned: electron-builder skips macOS notarization and Linux has no
# signing at all when credentials are absent. The release workflow runs this before packaging:
#   build/scripts/check-signing-env.sh linux|win|mac
# It only checks that the variables are present (never prints them).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=gpg-lib.sh
source "$here/gpg-lib.sh"

[[ $# -eq 1 ]] || die "usage: $(basename "$0") linux|win|mac"
need_env PARLEY_UPDATE_PRIVATE_KEY
case "$1" in
  linux) need_env PARLEY_GPG_KEY_ID ;;
  win)
    need_env PARLEY_WIN_PUBLISHER_NAME
    if [[ -n "${AZURE_TRUSTED_SIGNING_ENDPOINT:-}" ]]; then
      need_env AZURE_TRUSTED_SIGNING_ACCOUNT AZURE_TRUSTED_SIGNING_CERTIFICATE_PROFILE AZURE_TENANT_ID AZURE_CLIENT_ID AZURE_CLIENT_SECRET
    else
      need_env WIN_CSC_LINK WIN_CSC_KEY_PASSWORD
    fi ;;
  mac)
    need_env CSC_LINK CSC_KEY_PASSWORD APPLE_API_KEY APPLE_API_KEY_ID APPLE_API_ISSUER
    [[ -f "$APPLE_API_KEY" ]] || die "APPLE_API_KEY must be the path of the App Store Connect .p8 key file" ;;
  *) die "unknown platform '$1' (linux, win or mac)" ;;
esac
printf 'signing environment for %s: complete\n' "$1"
