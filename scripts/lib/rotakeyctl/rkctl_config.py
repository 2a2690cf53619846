"""Where rotakeyctl finds the daemon and its token: flags, then environment variables, then the INI config file
(--config, $ROTAKEYCTL_CONF, else /etc/rotakey/rotakeyctl.conf if it exists), then the built-in defaults."""

import configparser
import os
from collections import namedtuple

from rkctl_core import DEFAULT_ADMIN_URL, DEFAULT_URL, EXIT_UNREACHABLE, EXIT_USAGE, Failure

DEFAULT_CONFIG = "/etc/rotakey/rotakeyctl.conf"
SECTION = "rotakey"
KEYS = ("url", "admin_url", "ca", "token_file", "token", "timeout")

Settings = namedtuple("Settings", "url admin_url cacert timeout token_file token token_source config")


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


def resolve(args, environ=None):
    """The settings in force: a flag beats its environment variable, which beats the config file's key."""
    environ = os.environ if environ is None else environ
    path, asked = config_path(args, environ)
    conf = read_config(path, asked)

    def pick(flag, env, key, default=None):
        for value in (flag, environ.get(env) if env else None, conf.get(key)):
            if value:
                return value
        return default

    token_file, token, source = None, None, None
    if args.token_file or environ.get("ROTAKEY_TOKEN_FILE"):
        token_file = args.token_file or environ["ROTAKEY_TOKEN_FILE"]
    elif environ.get("ROTAKEY_TOKEN"):
        token, source = environ["ROTAKEY_TOKEN"].strip(), "ROTAKEY_TOKEN"
    elif conf.get("token_file"):
        token_file = conf["token_file"]
    elif conf.get("token"):
        token, source = conf["token"], "the config file %s" % path
    timeout = pick(args.timeout, "ROTAKEY_TIMEOUT", "timeout", "30")
    try:
        timeout = float(timeout)
        if timeout <= 0:
            raise ValueError
    except ValueError:
        raise Failure("timeout must be a positive number of seconds, not %r" % timeout, EXIT_USAGE)
    return Settings(url=pick(args.url, "ROTAKEY_URL", "url", DEFAULT_URL),
                    admin_url=pick(args.admin_url, "ROTAKEY_ADMIN_URL", "admin_url", DEFAULT_ADMIN_URL),
                    cacert=pick(args.cacert, "ROTAKEY_CACERT", "ca"), timeout=timeout,
                    token_file=token_file, token=token, token_source=source, config=path)


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
        paths, explicit = token_file_candidates(), False
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
