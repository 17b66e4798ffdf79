#!/usr/bin/env bash
# Runs every mailwire test with the real peers required.
#
# On Debian as root it first installs the peers the interop tests talk to when they are
# missing (swaks, curl, openssl, Postfix's smtp-sink/smtp-source, Dovecot, aiosmtpd);
# elsewhere it says what is missing and the tests that need it fail loudly.
# Plain `cargo test` also works anywhere: there, a missing peer only skips (loudly).
set -euo pipefail
cd "$(dirname "$0")/.."

missing_debian=()
command -v swaks >/dev/null || missing_debian+=(swaks libnet-ssleay-perl libio-socket-ssl-perl
    libio-socket-inet6-perl libauthen-sasl-perl)
command -v curl >/dev/null || missing_debian+=(curl)
command -v openssl >/dev/null || missing_debian+=(openssl ssl-cert)
{ command -v smtp-sink >/dev/null || [ -x /usr/sbin/smtp-sink ]; } || missing_debian+=(postfix)
{ command -v dovecot >/dev/null || [ -x /usr/sbin/dovecot ]; } ||
    missing_debian+=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd)
# opendkim-testmsg / opendkim-testkey, where the distribution has them.
command -v opendkim-testmsg >/dev/null || missing_debian+=(opendkim-tools)

if [ ${#missing_debian[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "test.sh: installing peers: ${missing_debian[*]}"
        apt-get update -qq
        echo "postfix postfix/main_mailer_type select Local only" | debconf-set-selections
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            "${missing_debian[@]}" >/dev/null
    else
        echo "test.sh: MISSING PEERS (not root on Debian, cannot install): ${missing_debian[*]}" >&2
    fi
fi
if ! python3 -c 'import aiosmtpd' 2>/dev/null; then
    echo "test.sh: installing aiosmtpd from PyPI"
    python3 -m pip install -q aiosmtpd || echo "test.sh: could not install aiosmtpd" >&2
fi
# mailwire-auth's interop peers: dkimpy (pynacl for Ed25519), pyspf (dnspython for its DNS).
if ! python3 -c 'import dkim, nacl, spf, dns' 2>/dev/null; then
    echo "test.sh: installing dkimpy, pynacl, pyspf, dnspython from PyPI"
    python3 -m pip install -q dkimpy pynacl pyspf dnspython ||
        echo "test.sh: could not install dkimpy/pynacl/pyspf/dnspython" >&2
fi
# Dovecot's mail user for the tests that start a Dovecot instance.
if [ "$(id -u)" = 0 ] && ! id vmail >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin vmail
fi
export PATH="$PATH:/usr/sbin:/sbin"

export MAILWIRE_REQUIRE_PEERS=1
cargo test --workspace --all-features
# Replays every fuzz target over its seeds (fuzz/ is a workspace of its own).
cargo test --manifest-path fuzz/Cargo.toml
