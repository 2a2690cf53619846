package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.Acknowledgement;
import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import dev.rotakey.usage.CredentialUse;
import dev.rotakey.usage.UsageRecorder;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;


/**
 * Records consumers' acknowledgements of versions, checks a presented version secret against its
 * digest, and has the previous version's revocation checked at once after each new acknowledgement.
 */
public final class AcknowledgementService {
    private final Store store;
    private final KeyBackends backends;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final Clock clock;
    private final UsageRecorder usage;

    public AcknowledgementService(Store store, KeyBackends backends, AuditLog audit, WorkScheduler scheduler,
                                  Clock clock) {
        this(store, backends, audit, scheduler, clock, UsageRecorder.NONE);
    }

    /** @param usage told of every successful acknowledgement, a use of the version by its consumer */
    public AcknowledgementService(Store store, KeyBackends backends, AuditLog audit, WorkScheduler scheduler,
                                  Clock clock, UsageRecorder usage) {
        this.usage = usage;
        this.store = store;
        this.backends = backends;
        this.audit = audit;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    /**
     * Whether {@code key} is the secret of version {@code n}, compared by digest in constant time.
     * False also for an unknown credential or version, so that an unauthenticated caller learns
     * nothing about which exist, and for a certificate, whose digest is of public material.
     */
    public boolean holdsVersionSecret(String credentialId, int n, String key) {
        if (key == null || key.isEmpty()) {
            return false;
        }
        Optional<Credential> c = store.read(d -> d.credentials().find(credentialId));
        if (c.isEmpty() || c.get().type() == CredentialType.CERTIFICATE) {
            return false;
        }
        Optional<CredentialVersion> v = store.read(d -> d.versions().find(credentialId, n));
        if (v.isEmpty() || v.get().digest() == null) {
            return false;
        }
        byte[] utf8 = key.getBytes(StandardCharsets.UTF_8);
        try {
            return MaterialDigests.matches(backends.get(c.get().backend()), utf8, v.get().digest());
        } catch (KeyBackendException e) {
            throw new KeyBackendUnavailableException("cannot check the key now: " + e.getMessage());
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
    }

    /**
     * Records that {@code consumer} uses version {@code n}. Repeating it answers the first record.
     * When it completes the set of consumers, the previous version is revoked at once (if its grace is over).
     */
    public Acknowledgement acknowledge(String credentialId, int n, String consumer, String actor) {
        return acknowledge(credentialId, n, consumer, actor, null);
    }

    /**
     * As {@link #acknowledge(String, int, String, String)}, from {@code sourceAddress}; the acknowledgement, first or
     * repeated, is counted by the usage telemetry as a use of the version by {@code consumer}.
     */
    public Acknowledgement acknowledge(String credentialId, int n, String consumer, String actor, String sourceAddress) {
        if (consumer == null || consumer.isBlank()) {
            throw RejectedException.invalid("consumer", "is required");
        }
        Acknowledgement[] created = new Acknowledgement[1];
        CredentialUse[] uses = new CredentialUse[1];
        Acknowledgement result = store.tx(tx -> {
            Credential c = tx.credentials().findForUpdate(credentialId)
                    .orElseThrow(() -> RejectedException.notFound("credential", credentialId));
            AcknowledgementPolicy policy = c.acknowledgements();
            if (policy == null) {
                throw RejectedException.conflict("credential '" + credentialId
                        + "' does not wait for acknowledgements (revokeWhen: grace)");
            }
            if (!policy.consumers().contains(consumer)) {
                throw RejectedException.invalid("consumer", "'" + consumer + "' is not an expected consumer of '"
                        + credentialId + "' (expected: " + policy.consumers() + ")");
            }
            CredentialVersion v = tx.versions().find(credentialId, n)
                    .orElseThrow(() -> RejectedException.notFound("version", credentialId + "#v" + n));
            uses[0] = new CredentialUse(credentialId, n, v.state(), v.revokeAfter(), c.agentId(),
                    tx.agents().find(c.agentId()).map(dev.rotakey.core.Agent::owner).orElse(null), consumer,
                    sourceAddress, null, clock.instant());
            Optional<Acknowledgement> existing = tx.acknowledgements().find(credentialId, n, consumer);
            if (existing.isPresent()) {
                return existing.get();
            }
            if (!acknowledgeable(tx, v)) {
                throw RejectedException.conflict("version " + n + " of '" + credentialId + "' is " + v.state()
                        + ": only a CURRENT, PREVIOUS or delivered PENDING version can be acknowledged");
            }
            // Microseconds, as the database keeps it: a repeated ack must answer exactly the first answer.
            Acknowledgement a = new Acknowledgement(credentialId, n, consumer,
                    clock.instant().truncatedTo(ChronoUnit.MICROS), actor);
            tx.acknowledgements().insert(a);
            List<String> overdue = new ArrayList<>(tx.credentials().acknowledgementOverdue(credentialId));
            if (overdue.remove(consumer)) {
                tx.credentials().setAcknowledgementOverdue(credentialId, overdue);
            }
            audit.record(tx, actor, AuditAction.VERSION_ACKNOWLEDGED, AuditSubject.version(credentialId, n), "ok",
                    "consumer=" + consumer);
            created[0] = a;
            return a;
        });
        if (uses[0] != null) {
            usage.used(uses[0]);
        }
        if (created[0] != null) {
            // The check is scheduled for now rather than run here: it then honours the kill switch
            // (pause-rotations holds revocations) and runs with the scheduler's retries. The decision
            // itself is RevocationService's: it revokes only when grace is over and every consumer has
            // now acknowledged, and otherwise reschedules itself.
            Instant now = clock.instant();
            store.read(d -> d.versions().ofCredential(credentialId)).stream()
                    .filter(p -> p.state() == VersionState.PREVIOUS && p.version() < n)
                    .forEach(p -> scheduler.revokeAt(credentialId, p.version(), now));
        }
        return result;
    }

    /** CURRENT and PREVIOUS versions, and a PENDING one already delivered (consumers may hold it). */
    private static boolean acknowledgeable(dev.rotakey.db.Daos tx, CredentialVersion v) {
        if (v.state() == VersionState.CURRENT || v.state() == VersionState.PREVIOUS) {
            return true;
        }
        if (v.state() != VersionState.PENDING || v.rotationId() == null) {
            return false;
        }
        return tx.rotations().find(v.rotationId())
                .filter(r -> r.state() == RotationState.RUNNING)
                .map(r -> r.step() == RotationStep.VERIFY || r.step() == RotationStep.PROMOTE)
                .orElse(false);
    }
}
