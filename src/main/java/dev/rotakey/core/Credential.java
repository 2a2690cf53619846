package dev.rotakey.core;

import dev.rotakey.targets.TargetBinding;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One secret an agent uses, with its rotation policy, grace period, key backend and target bindings;
 * a certificate credential also has its {@link CertificateProfile}, a password credential its
 * {@link PasswordPolicy} (each null for the other types); a credential that waits for its consumers
 * before revoking has its {@link AcknowledgementPolicy} (null otherwise). Its {@code scopes} (see {@link CredentialScopes})
 * are what the verify endpoint tells relying services the credential may do. A credential retired on its own
 * ({@code DELETE /api/v1/credentials/{id}}) is DECOMMISSIONED with {@code retiredAt} and {@code retiredBy} set.
 */
public record Credential(
        String id,
        String agentId,
        CredentialType type,
        String backend,
        RotationPolicy policy,
        Duration gracePeriod,
        List<TargetBinding> bindings,
        CredentialStatus status,
        Instant nextRotationAt,
        Instant createdAt,
        Instant decommissionedAt,
        CertificateProfile certificate,
        PasswordPolicy password,
        AcknowledgementPolicy acknowledgements,
        List<String> scopes,
        Instant retiredAt,
        String retiredBy) {

    public Credential {
        bindings = List.copyOf(bindings);
        scopes = scopes == null ? List.of() : List.copyOf(scopes);
        if ((type == CredentialType.CERTIFICATE) != (certificate != null)) {
            throw new IllegalArgumentException("a certificate profile goes with, and only with, type certificate");
        }
        if ((type == CredentialType.PASSWORD) != (password != null)) {
            throw new IllegalArgumentException("a password policy goes with, and only with, type password");
        }
    }

    /** A credential that was not retired on its own. */
    public Credential(String id, String agentId, CredentialType type, String backend, RotationPolicy policy,
                      Duration gracePeriod, List<TargetBinding> bindings, CredentialStatus status,
                      Instant nextRotationAt, Instant createdAt, Instant decommissionedAt,
                      CertificateProfile certificate, PasswordPolicy password, AcknowledgementPolicy acknowledgements,
                      List<String> scopes) {
        this(id, agentId, type, backend, policy, gracePeriod, bindings, status, nextRotationAt, createdAt,
                decommissionedAt, certificate, password, acknowledgements, scopes, null, null);
    }

    /** A credential without scopes. */
    public Credential(String id, String agentId, CredentialType type, String backend, RotationPolicy policy,
                      Duration gracePeriod, List<TargetBinding> bindings, CredentialStatus status,
                      Instant nextRotationAt, Instant createdAt, Instant decommissionedAt,
                      CertificateProfile certificate, PasswordPolicy password, AcknowledgementPolicy acknowledgements) {
        this(id, agentId, type, backend, policy, gracePeriod, bindings, status, nextRotationAt, createdAt,
                decommissionedAt, certificate, password, acknowledgements, List.of());
    }

    /** A credential revoked on grace alone ({@code revokeWhen: grace}). */
    public Credential(String id, String agentId, CredentialType type, String backend, RotationPolicy policy,
                      Duration gracePeriod, List<TargetBinding> bindings, CredentialStatus status,
                      Instant nextRotationAt, Instant createdAt, Instant decommissionedAt,
                      CertificateProfile certificate, PasswordPolicy password) {
        this(id, agentId, type, backend, policy, gracePeriod, bindings, status, nextRotationAt, createdAt,
                decommissionedAt, certificate, password, null);
    }

    /** A credential without a password policy (an API key or a certificate). */
    public Credential(String id, String agentId, CredentialType type, String backend, RotationPolicy policy,
                      Duration gracePeriod, List<TargetBinding> bindings, CredentialStatus status,
                      Instant nextRotationAt, Instant createdAt, Instant decommissionedAt,
                      CertificateProfile certificate) {
        this(id, agentId, type, backend, policy, gracePeriod, bindings, status, nextRotationAt, createdAt,
                decommissionedAt, certificate, null, null);
    }

    /** A credential without a certificate profile or password policy (an API key). */
    public Credential(String id, String agentId, CredentialType type, String backend, RotationPolicy policy,
                      Duration gracePeriod, List<TargetBinding> bindings, CredentialStatus status,
                      Instant nextRotationAt, Instant createdAt, Instant decommissionedAt) {
        this(id, agentId, type, backend, policy, gracePeriod, bindings, status, nextRotationAt, createdAt,
                decommissionedAt, null, null, null);
    }

    public enum CredentialStatus {
        ACTIVE, DECOMMISSIONED
    }

    /** How superseded versions wait before revocation: {@link RevokeWhen#ACKNOWLEDGED} when consumers are expected. */
    public RevokeWhen revokeWhen() {
        return acknowledgements == null ? RevokeWhen.GRACE : RevokeWhen.ACKNOWLEDGED;
    }

    public boolean active() {
        return status == CredentialStatus.ACTIVE;
    }

    /** Whether it was retired on its own rather than decommissioned with its agent. */
    public boolean retired() {
        return retiredAt != null;
    }
}
