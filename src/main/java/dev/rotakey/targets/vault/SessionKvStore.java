package dev.rotakey.targets.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.vault.VaultPermissionDeniedException;
import dev.rotakey.vault.VaultResponse;
import dev.rotakey.vault.VaultSession;
import dev.rotakey.targets.TargetException;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * {@link KvStore} over a {@link VaultSession}: KV v2's {@code data}, {@code metadata} and
 * {@code destroy} endpoints under one mount, with the session's errors turned into target errors
 * (unavailable or sealed: retryable; denied: not retryable, naming the path).
 */
final class SessionKvStore implements KvStore {
    private final String targetName;
    private final String mount;
    private final VaultSession session;

    SessionKvStore(String targetName, String mount, VaultSession session) {
        this.targetName = targetName;
        this.mount = mount;
        this.session = session;
    }

    @Override
    public Optional<Metadata> metadata(String path) {
        VaultResponse response = call("read metadata of", path, () -> session.read(mount + "/metadata/" + path));
        if (!response.found()) {
            return Optional.empty();
        }
        JsonNode data = response.data();
        SortedMap<Integer, VersionState> versions = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = data.path("versions").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = it.next();
            JsonNode v = entry.getValue();
            versions.put(Integer.parseInt(entry.getKey()), new VersionState(v.path("destroyed").asBoolean(false)));
        }
        return Optional.of(new Metadata(data.path("current_version").asInt(0), versions));
    }

    @Override
    public Optional<Map<String, String>> read(String path, int version) {
        VaultResponse response = call("read", path, () -> session.read(mount + "/data/" + path + "?version=" + version));
        JsonNode data = response.data().path("data");
        if (!response.found() || !data.isObject()) {
            return Optional.empty();
        }
        Map<String, String> out = new LinkedHashMap<>();
        data.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return Optional.of(out);
    }

    /**
     * Vault answers a check-and-set mismatch with a 400 whose wording differs between versions, so
     * a refused write is taken for a conflict when the current version has indeed moved on.
     */
    @Override
    public int write(String path, Map<String, String> data, int cas) {
        Map<String, Object> body = Map.of("data", data, "options", Map.of("cas", cas));
        try {
            VaultResponse response = call("write", path, () -> session.write(mount + "/data/" + path, body));
            return response.data().path("version").asInt();
        } catch (TargetException refused) {
            if (refused.retryable() || refused.getCause() instanceof VaultPermissionDeniedException) {
                throw refused;
            }
            int now = metadata(path).map(Metadata::currentVersion).orElse(0);
            if (now != cas) {
                throw new CasConflictException(where(path) + ": expected KV version " + cas + " but found " + now, refused);
            }
            throw refused;
        }
    }

    @Override
    public void destroy(String path, List<Integer> versions) {
        call("destroy versions " + versions + " at", path,
                () -> session.write(mount + "/destroy/" + path, Map.of("versions", versions)));
    }

    @Override
    public void close() {
        session.close();
    }

    private VaultResponse call(String action, String path, Supplier<VaultResponse> request) {
        try {
            return request.get();
        } catch (VaultPermissionDeniedException e) {
            throw new TargetException("target '" + targetName + "': Vault denied access to KV path '" + mount + "/" + path
                    + "' (" + e.getMessage() + "); check the policy of Rotakey's token", false, e);
        } catch (KeyBackendException e) {
            throw new TargetException(where(path) + ": cannot " + action + " it: " + e.getMessage(), e.retryable(), e);
        }
    }

    private String where(String path) {
        return "target '" + targetName + "': Vault KV path '" + mount + "/" + path + "'";
    }

    @Override
    public String toString() {
        return "SessionKvStore{mount=" + mount + ", session=" + session + "}";
    }
}
