"""Where rotakeyctl finds the daemon and its token: flags, then environment variables, then the INI config file
(--config, $ROTAKEYCTL_CONF, else /etc/rotakey/rotakeyctl.conf if it exists), then what the daemon's own config file
implies (server_config, by default /etc/rotakey/rotakey.yml), then the built-in defaults."""

import configparser
import os
from collections import namedtuple

import rkctl_server
from rkctl_core import DEFAULT_ADMIN_URL, DEFAULT_URL, EXIT_OK, EXIT_UNREACHABLE, EXIT_USAGE, Failure, emit_json, table

DEFAULT_CONFIG = "/etc/rotakey/rotakeyctl.conf"
SECTION = "rotakey"
KEYS = ("url", "admin_url", "ca", "token_file", "token", "timeout", "server_config")
# server_config = none: derive nothing from the daemon's config.
NO_SERVER_CONFIG = "none"
BUILT_IN = "built-in default"

# token_file: the one asked for (it must exist); derived_token_file: the daemon's, tried before the usual places.
# sources: for each setting, where its value came from (rotakeyctl config shows it).
Settings = namedtuple("Settings", "url admin_url cacert timeout token_file token token_source config server_config "
                                  "derived_token_file sources")


def config_path(args, environ):
    """The config file to read and whether it was asked for (an asked-for file must exist)."""
    if args.config:
        return args.config, True
    if environ.get("ROTAKEYCTL_CONF"):
        return environ["ROTAKEYCTL_CONF"], True
    return (DEFAULT_CONFIG, False) if os.path.exists(DEFAULT_CONFIG) else (None, False)


def line_of(text, key):
    for n, line in enumerate(text.splitlines(), 1):
        if line.split("=", 1)[0].split(":", 1)[0].strip().lower() == key:
            return n
    return "?"


def read_config(path, asked):
    """The [rotakey] keys of the file; any problem names the file (and the line when there is one)."""
    if path is None:
        return {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise Failure("config file %s does not exist" % path, EXIT_USAGE)
    except (OSError, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or str(e)
        hint = "" if asked else " (members of group rotakey may read it; or give --config FILE)"
        raise Failure("cannot read the config file %s: %s%s" % (path, why, hint), EXIT_USAGE)
    parser = configparser.ConfigParser(interpolation=None, default_section="rotakeyctl-no-defaults")
    try:
        parser.read_string(text, source=path)
    except configparser.MissingSectionHeaderError as e:
        raise Failure("config file %s, line %s: a key before the [%s] section header" % (path, e.lineno, SECTION),
                      EXIT_USAGE)
    except configparser.ParsingError as e:
        lineno, line = e.errors[0]
        raise Failure("config file %s, line %s: not 'key = value': %s" % (path, lineno, line.strip("'").replace("\\n", "")),
                      EXIT_USAGE)
    except configparser.DuplicateOptionError as e:
        raise Failure("config file %s, line %s: key '%s' is set twice" % (path, e.lineno, e.option), EXIT_USAGE)
    except configparser.DuplicateSectionError as e:
        raise Failure("config file %s, line %s: section [%s] appears twice" % (path, e.lineno, e.section), EXIT_USAGE)
    except configparser.Error as e:
        lineno = getattr(e, "lineno", None) or "?"
        raise Failure("config file %s, line %s: %s" % (path, lineno, getattr(e, "message", e)), EXIT_USAGE)
    for section in parser.sections():
        if section != SECTION:
            raise Failure("config file %s, line %s: unknown section [%s] (rotakeyctl reads [%s])"
                          % (path, line_of(text, "[" + section.lower() + "]"), section, SECTION), EXIT_USAGE)
    if not parser.has_section(SECTION):
        return {}
    values = dict(parser.items(SECTION))
    for key, value in values.items():
        if key not in KEYS:
            raise Failure("config file %s, line %s: unknown key '%s' (known: %s)"
                          % (path, line_of(text, key), key, ", ".join(KEYS)), EXIT_USAGE)
        if not value.strip():
            raise Failure("config file %s, line %s: '%s' is empty" % (path, line_of(text, key), key), EXIT_USAGE)
    return {k: v.strip() for k, v in values.items()}


def server_config_path(args, environ, conf, path):
    """The daemon's config to derive from and where that choice came from; (None, why) when there is none."""
    for value, where in ((getattr(args, "server_config", None), "--server-config"),
                         (environ.get("ROTAKEY_SERVER_CONFIG"), "ROTAKEY_SERVER_CONFIG"),
                         (conf.get("server_config"), "server_config in %s" % path)):
        if value:
            if value.lower() == NO_SERVER_CONFIG:
                return None, where
            if not os.path.isfile(value):
                raise Failure("the daemon's config file %s (%s) does not exist" % (value, where), EXIT_USAGE)
            return value, where
    default = rkctl_server.DEFAULT_SERVER_CONFIG
    if os.path.isfile(default) and os.access(default, os.R_OK):
        return default, BUILT_IN
    return None, BUILT_IN


def resolve(args, environ=None):
    """The settings in force: a flag beats its environment variable, which beats the config file's key, which beats
    what the daemon's config implies, which beats the built-in default."""
    environ = os.environ if environ is None else environ
    path, asked = config_path(args, environ)
    conf = read_config(path, asked)
    sources = {}
    server_path, server_source = server_config_path(args, environ, conf, path)
    sources["server_config"] = server_source
    derived = []  # read at most once, and only when something is left to derive

    def from_server():
        if not derived:
            derived.append(rkctl_server.derive(server_path, environ) if server_path else None)
        return derived[0]

    def pick(name, flag, env, key, default=None, derivable=False):
        for value, where in ((flag, "--" + name.replace("_", "-")), (environ.get(env) if env else None, env),
                             (conf.get(key), "%s in %s" % (key, path))):
            if value:
                sources[name] = where
                return value
        found = getattr(from_server(), key, None) if derivable and server_path else None
        if found:
            sources[name] = "derived from %s" % server_path
            return found
        sources[name] = BUILT_IN if default is not None else "not set"
        return default

    token_file, token, source, derived_token_file = None, None, None, None
    if args.token_file or environ.get("ROTAKEY_TOKEN_FILE"):
        token_file = args.token_file or environ["ROTAKEY_TOKEN_FILE"]
        sources["token"] = "--token-file" if args.token_file else "ROTAKEY_TOKEN_FILE"
    elif environ.get("ROTAKEY_TOKEN"):
        token, source = environ["ROTAKEY_TOKEN"].strip(), "ROTAKEY_TOKEN"
        sources["token"] = source
    elif conf.get("token_file"):
        token_file = conf["token_file"]
        sources["token"] = "token_file in %s" % path
    elif conf.get("token"):
        token, source = conf["token"], "the config file %s" % path
        sources["token"] = "token in %s" % path
    else:
        derived_token_file = from_server().token_file if server_path and from_server() else None
        sources["token"] = "derived from %s" % server_path if derived_token_file else BUILT_IN
    timeout = pick("timeout", args.timeout, "ROTAKEY_TIMEOUT", "timeout", "30")
    try:
        timeout = float(timeout)
        if timeout <= 0:
            raise ValueError
    except ValueError:
        raise Failure("timeout must be a positive number of seconds, not %r" % timeout, EXIT_USAGE)
    url = pick("url", args.url, "ROTAKEY_URL", "url", DEFAULT_URL, derivable=True)
    admin_url = pick("admin_url", args.admin_url, "ROTAKEY_ADMIN_URL", "admin_url", DEFAULT_ADMIN_URL, derivable=True)
    cacert = pick("cacert", args.cacert, "ROTAKEY_CACERT", "ca")
    return Settings(url=url, admin_url=admin_url, cacert=cacert, timeout=timeout, token_file=token_file, token=token,
                    token_source=source, config=path, server_config=server_path,
                    derived_token_file=derived_token_file, sources=sources)


def token_file_candidates(environ=None):
    """Where the admin token is looked for when no flag, variable or config key names one."""
    environ = os.environ if environ is None else environ
    out = []
    data_dir = environ.get("ROTAKEY_DATA_DIR")
    if data_dir:
        out.append(os.path.join(data_dir, "admin-token"))
    out.append(os.path.join(".", "data", "admin-token"))
    out.append("/var/lib/rotakey/admin-token")
    return out


def token_candidates(settings):
    """The daemon's own token file first (from server_config), then the usual places, each once."""
    out = [settings.derived_token_file] if settings.derived_token_file else []
    return out + [p for p in token_file_candidates() if p not in out]


def usable(token, where):
    """A bearer token must fit in an HTTP header; say so rather than let http.client echo it in an error."""
    if not token or any(ord(c) < 0x21 or ord(c) > 0x7e for c in token):
        raise Failure("the token in %s is empty or has characters a bearer token cannot have" % where, EXIT_UNREACHABLE)
    return token


def read_token(settings):
    if settings.token:
        return usable(settings.token, settings.token_source)
    if settings.token_file:
        paths, explicit = [settings.token_file], True
    else:
        paths, explicit = token_candidates(settings), False
    for path in paths:
        try:
            with open(path, encoding="utf-8") as f:
                token = f.read().strip()
        except FileNotFoundError:
            continue
        except OSError as e:
            raise Failure("cannot read the token file %s: %s" % (path, e.strerror), EXIT_UNREACHABLE)
        return usable(token, path)
    if explicit:
        raise Failure("the token file %s does not exist" % paths[0], EXIT_UNREACHABLE)
    raise Failure("no admin token: give --token-file (or ROTAKEY_TOKEN_FILE), set ROTAKEY_TOKEN, or set token_file in "
                  "the config file (%s); looked in %s" % (DEFAULT_CONFIG, ", ".join(paths)), EXIT_UNREACHABLE)


def cmd_config(parser, args):
    """The settings in force and where each came from; reads no token and calls no daemon."""
    s = resolve(args)
    if s.token:
        token = "the token itself (not shown)"
    elif s.token_file:
        token = s.token_file
    else:
        token = " or ".join(token_candidates(s))
    rows = [("config_file", s.config or "none", "--config" if args.config else
             "ROTAKEYCTL_CONF" if os.environ.get("ROTAKEYCTL_CONF") else BUILT_IN),
            ("server_config", s.server_config or "none", s.sources["server_config"]),
            ("url", s.url, s.sources["url"]),
            ("admin_url", s.admin_url, s.sources["admin_url"]),
            ("ca", s.cacert or "none", s.sources["cacert"]),
            ("token", token, s.sources["token"]),
            ("timeout", "%g" % s.timeout, s.sources["timeout"])]
    if getattr(args, "json", False):
        emit_json({name: {"value": value, "source": source} for name, value, source in rows})
    else:
        table(["setting", "value", "from"], rows)
    return EXIT_OK
