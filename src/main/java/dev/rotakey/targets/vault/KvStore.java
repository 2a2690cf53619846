package dev.rotakey.targets.vault;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * The few KV version 2 operations the {@code vault-kv} target needs, on paths relative to one
 * mount. Failures are {@link dev.rotakey.targets.TargetException}s that already say whether a
 * retry may help; a check-and-set mismatch is a {@link CasConflictException}.
 */
interface KvStore extends AutoCloseable {

    /** The path's metadata, or empty when nothing was ever written there. */
    Optional<Metadata> metadata(String path);

    /** The data of one version, or empty when it is absent, deleted or destroyed. */
    Optional<Map<String, String>> read(String path, int version);

    /**
     * Writes {@code data} as a new version if the path's current version is still {@code cas}
     * (0: the path must not exist yet), and returns the new version number.
     */
    int write(String path, Map<String, String> data, int cas);

    /** Destroys {@code versions} for good: their data can never be read again. */
    void destroy(String path, List<Integer> versions);

    @Override
    default void close() {
    }

    /** What KV knows about a path: its current version and, per version, whether it was destroyed. */
    record Metadata(int currentVersion, SortedMap<Integer, VersionState> versions) {
    }

    /**
     * A version's state. Only destruction is final: a {@code deletion_time} may lie in the future
     * ({@code delete_version_after}), so whether a version can still be read is learnt by reading it.
     */
    record VersionState(boolean destroyed) {
        boolean readable() {
            return !destroyed;
        }
    }
}
