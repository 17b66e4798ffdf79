"""An aiosmtpd server that records every accepted message for mailwire's client interop tests.

Each message becomes one JSON file in --dir (envelope, parameters, content in base64), so the
Rust test can assert what really arrived. Runs until stdin closes (the test holds the pipe) or
--lifetime seconds pass.

usage: aiosmtpd_recorder.py --port P --dir D [--tls-cert C --tls-key K] [--auth USER:PASS]
                            [--reject-rcpt ADDR]...
"""

import argparse
import base64
import json
import os
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    parser.add_argument("--auth")
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--lifetime", type=float, default=110.0)
    args = parser.parse_args()

    counter = {"n": 0}
    lock = threading.Lock()

    class Recorder:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address in args.reject_rcpt:
                return "550 5.1.1 <%s>: Recipient address rejected" % address
            envelope.rcpt_tos.append(address)
            envelope.rcpt_options.append(rcpt_options)
            return "250 2.1.5 OK"

        async def handle_DATA(self, server, session, envelope):
            with lock:
                counter["n"] += 1
                number = counter["n"]
            content = envelope.original_content
            if content is None:
                content = envelope.content
            record = {
                "mail_from": envelope.mail_from,
                "mail_options": envelope.mail_options,
                "rcpt_tos": envelope.rcpt_tos,
                "rcpt_options": envelope.rcpt_options,
                "smtp_utf8": envelope.smtp_utf8,
                "tls": session.ssl is not None,
                "authenticated": session.authenticated,
                "content_b64": base64.b64encode(content).decode("ascii"),
            }
            path = os.path.join(args.dir, "msg-%04d.json" % number)
            with open(path + ".tmp", "w") as out:
                json.dump(record, out)
            os.rename(path + ".tmp", path)
            return "250 2.0.0 Message accepted for delivery"

    smtp_options = {}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        smtp_options["tls_context"] = context
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode()
                and auth_data.password == password.encode()
            )
            # handled=False: aiosmtpd itself answers a failure with 535 5.7.8.
            return AuthResult(success=ok, handled=False)

        smtp_options["authenticator"] = authenticator
        smtp_options["auth_require_tls"] = bool(args.tls_cert)

    controller = Controller(
        Recorder(), hostname="127.0.0.1", port=args.port, **smtp_options
    )
    controller.start()
    print("READY", flush=True)

    # Stop when the test closes our stdin (or dies), or when the lifetime is over.
    done = threading.Event()

    def watch_stdin():
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    done.wait(args.lifetime)
    controller.stop()


if __name__ == "__main__":
    main()
