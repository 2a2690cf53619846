package dev.rotakey.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The KV version 2 secrets engine: versioned secrets with check-and-set, soft delete, undelete, destroy,
 * per-path metadata and the oldest versions dropped beyond {@code max_versions}, as Vault keeps them.
 */
final class VaultKv {
    /** Vault keeps this many versions when neither the path nor the mount sets {@code max_versions}. */
    static final int DEFAULT_MAX_VERSIONS = 10;

    private static final class SecretVersion {
        final Instant created;
        ObjectNode data;
        Instant deletionTime;
        boolean destroyed;

        SecretVersion(Instant created, ObjectNode data) {
            this.created = created;
            this.data = data;
        }
    }

    private static final class Secret {
        final Instant created;
        Instant updated;
        int currentVersion;
        int oldestVersion;
        int maxVersions;
        boolean casRequired;
        Duration deleteVersionAfter = Duration.ZERO;
        Map<String, String> customMetadata;
        final TreeMap<Integer, SecretVersion> versions = new TreeMap<>();

        Secret(Instant created) {
            this.created = created;
            this.updated = created;
        }
    }

    private final VaultTokens tokens;
    /** Every access goes through this engine's monitor: KV traffic in tests is light and ordering matters. */
    private final TreeMap<String, Secret> secrets = new TreeMap<>();
    private int mountMaxVersions;
    private boolean mountCasRequired;
    private Duration mountDeleteVersionAfter = Duration.ZERO;

    VaultKv(VaultTokens tokens) {
        this.tokens = tokens;
    }

    synchronized VaultReply handle(VaultCall call) {
        String p = call.path;
        if (p.equals("config")) {
            return config(call);
        }
        int slash = p.indexOf('/');
        String op = slash < 0 ? p : p.substring(0, slash);
        String path = slash < 0 ? "" : p.substring(slash + 1);
        if (op.equals("metadata") && call.method.equals("LIST")) {
            return list(path);
        }
        if (!List.of("data", "delete", "undelete", "destroy", "metadata").contains(op)) {
            throw VaultError.unsupportedPath();
        }
        if (path.isEmpty()) {
            throw VaultError.notFound();
        }
        return switch (op + " " + (call.isWrite() ? "POST" : call.method)) {
            case "data GET" -> read(path, call);
            case "data POST" -> write(path, call);
            case "data PATCH" -> patch(path, call);
            case "data DELETE" -> deleteLatest(path);
            case "delete POST" -> softDelete(path, call, true);
            case "undelete POST" -> softDelete(path, call, false);
            case "destroy POST" -> destroy(path, call);
            case "metadata GET" -> metadata(path);
            case "metadata POST" -> writeMetadata(path, call);
            case "metadata DELETE" -> deleteMetadata(path);
            default -> throw List.of("data", "delete", "undelete", "destroy", "metadata").contains(op)
                    ? VaultError.unsupportedOperation() : VaultError.unsupportedPath();
        };
    }

    private boolean live(SecretVersion v, Instant now) {
        return !v.destroyed && (v.deletionTime == null || v.deletionTime.isAfter(now));
    }

    private Map<String, Object> versionMetadata(Secret s, int number, SecretVersion v) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("created_time", VaultReply.rfc3339(v.created));
        m.put("custom_metadata", s.customMetadata);
        m.put("deletion_time", v.deletionTime == null ? "" : VaultReply.rfc3339(v.deletionTime));
        m.put("destroyed", v.destroyed);
        m.put("version", number);
        return m;
    }

    private VaultReply read(String path, VaultCall call) {
        Secret s = secrets.get(path);
        if (s == null) {
            throw VaultError.notFound();
        }
        int number = call.query.containsKey("version") ? parseVersion(call.query.get("version")) : 0;
        if (number == 0) {
            number = s.currentVersion;
        }
        SecretVersion v = s.versions.get(number);
        if (v == null) {
            throw VaultError.notFound();
        }
        Map<String, Object> d = new LinkedHashMap<>();
        boolean live = live(v, tokens.now());
        d.put("data", live ? v.data : null);
        d.put("metadata", versionMetadata(s, number, v));
        // Vault answers a deleted or destroyed version with 404 yet still shows its metadata.
        return live ? VaultReply.data(d) : VaultReply.dataWithStatus(404, d);
    }

    private static int parseVersion(String text) {
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw VaultError.badRequest("error converting input " + text + " for field \"version\"");
        }
    }

    private Secret secretFor(String path) {
        return secrets.computeIfAbsent(path, k -> new Secret(tokens.now()));
    }

    private void checkCas(Secret existing, VaultCall call) {
        JsonNode options = call.body.get("options");
        JsonNode cas = options != null && options.isObject() ? options.get("cas") : null;
        boolean required = mountCasRequired || (existing != null && existing.casRequired);
        if (cas == null || cas.isNull()) {
            if (required) {
                throw VaultError.badRequest("check-and-set parameter required for this call");
            }
            return;
        }
        if (!cas.canConvertToInt()) {
            throw VaultError.badRequest("error parsing check-and-set parameter");
        }
        int current = existing == null ? 0 : existing.currentVersion;
        if (cas.intValue() != current) {
            throw VaultError.badRequest("check-and-set parameter did not match the current version");
        }
    }

    private VaultReply write(String path, VaultCall call) {
        JsonNode data = call.body.get("data");
        if (data == null || data.isNull()) {
            throw VaultError.badRequest("no data provided");
        }
        if (!data.isObject()) {
            throw VaultError.badRequest("error converting input for field \"data\": expected a map");
        }
        checkCas(secrets.get(path), call);
        return store(path, ((ObjectNode) data).deepCopy());
    }

    private VaultReply store(String path, ObjectNode data) {
        Secret s = secretFor(path);
        Instant now = tokens.now();
        int number = s.currentVersion + 1;
        SecretVersion v = new SecretVersion(now, data);
        Duration after = !s.deleteVersionAfter.isZero() ? s.deleteVersionAfter : mountDeleteVersionAfter;
        if (!after.isZero()) {
            v.deletionTime = now.plus(after);
        }
        s.versions.put(number, v);
        s.currentVersion = number;
        s.updated = now;
        prune(s);
        return VaultReply.data(versionMetadata(s, number, v));
    }

    /** Drops the oldest versions beyond the effective max_versions, moving oldest_version up as Vault does. */
    private void prune(Secret s) {
        int max = s.maxVersions > 0 ? s.maxVersions : mountMaxVersions > 0 ? mountMaxVersions : DEFAULT_MAX_VERSIONS;
        while (s.versions.size() > max) {
            s.versions.pollFirstEntry();
        }
        s.oldestVersion = s.versions.isEmpty() ? 0 : s.versions.firstKey();
    }

    private VaultReply patch(String path, VaultCall call) {
        Secret s = secrets.get(path);
        SecretVersion current = s == null ? null : s.versions.get(s.currentVersion);
        if (current == null || !live(current, tokens.now())) {
            throw VaultError.notFound();
        }
        JsonNode data = call.body.get("data");
        if (data == null || !data.isObject()) {
            throw VaultError.badRequest("no data provided");
        }
        checkCas(s, call);
        ObjectNode merged = current.data.deepCopy();
        // JSON merge patch (RFC 7396) at the top level, which is what Vault's PATCH applies: null removes a key.
        for (Iterator<Map.Entry<String, JsonNode>> it = data.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().isNull()) {
                merged.remove(e.getKey());
            } else {
                merged.set(e.getKey(), e.getValue());
            }
        }
        return store(path, merged);
    }

    private VaultReply deleteLatest(String path) {
        Secret s = secrets.get(path);
        if (s != null) {
            SecretVersion v = s.versions.get(s.currentVersion);
            if (v != null && !v.destroyed && v.deletionTime == null) {
                v.deletionTime = tokens.now();
            }
        }
        return VaultReply.noContent();
    }

    private static List<Integer> versions(VaultCall call) {
        List<Integer> versions = call.intList("versions");
        if (versions.isEmpty()) {
            throw VaultError.badRequest("no version number provided");
        }
        return versions;
    }

    private VaultReply softDelete(String path, VaultCall call, boolean delete) {
        List<Integer> numbers = versions(call);
        Secret s = secrets.get(path);
        if (s == null) {
            return VaultReply.noContent();
        }
        Instant now = tokens.now();
        for (int n : numbers) {
            SecretVersion v = s.versions.get(n);
            if (v == null || v.destroyed) {
                continue;
            }
            if (delete) {
                if (v.deletionTime == null || v.deletionTime.isAfter(now)) {
                    v.deletionTime = now;
                }
            } else {
                v.deletionTime = null;
            }
        }
        return VaultReply.noContent();
    }

    private VaultReply destroy(String path, VaultCall call) {
        List<Integer> numbers = versions(call);
        Secret s = secrets.get(path);
        if (s == null) {
            return VaultReply.noContent();
        }
        for (int n : numbers) {
            SecretVersion v = s.versions.get(n);
            if (v != null) {
                v.destroyed = true;
                v.data = null;
            }
        }
        return VaultReply.noContent();
    }

    private VaultReply metadata(String path) {
        Secret s = secrets.get(path);
        if (s == null) {
            throw VaultError.notFound();
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("cas_required", s.casRequired);
        d.put("created_time", VaultReply.rfc3339(s.created));
        d.put("current_version", s.currentVersion);
        d.put("custom_metadata", s.customMetadata);
        d.put("delete_version_after", VaultDurations.format(s.deleteVersionAfter));
        d.put("max_versions", s.maxVersions);
        d.put("oldest_version", s.oldestVersion);
        d.put("updated_time", VaultReply.rfc3339(s.updated));
        Map<String, Object> versions = new LinkedHashMap<>();
        for (Map.Entry<Integer, SecretVersion> e : s.versions.entrySet()) {
            SecretVersion v = e.getValue();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("created_time", VaultReply.rfc3339(v.created));
            m.put("deletion_time", v.deletionTime == null ? "" : VaultReply.rfc3339(v.deletionTime));
            m.put("destroyed", v.destroyed);
            versions.put(Integer.toString(e.getKey()), m);
        }
        d.put("versions", versions);
        return VaultReply.data(d);
    }

    private VaultReply writeMetadata(String path, VaultCall call) {
        int max = call.integer("max_versions", -1);
        if (call.has("max_versions") && max < 0) {
            throw VaultError.badRequest("max_versions can not be negative");
        }
        Duration dva = call.duration("delete_version_after", null);
        Map<String, String> custom = null;
        JsonNode cm = call.body.get("custom_metadata");
        if (cm != null && !cm.isNull()) {
            if (!cm.isObject()) {
                throw VaultError.badRequest("custom_metadata must be a map of strings");
            }
            custom = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = cm.fields(); it.hasNext();) {
                Map.Entry<String, JsonNode> e = it.next();
                custom.put(e.getKey(), e.getValue().asText());
            }
        }
        Secret s = secretFor(path);
        if (max >= 0) {
            s.maxVersions = max;
        }
        if (call.has("cas_required")) {
            s.casRequired = call.bool("cas_required", false);
        }
        if (dva != null) {
            s.deleteVersionAfter = dva;
        }
        if (custom != null) {
            s.customMetadata = custom;
        }
        s.updated = tokens.now();
        prune(s);
        return VaultReply.noContent();
    }

    private VaultReply deleteMetadata(String path) {
        secrets.remove(path);
        return VaultReply.noContent();
    }

    private VaultReply list(String folder) {
        String prefix = folder.isEmpty() || folder.endsWith("/") ? folder : folder + "/";
        TreeSet<String> keys = new TreeSet<>();
        for (String path : secrets.tailMap(prefix, true).keySet()) {
            if (!path.startsWith(prefix)) {
                break;
            }
            String rest = path.substring(prefix.length());
            int slash = rest.indexOf('/');
            keys.add(slash < 0 ? rest : rest.substring(0, slash + 1));
        }
        if (keys.isEmpty()) {
            throw VaultError.notFound();
        }
        return VaultReply.data(Map.of("keys", List.copyOf(keys)));
    }

    private VaultReply config(VaultCall call) {
        if (call.isWrite()) {
            if (call.has("max_versions")) {
                mountMaxVersions = call.integer("max_versions", 0);
            }
            if (call.has("cas_required")) {
                mountCasRequired = call.bool("cas_required", false);
            }
            if (call.has("delete_version_after")) {
                mountDeleteVersionAfter = call.duration("delete_version_after", Duration.ZERO);
            }
            return VaultReply.noContent();
        }
        if (!call.method.equals("GET")) {
            throw VaultError.unsupportedOperation();
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("cas_required", mountCasRequired);
        d.put("delete_version_after", VaultDurations.format(mountDeleteVersionAfter));
        d.put("max_versions", mountMaxVersions);
        return VaultReply.data(d);
    }
}
