package dev.rotakey.service;

import dev.rotakey.core.WorkScheduler;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Records when the services asked for deferred work, so that a test can run it at a time of its
 * choosing. Quartz itself is tested in the scheduler and end-to-end tests.
 */
final class RecordingScheduler implements WorkScheduler {
    final Map<String, Instant> rotations = new ConcurrentHashMap<>();
    final Map<String, Instant> continuations = new ConcurrentHashMap<>();
    final Map<String, Instant> revocations = new ConcurrentHashMap<>();
    final Map<String, Instant> expiries = new ConcurrentHashMap<>();

    @Override
    public void rotateAt(String credentialId, Instant at) {
        rotations.put(credentialId, at);
    }

    @Override
    public void continueRotationAt(String rotationId, Instant at) {
        continuations.put(rotationId, at);
    }

    @Override
    public void revokeAt(String credentialId, int version, Instant at) {
        revocations.put(credentialId + "#v" + version, at);
    }

    @Override
    public void decommissionAt(String agentId, Instant at) {
        expiries.put(agentId, at);
    }

    @Override
    public void forgetCredential(String credentialId) {
        rotations.remove(credentialId);
    }
}
