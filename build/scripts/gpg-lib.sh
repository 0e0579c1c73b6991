# Shared helpers of Parley's Linux signing scripts (sourced, not executed).
# Keys never live in the repository: the signing key is imported into the keyring of the CI job (GNUPGHOME) from a
# secret, and selected with PARLEY_GPG_KEY_ID; an optional passphrase comes from PARLEY_GPG_PASSPHRASE and is fed to
# gpg through a file descriptor with loopback pinentry (never on the command line).

die() { printf '%s: error: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

need_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || die "required tool '$c' not found in PATH${HINT:+ ($HINT)}"
  done
}

need_env() {
  local v
  for v in "$@"; do
    [[ -n "${!v:-}" ]] || die "environment variable $v is not set"
  done
}

# The signing key must be in the keyring and usable for signing.
check_signing_key() {
  need_cmd gpg
  need_env PARLEY_GPG_KEY_ID
  gpg --batch --list-secret-keys -- "$PARLEY_GPG_KEY_ID" >/dev/null 2>&1 \
    || die "no secret key '$PARLEY_GPG_KEY_ID' in the GnuPG keyring (${GNUPGHOME:-~/.gnupg}); import it first"
}

# gpg_sign MODE OUTPUT INPUT — MODE: detach (ASCII-armored detached signature) or clear (clearsigned, InRelease).
gpg_sign() {
  local mode=$1 out=$2 in=$3
  local -a args=(--batch --yes --local-user "$PARLEY_GPG_KEY_ID" --digest-algo SHA512 --armor --output "$out")
  case "$mode" in
    detach) args+=(--detach-sign) ;;
    clear) args+=(--clearsign) ;;
    *) die "gpg_sign: unknown mode $mode" ;;
  esac
  if [[ -n "${PARLEY_GPG_PASSPHRASE:-}" ]]; then
    gpg --pinentry-mode loopback --passphrase-fd 3 "${args[@]}" -- "$in" 3<<<"$PARLEY_GPG_PASSPHRASE" \
      || die "gpg could not sign $in"
  else
    gpg "${args[@]}" -- "$in" || die "gpg could not sign $in"
  fi
}
