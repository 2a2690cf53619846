"""rotakeyctl's command line: the argparse tree of every command and option, and main(), which resolves the
settings, runs one command and turns every failure into one line on stderr and an exit code."""

import argparse
import ssl
import sys

import rkctl_access as access
import rkctl_completion as completion
import rkctl_fleet as fleet
import rkctl_inventory as inventory
import rkctl_manage as manage
import rkctl_operate as operate
from rkctl_config import DEFAULT_CONFIG, cmd_config, read_token, resolve
from rkctl_server import DEFAULT_SERVER_CONFIG
from rkctl_core import (DEFAULT_ADMIN_URL, DEFAULT_URL, EXIT_FAILED, EXIT_OK, EXIT_UNREACHABLE, Client,
                        Failure, positive_float, positive_int)

EPILOG = """\
connection (flag, else environment, else config file key, else derived from the daemon's config, else default):
  --url / ROTAKEY_URL / url              application port (default %s)
  --admin-url / ROTAKEY_ADMIN_URL / admin_url   admin port (default %s)
  --token-file / ROTAKEY_TOKEN_FILE / token_file, or ROTAKEY_TOKEN / token (the token itself); by default
      $ROTAKEY_DATA_DIR/admin-token, else ./data/admin-token, else /var/lib/rotakey/admin-token
  --cacert / ROTAKEY_CACERT / ca         PEM CA bundle for https with a private CA
  --timeout / ROTAKEY_TIMEOUT / timeout  seconds per request (default 30)
  config file: --config FILE, else $ROTAKEYCTL_CONF, else %s if it exists (INI, section [rotakey])
  the daemon's config: --server-config / ROTAKEY_SERVER_CONFIG / server_config, else %s if readable
      ('none': derive nothing); url, admin_url and the token file follow its first application and admin
      connectors and auth.adminTokenFile, with ${VAR:-default} resolved from the environment, /etc/default/rotakey
      and ROTAKEY_DATA_DIR=/var/lib/rotakey. 'rotakeyctl config' shows what is in force and why.

exit codes: 0 ok; 1 the operation failed, a rotation FAILED, the daemon is unhealthy, or verify found the key invalid;
  2 usage error (a bad config file too); 3 cannot connect, no token, or authentication refused.

examples:
  rotakeyctl status
  rotakeyctl config
  rotakeyctl agents create billing-agent --owner team-billing@example.com --attr env=prod
  rotakeyctl credentials create billing-agent-api --agent billing-agent --type api-key --backend hsm \\
      --target local-files,path=billing/api --every P30D --grace PT1H
  rotakeyctl credentials create -f fleet.yaml
  rotakeyctl credentials show billing-agent-api
  rotakeyctl rotate --credential billing-agent-api --wait
  rotakeyctl tokens issue ci-verifier --role verifier --expires P90D --out ci-verifier.token
  rotakeyctl verify --key-file key.txt --require-scope payments:read
  rotakeyctl plan --within P7D
  rotakeyctl audit --tail 20 --follow
  rotakeyctl revoke --credential billing-agent-api --yes
  rotakeyctl posture --csv > posture.csv
  rotakeyctl completion bash > /etc/bash_completion.d/rotakeyctl
""" % (DEFAULT_URL, DEFAULT_ADMIN_URL, DEFAULT_CONFIG, DEFAULT_SERVER_CONFIG)


def leaf(sub, name, help, run, json=True, offline=False, **kwargs):
    """A command; every one takes --json after its name too (it may also come before the command)."""
    s = sub.add_parser(name, help=help, description=help[:1].upper() + help[1:] + ".", **kwargs)
    if json:
        s.add_argument("--json", action="store_true", default=argparse.SUPPRESS,
                       help="print the server's JSON instead of text")
    s.set_defaults(run=run, offline=offline)
    return s


def wait_options(s, what="follow the rotation until it SUCCEEDED or FAILED and print its steps (exit 1 if FAILED)"):
    s.add_argument("--wait", action="store_true", help=what)
    s.add_argument("--wait-timeout", type=positive_float, default=120.0, metavar="S",
                   help="with --wait: give up after S seconds (default %(default)s; exit 1)")


def yes_option(s):
    s.add_argument("--yes", action="store_true", help="do not ask (required when standard input is not a terminal)")


def file_option(s, what):
    s.add_argument("-f", "--file", metavar="FILE", help=what + " from a YAML or JSON file ('-': standard input)")


def agent_commands(sub):
    s = leaf(sub, "agents", "list agents, show one with its credentials, create or change one", inventory.cmd_agents)
    s.add_argument("--after", help="list: the page after this agent id")
    s.add_argument("--limit", type=positive_int, default=100, help="list: page size (default %(default)s, max 1000)")
    acts = s.add_subparsers(dest="action", metavar="ACTION")
    a = leaf(acts, "list", "list agents (the default)", inventory.cmd_agents)
    a.add_argument("--after", default=argparse.SUPPRESS, help="the page after this agent id")
    a.add_argument("--limit", type=positive_int, default=argparse.SUPPRESS, help="page size (default 100, max 1000)")
    a = leaf(acts, "show", "show an agent with its credentials", inventory.cmd_agents)
    a.add_argument("id", help="the agent")

    def changeable(a):
        a.add_argument("--owner", help="the person or team accountable (change: starts a transfer that waits for "
                                       "the new owner's attestation)")
        a.add_argument("--description", help="free text, up to 1,024 characters ('' clears it)")
        a.add_argument("--attr", action="append", metavar="KEY=VALUE", help="an attribute (repeatable)")
        a.add_argument("--attest-every", metavar="DURATION",
                       help="the agent's own attestation interval, ISO-8601 (change: 'default' for the policy's)")

    a = leaf(acts, "create", "register an agent", manage.cmd_agent_create)
    a.add_argument("id", nargs="?", help="the agent's id (or 'id' in the file)")
    changeable(a)
    a.add_argument("--kind", choices=["persistent", "ephemeral"], help="default persistent; ephemeral needs "
                                                                        "--expires-at")
    a.add_argument("--expires-at", metavar="INSTANT", help="when an ephemeral agent is decommissioned (ISO-8601)")
    file_option(a, "the agent")
    a = leaf(acts, "change", "change an agent's description, attributes, attestation interval or owner",
             manage.cmd_agent_change)
    a.add_argument("id", help="the agent")
    changeable(a)
    a.add_argument("--remove-attr", action="append", metavar="KEY", help="remove an attribute (repeatable)")
    file_option(a, "the change (the PATCH body)")


def credential_shared(a):
    """The options a creation and a change both take."""
    r = a.add_mutually_exclusive_group()
    r.add_argument("--every", metavar="DURATION", help="rotate at this ISO-8601 interval, e.g. P30D")
    r.add_argument("--cron", metavar="EXPRESSION", help="rotate on this Quartz cron expression (UTC)")
    r.add_argument("--manual", action="store_true", help="rotate only when asked")
    a.add_argument("--grace", metavar="DURATION", help="how long the previous version stays valid (ISO-8601)")
    a.add_argument("--scope", action="append", metavar="SCOPE",
                   help="a scope verify reports to relying services (repeatable; a change replaces the list)")
    a.add_argument("--revoke-when", choices=["grace", "acknowledged"],
                   help="revoke the previous version when its grace is over, or when every consumer acknowledged")
    a.add_argument("--consumer", action="append", metavar="NAME",
                   help="a consumer that acknowledges versions (repeatable; a change replaces the list)")
    a.add_argument("--max-grace", metavar="DURATION", help="with acknowledged: revoke at the latest after this")
    t = a.add_argument_group("type-specific options")
    t.add_argument("--length", type=positive_int, help="password: its length")
    t.add_argument("--alphabet", help="password: the characters it is made of")
    t.add_argument("--ca", help="certificate: the CA that issues it")
    t.add_argument("--key-spec", choices=["EC_P256", "EC_P384", "RSA_2048", "RSA_3072"], help="certificate: its key")
    t.add_argument("--validity", metavar="DURATION", help="certificate: how long each certificate is valid")
    t.add_argument("--renew-at", type=float, metavar="FRACTION", help="certificate: renew at this fraction of validity")
    t.add_argument("--dns-name", action="append", metavar="NAME", help="certificate: a DNS name (repeatable)")
    t.add_argument("--uri", action="append", metavar="URI", help="certificate: a URI SAN (repeatable)")
    t.add_argument("--key-custody", choices=["export", "hsm"], help="certificate: where its private key lives")


def credential_creation(a):
    a.add_argument("id", nargs="?", help="the credential's id (or 'id' in the file)")
    a.add_argument("--agent", default=argparse.SUPPRESS, help="the agent it belongs to")
    a.add_argument("--type", choices=["api-key", "password", "certificate"], help="what it is")
    a.add_argument("--backend", help="the key backend that makes its material, e.g. hsm")
    a.add_argument("--target", action="append", metavar="NAME[,KEY=VALUE...]",
                   help="a binding, e.g. local-files,path=billing/api (repeatable)")
    credential_shared(a)


def credential_commands(sub):
    s = leaf(sub, "credentials", "list, show, create, change, import or retire credentials", inventory.cmd_credentials)
    s.add_argument("--agent", help="list: only this agent's credentials")
    s.add_argument("--after", help="list: the page after this credential id")
    s.add_argument("--limit", type=positive_int, default=100, help="list: page size (default %(default)s, max 1000)")
    acts = s.add_subparsers(dest="action", metavar="ACTION")
    a = leaf(acts, "list", "list credentials (the default)", inventory.cmd_credentials)
    a.add_argument("--agent", default=argparse.SUPPRESS, help="only this agent's credentials")
    a.add_argument("--after", default=argparse.SUPPRESS, help="the page after this credential id")
    a.add_argument("--limit", type=positive_int, default=argparse.SUPPRESS, help="page size (default 100, max 1000)")
    a = leaf(acts, "show", "show a credential with its versions", inventory.cmd_credentials)
    a.add_argument("id", help="the credential")
    a = leaf(acts, "create", "create a credential and issue its version 1, or a list of them from a file",
             manage.cmd_credential_create)
    credential_creation(a)
    file_option(a, "the credential, or a list of them (created all or none),")
    a = leaf(acts, "import", "create a credential whose version 1 is an existing secret", manage.cmd_credential_import)
    credential_creation(a)
    file_option(a, "the credential")
    g = a.add_mutually_exclusive_group()
    g.add_argument("--secret-file", metavar="FILE", help="the secret is this file's content (one trailing newline "
                                                         "dropped); default: a prompt on a terminal")
    g.add_argument("--secret-stdin", action="store_true", help="the secret is standard input (one trailing newline "
                                                               "dropped)")
    a = leaf(acts, "change", "change a credential's rotation, grace, consumers, scopes, targets or type fields",
             manage.cmd_credential_change)
    a.add_argument("id", help="the credential")
    credential_shared(a)
    a.add_argument("--add-target", action="append", metavar="NAME[,KEY=VALUE...]", help="bind a target (repeatable)")
    a.add_argument("--remove-target", action="append", metavar="TARGET[:PATH]",
                   help="unbind a target, or only its binding at PATH (repeatable)")
    file_option(a, "the change (the PATCH body)")
    wait_options(a, "follow the rotation the change started, if any, until it ends (exit 1 if it FAILED)")
    a = leaf(acts, "retire", "retire a credential: revoke every version and remove them from its targets",
             manage.cmd_credential_retire)
    a.add_argument("id", help="the credential")
    yes_option(a)
    wait_options(a, "follow the batch until its versions are removed from every target (exit 1 if one FAILED)")


def token_commands(sub):
    s = leaf(sub, "tokens", "list, issue, rotate or revoke bearer tokens", access.cmd_tokens)
    acts = s.add_subparsers(dest="action", metavar="ACTION")
    leaf(acts, "list", "every token with its role, owner, expiry and last use (the default); never a secret",
         access.cmd_tokens)
    a = leaf(acts, "issue", "issue a new token; its secret is shown once", access.cmd_token_issue)
    a.add_argument("name", help="the token's name")
    a.add_argument("--role", choices=["admin", "operator", "auditor", "monitor", "verifier", "owner"],
                   help="what it may do (default verifier)")
    a.add_argument("--owner", help="with --role owner: the owner whose agents it reaches")
    a.add_argument("--expires", metavar="DURATION|INSTANT", help="an ISO-8601 duration (P90D) or instant")
    a.add_argument("--out", metavar="FILE", help="write the secret to FILE (mode 0600) instead of standard output")
    a = leaf(acts, "rotate", "give a token a new secret; the old one works for --grace more",
             access.cmd_token_rotate)
    a.add_argument("name", help="the token's name")
    a.add_argument("--grace", metavar="DURATION", help="how long the old secret stays valid (default PT1H)")
    a.add_argument("--out", metavar="FILE", help="write the secret to FILE (mode 0600) instead of standard output")
    a = leaf(acts, "revoke", "revoke a token at once", access.cmd_token_revoke)
    a.add_argument("name", help="the token's name")


def parser():
    p = argparse.ArgumentParser(prog="rotakeyctl", description="Operate a Rotakey daemon: status, inventory, "
                                "rotations, emergencies, the kill switch, the rotation plan, tokens and the audit trail.",
                                epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--config", metavar="FILE", help="the config file (env ROTAKEYCTL_CONF; default %s if it exists)"
                   % DEFAULT_CONFIG)
    p.add_argument("--server-config", metavar="FILE", help="the daemon's config file, whose connectors and token file "
                   "give the defaults (env ROTAKEY_SERVER_CONFIG, key server_config; default %s if readable; 'none': "
                   "not used)" % DEFAULT_SERVER_CONFIG)
    p.add_argument("--url", help="application port URL (env ROTAKEY_URL, key url, default %s)" % DEFAULT_URL)
    p.add_argument("--admin-url", help="admin port URL (env ROTAKEY_ADMIN_URL, key admin_url, default %s)"
                   % DEFAULT_ADMIN_URL)
    p.add_argument("--token-file", metavar="FILE", help="file holding the admin token (env ROTAKEY_TOKEN_FILE, key "
                                                        "token_file; see below)")
    p.add_argument("--cacert", metavar="FILE", help="PEM file of the CA that signed the daemon's https certificate "
                                                    "(env ROTAKEY_CACERT, key ca)")
    p.add_argument("--json", action="store_true", help="print the server's JSON instead of tables")
    p.add_argument("--timeout", type=positive_float, help="seconds to wait for each HTTP answer (env ROTAKEY_TIMEOUT, "
                                                          "key timeout, default 30)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    leaf(sub, "config", "the settings in force (URLs, CA, token file, timeout) and where each came from; calls no "
                        "daemon", cmd_config, offline=True)
    leaf(sub, "status", "health per check, paused or not, counts by state, failures (exit 1 if unhealthy)",
         fleet.cmd_status)
    agent_commands(sub)
    credential_commands(sub)

    s = leaf(sub, "rotate", "rotate a credential, or every credential of an agent, now", operate.cmd_rotate)
    g = s.add_mutually_exclusive_group(required=True)
    g.add_argument("--credential", help="the credential to rotate")
    g.add_argument("--agent", help="rotate every active credential of this agent")
    wait_options(s, "follow the rotation (--credential: print its steps) or the agent's batch and the rotations it "
                    "started until they end (exit 1 if one FAILED)")

    s = leaf(sub, "revoke", "emergency: revoke a credential's previous versions now and replace the current one",
             operate.cmd_revoke)
    s.add_argument("--credential", required=True, help="the credential whose versions are revoked")
    yes_option(s)
    wait_options(s)

    s = leaf(sub, "decommission", "revoke every credential of an agent now and mark it decommissioned",
             operate.cmd_decommission)
    s.add_argument("--agent", required=True, help="the agent to decommission")
    yes_option(s)
    wait_options(s, "follow the batch until every credential is revoked at its targets (exit 1 if a removal FAILED)")

    s = leaf(sub, "attest", "re-certify an agent as its owner (lifts a suspension; completes a transfer to you)",
             operate.cmd_attest)
    s.add_argument("--agent", required=True, help="the agent to attest")

    s = leaf(sub, "batch", "how far the batch of a rotate, decommission, revoke or retire is", operate.cmd_batch)
    s.add_argument("id", help="the batch id the task answered")
    s.add_argument("--after", help="the page of items after this item number")
    s.add_argument("--limit", type=positive_int, default=50, help="items shown (default %(default)s, max 1000)")
    wait_options(s, "first follow the batch, and the rotations it started, until they end (exit 1 if one FAILED)")

    s = leaf(sub, "batches", "the latest batches, newest first", operate.cmd_batches)
    s.add_argument("--before", help="the page before this cursor")
    s.add_argument("--limit", type=positive_int, default=20, help="how many (default %(default)s, max 1000)")

    leaf(sub, "pause", "kill switch: hold scheduled rotations and grace-period revocations", operate.cmd_pause)
    leaf(sub, "resume", "release the kill switch; what fell due meanwhile runs at once", operate.cmd_pause)

    s = leaf(sub, "plan", "what will rotate, be revoked or expire in the coming window", fleet.cmd_plan)
    s.add_argument("--within", default="PT24H", help="ISO-8601 duration, at most P366D (default %(default)s)")
    s.add_argument("--limit", type=positive_int, default=100,
                   help="items listed per kind (default %(default)s, max 1000; counts are always exact)")

    s = leaf(sub, "audit", "the audit trail, oldest of the last N first; check the chain or export it",
             fleet.cmd_audit)
    s.add_argument("--tail", type=positive_int, default=20, metavar="N", help="the last N events (default %(default)s)")
    s.add_argument("--follow", "-f", action="store_true",
                   help="keep printing new events (Ctrl-C stops); with --json, one event per line")
    s.add_argument("--interval", type=positive_float, default=2.0, help="with --follow: seconds between polls")
    s.add_argument("--subject", help="only events about this subject, e.g. credential:billing-agent-api")
    s.add_argument("--correlation-id", help="only the events of one operation")
    s.add_argument("--before", type=positive_int, metavar="ID", help="only events older than this event id")
    acts = s.add_subparsers(dest="action", metavar="ACTION")
    leaf(acts, "verify", "check the whole hash chain and its signed checkpoints (exit 1 if broken)",
         access.cmd_audit_verify)
    a = leaf(acts, "export", "a range of events as JSON lines, to check offline", access.cmd_audit_export, json=False)
    a.add_argument("--from", dest="from_seq", type=positive_int, metavar="SEQ", help="the first event number "
                                                                                     "(default 1)")
    a.add_argument("--to", dest="to_seq", type=positive_int, metavar="SEQ", help="the last event number (default: "
                   "the newest); the export runs on to the first signed checkpoint after it")
    a.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")

    leaf(sub, "alerts", "the alerts firing now, with their owners", fleet.cmd_alerts)

    s = leaf(sub, "posture", "the fleet's posture: findings with their remedies, score, counts by owner",
             fleet.cmd_posture, json=False)
    s.add_argument("--owner", help="only this owner's agents and credentials")
    s.add_argument("--severity", choices=["critical", "high", "medium", "low"],
                   help="list findings of at least this severity (counts and score are of every severity)")
    f = s.add_mutually_exclusive_group()
    f.add_argument("--json", dest="posture_json", action="store_true", help="print the server's JSON")
    f.add_argument("--csv", action="store_true", help="print the findings as CSV, for spreadsheets")

    s = leaf(sub, "rotations", "a credential's rotation history, newest first", fleet.cmd_rotations)
    s.add_argument("credential", help="the credential")
    s.add_argument("--limit", type=positive_int, default=50, help="how many (default %(default)s, max 1000)")

    token_commands(sub)

    s = leaf(sub, "ca", "a certificate authority's generations, certificates outstanding and CRL", access.cmd_ca)
    s.add_argument("name", help="the CA")
    s = leaf(sub, "rotate-ca", "make a new generation of a CA active; the previous one retires", access.cmd_rotate_ca)
    s.add_argument("ca", help="the CA to rotate")

    s = leaf(sub, "ack", "acknowledge, as a consumer, that it uses a credential's version", access.cmd_ack)
    s.add_argument("credential", help="the credential")
    s.add_argument("version", type=positive_int, help="the version number")
    s.add_argument("--consumer", required=True, help="the consumer acknowledging")
    s.add_argument("--key-file", metavar="FILE", help="acknowledge with the version's own key from FILE ('-': "
                                                      "standard input) instead of the admin token")

    s = leaf(sub, "verify", "check an API key as a relying service would (exit 0 valid, 1 invalid)", access.cmd_verify)
    s.add_argument("--key-file", metavar="FILE", help="the key is this file's content (default, or '-': standard "
                                                      "input; a prompt on a terminal)")
    s.add_argument("--require-scope", action="append", metavar="SCOPE",
                   help="the key's credential must have this scope (repeatable)")

    s = leaf(sub, "completion", "print shell completion (bash) or the command tree (json), made from this parser",
             completion.cmd_completion, json=False, offline=True)
    s.add_argument("shell", choices=["bash", "json"], help="bash: a completion script; json: every command and option")
    return p


def main(argv=None):
    p = parser()
    args = p.parse_args(argv)
    client = None
    try:
        if args.offline:
            return args.run(p, args)
        settings = resolve(args)
        https = any(u.lower().startswith("https:") for u in (settings.url, settings.admin_url))
        client = Client(settings.url, settings.admin_url, read_token(settings), settings.cacert if https else None,
                        settings.timeout)
        return args.run(client, args)
    except Failure as f:
        print("rotakeyctl: " + (client.redact(str(f)) if client else str(f)), file=sys.stderr)
        return f.code
    except ssl.SSLError as e:
        print("rotakeyctl: TLS error talking to %s: %s" % (client.url if client else "the daemon", e), file=sys.stderr)
        return EXIT_UNREACHABLE
    except BrokenPipeError:
        return EXIT_OK
    except KeyboardInterrupt:
        return 130
    except Exception as e:  # never a stack trace, which could show the Authorization header
        message = "%s: %s" % (type(e).__name__, e)
        print("rotakeyctl: unexpected error: " + (client.redact(message) if client else message), file=sys.stderr)
        return EXIT_FAILED
