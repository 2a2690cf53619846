package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.ca.CertificateSummary;
import dev.rotakey.core.CredentialVersion;

import java.time.Instant;

/**
 * A credential version as the API shows it: state and times, never material or digests; for a
 * certificate also its serial (hex) and notAfter.
 */
public record VersionView(
        int version,
        String state,
        Instant createdAt,
        Instant promotedAt,
        Instant revokeAfter,
        Instant revokedAt,
        String revokeReason,
        String revokeError,
        @JsonInclude(JsonInclude.Include.NON_NULL) String serial,
        @JsonInclude(JsonInclude.Include.NON_NULL) Instant notAfter) {

    public static VersionView of(CredentialVersion v, CertificateSummary certificate) {
        return new VersionView(v.version(), v.state().name(), v.createdAt(), v.promotedAt(), v.revokeAfter(),
                v.revokedAt(), v.revokeReason() == null ? null : v.revokeReason().name().toLowerCase(java.util.Locale.ROOT),
                v.revokeError(), certificate == null ? null : certificate.serial(),
                certificate == null ? null : certificate.notAfter());
    }
}
