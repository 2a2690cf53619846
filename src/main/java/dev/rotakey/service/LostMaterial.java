package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.db.Store;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Gives a rotation resumed after a restart its pending material back. Plaintext is never persisted, so what a
 * rotation made before the restart is gone: its leftovers are removed from the targets that add rather than
 * replace, and fresh material for the same version replaces its digest before it is delivered (docs/design.md,
 * "Durability before effect"; the number is reused only before promotion, I6).
 */
final class LostMaterial {
    private final Store store;
    private final KeyBackends backends;
    private final RotationWorkflow workflow;
    private final AuditLog audit;
    private final Clock clock;
    private final PendingMaterial pending;
    private final MaterialIssuer issuer;
    private final BindingFanOut fanOut;
    private final MaterialRemoval removal;

    LostMaterial(Store store, KeyBackends backends, RotationWorkflow workflow, AuditLog audit, Clock clock,
                 PendingMaterial pending, MaterialIssuer issuer, BindingFanOut fanOut, MaterialRemoval removal) {
        this.store = store;
        this.backends = backends;
        this.workflow = workflow;
        this.audit = audit;
        this.clock = clock;
        this.pending = pending;
        this.issuer = issuer;
        this.fanOut = fanOut;
        this.removal = removal;
    }

    /**
     * The pending plaintext, or — when it was lost with a restart — fresh material for the same
     * version, whose digest replaces the old one before it is delivered. Returns null when the
     * rotation was sent back to DELIVER (the caller reloads it).
     */
    IssuedMaterial pendingOrRecreated(Rotation r, Credential c) {
        IssuedMaterial existing = pending.get(c.id(), r.version());
        if (existing != null) {
            return existing;
        }
        KeyBackend backend = backends.get(c.backend());
        // The lost material may have reached a target before the restart (a certificate with its key, a password
        // a Redis user added): off it goes, before its replacement for the same version is issued.
        store.read(d -> d.versions().find(c.id(), r.version())).ifPresent(lost -> removal.discardLost(c, lost));
        IssuedMaterial fresh = issuer.issue(backend, c, r.version());
        Instant now = clock.instant();
        boolean isVerify = r.step() == RotationStep.VERIFY;
        Rotation rewound = isVerify ? workflow.restartDelivery(r, now) : r;
        List<String> references = fanOut.references(c, r.version(), fresh);
        boolean ok = store.stepTx(tx -> {
            tx.credentials().findForUpdate(c.id());
            if (isVerify && !tx.rotations().advance(r, rewound)) {
                return false;
            }
            CredentialVersion v = tx.versions().find(c.id(), r.version())
                    .orElseThrow(() -> new IllegalStateException("pending version " + r.version() + " is missing"));
            tx.versions().update(v.withDigest(fresh.digest(), fresh.digestKeyId()));
            // Added to, never replacing, the lost material's references: that material may have reached a
            // target before the restart, and revocation or clean-up must find it there too.
            BindingRecords.addReferences(tx, c.id(), r.version(), references);
            tx.versions().setKeyRef(c.id(), r.version(), fresh.keyRef());
            audit.record(tx, "rotakey", AuditAction.ROTATION_MATERIAL_RECREATED, AuditSubject.version(c.id(),
                    r.version()), "ok", "rotation=" + r.id() + " resumed at " + r.step().name().toLowerCase(Locale.ROOT)
                    + " after a restart; pending material is never persisted");
            return true;
        });
        if (!ok) {
            MaterialIssuer.abandon(backend, fresh, null);
            return null;
        }
        pending.put(c.id(), r.version(), fresh);
        return isVerify ? null : fresh;
    }
}
