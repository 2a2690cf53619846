package dev.rotakey.service;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationTrigger;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;
import dev.rotakey.backend.KeyBackends;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Changes a credential in place ({@code PATCH /api/v1/credentials/{id}}): the body is merged into the credential's
 * creation fields and validated exactly as a creation is, then what changed is written with its audit event
 * ({@code credential.changed}, before and after) in one transaction. Only after that commit are the targets touched:
 * removed bindings' material is taken out, and a change that needs new material starts an operator rotation.
 */
public final class CredentialChanges {
    private static final Logger LOG = LoggerFactory.getLogger(CredentialChanges.class);

    /** What a change needs beyond the stored change: a new version, and the rotation that makes it. */
    public record NewMaterial(boolean needed, String reason, Rotation rotation) {
        static final NewMaterial NONE = new NewMaterial(false, null, null);
    }

    /**
     * What a change did.
     *
     * @param removalFailures removed bindings whose material could not be taken out (their claims stay held)
     */
    public record Changed(Credential credential, List<String> changes, NewMaterial newMaterial,
                          List<String> removalFailures) {
    }

    private final CredentialService credentials;
    private final Store store;
    private final Targets targets;
    private final KeyBackends backends;
    private final RotationService rotations;
    private final AuditLog audit;
    private final ScheduleCalculator schedule;
    private final BindingClaims claims;
    private final Clock clock;

    CredentialChanges(CredentialService credentials, Store store, Targets targets, KeyBackends backends,
                      RotationService rotations, AuditLog audit, ScheduleCalculator schedule, BindingClaims claims,
                      Clock clock) {
        this.credentials = credentials;
        this.store = store;
        this.targets = targets;
        this.backends = backends;
        this.rotations = rotations;
        this.audit = audit;
        this.schedule = schedule;
        this.claims = claims;
        this.clock = clock;
    }

    /**
     * Applies {@code patch} to the credential.
     *
     * @throws RejectedException 422 naming the field (unknown, fixed at creation, or invalid as at a creation); 404;
     *                           409 when it is retired or decommissioned, when a binding's resource is another
     *                           credential's, or when its targets or material change while it is rotating
     */
    public Changed change(String id, JsonNode patch, String actor) {
        CredentialPatch.checkFields(patch);
        Credential before = credentials.get(id);
        requireActive(before);
        Credential validated = credentials.validate(CredentialPatch.merge(before, patch));
        CredentialDiff diff = CredentialDiff.of(before, validated);
        if (diff.changes().isEmpty()) {
            return new Changed(before, List.of(), NewMaterial.NONE, List.of());
        }
        Instant now = clock.instant();
        List<BindingClaims.Claim> wanted = claims.of(validated.bindings());
        record Committed(Credential after, List<CredentialVersion> live, Map<Integer, Map<Integer, List<String>>> refs) {
        }
        Committed done = store.tx(tx -> {
            Credential locked = tx.credentials().findForUpdate(id).orElseThrow(() -> RejectedException.notFound("credential", id));
            requireActive(locked);
            Optional<Rotation> running = tx.rotations().running(id);
            if (running.isPresent() && (diff.bindingsChange() || diff.needsNewMaterial())) {
                throw RejectedException.conflict("credential '" + id + "' is rotating (rotation " + running.get().id()
                        + "): change its targets or material once that rotation has ended");
            }
            List<CredentialVersion> versions = tx.versions().ofCredential(id);
            Instant next = diff.changes().contains("rotation") ? nextRotation(validated, versions, now)
                    : locked.nextRotationAt();
            Credential after = new Credential(id, locked.agentId(), locked.type(), locked.backend(), validated.policy(),
                    validated.gracePeriod(), diff.bindings(), locked.status(), next, locked.createdAt(), null,
                    profile(locked, validated), validated.password(), validated.acknowledgements(), validated.scopes());
            // Read before the records move: the removal after the commit needs each version's references there.
            Map<Integer, Map<Integer, List<String>>> refs = diff.removed().isEmpty() ? Map.of()
                    : tx.deliveries().referencesOf(id);
            tx.credentials().update(after);
            claims.claim(tx, after, wanted);
            for (int from : diff.removedFrom()) {
                tx.deliveries().dropBinding(id, from);
            }
            for (int to = 0; to < diff.keptFrom().size(); to++) {
                if (diff.keptFrom().get(to) != to) {
                    tx.deliveries().moveBinding(id, diff.keptFrom().get(to), to);
                }
            }
            audit.record(tx, actor, AuditAction.CREDENTIAL_CHANGED, AuditSubject.credential(id), "ok",
                    CredentialPatch.describe(before, after, diff));
            List<CredentialVersion> live = versions.stream()
                    .filter(v -> v.state() == VersionState.CURRENT || v.state() == VersionState.PREVIOUS).toList();
            return new Committed(after, live, refs);
        });
        Credential after = done.after();
        if (diff.changes().contains("rotation")) {
            if (after.nextRotationAt() == null) {
                rotations.scheduler().forgetCredential(id);
            } else {
                rotations.scheduler().rotateAt(id, after.nextRotationAt());
            }
        }
        List<String> failures = removeFromRemovedBindings(after, diff, done.live(), done.refs(), actor);
        NewMaterial material = NewMaterial.NONE;
        if (diff.needsNewMaterial()) {
            material = new NewMaterial(true, diff.materialReason(), startRotation(id, actor));
        }
        return new Changed(after, diff.changes(), material, failures);
    }

    private static void requireActive(Credential c) {
        if (c.retired()) {
            throw RejectedException.conflict("credential '" + c.id() + "' is retired: it cannot be changed");
        }
        if (!c.active()) {
            throw RejectedException.conflict("credential '" + c.id() + "' is decommissioned with its agent '"
                    + c.agentId() + "': it cannot be changed");
        }
    }

    /** The validated profile, keeping the stored {@code renewAt} (which a change cannot set). */
    private static CertificateProfile profile(Credential before, Credential validated) {
        CertificateProfile p = validated.certificate();
        if (p == null) {
            return null;
        }
        return new CertificateProfile(p.ca(), p.keySpec(), p.validity(), before.certificate().renewAt(), p.dnsNames(),
                p.uris(), p.keyCustody());
    }

    /**
     * The next rotation under a new policy, counted from the CURRENT version's promotion (when the schedule last
     * rotated it); now if that is already past; none for a manual policy.
     */
    private Instant nextRotation(Credential c, List<CredentialVersion> versions, Instant now) {
        Instant last = versions.stream().filter(v -> v.state() == VersionState.CURRENT && v.promotedAt() != null)
                .map(CredentialVersion::promotedAt).findFirst().orElse(now);
        Instant next = schedule.nextDue(c, last);
        return next == null || !next.isBefore(now) ? next : now;
    }

    /**
     * Takes every live version out of each removed binding's target, as a revocation there would, and releases the
     * binding's claims when that worked. A failure is audited and logged, and the claims stay held (so another
     * credential cannot take the resource while this one's material may still be there).
     */
    private List<String> removeFromRemovedBindings(Credential after, CredentialDiff diff, List<CredentialVersion> live,
                                                   Map<Integer, Map<Integer, List<String>>> refs, String actor) {
        if (diff.removed().isEmpty()) {
            return List.of();
        }
        KeyBackend backend = backends.get(after.backend());
        Set<String> kept = new HashSet<>();
        for (TargetBinding b : after.bindings()) {
            targets.get(b.target()).claims(b).forEach(c -> kept.add(b.target() + "\0" + c));
        }
        List<String> failures = new ArrayList<>();
        for (int k = 0; k < diff.removed().size(); k++) {
            TargetBinding b = diff.removed().get(k);
            int index = diff.removedFrom().get(k);
            boolean removed = true;
            for (CredentialVersion v : live) {
                List<String> references = refs.getOrDefault(v.version(), Map.of()).getOrDefault(index, List.of());
                String digest = v.digest();
                try {
                    targets.get(b.target()).revoke(new Revocation(after.agentId(), after.id(), after.type().wireName(),
                            v.version(), b, content -> MaterialDigests.matches(backend, content, digest), references));
                } catch (RuntimeException e) {
                    removed = false;
                    String error = e.getMessage() == null ? "removal failed" : e.getMessage();
                    failures.add("target '" + b.target() + "', version " + v.version() + ": " + error);
                    LOG.warn("removal of {} from the removed binding of target {} failed: {}",
                            AuditSubject.version(after.id(), v.version()), b.target(), error);
                    audit.record(actor, AuditAction.VERSION_REVOCATION_FAILED, AuditSubject.version(after.id(),
                            v.version()), "failed", "binding of target '" + b.target() + "' removed by a change: "
                            + error + "; its claim stays held until the material is gone");
                }
            }
            if (removed) {
                store.txRun(tx -> {
                    for (String claim : targets.get(b.target()).claims(b)) {
                        if (!kept.contains(b.target() + "\0" + claim)) {
                            tx.bindingClaims().release(b.target(), claim, after.id());
                        }
                    }
                });
            }
        }
        return failures;
    }

    /** The rotation that makes the new material: started now, or the one that started meanwhile. */
    private Rotation startRotation(String id, String actor) {
        try {
            return rotations.startAsync(id, RotationTrigger.OPERATOR, actor, false);
        } catch (RejectedException e) {
            // A scheduled rotation started between the commit and here: it reads the changed credential, so it serves.
            return store.read(d -> d.rotations().running(id)).orElseThrow(() -> e);
        }
    }
}
