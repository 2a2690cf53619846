package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.ca.CertificateSummary;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.targets.Login;

import java.time.Instant;
import java.util.List;

/**
 * A credential version as the API shows it: state and times, never material or digests; for a
 * certificate also its serial (hex) and notAfter; where a binding decides the user name the version logs in
 * with (a PostgreSQL login role), {@code logins} names it per target.
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
        @JsonInclude(JsonInclude.Include.NON_NULL) Instant notAfter,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<Login> logins) {

    public static VersionView of(CredentialVersion v, CertificateSummary certificate) {
        return of(v, certificate, List.of());
    }

    public static VersionView of(CredentialVersion v, CertificateSummary certificate, List<Login> logins) {
        return new VersionView(v.version(), v.state().name(), v.createdAt(), v.promotedAt(), v.revokeAfter(),
                v.revokedAt(), v.revokeReason() == null ? null : v.revokeReason().name().toLowerCase(java.util.Locale.ROOT),
                v.revokeError(), certificate == null ? null : certificate.serial(),
                certificate == null ? null : certificate.notAfter(), logins == null ? List.of() : List.copyOf(logins));
    }
}
