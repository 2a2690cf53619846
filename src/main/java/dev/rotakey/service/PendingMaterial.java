package dev.rotakey.service;

import dev.rotakey.core.Secret;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Plaintext of pending versions between their creation and their promotion, in memory only.
 * After a restart it is gone by design: the workflow then issues fresh material for the same
 * version and delivers it again.
 */
final class PendingMaterial {
    private final Map<String, Secret> byVersion = new ConcurrentHashMap<>();

    private static String key(String credentialId, int version) {
        return credentialId + "\u0000" + version;
    }

    Secret get(String credentialId, int version) {
        Secret s = byVersion.get(key(credentialId, version));
        return s == null || s.isDestroyed() ? null : s;
    }

    void put(String credentialId, int version, Secret secret) {
        Secret old = byVersion.put(key(credentialId, version), secret);
        if (old != null && old != secret) {
            old.destroy();
        }
    }

    void forget(String credentialId, int version) {
        Secret old = byVersion.remove(key(credentialId, version));
        if (old != null) {
            old.destroy();
        }
    }

    int size() {
        return byVersion.size();
    }
}
