package dev.rotakey.resources;

import dev.rotakey.core.WorkScheduler;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link WorkScheduler} that only notes what the services asked it to schedule, as {@code "kind subject@at"}. */
final class RecordingScheduler implements WorkScheduler {
    final List<String> scheduled = new CopyOnWriteArrayList<>();

    @Override
    public void rotateAt(String credentialId, Instant at) {
        scheduled.add("rotate " + credentialId + "@" + at);
    }

    @Override
    public void continueRotationAt(String rotationId, Instant at) {
        scheduled.add("continue " + rotationId + "@" + at);
    }

    @Override
    public void revokeAt(String credentialId, int version, Instant at) {
        scheduled.add("revoke " + credentialId + "#v" + version + "@" + at);
    }

    @Override
    public void decommissionAt(String agentId, Instant at) {
        scheduled.add("decommission " + agentId + "@" + at);
    }

    @Override
    public void forgetCredential(String credentialId) {
        scheduled.add("forget " + credentialId);
    }
}
