"""rotakeyctl's changes to the inventory: agents and credentials created (from flags or a YAML/JSON file), changed,
imported with an existing secret, and retired."""

import getpass
import json
import sys

from rkctl_core import EXIT_FAILED, EXIT_OK, EXIT_USAGE, Failure, cell, confirm, emit_json, segment, table
from rkctl_operate import batch_ended, started_rotations


# --------------------------------------------------------------------------- input

def read_document(path):
    """A JSON or YAML document from a file, or from standard input for '-' (YAML is a superset of JSON)."""
    try:
        if path == "-":
            text, name = sys.stdin.read(), "standard input"
        else:
            with open(path, encoding="utf-8") as f:
                text, name = f.read(), path
    except OSError as e:
        raise Failure("cannot read %s: %s" % (path, e.strerror), EXIT_USAGE)
    except UnicodeDecodeError:
        raise Failure("%s is not UTF-8 text" % path, EXIT_USAGE)
    if not path.endswith((".yml", ".yaml")):
        try:
            return json.loads(text)
        except ValueError as e:
            if path.endswith(".json"):
                raise Failure("%s, line %s: not JSON: %s" % (name, e.lineno, e.msg), EXIT_USAGE)
    try:
        import yaml
    except ImportError:
        raise Failure("reading YAML needs PyYAML (Debian/Ubuntu: apt-get install python3-yaml); or give a .json file",
                      EXIT_USAGE)
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = ", line %d" % (mark.line + 1) if mark else ""
        raise Failure("%s%s: not YAML: %s" % (name, where, getattr(e, "problem", None) or e), EXIT_USAGE)


def document_object(path, what):
    doc = read_document(path)
    if not isinstance(doc, dict):
        raise Failure("%s must hold one %s (a mapping of its fields)" % (path, what), EXIT_USAGE)
    return doc


def pairs(values, option):
    """k=v arguments as a dict; a missing '=' is a usage error naming the option."""
    out = {}
    for v in values or []:
        key, sep, value = v.partition("=")
        if not sep or not key:
            raise Failure("%s takes KEY=VALUE, not %r" % (option, v), EXIT_USAGE)
        out[key] = value
    return out


def binding(spec):
    """A target binding from NAME[,k=v...], e.g. local-files,path=billing/api."""
    name, _, rest = spec.partition(",")
    if not name or "=" in name:
        raise Failure("--target takes NAME[,KEY=VALUE...], not %r" % spec, EXIT_USAGE)
    out = {"target": name}
    out.update(pairs([p for p in rest.split(",") if p] if rest else [], "--target " + name))
    return out


def put(body, key, value):
    if value is not None and value != []:
        body[key] = value


# --------------------------------------------------------------------------- agents

def agent_body(args, base):
    body = dict(base)
    if getattr(args, "id", None):
        body["id"] = args.id
    put(body, "owner", args.owner)
    put(body, "kind", getattr(args, "kind", None))
    put(body, "expiresAt", getattr(args, "expires_at", None))
    if args.description is not None:
        body["description"] = args.description or None
    if args.attest_every is not None:
        body["attestEvery"] = None if args.attest_every in ("", "default") else args.attest_every
    return body


def print_agent_line(agent, verb):
    a = agent.get("attestation") or {}
    print("Agent %s %s: owner %s, %s%s%s" % (agent.get("id"), verb, agent.get("owner"), agent.get("kind"),
                                            ", expires " + agent["expiresAt"] if agent.get("expiresAt") else "",
                                            ", attestation due " + a["dueAt"] if a.get("dueAt") else ""))
    if agent.get("attributes"):
        print("  attributes: %s" % cell(agent["attributes"]))


def cmd_agent_create(client, args):
    body = agent_body(args, document_object(args.file, "agent") if args.file else {})
    attributes = dict(body.get("attributes") or {})
    attributes.update(pairs(args.attr, "--attr"))
    put(body, "attributes", attributes or None)
    if not body.get("id") or not body.get("owner"):
        raise Failure("agents create needs an id and --owner (from flags or -f FILE)", EXIT_USAGE)
    _, agent = client.api("POST", "/api/v1/agents", body=body)
    if args.json:
        emit_json(agent)
    else:
        print_agent_line(agent, "created")
    return EXIT_OK


def cmd_agent_change(client, args):
    body = agent_body(args, document_object(args.file, "change") if args.file else {})
    body.pop("id", None)
    if args.attr or args.remove_attr:
        # PATCH replaces the attributes whole: start from the agent's, so unnamed ones are kept.
        _, current = client.api("GET", "/api/v1/agents/" + segment(args.id))
        attributes = dict(body.get("attributes", current.get("attributes") or {}))
        attributes.update(pairs(args.attr, "--attr"))
        for key in args.remove_attr or []:
            if key not in attributes:
                raise Failure("agent %s has no attribute %r to remove" % (args.id, key), EXIT_USAGE)
            del attributes[key]
        body["attributes"] = attributes
    if not body:
        raise Failure("agents change needs something to change: --owner, --description, --attr, --remove-attr, "
                      "--attest-every or -f FILE", EXIT_USAGE)
    _, agent = client.api("PATCH", "/api/v1/agents/" + segment(args.id), body=body)
    if args.json:
        emit_json(agent)
        return EXIT_OK
    print_agent_line(agent, "changed")
    pending = (agent.get("attestation") or {}).get("pendingOwner")
    if pending:
        print("Ownership transfer to %s started: the owner stays %s until %s attests the agent "
              "(rotakeyctl attest --agent %s, with a token of that owner)" % (pending, agent.get("owner"), pending,
                                                                              agent.get("id")))
    return EXIT_OK


# --------------------------------------------------------------------------- credentials

TYPE_FIELDS = [("length", "length"), ("alphabet", "alphabet"), ("ca", "ca"), ("key_spec", "keySpec"),
               ("validity", "validity"), ("renew_at", "renewAt"), ("dns_name", "dnsNames"), ("uri", "uris"),
               ("key_custody", "keyCustody")]


def rotation_of(args):
    if getattr(args, "every", None):
        return {"every": args.every}
    if getattr(args, "cron", None):
        return {"cron": args.cron}
    if getattr(args, "manual", False):
        return {"manual": True}
    return None


def credential_fields(args, body):
    """The fields both a creation and a change take, from flags (a flag beats the file's field)."""
    put(body, "rotation", rotation_of(args))
    put(body, "gracePeriod", args.grace)
    put(body, "maxGracePeriod", args.max_grace)
    put(body, "revokeWhen", args.revoke_when)
    put(body, "consumers", args.consumer)
    put(body, "scopes", args.scope)
    for dest, field in TYPE_FIELDS:
        put(body, field, getattr(args, dest, None))
    return body


def credential_body(args, base):
    body = dict(base)
    if args.id:
        body["id"] = args.id
    put(body, "agent", getattr(args, "agent", None))
    put(body, "type", args.type)
    put(body, "backend", args.backend)
    if args.target:
        body["targets"] = [binding(t) for t in args.target]
    return credential_fields(args, body)


def print_created(c):
    last = c.get("lastRotation") or {}
    print("Credential %s created for agent %s: %s, version %s %s (rotation %s %s)%s" % (
        c.get("id"), c.get("agent"), c.get("type"), c.get("currentVersion") or (c.get("versions") or [{}])[-1].get("version"),
        "CURRENT" if c.get("currentVersion") else "not current yet", last.get("id"), last.get("state"),
        ", next rotation " + c["nextRotationAt"] if c.get("nextRotationAt") else ""))
    if last.get("lastError"):
        print("  error: %s (the rotation is retried: rotakeyctl rotations %s)" % (last["lastError"], c.get("id")))


def cmd_credential_create(client, args, secret=None):
    doc = read_document(args.file) if args.file else {}
    if isinstance(doc, dict) and isinstance(doc.get("credentials"), list):
        doc = doc["credentials"]
    if isinstance(doc, list):
        if secret is not None:
            raise Failure("credentials import takes one credential, not a list", EXIT_USAGE)
        if args.id or args.target or rotation_of(args):
            raise Failure("a list of credentials is created as it is: give no id, --target or rotation flags with it",
                          EXIT_USAGE)
        items = [credential_fields(args, dict(item)) if isinstance(item, dict) else item for item in doc]
        _, answer = client.api("POST", "/api/v1/credentials:batch", body={"credentials": items})
        if args.json:
            emit_json(answer)
            return EXIT_OK
        created = answer.get("credentials") or []
        table(["credential", "version", "state", "rotation", "rotation state", "error"],
              [[c.get("id"), c.get("version"), c.get("state"), c.get("rotation"), c.get("rotationState"),
                c.get("lastError")] for c in created])
        print("%d credential(s) created" % len(created))
        return EXIT_FAILED if any(c.get("rotationState") == "FAILED" for c in created) else EXIT_OK
    if not isinstance(doc, dict):
        raise Failure("%s must hold a credential (a mapping) or a list of them" % args.file, EXIT_USAGE)
    body = credential_body(args, doc)
    missing = [f for f in ("id", "agent", "type", "backend") if not body.get(f)]
    if missing:
        raise Failure("credentials %s needs %s (from flags or -f FILE)" % (args.action, ", ".join(missing)), EXIT_USAGE)
    if secret is not None:
        body["import"] = {"secret": secret}
    _, c = client.api("POST", "/api/v1/credentials", body=body)
    if args.json:
        emit_json(c)
    else:
        print_created(c)
    return EXIT_FAILED if (c.get("lastRotation") or {}).get("state") == "FAILED" else EXIT_OK


def read_secret(args):
    """The secret to import: never from the command line, where ps shows it."""
    if args.secret_file:
        try:
            with open(args.secret_file, encoding="utf-8") as f:
                secret = f.read()
        except OSError as e:
            raise Failure("cannot read the secret file %s: %s" % (args.secret_file, e.strerror), EXIT_USAGE)
        where = args.secret_file
    elif args.secret_stdin:
        if args.file == "-":
            raise Failure("--secret-stdin and -f - cannot both read standard input", EXIT_USAGE)
        secret, where = sys.stdin.read(), "standard input"
    elif sys.stdin.isatty():
        secret, where = getpass.getpass("Secret to import (not echoed): "), "the prompt"
    else:
        raise Failure("give the secret with --secret-file PATH or --secret-stdin (never on the command line)",
                      EXIT_USAGE)
    secret = secret[:-1] if secret.endswith("\n") else secret
    secret = secret[:-1] if secret.endswith("\r") else secret
    if not secret:
        raise Failure("the secret from %s is empty" % where, EXIT_USAGE)
    return secret


def cmd_credential_import(client, args):
    secret = read_secret(args)
    client.hide(secret)
    return cmd_credential_create(client, args, secret)


def bound_to(binding_, name, where):
    """Whether a binding is TARGET[:path]: the path, or for targets without one any parameter (a role, a user)."""
    if binding_.get("target") != name:
        return False
    if not where:
        return True
    if "path" in binding_:
        return binding_["path"] == where
    return where in [v for k, v in binding_.items() if k != "target"]


def edited_targets(client, args):
    """The complete new list of bindings: the credential's own, with --remove-target and --add-target applied."""
    _, current = client.api("GET", "/api/v1/credentials/" + segment(args.id))
    targets = [dict(t) for t in current.get("targets") or []]
    for spec in args.remove_target or []:
        name, _, where = spec.partition(":")
        keep = [t for t in targets if not bound_to(t, name, where)]
        if len(keep) == len(targets):
            raise Failure("credential %s has no binding to %s; it has: %s" % (
                args.id, spec, ", ".join(cell(t) for t in targets) or "none"), EXIT_USAGE)
        targets = keep
    targets.extend(binding(t) for t in args.add_target or [])
    return targets


def cmd_credential_change(client, args):
    body = document_object(args.file, "change") if args.file else {}
    credential_fields(args, body)
    if args.add_target or args.remove_target:
        if "targets" in body:
            raise Failure("give the targets either in the file or with --add-target/--remove-target", EXIT_USAGE)
        body["targets"] = edited_targets(client, args)
    if not body:
        raise Failure("credentials change needs something to change (see rotakeyctl credentials change --help)",
                      EXIT_USAGE)
    _, answer = client.api("PATCH", "/api/v1/credentials/" + segment(args.id), body=body)
    new = answer.get("newMaterial") or {}
    rotation = new.get("rotation")
    if args.wait and rotation:
        if not args.json:
            print_change(answer)
            print()
        return started_rotations(client, args, {"rotations": [dict(rotation, credential=answer.get("id"))]})
    if args.json:
        emit_json(answer)
    else:
        print_change(answer)
    return EXIT_OK


def describe(change):
    """A change as the server words it, or, given as an object, 'field: before -> after'."""
    if isinstance(change, dict) and "field" in change:
        return "%s: %s -> %s" % (change["field"], cell(change.get("before")), cell(change.get("after")))
    return cell(change)


def print_change(answer):
    changes = answer.get("changes") or []
    print("Credential %s changed: %s" % (answer.get("id"), "; ".join(describe(c) for c in changes) or "nothing"))
    new = answer.get("newMaterial") or {}
    rotation = new.get("rotation") or {}
    if new.get("needed"):
        print("New material needed (%s): rotation %s started, %s%s" % (
            new.get("reason"), rotation.get("id"), rotation.get("state"),
            "" if rotation.get("state") in ("SUCCEEDED", "FAILED")
            else " ('rotakeyctl rotations %s' follows it)" % answer.get("id")))
    else:
        print("No new material needed%s" % (": " + new["reason"] if new.get("reason") else ""))


def cmd_credential_retire(client, args):
    confirm(args, "retire credential '%s': revoke all its versions and remove them from its targets" % args.id)
    _, answer = client.api("DELETE", "/api/v1/credentials/" + segment(args.id), accept=(200, 202))
    if not args.json:
        print("Credential %s retired: its keys no longer verify." % (answer.get("credential") or args.id))
        if not args.wait:
            b = answer.get("batch") or {}
            if b.get("id"):
                print("Batch %s removes its versions from the targets: 'rotakeyctl batch %s --wait' follows it"
                      % (b["id"], b["id"]))
    code = batch_ended(client, args, answer)
    return EXIT_OK if code is None else code
