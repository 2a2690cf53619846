"""rotakeyctl's inventory: agents and credentials listed and shown."""

from rkctl_core import EXIT_OK, EXIT_USAGE, Failure, cell, emit_json, fields, segment, table


def cmd_agents(client, args):
    if args.action == "show":
        if not args.id:
            raise Failure("agents show needs an agent id", EXIT_USAGE)
        _, agent = client.api("GET", "/api/v1/agents/" + segment(args.id))
        _, creds = client.api("GET", "/api/v1/credentials", {"agent": args.id, "limit": 1000})
        if args.json:
            emit_json({"agent": agent, "credentials": creds.get("credentials", [])})
            return EXIT_OK
        fields([("id", agent.get("id")), ("owner", agent.get("owner")), ("kind", agent.get("kind")),
                ("status", agent.get("status")), ("description", agent.get("description")),
                ("attributes", agent.get("attributes")), ("created", agent.get("createdAt")),
                ("expires", agent.get("expiresAt")), ("decommissioned", agent.get("decommissionedAt"))])
        print()
        credential_table(creds.get("credentials", []))
        return EXIT_OK
    _, page = client.api("GET", "/api/v1/agents", {"after": args.after, "limit": args.limit})
    if args.json:
        emit_json(page)
        return EXIT_OK
    table(["id", "owner", "kind", "status", "expires", "created"],
          [[a.get("id"), a.get("owner"), a.get("kind"), a.get("status"), a.get("expiresAt"), a.get("createdAt")]
           for a in page.get("agents", [])])
    more(page)
    return EXIT_OK


def more(page):
    if page.get("next"):
        print("more: --after %s" % page["next"])


def credential_table(creds):
    table(["id", "agent", "type", "status", "current", "rotation", "next rotation"],
          [[c.get("id"), c.get("agent"), c.get("type"), c.get("status"), c.get("currentVersion"),
            c.get("rotation"), c.get("nextRotationAt")] for c in creds])


def cmd_credentials(client, args):
    if args.action == "show":
        if not args.id:
            raise Failure("credentials show needs a credential id", EXIT_USAGE)
        _, c = client.api("GET", "/api/v1/credentials/" + segment(args.id))
        if args.json:
            emit_json(c)
            return EXIT_OK
        pairs = [("id", c.get("id")), ("agent", c.get("agent")), ("type", c.get("type")), ("backend", c.get("backend")),
                 ("status", c.get("status")), ("rotation", c.get("rotation")), ("grace period", c.get("gracePeriod")),
                 ("next rotation", c.get("nextRotationAt")), ("current version", c.get("currentVersion")),
                 ("targets", [cell(t) for t in c.get("targets") or []])]
        for key in ("ca", "keySpec", "validity", "keyCustody", "revokeWhen", "consumers", "maxGracePeriod",
                    "acknowledgementOverdue"):
            if c.get(key) is not None:
                pairs.append((key, c.get(key)))
        fields(pairs)
        print()
        versions = c.get("versions") or []
        certificate = any("serial" in v for v in versions)
        headers = ["version", "state", "created", "promoted", "revoke after", "revoked", "reason"]
        if certificate:
            headers += ["serial", "not after"]
        rows = []
        for v in versions:
            row = [v.get("version"), v.get("state"), v.get("createdAt"), v.get("promotedAt"), v.get("revokeAfter"),
                   v.get("revokedAt"), v.get("revokeReason")]
            if certificate:
                row += [v.get("serial"), v.get("notAfter")]
            rows.append(row)
        table(headers, rows)
        last = c.get("lastRotation")
        if last:
            print()
            print("Last rotation %s: %s (version %s, %s)%s" % (last.get("id"), last.get("state"), last.get("version"),
                                                              last.get("trigger"),
                                                              ": " + last["lastError"] if last.get("lastError") else ""))
        return EXIT_OK
    _, page = client.api("GET", "/api/v1/credentials", {"agent": args.agent, "after": args.after, "limit": args.limit})
    if args.json:
        emit_json(page)
        return EXIT_OK
    credential_table(page.get("credentials", []))
    more(page)
    return EXIT_OK

