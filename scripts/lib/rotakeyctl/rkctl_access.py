"""rotakeyctl's commands about access: bearer tokens, CA rotation, consumers' acknowledgements, API-key verification,
and the audit chain's check and export."""

import getpass
import os
import sys

from rkctl_core import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Failure, emit_json, segment, table


# --------------------------------------------------------------------------- tokens

def cmd_tokens(client, args):
    _, answer = client.api("GET", "/api/v1/tokens")
    if args.json:
        emit_json(answer)
        return EXIT_OK
    table(["name", "role", "owner", "active", "created", "expires", "last used", "previous valid until", "revoked"],
          [[t.get("name"), t.get("role"), t.get("owner"), t.get("active"), t.get("createdAt"), t.get("expiresAt"),
            t.get("lastUsedAt"), t.get("previousValidUntil"), t.get("revokedAt")] for t in answer.get("tokens") or []])
    return EXIT_OK


def write_secret(path, secret):
    """Writes a new token to a file only its owner may read (created 0600; an existing file is made 0600 first)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), 0o600)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, (secret + "\n").encode("utf-8"))
        finally:
            os.close(fd)
    except OSError as e:
        raise Failure("cannot write the token to %s: %s (the daemon made it but it was not saved: revoke it)"
                      % (path, e.strerror), EXIT_FAILED)


def hand_over(client, args, answer, what):
    """The new secret goes to --out FILE, or to standard output alone (once); the rest of the answer to stderr."""
    secret = answer.get("token")
    client.hide(secret)
    if args.out:
        write_secret(args.out, secret)
        answer = {k: v for k, v in answer.items() if k != "token"}
        answer["tokenFile"] = args.out
        if args.json:
            emit_json(answer)
        else:
            print("Token %s %s: written to %s (mode 0600)%s" % (answer.get("name"), what, args.out, details(answer)))
        return EXIT_OK
    if args.json:
        emit_json(answer)
        return EXIT_OK
    print("Token %s %s%s; its secret, on standard output, is shown only this once." % (
        answer.get("name"), what, details(answer)), file=sys.stderr)
    print(secret)
    return EXIT_OK


def details(answer):
    parts = ["role " + answer["role"]] if answer.get("role") else []
    if answer.get("owner"):
        parts.append("owner " + answer["owner"])
    if answer.get("expiresAt"):
        parts.append("expires " + answer["expiresAt"])
    if answer.get("previousValidUntil"):
        parts.append("the previous secret works until " + answer["previousValidUntil"])
    return " (" + ", ".join(parts) + ")" if parts else ""


def cmd_token_issue(client, args):
    _, answer = client.admin("POST", "/tasks/issue-token", {"name": args.name, "role": args.role, "owner": args.owner,
                                                            "expires": args.expires})
    return hand_over(client, args, answer, "issued")


def cmd_token_rotate(client, args):
    _, answer = client.admin("POST", "/tasks/rotate-token", {"name": args.name, "grace": args.grace})
    return hand_over(client, args, answer, "rotated")


def cmd_token_revoke(client, args):
    _, answer = client.admin("POST", "/tasks/revoke-token", {"name": args.name})
    if args.json:
        emit_json(answer)
    else:
        print("Token %s revoked: it is refused from now on." % answer.get("name"))
    return EXIT_OK


# --------------------------------------------------------------------------- CAs

def print_ca(ca):
    print("CA %s (%s, backend %s, %s%s)" % (ca.get("name"), ca.get("trustDomain"), ca.get("backend"), ca.get("keySpec"),
                                           ", parent " + ca["parent"] if ca.get("parent") else ""))
    table(["generation", "state", "serial", "not before", "not after", "outstanding", "crl", "crl next update"],
          [[g.get("generation"), g.get("state"), g.get("serial"), g.get("notBefore"), g.get("notAfter"),
            g.get("outstandingCertificates"), g.get("crlNumber"), g.get("crlNextUpdate")]
           for g in ca.get("generations") or []])


def cmd_rotate_ca(client, args):
    _, ca = client.admin("POST", "/tasks/rotate-ca", {"ca": args.ca})
    if args.json:
        emit_json(ca)
    else:
        print_ca(ca)
    return EXIT_OK


def cmd_ca(client, args):
    _, ca = client.api("GET", "/api/v1/cas/" + segment(args.name))
    if args.json:
        emit_json(ca)
    else:
        print_ca(ca)
    return EXIT_OK


# --------------------------------------------------------------------------- keys presented by consumers

def read_key(path, prompt):
    """A key from a file, standard input ('-' or no file), or a prompt on a terminal: never from the command line."""
    try:
        if path and path != "-":
            with open(path, encoding="utf-8") as f:
                key = f.read().strip()
        elif sys.stdin.isatty():
            key = getpass.getpass(prompt).strip()
        else:
            key = sys.stdin.read().strip()
    except OSError as e:
        raise Failure("cannot read the key file %s: %s" % (path, e.strerror), EXIT_USAGE)
    if not key:
        raise Failure("the key from %s is empty" % (path if path and path != "-" else "standard input"), EXIT_USAGE)
    return key


def cmd_ack(client, args):
    body = {"consumer": args.consumer}
    if args.key_file:
        body["key"] = read_key(args.key_file, "Key of version %s (not echoed): " % args.version)
        client.hide(body["key"])
    path = "/api/v1/credentials/%s/versions/%s/ack" % (segment(args.credential), segment(str(args.version)))
    _, ack = client.api("POST", path, body=body, token=not args.key_file)
    if args.json:
        emit_json(ack)
    else:
        print("Version %s of %s acknowledged by consumer %s at %s (%s)" % (
            ack.get("version"), ack.get("credential"), ack.get("consumer"), ack.get("acknowledgedAt"), ack.get("actor")))
    return EXIT_OK


def cmd_verify(client, args):
    key = read_key(args.key_file, "API key to verify (not echoed): ")
    client.hide(key)
    body = {"key": key}
    if args.require_scope:
        body["requireScopes"] = args.require_scope
    _, answer = client.api("POST", "/api/v1/api-keys/verify", body=body)
    if args.json:
        emit_json(answer)
    elif answer.get("valid"):
        print("valid: credential %s version %s (%s) of agent %s, owner %s%s" % (
            answer.get("credential"), answer.get("version"), answer.get("state"), answer.get("agent"),
            answer.get("owner"), ", scopes " + ",".join(answer["scopes"]) if answer.get("scopes") else ""))
    else:
        print("invalid: %s%s%s" % (answer.get("reason"),
                                   " (missing scopes: %s)" % ",".join(answer["missingScopes"])
                                   if answer.get("missingScopes") else "",
                                   ", credential %s version %s" % (answer["credential"], answer.get("version"))
                                   if answer.get("credential") else ""))
    return EXIT_OK if answer.get("valid") else EXIT_FAILED


# --------------------------------------------------------------------------- the audit chain

def cmd_audit_verify(client, args):
    _, v = client.api("GET", "/api/v1/audit/verify")
    if args.json:
        emit_json(v)
    else:
        print("Audit chain %s: %s events, %s signed checkpoints, head %s, last checkpoint %s, %s unsigned after it" % (
            "intact" if v.get("intact") else "BROKEN", v.get("events"), v.get("checkpoints"), v.get("headSeq"),
            v.get("lastCheckpointSeq"), v.get("unsigned")))
        b = v.get("firstBreak")
        if b:
            print("First break at event %s (id %s): %s" % (b.get("seq"), b.get("id"), b.get("problem")))
    return EXIT_OK if v.get("intact") else EXIT_FAILED


def cmd_audit_export(client, args):
    _, lines = client.api("GET", "/api/v1/audit/export", {"from": args.from_seq, "to": args.to_seq}, text=True)
    if args.out:
        try:
            with open(args.out, "w", encoding="utf-8") as f:
                f.write(lines)
        except OSError as e:
            raise Failure("cannot write %s: %s" % (args.out, e.strerror), EXIT_FAILED)
        events = sum(1 for line in lines.splitlines() if line.startswith('{"seq"'))
        print("%d events written to %s" % (events, args.out), file=sys.stderr)
    else:
        sys.stdout.write(lines)
    return EXIT_OK
