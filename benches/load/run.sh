#!/usr/bin/env bash
# Load benchmarks of the reference server (issue 6), in release mode. See README.md.
#
#   benches/load/run.sh            # 2000 messages
#   MESSAGES=500 benches/load/run.sh
#
# 1. Postfix smtp-source -s 20 -m $MESSAGES -l 4096 into the MX port of the real
#    `mailserver`: messages per second until every message is in the Maildir, and the
#    server's peak memory (VmHWM).
# 2. The queue and our SMTP client delivering $MESSAGES messages of 4 KB into Postfix's
#    smtp-sink: messages per second, peak memory of the delivering process.
# 3. Memory of 500 idle SMTP connections (VmRSS delta of the server).
# Each run also checks that no message was lost or doubled.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export MAILWIRE_LOAD_MESSAGES="${MESSAGES:-2000}"
export MAILWIRE_REQUIRE_PEERS=1

run() {
    timeout 1800 cargo test --release -p mailwire-examples --test "$1" -- \
        --include-ignored --exact "$2" --nocapture 2>&1 |
        grep -E '^(LOAD|IDLE)|test result|panicked|FAILED'
}

run load_mx load_mx_full
run load_relay load_relay_full
run load_idle an_idle_smtp_connection_costs_at_most_16_kib
