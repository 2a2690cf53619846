"""rotakeyctl's read-only views of the fleet: status, alerts, the plan, the audit trail, rotation history, posture."""

import csv
import json
import sys
import time

from rkctl_core import EXIT_FAILED, EXIT_OK, cell, emit_json, segment, table


def cmd_status(client, args):
    _, status = client.api("GET", "/api/v1/status")
    code, health = client.admin("GET", "/healthcheck", accept=(200, 500))
    health = health if isinstance(health, dict) else {}
    if args.json:
        emit_json({"status": status, "healthcheck": health})
    unhealthy = code != 200 or any(isinstance(c, dict) and not c.get("healthy", False) for c in health.values())
    failures = status.get("failedRotations") or []
    failed_revocations = status.get("failedRevocations") or 0
    if not args.json:
        print("Rotakey at %s (admin %s): %s" % (client.url, client.admin_url, "UNHEALTHY" if unhealthy else "healthy"))
        print("Rotations: %s%s" % ("PAUSED (scheduled rotations and revocations held; resume with 'rotakeyctl resume')"
                                   if status.get("paused") else "running",
                                   "" if status.get("schedulerRunning", True) else ", scheduler NOT running"))
        print()
        table(["check", "healthy", "message"],
              [[name, c.get("healthy"), c.get("message")] for name, c in sorted(health.items()) if isinstance(c, dict)])
        print()
        creds = status.get("credentials") or {}
        versions = status.get("versions") or {}
        print("Credentials: " + (", ".join("%s %s" % (v, k.lower()) for k, v in creds.items()) or "none"))
        print("Versions:    " + (", ".join("%s %s" % (v, k) for k, v in versions.items()) or "none"))
        backends = status.get("keyBackends") or {}
        if backends:
            print("Key backends: " + ", ".join("%s (%s) %s" % (n, b.get("type"), "ok" if b.get("healthy") else
                                                             "DOWN: " + str(b.get("message"))) for n, b in backends.items()))
        if failures:
            print()
            print("Failed rotations:")
            table(["credential", "rotation", "error"], [[f.get("credential"), f.get("rotation"), f.get("error")]
                                                         for f in failures])
        if failed_revocations:
            print()
            print("Versions whose removal from a target failed and is being retried: %s" % failed_revocations)
        overdue = status.get("acknowledgementOverdue") or []
        if overdue:
            print()
            print("Revoked before every consumer acknowledged:")
            table(["credential", "consumers"], [[o.get("credential"), o.get("consumers")] for o in overdue])
        alerts = status.get("alertsFiring") or {}
        print()
        print("Alerts firing: " + (", ".join("%s %s" % (n, name) for name, n in alerts.items()) or "none")
              + ("  (rotakeyctl alerts lists them)" if alerts else ""))
    return EXIT_FAILED if unhealthy or failures or failed_revocations else EXIT_OK


def cmd_alerts(client, args):
    _, answer = client.api("GET", "/api/v1/alerts")
    if args.json:
        emit_json(answer)
        return EXIT_OK
    alerts = answer.get("alerts") or []
    table(["since", "alert", "severity", "owner", "subject", "summary"],
          [[a.get("startsAt"), a.get("alertname"), a.get("severity"), a.get("owner"),
            (a.get("labels") or {}).get("credential") or (a.get("labels") or {}).get("backend")
            or (a.get("labels") or {}).get("ca"), a.get("summary")] for a in alerts])
    return EXIT_OK


def cmd_plan(client, args):
    _, plan = client.api("GET", "/api/v1/plan", {"within": args.within, "limit": args.limit})
    if args.json:
        emit_json(plan)
        return EXIT_OK
    print("Plan from %s to %s (%s)%s" % (plan.get("from"), plan.get("to"), plan.get("within"),
                                         ": PAUSED, nothing runs until 'rotakeyctl resume'" if plan.get("paused") else ""))
    sections = [("overdue", "overdue rotations"), ("overdueRevocations", "overdue revocations"),
                ("rotations", "rotations"), ("revocations", "revocations"), ("expiries", "expiries")]
    print(", ".join("%s %s" % ((plan.get(k) or {}).get("count", 0), label) for k, label in sections))
    hours = plan.get("byHour") or []
    if hours:
        print()
        peak = max(h["rotations"] + h["revocations"] + h["expiries"] for h in hours) or 1
        rows = []
        for h in hours:
            total = h["rotations"] + h["revocations"] + h["expiries"]
            rows.append([h["hour"], h["rotations"], h["revocations"], h["expiries"], "#" * max(1, round(40 * total / peak))])
        table(["hour (UTC)", "rotations", "revocations", "expiries", ""], rows)
    for key, title, headers, row in [
        ("overdue", "Overdue rotations (next rotation already past)", ["at", "credential", "agent", "owner", "type"],
         lambda i: [i.get("at"), i.get("credential"), i.get("agent"), i.get("owner"), i.get("type")]),
        ("overdueRevocations", "Overdue revocations (grace over, waiting)", ["at", "credential", "version", "agent", "owner"],
         lambda i: [i.get("at"), i.get("credential"), i.get("version"), i.get("agent"), i.get("owner")]),
        ("rotations", "Rotations", ["at", "credential", "agent", "owner", "type"],
         lambda i: [i.get("at"), i.get("credential"), i.get("agent"), i.get("owner"), i.get("type")]),
        ("revocations", "Revocations", ["at", "credential", "version", "agent", "owner"],
         lambda i: [i.get("at"), i.get("credential"), i.get("version"), i.get("agent"),
                    (i.get("owner") or "-") + (" (waits for consumers)" if i.get("waitsForConsumers") else "")]),
        ("expiries", "Expiries", ["at", "kind", "what", "owner"],
         lambda i: [i.get("at"), i.get("kind"), expiry_subject(i), i.get("owner")]),
    ]:
        section = plan.get(key) or {}
        items = section.get("items") or []
        if not items:
            continue
        print()
        shown = "" if len(items) == section.get("count") else " (first %d of %d)" % (len(items), section.get("count"))
        print(title + shown + ":")
        table(headers, [row(i) for i in items])
    if plan.get("truncated"):
        print()
        print("Lists are cut at --limit %s; the counts are exact." % args.limit)
    return EXIT_OK


def expiry_subject(i):
    if i.get("kind") == "certificate":
        return "%s v%s serial %s" % (i.get("credential"), i.get("version"), i.get("serial"))
    if i.get("kind") == "ca":
        return "CA %s generation %s" % (i.get("ca"), i.get("generation"))
    return "agent %s" % i.get("agent")


def audit_rows(events):
    return [[e.get("at"), e.get("actor"), e.get("action"), e.get("subject"), e.get("outcome"), e.get("details")]
            for e in events]


AUDIT_HEADERS = ["at", "actor", "action", "subject", "outcome", "details"]


def cmd_audit(client, args):
    params = {"subject": args.subject, "correlationId": args.correlation_id, "limit": args.tail, "before": args.before}
    _, page = client.api("GET", "/api/v1/audit", params)
    events = list(reversed(page.get("events") or []))
    if args.json and not args.follow:
        emit_json(page)
        return EXIT_OK
    if args.json:
        # Following is a stream: one event per line (JSON Lines), oldest first.
        for e in events:
            print(json.dumps(e))
    else:
        table(AUDIT_HEADERS, audit_rows(events))
    sys.stdout.flush()
    if not args.follow:
        return EXIT_OK
    last = max([e["id"] for e in events], default=0)
    try:
        while True:
            time.sleep(args.interval)
            fresh, before = [], None
            # Newest first: page back until the last event already shown.
            while True:
                p = dict(params, limit=1000, before=before)
                _, page = client.api("GET", "/api/v1/audit", p)
                batch = [e for e in page.get("events") or [] if e["id"] > last]
                fresh.extend(batch)
                if len(batch) < len(page.get("events") or []) or not page.get("next"):
                    break
                before = page["next"]
            fresh.sort(key=lambda e: e["id"])
            for e in fresh:
                if args.json:
                    print(json.dumps(e))
                else:
                    print("  ".join(cell(v) for v in audit_rows([e])[0]))
            if fresh:
                last = fresh[-1]["id"]
            sys.stdout.flush()
    except KeyboardInterrupt:
        return EXIT_OK


def cmd_rotations(client, args):
    _, answer = client.api("GET", "/api/v1/credentials/%s/rotations" % segment(args.credential), {"limit": args.limit})
    if args.json:
        emit_json(answer)
        return EXIT_OK
    table(["started", "rotation", "version", "trigger", "actor", "state", "step", "attempts", "error"],
          [[r.get("startedAt"), r.get("id"), r.get("version"), r.get("trigger"), r.get("actor"), r.get("state"),
            r.get("step"), r.get("attempts"), r.get("lastError")] for r in answer.get("rotations") or []])
    return EXIT_OK


POSTURE_COLUMNS = ["severity", "kind", "agent", "owner", "credential", "version", "subject", "summary", "remedy", "audit",
                   "since"]


def spreadsheet_safe(value):
    """A CSV value a spreadsheet will not run as a formula: agent ids, owners and summaries come from API callers."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def cmd_posture(client, args):
    _, report = client.api("GET", "/api/v1/posture", {"owner": args.owner, "severity": args.severity})
    findings = report.get("findings") or []
    if args.json or args.posture_json:
        emit_json(report)
        return EXIT_OK
    if args.csv:
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(POSTURE_COLUMNS)
        for f in findings:
            out.writerow([spreadsheet_safe(f.get(c)) for c in POSTURE_COLUMNS])
        return EXIT_OK
    counts = report.get("counts") or {}
    severities = counts.get("bySeverity") or {}
    print("Posture score: %s/100 (%s agents, %s credentials, %s findings: %s)" % (
        report.get("score"), counts.get("agents"), counts.get("credentials"), counts.get("findings"),
        ", ".join("%s %s" % (n, s) for s, n in severities.items() if n) or "none"))
    print()
    table(["severity", "kind", "agent", "owner", "summary", "remedy"],
          [[f.get("severity"), f.get("kind"), f.get("agent") or f.get("subject"), f.get("owner"), f.get("summary"),
            f.get("remedy")] for f in findings])
    for kind, n in (report.get("truncated") or {}).items():
        print("(%s more %s findings not listed: governance.posture.maxFindings)" % (n, kind))
    owners = counts.get("byOwner") or {}
    if owners:
        print()
        table(["owner", "agents", "credentials", "findings", "by severity"],
              [[o, c.get("agents"), c.get("credentials"), c.get("findings"),
                {s: n for s, n in (c.get("bySeverity") or {}).items() if n}] for o, c in owners.items()])
    return EXIT_OK

