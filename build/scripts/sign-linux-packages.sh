#!/usr/bin/env bash
# Detached, ASCII-armored GPG signatures for Parley's Linux packages (electron-builder does not sign deb/rpm:
# electron-builder issue 2324). For every .deb, .rpm, .AppImage and .tar.gz directly in DIR, writes FILE.asc
# (Parley's own update signatures are FILE.sig, made by `parley-release sign`; the two do not collide).
#
#   PARLEY_GPG_KEY_ID=<fingerprint> [PARLEY_GPG_PASSPHRASE=…] build/scripts/sign-linux-packages.sh dist
#
# With PARLEY_RPM_EMBED_SIGNATURE=1 each .rpm also gets an embedded header signature (rpmsign --addsign), which is
# what dnf/yum check with gpgcheck=1. Verify with: gpg --verify FILE.asc FILE
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=gpg-lib.sh
source "$here/gpg-lib.sh"

[[ $# -eq 1 ]] || die "usage: $(basename "$0") DIR (the directory holding the built packages)"
dir=$1
[[ -d "$dir" ]] || die "not a directory: $dir"
check_signing_key

shopt -s nullglob
files=("$dir"/*.deb "$dir"/*.rpm "$dir"/*.AppImage "$dir"/*.tar.gz)
[[ ${#files[@]} -gt 0 ]] || die "no .deb, .rpm, .AppImage or .tar.gz files in $dir"

if [[ "${PARLEY_RPM_EMBED_SIGNATURE:-0}" == 1 ]]; then
  rpms=("$dir"/*.rpm)
  if [[ ${#rpms[@]} -gt 0 ]]; then
    HINT='Debian/Ubuntu: apt-get install rpm' need_cmd rpmsign
    for f in "${rpms[@]}"; do
      # Embedded signature first: it changes the file, so the detached signature below must come after it.
      rpmsign --define "_gpg_name $PARLEY_GPG_KEY_ID" --define "_gpg_digest_algo sha512" --addsign "$f" >/dev/null \
        || die "rpmsign could not sign $f"
    done
  fi
fi

for f in "${files[@]}"; do
  gpg_sign detach "$f.asc" "$f"
  gpg --batch --verify -- "$f.asc" "$f" 2>/dev/null || die "signature check failed right after signing $f"
  printf 'signed %s -> %s\n' "$f" "$f.asc"
done
