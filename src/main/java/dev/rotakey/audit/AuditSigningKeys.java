package dev.rotakey.audit;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.config.AuditCheckpointsFactory;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The keys that sign the audit chain's checkpoints, found in the configured key backend: the current one (created on
 * first use) and the previous ones the configuration still trusts. Public keys come from the backend, never from the
 * database, so that whoever can write the database cannot slip in a key of their own.
 */
public final class AuditSigningKeys {
    private final KeyBackend backend;
    private final AuditCheckpointsFactory config;
    private final Map<String, SigningKey> found = new ConcurrentHashMap<>();

    public AuditSigningKeys(KeyBackends backends, AuditCheckpointsFactory config) {
        this.config = config;
        this.backend = config.getBackend() != null ? backends.get(config.getBackend())
                : backends.all().stream().findFirst().orElse(null);
    }

    /** Whether a backend is configured to hold the key (a daemon with no key backend cannot sign checkpoints). */
    public boolean configured() {
        return backend != null;
    }

    /** The name of the backend holding the keys. */
    public String backendName() {
        return backend == null ? null : backend.name();
    }

    /** The key new checkpoints are signed with, created in the backend if it does not exist yet. */
    public SigningKey current() {
        requireBackend();
        return found.computeIfAbsent(config.getKey(), alias -> backend.signingKey(alias).orElseGet(() -> {
            try {
                return backend.createSigningKey(alias, config.getKeySpec());
            } catch (KeyBackendException e) {
                // Another node created it first.
                return backend.signingKey(alias).orElseThrow(() -> e);
            }
        }));
    }

    /** The aliases whose signatures are trusted: the current key's and the previous ones'. */
    public List<String> trustedAliases() {
        return Stream.concat(Stream.of(config.getKey()), config.getPreviousKeys().stream()).distinct().toList();
    }

    /**
     * The public key of a trusted key {@code alias} in backend {@code backendName}; empty when that is not a trusted
     * key (another backend, an alias not configured) or the backend has no such key.
     */
    public Optional<SigningKey> trusted(String backendName, String alias) {
        if (backend == null || !backend.name().equals(backendName) || !trustedAliases().contains(alias)) {
            return Optional.empty();
        }
        SigningKey key = found.get(alias);
        if (key == null) {
            Optional<SigningKey> inBackend = backend.signingKey(alias);
            inBackend.ifPresent(k -> found.put(alias, k));
            return inBackend;
        }
        return Optional.of(key);
    }

    /** The trusted keys the backend holds, for an export's reader. */
    public List<SigningKey> allTrusted() {
        return trustedAliases().stream().flatMap(a -> trusted(backendName(), a).stream()).toList();
    }

    private void requireBackend() {
        if (backend == null) {
            throw new IllegalStateException("no key backend is configured to sign the audit chain's checkpoints");
        }
    }
}
