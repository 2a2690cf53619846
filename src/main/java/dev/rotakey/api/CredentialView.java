package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.ca.CertificateSummary;
import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.Credential;
import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.targets.Login;
import dev.rotakey.targets.TargetBinding;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A credential with its versions and latest rotation, as the API shows it; a certificate credential
 * also has its profile, a password credential its length and alphabet, under the same names as the
 * request's fields; a credential that waits for acknowledgements its consumers and, when a forced
 * revocation left some unacknowledged, {@code acknowledgementOverdue}. The rotation is {@code {"every": …}},
 * {@code {"cron": …}} or {@code {"manual": true}}; a retired credential shows {@code retiredAt} and {@code retiredBy}.
 */
public record CredentialView(
        String id,
        String agent,
        String type,
        String backend,
        Map<String, Object> rotation,
        String gracePeriod,
        List<Map<String, String>> targets,
        String status,
        Instant nextRotationAt,
        Instant createdAt,
        Integer currentVersion,
        List<VersionView> versions,
        RotationView lastRotation,
        @JsonInclude(JsonInclude.Include.NON_NULL) String ca,
        @JsonInclude(JsonInclude.Include.NON_NULL) String keySpec,
        @JsonInclude(JsonInclude.Include.NON_NULL) String validity,
        @JsonInclude(JsonInclude.Include.NON_NULL) Double renewAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<String> dnsNames,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<String> uris,
        @JsonInclude(JsonInclude.Include.NON_NULL) String keyCustody,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer length,
        @JsonInclude(JsonInclude.Include.NON_NULL) String alphabet,
        @JsonInclude(JsonInclude.Include.NON_NULL) String revokeWhen,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<String> consumers,
        @JsonInclude(JsonInclude.Include.NON_NULL) String maxGracePeriod,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<String> acknowledgementOverdue,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> scopes,
        @JsonInclude(JsonInclude.Include.NON_NULL) Instant retiredAt,
        @JsonInclude(JsonInclude.Include.NON_NULL) String retiredBy) {

    public static CredentialView of(Credential c, List<CredentialVersion> versions,
                                    Map<Integer, CertificateSummary> certificates, RotationView lastRotation) {
        return of(c, versions, certificates, lastRotation, null);
    }

    /**
     * @param acknowledgementOverdue the consumers that had not acknowledged when the maximum grace period
     *                               forced a revocation (null or empty: nothing overdue)
     */
    public static CredentialView of(Credential c, List<CredentialVersion> versions,
                                    Map<Integer, CertificateSummary> certificates, RotationView lastRotation,
                                    List<String> acknowledgementOverdue) {
        return of(c, versions, certificates, lastRotation, acknowledgementOverdue, Map.of());
    }

    /**
     * @param logins by version, the user name each version logs in with at the bindings that decide it (see
     *               {@code BindingRecords}); versions without one are left out
     */
    public static CredentialView of(Credential c, List<CredentialVersion> versions,
                                    Map<Integer, CertificateSummary> certificates, RotationView lastRotation,
                                    List<String> acknowledgementOverdue, Map<Integer, List<Login>> logins) {
        AcknowledgementPolicy acks = c.acknowledgements();
        CertificateProfile p = c.certificate();
        PasswordPolicy pw = c.password();
        Map<String, Object> rotation = new LinkedHashMap<>();
        if (c.policy().manual()) {
            rotation.put("manual", true);
        } else if (c.policy().every() != null) {
            rotation.put("every", IsoDurations.format(c.policy().every()));
        } else {
            rotation.put("cron", c.policy().cron());
        }
        List<Map<String, String>> targets = new ArrayList<>();
        for (TargetBinding b : c.bindings()) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("target", b.target());
            m.putAll(b.params());
            targets.add(m);
        }
        Integer current = versions.stream().filter(v -> v.state() == dev.rotakey.core.VersionState.CURRENT)
                .map(CredentialVersion::version).findFirst().orElse(null);
        return new CredentialView(c.id(), c.agentId(), c.type().wireName(), c.backend(), rotation,
                IsoDurations.format(c.gracePeriod()), targets, status(c), c.nextRotationAt(),
                c.createdAt(), current, versions.stream()
                        .map(v -> VersionView.of(v, certificates.get(v.version()), logins.getOrDefault(v.version(), List.of())))
                        .toList(),
                lastRotation,
                p == null ? null : p.ca(),
                p == null ? null : p.keySpec().name(),
                p == null ? null : IsoDurations.format(p.validity()),
                p == null ? null : p.renewAt(),
                p == null ? null : p.dnsNames(),
                p == null ? null : p.uris(),
                p == null ? null : p.keyCustody().wireName(),
                pw == null ? null : pw.length(),
                pw == null ? null : pw.alphabet(),
                // revokeWhen is shown only when it is not the default, like the other optional fields.
                acks == null ? null : c.revokeWhen().wireName(),
                acks == null ? null : acks.consumers(),
                acks == null ? null : IsoDurations.format(acks.maxGracePeriod()),
                acknowledgementOverdue == null || acknowledgementOverdue.isEmpty() ? null : List.copyOf(acknowledgementOverdue),
                c.scopes(),
                c.retiredAt(),
                c.retiredBy());
    }

    /** {@code active}, {@code decommissioned} (with its agent), or {@code retired} (on its own). */
    static String status(Credential c) {
        return c.retired() ? "retired" : c.status().name().toLowerCase(Locale.ROOT);
    }
}
