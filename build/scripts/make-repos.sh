#!/usr/bin/env bash
# Signed package repositories for Parley from the built (and signed) packages.
#
#   PARLEY_GPG_KEY_ID=<fingerprint> [PARLEY_GPG_PASSPHRASE=…] [PARLEY_APT_SUITE=stable] \
#     build/scripts/make-repos.sh PACKAGES_DIR OUT_DIR
#
# apt (when PACKAGES_DIR holds .deb files), OUT_DIR/apt:
#   pool/main/*.deb, dists/$SUITE/main/binary-<arch>/Packages{,.gz} (dpkg-scanpackages),
#   dists/$SUITE/Release (SHA256 of every index), InRelease (clearsigned) and Release.gpg (detached).
# yum/dnf (when PACKAGES_DIR holds .rpm files), OUT_DIR/yum:
#   packages/*.rpm, repodata/ (createrepo_c), repodata/repomd.xml.asc (detached, for repo_gpgcheck=1).
# Always: OUT_DIR/parley-archive-keyring.asc (public key, armored) and OUT_DIR/parley-archive-keyring.gpg (binary,
# for apt's signed-by=). Clients: see docs/release.md ("Installers and signing").
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=gpg-lib.sh
source "$here/gpg-lib.sh"

[[ $# -eq 2 ]] || die "usage: $(basename "$0") PACKAGES_DIR OUT_DIR"
src=$1 out=$2
[[ -d "$src" ]] || die "not a directory: $src"
suite=${PARLEY_APT_SUITE:-stable}
[[ "$suite" =~ ^[a-z0-9][a-z0-9.-]*$ ]] || die "PARLEY_APT_SUITE must be a simple name (got '$suite')"
check_signing_key

shopt -s nullglob
debs=("$src"/*.deb)
rpms=("$src"/*.rpm)
[[ ${#debs[@]} -gt 0 || ${#rpms[@]} -gt 0 ]] || die "no .deb or .rpm files in $src"
# Check every tool before producing anything.
if [[ ${#debs[@]} -gt 0 ]]; then HINT='Debian/Ubuntu: apt-get install dpkg-dev' need_cmd dpkg-scanpackages dpkg-deb gzip sha256sum; fi
if [[ ${#rpms[@]} -gt 0 ]]; then HINT='Debian/Ubuntu: apt-get install createrepo-c' need_cmd createrepo_c; fi

mkdir -p "$out"
gpg --batch --yes --armor --output "$out/parley-archive-keyring.asc" --export -- "$PARLEY_GPG_KEY_ID"
gpg --batch --yes --output "$out/parley-archive-keyring.gpg" --export -- "$PARLEY_GPG_KEY_ID"

if [[ ${#debs[@]} -gt 0 ]]; then
  apt=$out/apt
  mkdir -p "$apt/pool/main"
  cp -f -- "${debs[@]}" "$apt/pool/main/"
  declare -A seen=()
  for f in "${debs[@]}"; do seen[$(dpkg-deb -f "$f" Architecture)]=1; done
  archs=$(printf '%s\n' "${!seen[@]}" | sort | tr '\n' ' ')
  archs=${archs% }
  for arch in $archs; do
    d=$apt/dists/$suite/main/binary-$arch
    mkdir -p "$d"
    (cd "$apt" && dpkg-scanpackages --multiversion --arch "$arch" pool/main /dev/null 2>/dev/null) > "$d/Packages"
    gzip -9nc "$d/Packages" > "$d/Packages.gz"
    [[ -s "$d/Packages" ]] || die "dpkg-scanpackages produced an empty index for $arch"
  done
  rel=$apt/dists/$suite/Release
  {
    printf 'Origin: Parley\nLabel: Parley\nSuite: %s\nCodename: %s\n' "$suite" "$suite"
    printf 'Date: %s\n' "$(LC_ALL=C date -u '+%a, %d %b %Y %H:%M:%S UTC')"
    printf 'Architectures: %s\nComponents: main\n' "$archs"
    printf 'Description: Parley desktop packages\nAcquire-By-Hash: no\nSHA256:\n'
    (cd "$apt/dists/$suite" && find main -type f -name 'Packages*' | LC_ALL=C sort | while read -r p; do
      printf ' %s %16d %s\n' "$(sha256sum "$p" | cut -d' ' -f1)" "$(stat -c %s "$p")" "$p"
    done)
  } > "$rel"
  gpg_sign clear "$apt/dists/$suite/InRelease" "$rel"
  gpg_sign detach "$apt/dists/$suite/Release.gpg" "$rel"
  printf 'apt repository: %s (suite %s, architectures %s)\n' "$apt" "$suite" "$archs"
fi

if [[ ${#rpms[@]} -gt 0 ]]; then
  yum=$out/yum
  mkdir -p "$yum/packages"
  cp -f -- "${rpms[@]}" "$yum/packages/"
  createrepo_c --quiet --update "$yum" || die "createrepo_c failed on $yum"
  gpg_sign detach "$yum/repodata/repomd.xml.asc" "$yum/repodata/repomd.xml"
  printf 'yum repository: %s\n' "$yum"
fi
