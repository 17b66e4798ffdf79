#!/usr/bin/env python3
"""Records a session with a real Dovecot into dovecot_session.bin for tests/dovecot_transcript.rs.

Usage: capture_dovecot.py PORT OUT_DIR   (Dovecot set up as ../shared/PEERS.md says, user
alice / alicepw). The messages appended are written here, to cover what a client meets:
plain text, alternative text/HTML, attachments with disposition/language/location,
a forwarded message inside a forwarded message, group addresses, raw UTF-8 headers,
binary content, and a deeply nested multipart. Writes:
  greeting.bin  the greeting
  commands.bin  every command sent, literals included
  responses.bin every response received, in order
"""
import re
import socket
import sys

PORT = int(sys.argv[1])
OUT = sys.argv[2]

def msg(headers, body):
    return (headers.strip('\n') + '\n\n' + body).replace('\n', '\r\n').encode('utf-8')

MESSAGES = [
    msg('''From: Alice Example <alice@example.org>
To: bob@example.net
Subject: Plain hello
Date: Mon, 7 Feb 1994 21:52:25 -0800
Message-ID: <plain@example.org>''', 'Hello Bob.\n'),
    msg('''From: "Zoë Q." <zoe@example.org>
To: Bob <bob@example.net>, carol@example.net
Cc: Undisclosed recipients:;
Reply-To: replies@example.org
Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?= and alternatives
In-Reply-To: <plain@example.org>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="alt"''', '''--alt
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Gr=C3=BC=C3=9Fe
--alt
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: quoted-printable

<p>Gr=C3=BC=C3=9Fe</p>
--alt--
'''),
    msg('''From: Alice <alice@example.org>
To: bob@example.net
Subject: Minutes attached
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mix"
Content-Language: en''', '''--mix
Content-Type: text/plain; charset=us-ascii

See attachment.
--mix
Content-Type: application/pdf; name="minutes.pdf"
Content-Disposition: attachment; filename="minutes.pdf"; size=12
Content-Transfer-Encoding: base64
Content-Language: en, de
Content-Location: http://example.org/minutes.pdf
Content-ID: <part2@example.org>
Content-Description: The minutes
Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==

JVBERi0xLjQKJcfs
--mix--
'''),
    msg('''From: Bob <bob@example.net>
To: alice@example.org
Subject: Fwd: Fwd: Plain hello
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"''', '''--outer
Content-Type: text/plain

Forwarding a forward.
--outer
Content-Type: message/rfc822

From: Carol <carol@example.net>
To: bob@example.net
Subject: Fwd: Plain hello
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="inner"

--inner
Content-Type: text/plain

Have a look.
--inner
Content-Type: message/rfc822

From: Alice Example <alice@example.org>
To: bob@example.net
Subject: Plain hello

Hello Bob.
--inner--
--outer--
'''),
    msg('''From: Jörg <joerg@example.de>
To: Björn <bjoern@example.de>
Subject: Ünïcödé without encoding
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit''', 'Grüße aus Köln\n'),
    msg('''From: x@example.org
To: y@example.org
Subject: binary
MIME-Version: 1.0
Content-Type: application/octet-stream
Content-Transfer-Encoding: base64''', 'AAECAwQFBgcICQ==\n'),
]
nested_body = 'innermost\n'
for depth in range(12):
    b = 'n%d' % depth
    nested_body = ('Content-Type: multipart/mixed; boundary="%s"\n\n--%s\n' % (b, b)) + nested_body + ('--%s--\n' % b)
MESSAGES.append(msg('''From: deep@example.org
Subject: nested
MIME-Version: 1.0''', nested_body).replace(b'MIME-Version: 1.0\r\n\r\n', b'MIME-Version: 1.0\r\n', 1))

sock = socket.create_connection(('127.0.0.1', PORT))
sock.settimeout(10)
buf = b''
responses, commands = [], []

def one_response():
    global buf
    while True:
        pos = 0
        while True:
            i = buf.find(b'\r\n', pos)
            if i < 0:
                break
            m = re.search(rb'~?\{(\d+)\}$', buf[:i])
            if m:
                n = int(m.group(1))
                if len(buf) < i + 2 + n:
                    break
                pos = i + 2 + n
                continue
            resp, buf = buf[:i + 2], buf[i + 2:]
            responses.append(resp)
            return resp
        data = sock.recv(65536)
        if not data:
            raise SystemExit('connection closed')
        buf += data

def send(data):
    commands.append(data)
    sock.sendall(data)

greeting = one_response()
responses.clear()
counter = [0]

def run(text, literals=()):
    """Sends a command; `literals` are sent after each `+`."""
    counter[0] += 1
    tag = b'c%d' % counter[0]
    parts = [tag + b' ' + text] + list(literals)
    line = parts[0]
    for literal in parts[1:]:
        send(line)
        while not one_response().startswith(b'+'):
            pass
        line = literal
    send(line + b'\r\n')
    while True:
        r = one_response()
        if r.startswith(tag + b' '):
            return r
        if r.startswith(b'+ idling'):
            send(b'DONE\r\n')

run(b'CAPABILITY')
run(b'ID ("name" "mailwire" "version" "0.1")')
run(b'LOGIN alice alicepw')
run(b'ENABLE QRESYNC')
run(b'NAMESPACE')
run(b'CREATE "Entw&APw-rfe"')
run(b'CREATE "Lists/Rust"')
run(b'LIST "" "*"')
run(b'LIST (SPECIAL-USE) "" "*" RETURN (STATUS (MESSAGES UNSEEN SIZE))')
run(b'LIST (SUBSCRIBED RECURSIVEMATCH) "" "%" RETURN (CHILDREN)')
run(b'LSUB "" "*"')
run(b'GETQUOTAROOT INBOX')
run(b'GETQUOTA "User quota"')
for message in MESSAGES:
    run(b'APPEND INBOX (\\Seen) "07-Feb-1994 21:52:25 -0800" {%d}\r\n' % len(message), [message])
run(b'APPEND INBOX {%d+}\r\n' % len(MESSAGES[0]) + MESSAGES[0] + b' (\\Draft) {%d+}\r\n' % len(MESSAGES[1]) + MESSAGES[1])
run(b'STATUS INBOX (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN HIGHESTMODSEQ SIZE)')
run(b'SELECT INBOX (CONDSTORE)')
run(b'FETCH 1:* (FLAGS INTERNALDATE RFC822.SIZE ENVELOPE BODYSTRUCTURE MODSEQ UID)')
run(b'FETCH 1:* BODY')
run(b'FETCH 1:* BODY.PEEK[HEADER.FIELDS (DATE FROM SUBJECT)]')
run(b'FETCH 1:4 (BODY.PEEK[] RFC822.HEADER BODY.PEEK[TEXT]<0.100> BODY.PEEK[1.MIME])')
run(b'FETCH 6 (BINARY.PEEK[] BINARY.SIZE[1] BINARY.PEEK[1])')
run(b'FETCH 1:* (BINARY.SIZE[1])')
run(b'UID SEARCH RETURN (MIN MAX COUNT ALL) ALL')
run(b'SEARCH CHARSET UTF-8 SUBJECT {%d}\r\n' % len('Grüß'.encode()), ['Grüß'.encode()])
run(b'SEARCH MODSEQ 1')
run(b'STORE 1 +FLAGS (\\Flagged $Forwarded)')
run(b'UID STORE 1:3 (UNCHANGEDSINCE 1) +FLAGS (\\Answered)')
run(b'COPY 1:2 Drafts')
run(b'MOVE 3 Trash')
run(b'STORE 4 +FLAGS.SILENT (\\Deleted)')
run(b'UID EXPUNGE 1:*')
run(b'STORE 5 +FLAGS.SILENT (\\Deleted)')
run(b'EXPUNGE')
run(b'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)')
run(b'IDLE')
run(b'EXAMINE Drafts')
run(b'SELECT INBOX (QRESYNC (1 1))')
run(b'UNSELECT')
run(b'DELETE "Lists/Rust"')
run(b'RENAME "Entw&APw-rfe" "Entw&APw-rfe2"')
run(b'BOGUS')
run(b'LOGOUT')
open(OUT + '/greeting.bin', 'wb').write(greeting)
open(OUT + '/commands.bin', 'wb').write(b''.join(commands))
open(OUT + '/responses.bin', 'wb').write(b''.join(responses))
print(len(responses), 'responses,', sum(map(len, responses)), 'bytes;', len(commands), 'command parts')
