package dev.rotakey.service;

import dev.rotakey.core.IssuedMaterial;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plaintext of pending versions between their creation and their promotion, in memory only.
 * After a restart it is gone by design: the workflow then issues fresh material for the same
 * version and delivers it again.
 */
final class PendingMaterial {
    private final Map<String, IssuedMaterial> byVersion = new ConcurrentHashMap<>();

    private static String key(String credentialId, int version) {
        return credentialId + "\u0000" + version;
    }

    IssuedMaterial get(String credentialId, int version) {
        IssuedMaterial m = byVersion.get(key(credentialId, version));
        return m == null || m.isDestroyed() ? null : m;
    }

    void put(String credentialId, int version, IssuedMaterial material) {
        IssuedMaterial old = byVersion.put(key(credentialId, version), material);
        if (old != null && old != material) {
            old.destroy();
        }
    }

    void forget(String credentialId, int version) {
        IssuedMaterial old = byVersion.remove(key(credentialId, version));
        if (old != null) {
            old.destroy();
        }
    }

    int size() {
        return byVersion.size();
    }
}
