"""Print, for each message file given, the report mime-inspect prints, made with
Python's email package (policy=email.policy.default), as one JSON object keyed by
the file names. Used by diff_python.rs."""

import email
import email.policy
import hashlib
import json
import sys


def first(msg, name):
    try:
        return msg.get(name)
    except Exception:  # a header Python cannot parse at all
        return None


def addresses(msg, name):
    header = first(msg, name)
    if header is None:
        return None
    try:
        found = header.addresses
    except Exception:
        return []
    return [{"name": a.display_name or None, "address": a.addr_spec} for a in found]


def date(msg):
    header = first(msg, "date")
    if header is None:
        return None
    value = getattr(header, "datetime", None)
    if value is None:
        return None
    text = value.isoformat()
    # A naive datetime is Python's "-0000" (unknown offset); RFC 3339 writes -00:00.
    return text if value.tzinfo is not None else text + "-00:00"


def message_id(msg):
    header = first(msg, "message-id")
    if header is None:
        return None
    text = str(header).strip()
    if text.startswith("<") and text.endswith(">"):
        text = text[1:-1]
    return text or None


def params(part):
    header = first(part, "content-type")
    if header is None:
        return {}
    try:
        return {k.lower(): v for k, v in header.params.items()}
    except Exception:
        return {}


def transfer_encoding(part):
    header = first(part, "content-transfer-encoding")
    if header is None:
        return "7bit"
    cte = getattr(header, "cte", None)
    return cte if cte is not None else str(header).strip().lower()


def entry(part, path):
    payload = None
    container = part.is_multipart() and (
        part.get_content_maintype() == "multipart"
        or part.get_content_type() in ("message/rfc822", "message/global")
    )
    if not container:
        data = part.get_payload(decode=True)
        if data is not None:
            payload = (len(data), hashlib.sha256(data).hexdigest())
    charset = part.get_content_charset()
    return {
        "path": ".".join(str(n) for n in path),
        "content_type": part.get_content_type(),
        "params": params(part),
        "disposition": part.get_content_disposition(),
        "filename": part.get_filename(),
        "transfer_encoding": transfer_encoding(part),
        "charset": charset,
        "size": payload[0] if payload else None,
        "sha256": payload[1] if payload else None,
    }


def walk(part, path, message_root, out):
    container = part.is_multipart() and part.get_content_maintype() == "multipart"
    if message_root and not container:
        path = path + [1]
    out.append(entry(part, path))
    if container:
        for number, child in enumerate(part.get_payload(), 1):
            walk(child, path + [number], False, out)
    elif part.is_multipart() and part.get_content_type() in ("message/rfc822", "message/global"):
        walk(part.get_payload(0), path, True, out)


def report(data):
    msg = email.message_from_bytes(data, policy=email.policy.default)
    subject = first(msg, "subject")
    parts = []
    walk(msg, [], True, parts)
    return {
        "headers": {
            "subject": None if subject is None else str(subject),
            "from": addresses(msg, "from"),
            "to": addresses(msg, "to"),
            "cc": addresses(msg, "cc"),
            "date": date(msg),
            "message_id": message_id(msg),
        },
        "parts": parts,
    }


def main():
    reports = {}
    for name in sys.argv[1:]:
        with open(name, "rb") as handle:
            reports[name] = report(handle.read())
    json.dump(reports, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
