package dev.rotakey.targets.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Login;
import dev.rotakey.targets.TargetBinding;

import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * How an API key or a password is written into its file ({@code format}): as it is ({@code raw}, the default), as
 * {@code NAME=value} lines ({@code env}), as a JSON object ({@code json}), or as a connection URI ({@code uri}). With a
 * login decided by another binding (a database role, a Redis user) {@code env} and {@code json} carry the bundle a
 * consumer connects with (user name, engine, host, port, database; the JSON field names are those of AWS Secrets
 * Manager's database secrets), and {@code uri} is only possible then. Each format can give back the secret it holds,
 * so that a revocation recognises the version in a formatted file as in a raw one.
 */
enum SecretFormat {
    RAW, ENV, JSON, URI;

    static final String FORMAT = "format";
    static final String ENV_PREFIX = "envPrefix";
    private static final ObjectMapper JSON_MAPPER = new ObjectMapper();
    private static final Pattern PREFIX = Pattern.compile("[A-Z_][A-Z0-9_]{0,31}");
    /**
     * Characters an {@code env} value cannot hold unquoted: a file read by sh, systemd's EnvironmentFile= and Docker's
     * --env-file alike must not need quotes, which those three read differently.
     */
    static final Set<Character> ENV_REFUSED = " \t'\"\\$`#;&|<>()*?[]~!{}".chars().mapToObj(c -> (char) c)
            .collect(Collectors.toUnmodifiableSet());

    /** The format a binding asks for, {@link #RAW} by default; certificate formats are {@link CertificateFormat}'s. */
    static SecretFormat of(TargetBinding binding) {
        String text = binding.param(FORMAT);
        String prefix = binding.param(ENV_PREFIX);
        SecretFormat format = text == null ? RAW : switch (text) {
            case "raw" -> RAW;
            case "env" -> ENV;
            case "json" -> JSON;
            case "uri" -> URI;
            default -> throw new InvalidBindingException(FORMAT, "'" + text + "' is not a format: an API key or a "
                    + "password is written as 'raw' (the default), 'env', 'json' or 'uri'; a certificate as 'pem' (the "
                    + "default), 'pkcs12' or 'combined'");
        };
        if (prefix != null && (format != ENV || !PREFIX.matcher(prefix).matches())) {
            throw new InvalidBindingException(ENV_PREFIX, format != ENV ? "applies to format 'env' only"
                    : "'" + prefix + "' must be upper-case letters, digits and '_', not starting with a digit");
        }
        return format;
    }

    /** Whether a binding's {@code format} names one of these rather than a certificate's. */
    static boolean names(String text) {
        return text == null || Set.of("raw", "env", "json", "uri").contains(text);
    }

    String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** What the file holds for {@code secret} (the caller clears both). */
    byte[] render(String credentialType, String credentialId, int version, byte[] secret, List<Login> logins,
                  TargetBinding binding) {
        String value = new String(secret, StandardCharsets.UTF_8);
        Login login = logins.stream().filter(l -> l.endpoint() != null).findFirst().orElse(null);
        return switch (this) {
            case RAW -> secret.clone();
            case ENV -> env(credentialType, value, login, prefix(binding));
            case JSON -> json(credentialType, credentialId, version, value, logins);
            case URI -> uri(value, login, credentialId);
        };
    }

    /** The secret a file in this format holds, or null when it holds none that this format can find. */
    byte[] secretOf(String credentialType, byte[] content, TargetBinding binding) {
        String text = new String(content, StandardCharsets.UTF_8);
        try {
            String found = switch (this) {
                case RAW -> text;
                case ENV -> envValue(text, prefix(binding) + envName(credentialType));
                case JSON -> {
                    JsonNode node = JSON_MAPPER.readTree(text).get(secretName(credentialType));
                    yield node == null || !node.isTextual() ? null : node.asText();
                }
                case URI -> uriPassword(text);
            };
            return found == null ? null : found.getBytes(StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException unreadable) {
            return null;
        }
    }

    /** The JSON field (and, upper-cased, the variable) holding the secret. */
    private static String secretName(String credentialType) {
        return "api-key".equals(credentialType) ? "apiKey" : "password";
    }

    /** The variable holding the secret, after the prefix. */
    private static String envName(String credentialType) {
        return "api-key".equals(credentialType) ? "API_KEY" : "PASSWORD";
    }

    private static String prefix(TargetBinding binding) {
        String prefix = binding.param(ENV_PREFIX);
        return prefix == null ? "" : prefix;
    }

    private static byte[] env(String credentialType, String value, Login login, String prefix) {
        Map<String, String> vars = new LinkedHashMap<>();
        if (login != null) {
            Endpoint e = login.endpoint();
            vars.put("ENGINE", e.engine());
            vars.put("HOST", e.host());
            vars.put("PORT", Integer.toString(e.port()));
            if (e.database() != null) {
                vars.put("DBNAME", e.database());
            }
            vars.put("USERNAME", login.login());
        }
        vars.put(envName(credentialType), value);
        StringBuilder out = new StringBuilder();
        vars.forEach((name, v) -> {
            if (v.chars().anyMatch(c -> ENV_REFUSED.contains((char) c) || c < 0x20 || c == 0x7f)) {
                // Only configured names and hosts can get here: generated secrets avoid these characters.
                throw new IllegalArgumentException("the value of " + prefix + name + " cannot be written unquoted");
            }
            out.append(prefix).append(name).append('=').append(v).append('\n');
        });
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String envValue(String text, String name) {
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "=")) {
                return line.substring(name.length() + 1);
            }
        }
        return null;
    }

    private static byte[] json(String credentialType, String credentialId, int version, String value,
                               List<Login> logins) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("credential", credentialId);
        body.put("version", version);
        List<Login> bundles = logins.stream().filter(l -> l.endpoint() != null).toList();
        if (!bundles.isEmpty()) {
            Login first = bundles.get(0);
            body.put("engine", first.endpoint().engine());
            body.put("host", first.endpoint().host());
            body.put("port", first.endpoint().port());
            if (first.endpoint().database() != null) {
                body.put("dbname", first.endpoint().database());
            }
            body.put("username", first.login());
        }
        body.put(secretName(credentialType), value);
        if (bundles.size() > 1) {
            List<Map<String, Object>> all = new ArrayList<>();
            for (Login l : bundles) {
                Map<String, Object> one = new LinkedHashMap<>();
                one.put("target", l.target());
                one.put("engine", l.endpoint().engine());
                one.put("host", l.endpoint().host());
                one.put("port", l.endpoint().port());
                if (l.endpoint().database() != null) {
                    one.put("dbname", l.endpoint().database());
                }
                one.put("username", l.login());
                all.add(one);
            }
            body.put("logins", all);
        }
        try {
            return (JSON_MAPPER.writeValueAsString(body) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a JSON object of strings and numbers", e);
        }
    }

    /** {@code postgresql://user:password@host:port/db}: user and password percent-encoded (RFC 3986). */
    private static byte[] uri(String value, Login login, String credentialId) {
        if (login == null) {
            throw new IllegalArgumentException("format 'uri' needs a binding of " + credentialId
                    + " to a target that defines a user (postgres-role, mariadb-user, redis-acl)");
        }
        Endpoint e = login.endpoint();
        String scheme = switch (e.engine()) {
            case "mariadb" -> "mysql";
            case "redis" -> e.tls() ? "rediss" : "redis";
            default -> e.engine();
        };
        String host = e.host().contains(":") ? "[" + e.host() + "]" : e.host();
        StringBuilder uri = new StringBuilder(scheme).append("://").append(encode(login.login())).append(':')
                .append(encode(value)).append('@').append(host).append(':').append(e.port());
        if (e.database() != null) {
            uri.append('/').append(encode(e.database()));
        }
        if ("postgresql".equals(e.engine()) && e.tls()) {
            uri.append("?sslmode=require");
        }
        return (uri + "\n").getBytes(StandardCharsets.UTF_8);
    }

    private static String uriPassword(String text) {
        String line = text.strip();
        int start = line.indexOf("://");
        int at = line.indexOf('@', start);
        int colon = start < 0 || at < 0 ? -1 : line.indexOf(':', start + 3);
        if (colon < 0 || colon > at) {
            return null;
        }
        return URLDecoder.decode(line.substring(colon + 1, at).replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    /** Percent-encodes everything but RFC 3986's unreserved characters. */
    private static String encode(String text) {
        StringBuilder out = new StringBuilder();
        for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if (Character.isLetterOrDigit(c) && c < 0x80 || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }
}
