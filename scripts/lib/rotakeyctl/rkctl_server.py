"""What rotakeyctl learns from the daemon's own configuration file (server_config, by default /etc/rotakey/rotakey.yml):
the URLs of its first application and admin connectors and its admin token file, with ${VAR} and ${VAR:-default}
resolved as the daemon under rotakey.service would resolve them."""

import os
import re
import sys

DEFAULT_SERVER_CONFIG = "/etc/rotakey/rotakey.yml"
# The unit's EnvironmentFile= and its own Environment= defaults: what the daemon sees besides its config file.
ENVIRONMENT_FILE = "/etc/default/rotakey"
UNIT_DEFAULTS = {"ROTAKEY_DATA_DIR": "/var/lib/rotakey"}
WORKING_DIRECTORY = "/var/lib/rotakey"
# Dropwizard's EnvironmentVariableSubstitutor (commons-text): ${NAME} and ${NAME:-default}; an unknown name stays.
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_.]*)(?::-([^}]*))?\}")
ANY_ADDRESS = ("", "0.0.0.0", "::", "[::]", "*")
SCHEMES = {"http": "http", "h2c": "http", "https": "https", "https-mtls": "https", "h2": "https"}


class Derived:
    """The values found in one server config; None where it says nothing usable (an unknown connector type)."""

    def __init__(self, path):
        self.path = path
        self.url = None
        self.admin_url = None
        self.token_file = None


def environment_file(path=ENVIRONMENT_FILE):
    """KEY=VALUE lines of a systemd EnvironmentFile; an unreadable file (only root may read it) counts as empty."""
    values = {}
    try:
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return values
    for line in lines:
        line = line.strip()
        if not line or line.startswith(("#", ";")) or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key, value = key.strip(), value.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key] = value
    return values


def variables(environ):
    """The caller's environment beats /etc/default/rotakey, which beats the unit's defaults."""
    merged = dict(UNIT_DEFAULTS)
    merged.update(environment_file())
    merged.update({k: v for k, v in environ.items() if v})
    return merged


def substitute(text, values):
    def one(m):
        value = values.get(m.group(1))
        if value is not None:
            return value
        return m.group(2) if m.group(2) is not None else m.group(0)
    return VARIABLE.sub(one, text)


def note(message):
    sys.stderr.write("rotakeyctl: note: %s\n" % message)


def host_of(connector):
    host = str(connector.get("bindHost") or "").strip()
    if host in ANY_ADDRESS:
        return "127.0.0.1"
    return "[%s]" % host if ":" in host and not host.startswith("[") else host


def url_of(connector, default_port, path=""):
    kind = str(connector.get("type") or "http").lower()
    scheme = SCHEMES.get(kind)
    port = connector.get("port", default_port)
    if scheme is None or not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        return None
    return "%s://%s:%d%s" % (scheme, host_of(connector), port, path.rstrip("/"))


def first(connectors):
    return connectors[0] if isinstance(connectors, list) and connectors and isinstance(connectors[0], dict) else None


def connectors(server, derived):
    if not isinstance(server, dict):
        server = {}
    if str(server.get("type") or "default").lower() == "simple":
        # One connector; the application and the admin interface under their context paths.
        connector = server.get("connector") if isinstance(server.get("connector"), dict) else {}
        derived.url = url_of(connector, 8080, str(server.get("applicationContextPath") or "/application"))
        derived.admin_url = url_of(connector, 8080, str(server.get("adminContextPath") or "/admin"))
        return
    # Dropwizard's defaults when the section is absent: http on 8080 and 8081.
    app = first(server.get("applicationConnectors", [{}]))
    admin = first(server.get("adminConnectors", [{}]))
    derived.url = url_of(app, 8080) if app is not None else None
    derived.admin_url = url_of(admin, 8081) if admin is not None else None


def derive(path, environ):
    """The connection settings the daemon's config at path implies, or None (with a note) when it cannot be read."""
    try:
        import yaml
    except ImportError:
        note("PyYAML is not installed (Debian: python3-yaml): cannot read %s; using the built-in defaults" % path)
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        note("cannot read the daemon's config %s (%s); using the built-in defaults"
             % (path, getattr(e, "strerror", None) or e))
        return None
    values = variables(environ)
    try:
        doc = yaml.safe_load(substitute(text, values))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = ", line %d" % (mark.line + 1) if mark is not None else ""
        note("the daemon's config %s%s is not valid YAML; using the built-in defaults" % (path, where))
        return None
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        note("the daemon's config %s is not a YAML mapping; using the built-in defaults" % path)
        return None
    derived = Derived(path)
    connectors(doc.get("server"), derived)
    auth = doc.get("auth") if isinstance(doc.get("auth"), dict) else {}
    token_file = auth.get("adminTokenFile")
    if isinstance(token_file, str) and token_file.strip():
        derived.token_file = token_file.strip()
    elif isinstance(doc.get("dataDir"), str) and doc["dataDir"].strip():
        derived.token_file = os.path.join(doc["dataDir"].strip(), "admin-token")
    else:
        derived.token_file = os.path.join(values["ROTAKEY_DATA_DIR"], "admin-token")
    # A relative path is the daemon's, taken from the unit's WorkingDirectory=.
    if not os.path.isabs(derived.token_file):
        derived.token_file = os.path.normpath(os.path.join(WORKING_DIRECTORY, derived.token_file))
    return derived
