package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.db.Daos;
import dev.rotakey.db.DeliveryDao;
import dev.rotakey.db.RotationDao;
import dev.rotakey.service.RotationChunk.Work;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a chunk's steps write ({@link ChunkSteps}), each in the one transaction it is given for the whole chunk: the
 * versions made, PENDING; then the deliveries, verifications and promotions. Each rotation is advanced only from the
 * step the chunk read it at, so that of two workers one wins, as {@link StepRecords} does for a rotation alone.
 */
final class ChunkCommits {
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final ScheduleCalculator schedule;

    ChunkCommits(RotationWorkflow workflow, AuditLog audit, ScheduleCalculator schedule) {
        this.workflow = workflow;
        this.audit = audit;
        this.schedule = schedule;
    }

    /**
     * The CREATE step of each of {@code made}: its rotation to DELIVER, its version PENDING with the material's digest,
     * references and key, its step's record and audit event.
     *
     * @return those advanced (the others were moved on by another worker)
     */
    List<Work> created(Daos tx, List<Work> made, Instant started, Instant now) {
        tx.credentials().lockAll(made.stream().map(Work::id).toList());
        List<Work> ok = advanced(made, tx.rotations().advanceAll(made.stream()
                .map(w -> Map.entry(w.rotation, workflow.stepSucceeded(w.rotation, now))).toList()));
        tx.versions().insertAll(ok.stream().map(w -> CredentialVersion.pending(w.id(), w.rotation.version(),
                w.material.digest(), w.material.digestKeyId(), w.rotation.id(), now)).toList());
        for (Work w : ok) {
            BindingRecords.addReferences(tx, w.id(), w.rotation.version(), w.references);
            if (w.material.keyRef() != null) {
                tx.versions().setKeyRef(w.id(), w.rotation.version(), w.material.keyRef());
            }
        }
        tx.rotations().recordSteps(ok.stream().map(w -> step(w.rotation, started, now)).toList());
        audit.recordAll(tx, ok.stream().map(w -> stepEvent(w.rotation)).toList());
        return ok;
    }

    /**
     * The DELIVER step of each of {@code delivered}, and the VERIFY and PROMOTE steps of each of {@code verified}, whose
     * version becomes CURRENT (and the one it supersedes PREVIOUS) with its next rotation due.
     *
     * @return those advanced (the others were moved on by another worker)
     */
    List<Work> promoted(Daos tx, List<Work> delivered, List<Work> verified, Instant deliverStarted,
                               Instant verifyStarted, Instant now) {
        List<String> ids = delivered.stream().map(Work::id).toList();
        Map<String, Credential> fresh = tx.credentials().lockAndReadAll(ids);
        // Re-read: an operator's emergency may have escalated a rotation since it started.
        Map<String, Rotation> stored = tx.rotations().findAll(delivered.stream().map(w -> w.rotation.id()).toList());
        List<Work> ok = advanced(delivered, tx.rotations().advanceAll(delivered.stream().map(w -> {
            Rotation after = workflow.stepSucceeded(w.rotation, verifyStarted);
            if (verified.contains(w)) {
                after = workflow.stepSucceeded(workflow.stepSucceeded(after, now), now);
            }
            return Map.entry(w.rotation, after);
        }).toList()));
        List<Work> done = ok.stream().filter(verified::contains).toList();
        tx.deliveries().deliveredFirst(bindingsOf(done), verifyStarted, now);
        tx.deliveries().deliveredFirst(bindingsOf(ok.stream().filter(w -> !verified.contains(w)).toList()),
                verifyStarted, null);
        Map<String, List<CredentialVersion>> versions = tx.versions().ofCredentials(done.stream().map(Work::id).toList());
        List<RotationDao.NewStep> steps = new ArrayList<>();
        List<AuditLog.Entry> events = new ArrayList<>();
        List<CredentialVersion> changed = new ArrayList<>();
        Map<String, Instant> next = new LinkedHashMap<>();
        for (Work w : ok) {
            steps.add(step(w.rotation, deliverStarted, verifyStarted));
            events.add(stepEvent(w.rotation));
            if (!done.contains(w)) {
                continue;
            }
            Rotation verifying = workflow.stepSucceeded(w.rotation, verifyStarted);
            Rotation promoting = workflow.stepSucceeded(verifying, now);
            steps.add(step(verifying, verifyStarted, now));
            steps.add(step(promoting, now, now));
            events.add(stepEvent(verifying));
            events.add(stepEvent(promoting));
            Credential c = fresh.getOrDefault(w.id(), w.credential);
            w.emergency = w.rotation.emergency() || (stored.containsKey(w.rotation.id())
                    && stored.get(w.rotation.id()).emergency());
            List<CredentialVersion> before = versions.getOrDefault(w.id(), List.of());
            List<CredentialVersion> changes = workflow.promote(before, w.rotation.version(), now, c.gracePeriod(),
                    w.emergency);
            changed.addAll(changes);
            w.promoted = applied(before, changes);
            if (c.active()) {
                w.next = schedule.nextDue(c, now);
                if (w.next != null) {
                    next.put(w.id(), w.next);
                }
            }
            for (CredentialVersion v : changes) {
                events.add(new AuditLog.Entry(w.rotation.actor(), AuditAction.VERSION_PROMOTED,
                        AuditSubject.version(w.id(), v.version()), "ok",
                        "state=" + v.state() + (v.revokeAfter() == null ? "" : " revokeAfter=" + v.revokeAfter())));
            }
            events.add(new AuditLog.Entry(w.rotation.actor(), AuditAction.ROTATION_SUCCEEDED, w.subject(), "ok",
                    "rotation=" + w.rotation.id() + " trigger=" + w.rotation.trigger().wireName()));
        }
        tx.rotations().recordSteps(steps);
        tx.versions().updateAll(changed);
        tx.credentials().setNextRotations(next);
        audit.recordAll(tx, events);
        return ok;
    }

    private static List<CredentialVersion> applied(List<CredentialVersion> before, List<CredentialVersion> changes) {
        Map<Integer, CredentialVersion> out = new LinkedHashMap<>();
        before.forEach(v -> out.put(v.version(), v));
        changes.forEach(v -> out.put(v.version(), v));
        return List.copyOf(out.values());
    }

    private static List<Work> advanced(List<Work> items, boolean[] advanced) {
        List<Work> ok = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            if (advanced[i]) {
                ok.add(items.get(i));
            }
        }
        return ok;
    }

    /** The record of a step done. */
    static RotationDao.NewStep step(Rotation r, Instant started, Instant finished) {
        return new RotationDao.NewStep(r.id(), r.step().name(), r.attempts() + 1, "OK", null, started, finished);
    }

    /** The audit event of a step done, as {@link StepRecords} records it. */
    static AuditLog.Entry stepEvent(Rotation r) {
        return new AuditLog.Entry(r.actor(), AuditAction.ROTATION_STEP, AuditSubject.version(r.credentialId(),
                r.version()), "ok", r.step().name().toLowerCase(Locale.ROOT) + " (rotation " + r.id() + ")");
    }

    private static List<DeliveryDao.Binding> bindingsOf(List<Work> items) {
        return items.stream().flatMap(w -> bindingsOf(w.credential, w.rotation.version()).stream()).toList();
    }

    /** Each binding of {@code c}, for recording that {@code version} reached it. */
    static List<DeliveryDao.Binding> bindingsOf(Credential c, int version) {
        List<DeliveryDao.Binding> out = new ArrayList<>();
        for (int i = 0; i < c.bindings().size(); i++) {
            out.add(new DeliveryDao.Binding(c.id(), version, i, c.bindings().get(i).target()));
        }
        return out;
    }
}
