package dev.rotakey.service;

import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.Rotation;
import dev.rotakey.targets.Delivery;

import java.time.Instant;
import java.util.List;

/**
 * A chunk of started rotations on its way through a lane ({@link RotationLanes}): its credential locks, its rotations
 * with what their steps have made so far, and its deliveries in flight.
 */
final class RotationChunk {
    /** One credential on its way to a new version: its rotation as last persisted, and what the steps made so far. */
    static final class Work {
        final Credential credential;
        final List<CredentialVersion> versions;
        Rotation rotation;
        IssuedMaterial material;
        List<String> references;
        List<Delivery> deliveries;
        RuntimeException deliveryFailure;
        Instant deliveredAt;
        RuntimeException verifyFailure;
        /** Its versions once the promotion committed; null until then. */
        List<CredentialVersion> promoted;
        Instant next;
        boolean emergency;
        /** When its rotation goes on in the scheduler's workers, once it left the chunk after a failure; else null. */
        Instant continueAt;

        Work(Credential credential, List<CredentialVersion> versions) {
            this.credential = credential;
            this.versions = versions;
        }

        String id() {
            return credential.id();
        }

        String subject() {
            return AuditSubject.version(credential.id(), rotation.version());
        }
    }

    final List<Work> works;
    CredentialLocks.Held held;
    List<Work> created = List.of();
    Instant deliverStarted;
    ParallelSteps.Running io;
    /** Whether it stopped half-way: what it had not finished goes on in the scheduler's workers. */
    boolean stopped;

    RotationChunk(List<Work> works) {
        this.works = works;
    }

    int size() {
        return works.size();
    }
}
