package dev.rotakey.service;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.db.Store;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Destroys HSM-held leaf keys that no version records: a process killed between generating a
 * certificate's key in the backend and committing its version leaves one behind, and the resumed
 * rotation issues the version again under a new alias (invariant I5, no orphan key objects).
 * A key is spared while any rotation of its credential and version is running, since that rotation
 * may have just made it; so the sweep is safe with rotations in flight, on any node of a cluster. It
 * runs at start-up and again when a rotation that had a key spared ends ({@link #rotationEnded}) —
 * typically the very rotation a crash interrupted, which resumes after the start-up sweep.
 */
public final class OrphanLeafKeys {
    private static final Logger LOG = LoggerFactory.getLogger(OrphanLeafKeys.class);
    /** The prefix {@link CertificateIssuer} gives leaf key aliases: {@code rotakey-leaf-<credential>-<version>-<random>}. */
    static final String PREFIX = "rotakey-leaf-";

    private final Store store;
    private final KeyBackends backends;
    /** Rotations that were running when a sweep spared an unrecorded key of theirs. */
    private final Set<String> spared = ConcurrentHashMap.newKeySet();

    public OrphanLeafKeys(Store store, KeyBackends backends) {
        this.store = store;
        this.backends = backends;
    }

    /** Sweeps again when {@code r} has ended and a key was spared for it: one full sweep per interrupted rotation, never per rotation. */
    public void rotationEnded(Rotation r) {
        if (r.state() != RotationState.RUNNING && spared.remove(r.id())) {
            sweep();
        }
    }

    /** Sweeps every online backend, one sweep at a time; a backend that fails is logged and left for the next sweep. */
    public synchronized int sweep() {
        int destroyed = 0;
        for (KeyBackend backend : backends.all()) {
            if (!backend.status().healthy()) {
                continue;
            }
            try {
                destroyed += sweep(backend);
            } catch (KeyBackendException e) {
                LOG.warn("cannot look for orphan leaf keys in backend '{}': {}", backend.name(), e.getMessage(), e);
            }
        }
        return destroyed;
    }

    private int sweep(KeyBackend backend) {
        // Listed before the records are read: a key made after this listing is not considered, and one
        // made before it belongs to a rotation that is still RUNNING or has recorded (or destroyed) it.
        List<String> aliases = backend.signingKeyAliases(PREFIX);
        if (aliases.isEmpty()) {
            return 0;
        }
        Set<String> recorded = store.read(d -> d.versions().keyRefs());
        List<Rotation> running = store.read(d -> d.rotations().allRunning());
        int destroyed = 0;
        for (String alias : aliases) {
            if (recorded.contains(alias)) {
                continue;
            }
            Optional<Rotation> owner = running.stream()
                    .filter(r -> alias.startsWith(PREFIX + r.credentialId() + "-" + r.version() + "-")).findFirst();
            if (owner.isPresent()) {
                spared.add(owner.get().id());
                continue;
            }
            backend.destroySigningKey(alias);
            LOG.warn("destroyed orphan leaf key '{}' in backend '{}': no version records it and no rotation of it is "
                    + "running (left by a process that stopped between generating it and recording it)", alias, backend.name());
            destroyed++;
        }
        LOG.info("leaf keys in backend '{}': {} found, {} destroyed as orphans", backend.name(), aliases.size(), destroyed);
        return destroyed;
    }
}
