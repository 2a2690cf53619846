package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.BackendStatus;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.Secret;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Brings an existing secret under management ({@code "import": {"secret": …}} on creation): each bound target is
 * asked to verify that it already accepts the secret, nothing is delivered, and only the secret's digest is stored,
 * as version 1 CURRENT; the normal schedule then replaces it like any version.
 */
final class CredentialImport {
    /** Longer than any API key or password Rotakey makes; a bound on what is digested and sent to targets. */
    static final int MAX_SECRET = 4096;

    private final Store store;
    private final KeyBackends backends;
    private final Targets targets;
    private final AuditLog audit;
    private final BindingClaims claims;
    private final BindingRecords records;
    private final ScheduleCalculator schedule;
    private final Clock clock;

    CredentialImport(Store store, KeyBackends backends, Targets targets, AuditLog audit, BindingClaims claims,
                     BindingRecords records, ScheduleCalculator schedule, Clock clock) {
        this.store = store;
        this.backends = backends;
        this.targets = targets;
        this.audit = audit;
        this.claims = claims;
        this.records = records;
        this.schedule = schedule;
        this.clock = clock;
    }

    /** The {@code import} field's checks that come before anything else about the credential. */
    static void checkRequest(NewCredential req, CredentialType type) {
        String secret = req.imported().secret();
        if (type == CredentialType.CERTIFICATE) {
            throw RejectedException.invalid("import", "is supported for \"type\": \"api-key\" and \"password\" only; a "
                    + "certificate credential is issued by Rotakey's CA");
        }
        if (secret == null || secret.isEmpty()) {
            throw RejectedException.invalid("import.secret", "is required: the existing secret, as its targets hold it");
        }
        if (secret.length() > MAX_SECRET) {
            throw RejectedException.invalid("import.secret", "is longer than " + MAX_SECRET + " characters");
        }
    }

    /**
     * Creates {@code c} (validated) with version 1 = {@code secret}, once every target accepts it.
     *
     * @return the credential as stored, with its next rotation
     * @throws RejectedException 422 {@code import.secret} when a target does not accept the secret (nothing stored);
     *                           the same refusals as a creation otherwise
     */
    Credential create(Credential validated, String secretText, String actor) {
        List<BindingClaims.Claim> wanted = claims.of(validated.bindings());
        KeyBackend backend = backends.get(validated.backend());
        BackendStatus status = backend.status();
        if (!status.healthy()) {
            throw new KeyBackendUnavailableException("key backend '" + validated.backend() + "' is unavailable: "
                    + status.message());
        }
        Secret secret = Secret.of(secretText);
        try {
            byte[] utf8 = secret.utf8();
            String digest;
            try {
                digest = MaterialDigests.digest(backend, utf8);
            } finally {
                java.util.Arrays.fill(utf8, (byte) 0);
            }
            IssuedMaterial material = new IssuedMaterial(secret, digest, backend.hmacKeyId());
            // Checked before anything is stored: a secret a target refuses would be a version 1 nobody can use.
            List<Delivery> deliveries = records.firstDeliveries(validated, 1, material, null);
            List<String> references = new ArrayList<>();
            for (int i = 0; i < deliveries.size(); i++) {
                Delivery d = deliveries.get(i);
                try {
                    targets.get(d.binding().target()).verify(d);
                    references.add(targets.get(d.binding().target()).materialReference(d));
                } catch (RuntimeException e) {
                    // The target's message, never the secret (targets do not put material in messages) nor a class name.
                    throw RejectedException.invalid("import.secret", "target '" + d.binding().target() + "' (targets["
                            + i + "]) does not accept the imported secret: " + (e.getMessage() == null
                            ? "verification failed" : e.getMessage()) + "; nothing was stored");
                }
            }
            Instant now = clock.instant();
            Credential c = new Credential(validated.id(), validated.agentId(), validated.type(), validated.backend(),
                    validated.policy(), validated.gracePeriod(), validated.bindings(), validated.status(),
                    schedule.nextDue(validated, now), validated.createdAt(), null, validated.certificate(),
                    validated.password(), validated.acknowledgements(), validated.scopes());
            CredentialVersion v1 = new CredentialVersion(c.id(), 1, VersionState.CURRENT, digest, backend.hmacKeyId(),
                    null, now, now, null, null, null, 0, null);
            store.txRun(tx -> {
                NewCredentialRows.insert(tx, c, claims, wanted);
                tx.versions().insert(v1);
                BindingRecords.addReferences(tx, c.id(), 1, references);
                BindingRecords.delivered(tx, c, 1, now);
                BindingRecords.verified(tx, c, 1, now);
                audit.record(tx, actor, AuditAction.CREDENTIAL_IMPORTED, AuditSubject.credential(c.id()), "ok",
                        "agent=" + c.agentId() + " type=" + c.type().wireName() + " backend=" + c.backend()
                                + " targets=" + c.bindings().stream().map(TargetBinding::target).toList()
                                + " version=1 (existing secret, verified at every target, digest only kept)"
                                + " nextRotationAt=" + c.nextRotationAt());
            });
            return c;
        } finally {
            secret.destroy();
        }
    }
}
