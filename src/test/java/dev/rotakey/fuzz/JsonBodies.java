package dev.rotakey.fuzz;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Request bodies for the JSON endpoints, built as text so that they can also be broken: a plausible object
 * whose fields get wrong types, nulls, hostile strings, impossible durations and crons, unknown and duplicate
 * fields; or no JSON at all — truncated, deeply nested, huge, invalid escapes.
 */
final class JsonBodies {
    private final HostileValues values;

    JsonBodies(HostileValues values) {
        this.values = values;
    }

    String body(Endpoint.Body kind) {
        if (values.chance(12)) {
            return broken();
        }
        Map<String, String> fields = switch (kind) {
            case AGENT -> agent();
            case CREDENTIAL -> credential();
            case CREDENTIAL_BATCH -> batch();
            case ACK -> new LinkedHashMap<>(Map.of("consumer", str(values.id()), "key", str(values.id())));
            case VERIFY -> new LinkedHashMap<>(Map.of("key", str(values.chance(50) ? "rk_" + values.randomText(20) : values.id())));
            case NONE -> new LinkedHashMap<>();
        };
        mutate(fields);
        return object(fields);
    }

    private static String object(Map<String, String> fields) {
        StringBuilder out = new StringBuilder("{");
        fields.forEach((k, v) -> out.append(out.length() > 1 ? "," : "").append(str(k)).append(':').append(v));
        return out.append('}').toString();
    }

    /** A batch of credentials, each as {@link #credential()} makes and breaks one; sometimes none, or not a list. */
    private Map<String, String> batch() {
        List<String> items = new ArrayList<>();
        int n = values.chance(10) ? 0 : 1 + (values.chance(30) ? 3 : 0);
        for (int i = 0; i < n; i++) {
            Map<String, String> item = credential();
            mutate(item);
            items.add(values.chance(5) ? "null" : object(item));
        }
        Map<String, String> f = new LinkedHashMap<>();
        f.put("credentials", values.chance(5) ? values.pick(List.of("null", "{}", "\"x\"", "[[]]")) : "[" + String.join(",", items) + "]");
        return f;
    }

    private Map<String, String> agent() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("id", str(values.chance(30) ? "fuzz-new-" + values.randomText(4).replaceAll("[^a-z0-9]", "a") : values.id()));
        f.put("owner", str(values.pick(List.of("team@example.com", "", "x", "\u0000@x", "a".repeat(3000)))));
        if (values.chance(50)) {
            f.put("kind", str(values.pick(List.of("persistent", "ephemeral", "PERSISTENT", "other", ""))));
        }
        if (values.chance(40)) {
            f.put("expiresAt", str(values.timestamp()));
        }
        if (values.chance(40)) {
            f.put("attributes", "{" + str(values.id()) + ":" + str(values.id()) + "}");
        }
        return f;
    }

    private Map<String, String> credential() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("id", str(values.id()));
        f.put("agent", str(values.chance(50) ? HostileValues.VICTIM_AGENT : values.id()));
        f.put("type", str(values.pick(List.of("api-key", "certificate", "password", "", "API-KEY"))));
        f.put("backend", str(values.pick(List.of("hsm", "vault", "", "../hsm"))));
        f.put("rotation", values.pick(List.of("{\"every\":" + str(values.duration()) + "}",
                "{\"cron\":" + str(values.cron()) + "}", "{\"renewAt\":" + values.pick(List.of("0.66", "-1", "2", "NaN", "\"x\"")) + "}",
                "{\"every\":" + str(values.duration()) + ",\"cron\":" + str(values.cron()) + "}", "{}", "null", "[]")));
        f.put("gracePeriod", str(values.duration()));
        if (values.chance(30)) {
            f.put("validity", str(values.duration()));
            f.put("ca", str(values.pick(List.of("agents-ca", "nope", "../agents-ca"))));
        }
        List<String> targets = new ArrayList<>();
        int n = values.chance(10) ? 0 : 1 + (values.chance(20) ? 3 : 0);
        for (int i = 0; i < n; i++) {
            targets.add("{\"target\":" + str(values.pick(List.of("local-files", "local-files", "nope", "", "LOCAL-FILES")))
                    + ",\"path\":" + str(values.bindingPath()) + "}");
        }
        f.put("targets", "[" + String.join(",", targets) + "]");
        return f;
    }

    private void mutate(Map<String, String> fields) {
        if (fields.isEmpty()) {
            return;
        }
        int mutations = values.chance(40) ? 0 : 1 + (values.chance(30) ? 2 : 0);
        List<String> keys = new ArrayList<>(fields.keySet());
        for (int i = 0; i < mutations; i++) {
            String key = values.pick(keys);
            fields.put(key, values.pick(List.of("null", "1", "-1", "1e999", "true", "[]", "{}", "[" + str(values.id()) + "]",
                    "{\"a\":{\"b\":[1,2,{}]}}", str(values.randomText(10)), "99999999999999999999999999", "\"\\u0000\"")));
        }
        if (values.chance(10)) {
            fields.put("unknownField", "1");
        }
    }

    /** Not the JSON the endpoint expects, or not JSON at all. */
    private String broken() {
        return switch (values.pick(List.of("truncated", "nested", "huge", "escape", "garbage", "array", "scalar", "empty",
                "duplicate", "bom"))) {
            case "truncated" -> "{\"id\":\"abc\",\"owner\":";
            case "nested" -> "[".repeat(values.chance(50) ? 1500 : 100_000) + "]".repeat(10);
            case "huge" -> "{\"id\":\"" + "a".repeat(values.chance(30) ? 1_100_000 : 200_000) + "\"}";
            case "escape" -> "{\"id\":\"\\x41\\u12\"}";
            case "garbage" -> values.randomText(200);
            case "array" -> "[1,2,3]";
            case "scalar" -> values.pick(List.of("null", "42", "\"x\"", "true"));
            case "empty" -> "";
            case "duplicate" -> "{\"id\":\"a\",\"id\":\"b\",\"owner\":\"x\"}";
            default -> "\ufeff{\"id\":\"a\"}";
        };
    }

    /** A JSON string literal; control characters are escaped as JSON allows, so the content reaches the server. */
    static String str(String s) {
        StringBuilder out = new StringBuilder("\"");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.append('"').toString();
    }
}
