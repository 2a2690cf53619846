"""rotakeyctl's operator actions on rotations: rotate, revoke, decommission, attest, batches and the kill switch."""

import time
import urllib.parse

from rkctl_core import EXIT_FAILED, EXIT_OK, FINISHED, Failure, cell, confirm, emit_json, segment, table


def print_rotation(r):
    print("Rotation %s of %s: %s, version %s (%s by %s)%s" % (
        r.get("id"), r.get("credential"), r.get("state"), r.get("version"), r.get("trigger"), r.get("actor"),
        ", emergency" if r.get("emergency") else ""))
    if r.get("lastError"):
        print("  error: %s" % r["lastError"])
    steps = r.get("steps") or []
    if steps:
        table(["step", "attempt", "outcome", "finished", "error"],
              [[s.get("step"), s.get("attempt"), s.get("outcome"), s.get("finishedAt"), s.get("error")] for s in steps])


def started_rotations(client, args, answer):
    """Prints (or, with --wait, follows to the end) the rotations a task started; exit 1 if any FAILED."""
    started = answer.get("rotations") or []
    if not args.wait:
        if args.json:
            emit_json(answer)
        else:
            table(["rotation", "credential", "version", "state"],
                  [[r.get("id"), r.get("credential"), r.get("version"), r.get("state")] for r in started])
            batch_hint(answer)
        return EXIT_FAILED if any(r.get("state") == "FAILED" for r in started) else EXIT_OK
    deadline = time.monotonic() + args.wait_timeout
    finished = []
    for r in started:
        while True:
            _, current = client.api("GET", "/api/v1/rotations/" + segment(r["id"]))
            if current.get("state") in FINISHED:
                finished.append(current)
                break
            if time.monotonic() > deadline:
                raise Failure("rotation %s of %s still %s after %ss (see 'rotakeyctl rotations %s')"
                              % (r["id"], r.get("credential"), current.get("state"), args.wait_timeout,
                                 r.get("credential")), EXIT_FAILED)
            time.sleep(0.2)
    batch = follow_batch(client, args, answer, deadline) if answer.get("batch") else None
    if args.json:
        emit_json({"rotations": finished, "batch": batch} if batch else {"rotations": finished})
    else:
        for i, r in enumerate(finished):
            if i:
                print()
            print_rotation(r)
        if batch and batch.get("kind") != "rotate":
            print()
            print_batch(batch, items=False)
    failed = any(r.get("state") == "FAILED" for r in finished) or (batch or {}).get("state") == "FAILED"
    return EXIT_FAILED if failed else EXIT_OK


def batch_hint(answer):
    """Where to follow the batch a task answered."""
    batch = answer.get("batch") or {}
    if batch.get("id") and batch.get("state") == "RUNNING":
        print("Batch %s (%s) is running in the background: 'rotakeyctl batch %s' shows how far it is"
              % (batch["id"], batch.get("kind"), batch["id"]))


def follow_batch(client, args, answer, deadline, rotations_too=False):
    """Polls the batch a task answered until it has ended (and, with rotations_too, until its rotations have)."""
    batch_id = (answer.get("batch") or {}).get("id")
    if not batch_id:
        raise Failure("the daemon answered no batch to follow: is it older than this rotakeyctl?", EXIT_FAILED)
    while True:
        _, batch = client.api("GET", "/api/v1/batches/" + segment(batch_id), {"limit": 1000})
        ended = batch.get("state") != "RUNNING"
        if ended and (not rotations_too or not (batch.get("rotations") or {}).get("RUNNING")):
            return batch
        if time.monotonic() > deadline:
            counts = batch.get("counts") or {}
            raise Failure("batch %s still %s after %ss: %s of %s credential(s) not reached yet, %s rotation(s) running "
                          "(see 'rotakeyctl batch %s')" % (batch_id, batch.get("state"), args.wait_timeout,
                                                           counts.get("pending"), cell(counts.get("total")),
                                                           (batch.get("rotations") or {}).get("RUNNING", 0), batch_id),
                          EXIT_FAILED)
        time.sleep(0.2)


def print_batch(b, items=True):
    counts = b.get("counts") or {}
    print("Batch %s: %s %s by %s, %s%s" % (b.get("id"), b.get("kind"), b.get("subject"), b.get("actor"), b.get("state"),
                                          " on node " + b["node"] if b.get("node") else ""))
    print("  credentials: %s total, %s pending, %s started, %s done, %s skipped%s, %s failed"
          % (cell(counts.get("total")), counts.get("pending"), counts.get("started"), counts.get("done"),
             counts.get("skipped"), " (" + cell(b.get("skipped")) + ")" if b.get("skipped") else "",
             counts.get("failed")))
    if b.get("rotations"):
        print("  rotations:   " + ", ".join("%s %s" % (n, state) for state, n in b["rotations"].items()))
    if b.get("error"):
        print("  error: %s" % b["error"])
    if items and b.get("items"):
        print()
        table(["credential", "outcome", "rotation", "state", "step", "detail"],
              [[i.get("credential"), i.get("outcome") + ("/" + i["reason"] if i.get("reason") else ""),
                (i.get("rotation") or {}).get("id"), (i.get("rotation") or {}).get("state"),
                (i.get("rotation") or {}).get("step"), i.get("detail")] for i in b["items"]])
        if b.get("next"):
            print("more: rotakeyctl batch %s --after %s" % (b.get("id"), b["next"]))


def batch_ended(client, args, answer):
    """With --wait, follows an agent's batch (and the rotations it started) to the end; exit 1 if anything FAILED."""
    if not args.wait:
        if args.json:
            emit_json(answer)
        return None
    batch = follow_batch(client, args, answer, time.monotonic() + args.wait_timeout, rotations_too=True)
    if args.json:
        emit_json(batch)
    else:
        print_batch(batch, items=False)
        failed = [i for i in batch.get("items") or [] if i.get("outcome") == "FAILED"
                  or (i.get("rotation") or {}).get("state") == "FAILED"]
        if failed:
            print()
            table(["credential", "outcome", "rotation", "state", "detail"],
                  [[i.get("credential"), i.get("outcome"), (i.get("rotation") or {}).get("id"),
                    (i.get("rotation") or {}).get("state"), i.get("detail")] for i in failed])
    rotation_failed = (batch.get("rotations") or {}).get("FAILED")
    return EXIT_FAILED if batch.get("state") == "FAILED" or rotation_failed else EXIT_OK


def cmd_rotate(client, args):
    params = {"credential": args.credential} if args.credential else {"agent": args.agent}
    _, answer = client.admin("POST", "/tasks/rotate", params)
    if args.credential:
        return started_rotations(client, args, answer)
    if not args.json:
        print("Rotating every active credential of %s." % args.agent)
        if not args.wait:
            batch_hint(answer)
    code = batch_ended(client, args, answer)
    return EXIT_OK if code is None else code


def cmd_batch(client, args):
    params = {"after": args.after, "limit": args.limit}
    if args.wait:
        deadline = time.monotonic() + args.wait_timeout
        follow_batch(client, args, {"batch": {"id": args.id}}, deadline, rotations_too=True)
    _, b = client.api("GET", "/api/v1/batches/" + segment(args.id), params)
    if args.json:
        emit_json(b)
    else:
        print_batch(b)
    failed = b.get("state") == "FAILED" or (args.wait and (b.get("rotations") or {}).get("FAILED"))
    return EXIT_FAILED if failed else EXIT_OK


def cmd_batches(client, args):
    _, page = client.api("GET", "/api/v1/batches", {"before": args.before, "limit": args.limit})
    if args.json:
        emit_json(page)
        return EXIT_OK
    table(["created", "batch", "kind", "subject", "actor", "state", "total", "pending", "failed"],
          [[b.get("createdAt"), b.get("id"), b.get("kind"), b.get("subject"), b.get("actor"), b.get("state"),
            (b.get("counts") or {}).get("total"), (b.get("counts") or {}).get("pending"),
            (b.get("counts") or {}).get("failed")] for b in page.get("batches") or []])
    if page.get("next"):
        print("more: --before %s" % page["next"])
    return EXIT_OK


def cmd_revoke(client, args):
    confirm(args, "revoke every version of credential '%s' now (emergency)" % args.credential)
    _, answer = client.admin("POST", "/tasks/revoke", {"credential": args.credential})
    return started_rotations(client, args, answer)


def cmd_decommission(client, args):
    confirm(args, "decommission agent '%s' and revoke all its credentials now" % args.agent)
    _, answer = client.admin("POST", "/tasks/decommission", {"agent": args.agent})
    if not args.json:
        print("Agent %s decommissioned: its keys no longer verify. Credentials: %s"
              % (answer.get("agent"), cell(answer.get("credentials"))))
        if not args.wait:
            batch_hint(answer)
    code = batch_ended(client, args, answer)
    return EXIT_OK if code is None else code


def cmd_attest(client, args):
    _, agent = client.api("POST", "/api/v1/agents/%s/attest" % urllib.parse.quote(args.agent, safe=""))
    if args.json:
        emit_json(agent)
        return EXIT_OK
    a = agent.get("attestation") or {}
    print("Agent %s attested by %s for owner %s: %s%s" % (
        agent.get("id"), a.get("attestedBy"), agent.get("owner"), a.get("state"),
        ", next due " + a["dueAt"] if a.get("dueAt") else ""))
    if a.get("pendingOwner"):
        print("The transfer to %s still waits for that owner's attestation." % a["pendingOwner"])
    return EXIT_OK


def cmd_pause(client, args):
    _, answer = client.admin("POST", "/tasks/pause-rotations" if args.command == "pause" else "/tasks/resume-rotations")
    if args.json:
        emit_json(answer)
    else:
        print("Scheduled rotations and revocations are %s." % ("PAUSED" if answer.get("paused") else "running"))
    return EXIT_OK


