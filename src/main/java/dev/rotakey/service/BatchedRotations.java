package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationListener;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.core.VersionState;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;
import dev.rotakey.service.RotationChunk.Work;
import dev.rotakey.targets.Targets;
import io.dropwizard.lifecycle.Managed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Operators' rotations of many credentials, run together a chunk at a time: each chunk's rotations are started in one
 * transaction, then a lane ({@link RotationLanes}) takes the chunk through its steps ({@link ChunkSteps}) with one
 * transaction per step for the whole chunk instead of one per step of each rotation, overlapping it with the batch's
 * next chunk. A credential that needs the executor's recovery first (a version PENDING from an earlier life, a failed
 * version still to be removed from a target) is not started here: {@link Outcome.Kind#ALONE} says to start it on its
 * own.
 */
public final class BatchedRotations {
    private static final Logger LOG = LoggerFactory.getLogger(BatchedRotations.class);
    /** Credentials per chunk: they are locked while their chunk runs, so other work on their lock stripes waits. */
    public static final int CHUNK = 100;

    private final Store store;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final Clock clock;
    private final ChunkSteps steps;
    private final RotationLanes lanes;

    /**
     * @param listener   told of each persisted step, as {@link RotationExecutor}'s listener is
     * @param makers     the threads that make material
     * @param movers     the threads that deliver and verify it (others than the makers', so that one chunk's
     *                   deliveries never hold up the next one's material)
     * @param lanes      how many chunks of different batches run at once ({@link RotationLanes})
     * @param sweptAfter on a cluster, how long a running rotation may stay untouched before other nodes' sweeps take
     *                   it up (two check-in intervals); null on a single node, which has no sweep
     */
    public BatchedRotations(Store store, KeyBackends backends, Targets targets, CertificateAuthorities authorities,
                            RotationWorkflow workflow, AuditLog audit, WorkScheduler scheduler, CredentialLocks locks,
                            Clock clock, ScheduleCalculator schedule, RotationListener listener, ParallelSteps makers,
                            ParallelSteps movers, RevocationService revocations, int lanes, Duration sweptAfter) {
        this.store = store;
        this.workflow = workflow;
        this.audit = audit;
        this.clock = clock;
        this.steps = new ChunkSteps(store, backends, new MaterialIssuer(targets, authorities),
                new BindingFanOut(store, targets), new BindingRecords(store, targets), workflow,
                new StepRecords(store, workflow, audit, schedule), new ChunkCommits(workflow, audit, schedule), scheduler,
                locks, clock, listener, makers, movers, revocations, new PromotionActions(targets, audit), sweptAfter);
        this.lanes = new RotationLanes(steps, lanes);
    }

    /** How the rotation of one credential of a chunk began. */
    public record Outcome(String credentialId, Kind kind, Rotation rotation, String detail) {
        public enum Kind {
            /** Started, by this call or (with the same correlation id) before the node stopped: {@link #rotation}. */
            STARTED,
            /** Refused: the credential is rotating already ({@link #rotation}). */
            ALREADY_ROTATING,
            NOT_FOUND,
            DECOMMISSIONED,
            /** Not started: not due yet, the scheduler's trigger being stale ({@link #rotateDue} only). */
            NOT_DUE,
            /** Not started: it needs the executor's recovery first, so it is to be started on its own. */
            ALONE,
            /** Not started: its chunk could not start ({@link #detail}). */
            FAILED
        }
    }

    /** The lanes that carry started chunks through their steps: started and stopped with the daemon. */
    public Managed lanes() {
        return lanes;
    }

    /**
     * Starts the rotation of each credential, {@link #CHUNK} at a time in one transaction each, and hands each started
     * chunk to a lane ({@link RotationLanes}), which runs it through its steps in the background: this returns once
     * every rotation is started (waiting while the lanes have no room), not once they are done.
     *
     * @param correlationId the operator's request id the rotations carry; a rotation with it started at or after
     *                      {@code since} (before the node stopped) is not started again
     * @param batch         what the chunks belong to: its chunks keep to one lane
     * @return each credential's outcome, in order
     */
    public List<Outcome> rotate(List<String> credentialIds, RotationTrigger trigger, String actor, String correlationId,
                                Instant since, String batch) {
        return rotate(credentialIds, new Start(trigger, actor, correlationId, since, null), batch);
    }

    /**
     * Starts the scheduled rotations of credentials the scheduler found due, as {@link #rotate} does; one whose next
     * rotation is after {@code dueBy} (an operator rotated it since its trigger was made) is {@link Outcome.Kind#NOT_DUE}.
     *
     * @param lane what keeps these chunks to one lane, apart from operators' batches
     */
    public List<Outcome> rotateDue(List<String> credentialIds, Instant dueBy, String lane) {
        return rotate(credentialIds, new Start(RotationTrigger.SCHEDULE, DueRotations.ACTOR, null, null, dueBy), lane);
    }

    /**
     * How a chunk's rotations start: {@code correlationId} and {@code since} as for {@link #rotate}; {@code dueBy}, when
     * not null, the latest next rotation a credential may have to be started.
     */
    private record Start(RotationTrigger trigger, String actor, String correlationId, Instant since, Instant dueBy) {
    }

    private List<Outcome> rotate(List<String> credentialIds, Start how, String batch) {
        List<Outcome> out = new ArrayList<>();
        for (int from = 0; from < credentialIds.size(); from += CHUNK) {
            List<String> ids = credentialIds.subList(from, Math.min(credentialIds.size(), from + CHUNK));
            Map<String, Outcome> outcomes = new LinkedHashMap<>();
            List<Work> works;
            try {
                works = start(ids, how, outcomes);
            } catch (RuntimeException e) {
                String error = FailureClassifier.describe(e);
                LOG.warn("a chunk of {} rotations could not start: {}", ids.size(), error, e);
                ids.forEach(id -> outcomes.put(id, new Outcome(id, Outcome.Kind.FAILED, null, error)));
                works = List.of();
            }
            if (!works.isEmpty()) {
                RotationChunk chunk = new RotationChunk(works);
                try {
                    lanes.submit(batch, chunk);
                } catch (RuntimeException e) {
                    steps.abandon(chunk);
                }
            }
            ids.forEach(id -> out.add(outcomes.get(id)));
        }
        return out;
    }

    /** Starts the chunk's rotations in one transaction; the outcome of each credential goes to {@code outcomes}. */
    private List<Work> start(List<String> ids, Start how, Map<String, Outcome> outcomes) {
        Instant now = clock.instant();
        String correlationId = how.correlationId();
        List<Work> works = store.tx(tx -> {
            Map<String, Credential> credentials = tx.credentials().lockAndReadAll(ids);
            Map<String, Rotation> running = tx.rotations().runningOf(ids);
            Map<String, Rotation> mine = correlationId == null ? Map.of()
                    : tx.rotations().startedWith(ids, correlationId, how.since());
            Map<String, List<CredentialVersion>> versions = tx.versions().ofCredentials(ids);
            List<Work> out = new ArrayList<>();
            for (String id : ids) {
                Credential c = credentials.get(id);
                List<CredentialVersion> vs = versions.getOrDefault(id, List.of());
                if (mine.containsKey(id)) {
                    // Started before the node stopped, its outcome not recorded: not started twice.
                    outcomes.put(id, new Outcome(id, Outcome.Kind.STARTED, mine.get(id), null));
                } else if (c == null) {
                    outcomes.put(id, new Outcome(id, Outcome.Kind.NOT_FOUND, null, "credential '" + id + "' not found"));
                } else if (!c.active()) {
                    outcomes.put(id, new Outcome(id, Outcome.Kind.DECOMMISSIONED, null,
                            "credential '" + id + "' is decommissioned"));
                } else if (running.containsKey(id)) {
                    Rotation r = running.get(id);
                    outcomes.put(id, new Outcome(id, Outcome.Kind.ALREADY_ROTATING, r, "credential '" + id
                            + "' is already rotating (rotation " + r.id() + ", step "
                            + r.step().name().toLowerCase(Locale.ROOT) + ")"));
                } else if (how.dueBy() != null && (c.nextRotationAt() != null ? c.nextRotationAt().isAfter(how.dueBy())
                        // A trigger left from before the credential became manual: never due.
                        : c.policy().manual())) {
                    outcomes.put(id, new Outcome(id, Outcome.Kind.NOT_DUE, null, null));
                } else if (vs.stream().anyMatch(v -> v.state() == VersionState.PENDING
                        || (v.state() == VersionState.FAILED && v.revokeError() != null))) {
                    outcomes.put(id, new Outcome(id, Outcome.Kind.ALONE, null, null));
                } else {
                    Work w = new Work(c, vs);
                    int version = vs.stream().mapToInt(CredentialVersion::version).max().orElse(0) + 1;
                    String correlation = correlationId != null ? correlationId
                            : Optional.ofNullable(MDC.get(AuditLog.MDC_CORRELATION)).orElse(UUID.randomUUID().toString());
                    w.rotation = workflow.start(id, version, how.trigger(), how.actor(), false, correlation, now);
                    out.add(w);
                }
            }
            tx.rotations().insertAll(out.stream().map(w -> w.rotation).toList());
            audit.recordAll(tx, out.stream().map(w -> new AuditLog.Entry(how.actor(), AuditAction.ROTATION_STARTED,
                    w.subject(), "ok", "rotation=" + w.rotation.id() + " trigger=" + how.trigger().wireName())).toList());
            return out;
        });
        for (Work w : works) {
            outcomes.put(w.id(), new Outcome(w.id(), Outcome.Kind.STARTED, w.rotation, null));
        }
        steps.reachEach("start.after-commit", works);
        return works;
    }
}
