"""rotakeyctl's core: the exit codes, failures, the admin token, the HTTP client and the output helpers every command uses."""

import argparse
import json
import ssl
import sys
import urllib.error
import urllib.parse
import urllib.request

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_UNREACHABLE = 0, 1, 2, 3
DEFAULT_URL = "http://127.0.0.1:8080"
DEFAULT_ADMIN_URL = "http://127.0.0.1:8081"
FINISHED = ("SUCCEEDED", "FAILED")


class Failure(Exception):
    """A problem to report on stderr with its exit code (never a stack trace)."""

    def __init__(self, message, code=EXIT_FAILED, status=None):
        super().__init__(message)
        self.code = code
        self.status = status  # the HTTP status that caused it, if any


# --------------------------------------------------------------------------- HTTP

class Client:
    """Requests to both ports with the bearer token; errors become Failures that never carry the token or a secret."""

    def __init__(self, url, admin_url, token, cacert, timeout):
        self.url = url.rstrip("/")
        self.admin_url = admin_url.rstrip("/")
        self.token = token
        self.timeout = timeout
        self.secrets = [token] if token else []
        try:
            self.context = ssl.create_default_context(cafile=cacert) if cacert else None
        except (OSError, ssl.SSLError) as e:
            raise Failure("CA file %s: %s" % (cacert, getattr(e, "strerror", None) or e), EXIT_USAGE)

    def hide(self, secret):
        """Never shows this secret (a key or an imported password) in any message."""
        if secret:
            self.secrets.append(secret)

    def api(self, method, path, params=None, accept=(200, 201), body=None, text=False, token=True):
        return self._send(method, self.url, path, params, accept, body, text, token)

    def admin(self, method, path, params=None, accept=(200,), body=None):
        return self._send(method, self.admin_url, path, params, accept, body, False, True)

    def _send(self, method, base, path, params, accept, body, text, use_token):
        query = ""
        if params:
            query = "?" + urllib.parse.urlencode({k: v for k, v in params.items() if v is not None})
        url = base + path + query
        headers = {"Accept": "application/json", "User-Agent": "rotakeyctl"}
        if use_token and self.token:
            headers["Authorization"] = "Bearer " + self.token
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        else:
            data = b"" if method == "POST" else None
        request = urllib.request.Request(url, method=method, data=data, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=self.context) as r:
                status, raw = r.status, r.read()
        except urllib.error.HTTPError as e:
            status, raw = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise Failure("cannot connect to %s: %s" % (base, self.redact(str(reason))), EXIT_UNREACHABLE)
        if text and status in accept:
            return status, raw.decode("utf-8", "replace")
        parsed = self._parse(raw)
        if status in accept:
            if not isinstance(parsed, dict):
                raise Failure("%s%s answered HTTP %d without a JSON object: is that a Rotakey %s port?"
                              % (base, path, status, "admin" if base == self.admin_url else "application"), EXIT_FAILED)
            return status, parsed
        message = self.redact(self._message(parsed, raw))
        shown = base + path
        if status in (401, 403):
            raise Failure("authentication refused by %s (HTTP %d): %s" % (shown, status, message), EXIT_UNREACHABLE)
        raise Failure("%s %s: HTTP %d: %s" % (method, shown, status, message), EXIT_FAILED, status)

    @staticmethod
    def _parse(raw):
        try:
            return json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            return None

    @staticmethod
    def _message(body, raw):
        if isinstance(body, dict) and body.get("message"):
            message = str(body["message"])
            field = body.get("field")
            if field and str(field) not in message:
                message += " (field: %s)" % field
            return message
        text = raw.decode("utf-8", "replace").strip()
        return text[:300] if text else "(no message)"

    def redact(self, text):
        # A one- or two-letter "secret" (a test's token) would garble every message and hide nothing.
        for secret in (s for s in self.secrets if len(s) >= 4):
            text = text.replace(secret, "<secret>" if secret != self.token else "<token>")
        return text


def segment(value):
    return urllib.parse.quote(value, safe="")


# --------------------------------------------------------------------------- output

def emit_json(doc):
    print(json.dumps(doc, indent=2, sort_keys=False))


def cell(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ",".join(cell(v) for v in value) or "-"
    if isinstance(value, dict):
        return ",".join("%s=%s" % (k, cell(v)) for k, v in value.items()) or "-"
    return str(value)


def table(headers, rows, out=None):
    """An aligned text table; the last column is not padded."""
    out = out or sys.stdout
    cells = [[cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, c in enumerate(row):
            widths[i] = max(widths[i], len(c))

    def line(values):
        padded = [v.ljust(widths[i]) for i, v in enumerate(values[:-1])] + [values[-1]]
        return "  ".join(padded).rstrip()

    print(line([h.upper() for h in headers]), file=out)
    for row in cells:
        print(line(row), file=out)
    if not rows:
        print("(none)", file=out)


def fields(pairs):
    width = max(len(k) for k, _ in pairs)
    for k, v in pairs:
        print("%s  %s" % ((k + ":").ljust(width + 1), cell(v)))




def confirm(args, what):
    """Asks on a terminal; without one, only --yes lets a destructive command run."""
    if args.yes:
        return
    if not sys.stdin.isatty():
        raise Failure("refusing to %s without --yes: standard input is not a terminal" % what, EXIT_USAGE)
    reply = input("%s? This cannot be undone. Type 'yes' to go on: " % what[0].upper() + what[1:])
    if reply.strip().lower() != "yes":
        raise Failure("not confirmed; nothing was done", EXIT_FAILED)



def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a whole number: %r" % text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1: %r" % text)
    return value


def positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number: %r" % text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive: %r" % text)
    return value

