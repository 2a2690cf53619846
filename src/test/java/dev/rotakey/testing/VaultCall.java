package dev.rotakey.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One parsed request as an engine sees it: the verb (LIST folded in), the path below the mount,
 * query parameters and the JSON body, with typed accessors that fail the way Vault's field parser does.
 */
final class VaultCall {
    final String method;
    final String path;
    final Map<String, String> query;
    final ObjectNode body;
    final VaultTokens.Token token;

    VaultCall(String method, String path, Map<String, String> query, ObjectNode body, VaultTokens.Token token) {
        this.method = method;
        this.path = path;
        this.query = query;
        this.body = body;
        this.token = token;
    }

    VaultCall below(String prefix) {
        return new VaultCall(method, path.substring(prefix.length()), query, body, token);
    }

    boolean isWrite() {
        return method.equals("POST") || method.equals("PUT");
    }

    boolean has(String field) {
        JsonNode n = body.get(field);
        return (n != null && !n.isNull()) || query.containsKey(field) && !isWrite();
    }

    private JsonNode node(String field) {
        JsonNode n = body.get(field);
        if ((n == null || n.isNull()) && !isWrite() && query.containsKey(field)) {
            return body.textNode(query.get(field));
        }
        return n == null || n.isNull() ? null : n;
    }

    String string(String field, String dflt) {
        JsonNode n = node(field);
        if (n == null) {
            return dflt;
        }
        if (n.isContainerNode()) {
            throw VaultError.badRequest("error converting input for field \"" + field + "\": expected a string");
        }
        return n.asText();
    }

    String requiredString(String field) {
        String s = string(field, null);
        if (s == null || s.isEmpty()) {
            throw VaultError.badRequest("missing " + field);
        }
        return s;
    }

    int integer(String field, int dflt) {
        JsonNode n = node(field);
        if (n == null) {
            return dflt;
        }
        if (n.isIntegralNumber()) {
            return n.intValue();
        }
        if (n.isTextual()) {
            try {
                return Integer.parseInt(n.asText().trim());
            } catch (NumberFormatException e) {
                // fall through to Vault's conversion error
            }
        }
        throw VaultError.badRequest("error converting input " + n + " for field \"" + field
                + "\": cannot parse as int");
    }

    boolean bool(String field, boolean dflt) {
        JsonNode n = node(field);
        if (n == null) {
            return dflt;
        }
        if (n.isBoolean()) {
            return n.booleanValue();
        }
        if (n.isTextual() && (n.asText().equals("true") || n.asText().equals("false"))) {
            return Boolean.parseBoolean(n.asText());
        }
        throw VaultError.badRequest("error converting input " + n + " for field \"" + field
                + "\": cannot parse as bool");
    }

    Duration duration(String field, Duration dflt) {
        JsonNode n = node(field);
        if (n == null) {
            return dflt;
        }
        try {
            return VaultDurations.parse(n.isNumber() ? n.asText() : n.asText());
        } catch (IllegalArgumentException e) {
            throw VaultError.badRequest("error converting input " + n + " for field \"" + field
                    + "\": " + e.getMessage());
        }
    }

    List<Integer> intList(String field) {
        JsonNode n = node(field);
        List<Integer> out = new ArrayList<>();
        if (n == null) {
            return out;
        }
        if (n.isArray()) {
            for (JsonNode e : n) {
                if (!e.canConvertToInt() && !(e.isTextual() && e.asText().matches("-?\\d+"))) {
                    throw VaultError.badRequest("error converting input for field \"" + field
                            + "\": expected integers");
                }
                out.add(e.isTextual() ? Integer.parseInt(e.asText()) : e.intValue());
            }
            return out;
        }
        for (String part : n.asText().split(",")) {
            if (!part.isBlank()) {
                try {
                    out.add(Integer.parseInt(part.trim()));
                } catch (NumberFormatException e) {
                    throw VaultError.badRequest("error converting input for field \"" + field
                            + "\": expected integers");
                }
            }
        }
        return out;
    }
}
