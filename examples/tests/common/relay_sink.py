"""A receiving SMTP server for the relay tests, on aiosmtpd (a peer nobody here wrote).

usage: relay_sink.py OUT.jsonl [--tls CERT KEY] [--implicit-tls CERT KEY]
                     [--auth USER:PASS]

Listens on a free port of 127.0.0.1 and prints "READY <port>". Recipients whose local
part starts with "reject" get 550 5.1.1, "defer" 450 4.2.1; the others are accepted.
Every message is appended to OUT.jsonl as one JSON object: sender, recipients, content
(base64), whether TLS was on, the authenticated login, the MAIL and RCPT parameters.
Runs until its standard input closes.
"""

import argparse
import base64
import json
import socket
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Recorder:
    def __init__(self, out):
        self.out = out

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@")[0].lower()
        if local.startswith("reject"):
            return "550 5.1.1 no such user here"
        if local.startswith("defer"):
            return "450 4.2.1 mailbox busy, try later"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        login = getattr(session.auth_data, "login", None)
        if isinstance(login, (bytes, bytearray)):
            login = login.decode("utf-8", "replace")
        elif login is not None:
            login = str(login)
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "content": base64.b64encode(envelope.original_content or envelope.content).decode(),
            "tls": session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None,
            "authenticated": bool(session.authenticated),
            "login": login,
            "mail_options": envelope.mail_options,
            "rcpt_options": envelope.rcpt_options,
        }
        with open(self.out, "a", encoding="utf-8") as f:
            f.write(json.dumps(record) + "\n")
        return "250 2.0.0 accepted"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--tls", nargs=2)
    parser.add_argument("--implicit-tls", nargs=2)
    parser.add_argument("--auth")
    args = parser.parse_args()

    kwargs = {}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls[0], args.tls[1])
        kwargs["tls_context"] = context
        kwargs["require_starttls"] = False
    ssl_context = None
    if args.implicit_tls:
        ssl_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ssl_context.load_cert_chain(args.implicit_tls[0], args.implicit_tls[1])
    if args.auth:
        user, password = args.auth.split(":", 1)

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (
                isinstance(auth_data, LoginPassword)
                and auth_data.login == user.encode()
                and auth_data.password == password.encode()
            )
            # handled=False: aiosmtpd answers 535 itself on failure.
            return AuthResult(success=ok, handled=False)

        kwargs["authenticator"] = authenticator
        kwargs["auth_required"] = True
        # aiosmtpd counts only STARTTLS as TLS for this check; with implicit TLS the
        # whole connection is encrypted anyway.
        kwargs["auth_require_tls"] = not args.implicit_tls
    port = free_port()
    controller = Controller(
        Recorder(args.out),
        hostname="127.0.0.1",
        port=port,
        ssl_context=ssl_context,
        decode_data=False,
        ready_timeout=20,
        **kwargs,
    )
    controller.start()
    print(f"READY {port}", flush=True)
    sys.stdin.read()
    controller.stop()


if __name__ == "__main__":
    main()
