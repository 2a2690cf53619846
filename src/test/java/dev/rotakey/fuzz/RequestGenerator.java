package dev.rotakey.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Turns a seeded {@link Random} into a stream of hostile requests for {@link Endpoint#ALL}: mangled paths
 * (dot segments, encoded separators, path parameters, case), mangled queries, wrong methods and content
 * types, broken framing (short, chunked, conflicting lengths), and every kind of token. The same seed gives
 * the same requests, so that a failure can be replayed.
 */
final class RequestGenerator {
    private final Random random;
    private final HostileValues values;
    private final JsonBodies bodies;
    private final Map<FuzzRequest.Token, String> tokens;

    RequestGenerator(long seed, String marker, Map<FuzzRequest.Token, String> tokens) {
        this.random = new Random(seed);
        this.values = new HostileValues(random, marker);
        this.bodies = new JsonBodies(values);
        this.tokens = tokens;
    }

    FuzzRequest next() {
        Endpoint e = Endpoint.ALL.get(random.nextInt(Endpoint.ALL.size()));
        FuzzRequest.Token token = FuzzRequest.Token.values()[random.nextInt(FuzzRequest.Token.values().length)];
        if (values.chance(40)) {
            token = FuzzRequest.Token.ADMIN;
        }
        if (e.template().equals("/pprof") && token.admin) {
            token = FuzzRequest.Token.NONE;
        }
        String method = values.chance(85) ? e.method()
                : values.pick(List.of("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "FOO", "get", "CONNECT"));
        String target = path(e) + query(e);
        List<String> headers = new ArrayList<>();
        headers.add("Host: 127.0.0.1");
        headers.add("Connection: close");
        authorization(token).ifPresent(headers::add);
        byte[] body = new byte[0];
        boolean halfClose = false;
        if (e.body() != Endpoint.Body.NONE || values.chance(10)) {
            body = bodyBytes(e);
            headers.add("Content-Type: " + contentType());
            String framing = values.chance(80) ? "exact"
                    : values.pick(List.of("short", "chunked", "badChunk", "negative", "letters", "two", "none"));
            switch (framing) {
                case "short" -> {
                    headers.add("Content-Length: " + (body.length + 1 + random.nextInt(100)));
                    halfClose = true;
                }
                case "chunked" -> {
                    headers.add("Transfer-Encoding: chunked");
                    body = chunked(body, "");
                }
                case "badChunk" -> {
                    headers.add("Transfer-Encoding: chunked");
                    body = chunked(body, values.pick(List.of("zz", "-1", "fffffffffffffffffff", "1;" + "x".repeat(9000))));
                }
                case "negative" -> headers.add("Content-Length: -" + body.length);
                case "letters" -> headers.add("Content-Length: 12ab");
                case "two" -> {
                    headers.add("Content-Length: " + body.length);
                    headers.add("Content-Length: " + (body.length + 1));
                }
                case "none" -> halfClose = true;
                default -> headers.add("Content-Length: " + body.length);
            }
        }
        if (values.chance(5)) {
            headers.add(values.pick(List.of("X-Request-Id: ../../" + values.id(), "Expect: 100-continue", "Accept: image/png",
                    "Accept-Charset: nonsense", "Content-Encoding: gzip", "X-Forwarded-For: ::1, evil")));
        }
        return new FuzzRequest(e, token, method, target, headers, body, halfClose);
    }

    private java.util.Optional<String> authorization(FuzzRequest.Token token) {
        return java.util.Optional.ofNullable(switch (token) {
            case NONE -> null;
            case GARBAGE -> "Authorization: Bearer rkt_" + values.randomText(10).replaceAll("[^A-Za-z0-9]", "x");
            case BASIC -> "Authorization: Basic YWRtaW46YWRtaW4=";
            case EMPTY_BEARER -> "Authorization: Bearer ";
            case OVERLONG -> "Authorization: Bearer " + "t".repeat(600);
            default -> "Authorization: Bearer " + tokens.get(token);
        });
    }

    private String path(Endpoint e) {
        // Placeholders are filled from the template, so a value holding '{' is never taken for one.
        StringBuilder filled = new StringBuilder();
        String template = e.template();
        int from = 0;
        for (int open = template.indexOf('{'); open >= 0; open = template.indexOf('{', from)) {
            int close = template.indexOf('}', open);
            String value = template.substring(open + 1, close).equals("n") && values.chance(60) ? values.number() : values.id();
            filled.append(template, from, open).append(values.chance(80) ? encode(value) : value);
            from = close + 1;
        }
        String path = filled.append(template.substring(from)).toString();
        if (values.chance(15)) {
            String[] segments = path.substring(1).split("/", -1);
            int i = random.nextInt(segments.length);
            segments[i] = switch (random.nextInt(9)) {
                case 0 -> segments[i] + "/..";
                case 1 -> "." + "/" + segments[i];
                case 2 -> segments[i] + "/";
                case 3 -> segments[i] + ";jsessionid=x";
                case 4 -> segments[i].toUpperCase(java.util.Locale.ROOT);
                case 5 -> segments[i] + ".";
                case 6 -> "%2e%2e/" + segments[i];
                case 7 -> segments[i] + "%2f..";
                default -> "ping/../" + segments[i];
            };
            path = "/" + String.join("/", segments);
        }
        return path;
    }

    private String query(Endpoint e) {
        List<String> pairs = new ArrayList<>();
        for (Endpoint.Param p : e.params()) {
            if (!values.chance(70)) {
                continue;
            }
            String value = switch (p.kind()) {
                case NUMBER -> values.number();
                case DURATION -> values.duration();
                case TIMESTAMP -> values.timestamp();
                case ROLE -> values.role();
                case LEVEL -> values.level();
                case LOGGER -> values.logger();
                case NAME -> values.chance(30) ? "fuzz-" + random.nextInt(100_000) : values.id();
                case FREE -> values.chance(50) ? values.cron() : values.id();
                default -> values.id();
            };
            pairs.add(encode(p.name()) + "=" + (values.chance(85) ? encode(value) : rawQuery(value)));
            if (values.chance(5)) {
                pairs.add(encode(p.name()) + "=" + encode(values.id()));
            }
        }
        if (values.chance(10)) {
            pairs.add(values.pick(List.of("%", "a=%zz", "a=%ff", "%00=1", "name[]=%s", "a=%C3%28", "&&&", "=", "a==b")));
        }
        return pairs.isEmpty() ? "" : "?" + String.join("&", pairs);
    }

    private byte[] bodyBytes(Endpoint e) {
        String json = bodies.body(e.body() == Endpoint.Body.NONE ? Endpoint.Body.AGENT : e.body());
        byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (values.chance(5) && bytes.length > 4) {
            bytes[random.nextInt(bytes.length)] = (byte) (0x80 + random.nextInt(0x80));
        }
        return bytes;
    }

    private String contentType() {
        return values.chance(80) ? "application/json"
                : values.pick(List.of("text/plain", "application/xml", "application/x-www-form-urlencoded", "",
                "application/json; charset=foo", "application/json; charset=utf-16", "multipart/form-data; boundary=x",
                "/", "application/json;;;", "*/*"));
    }

    private static byte[] chunked(byte[] body, String badSize) {
        StringBuilder s = new StringBuilder();
        String text = new String(body, StandardCharsets.ISO_8859_1);
        if (!badSize.isEmpty()) {
            s.append(badSize).append("\r\n").append(text).append("\r\n0\r\n\r\n");
        } else {
            for (int i = 0; i < text.length(); i += 4096) {
                String chunk = text.substring(i, Math.min(text.length(), i + 4096));
                s.append(Integer.toHexString(chunk.length())).append("\r\n").append(chunk).append("\r\n");
            }
            s.append("0\r\n\r\n");
        }
        return s.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    /** Percent-encodes all but RFC 3986's unreserved characters. */
    static String encode(String s) {
        StringBuilder out = new StringBuilder();
        for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(String.format("%02X", c));
            }
        }
        return out.toString();
    }

    /** A value put in the query as it is: only what would break the request line itself is encoded. */
    private static String rawQuery(String s) {
        return s.replace(" ", "%20").replace("\r", "%0D").replace("\n", "%0A").replace("#", "%23");
    }
}
