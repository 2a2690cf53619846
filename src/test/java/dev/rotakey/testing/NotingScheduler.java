package dev.rotakey.testing;

import dev.rotakey.core.WorkScheduler;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scheduler that only notes what the services ask of it, in order ({@link #events}: "rotate id", "continue id",
 * "first id", "revoke id#vN", "expire agent", "forget id") and, for rotations, when ({@link #rotations}); nothing runs.
 */
public final class NotingScheduler implements WorkScheduler {
    public final List<String> events = new CopyOnWriteArrayList<>();
    /** The last time asked for each credential's next rotation. */
    public final Map<String, Instant> rotations = new ConcurrentHashMap<>();

    @Override
    public void rotateAt(String credentialId, Instant at) {
        rotations.put(credentialId, at);
        events.add("rotate " + credentialId);
    }

    @Override
    public void continueRotationAt(String rotationId, Instant at) {
        events.add("continue " + rotationId);
    }

    @Override
    public void continueRotationFirst(String rotationId, Instant at) {
        events.add("first " + rotationId);
    }

    @Override
    public void revokeAt(String credentialId, int version, Instant at) {
        events.add("revoke " + credentialId + "#v" + version);
    }

    @Override
    public void decommissionAt(String agentId, Instant at) {
        events.add("expire " + agentId);
    }

    @Override
    public void forgetCredential(String credentialId) {
        events.add("forget " + credentialId);
    }
}
