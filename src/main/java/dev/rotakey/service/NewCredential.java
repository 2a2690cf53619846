package dev.rotakey.service;

import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * What {@link CredentialService#create} is asked to create: the fields as given, unchecked (the service
 * validates every one before anything is generated); also the JSON body of {@code POST /api/v1/credentials}.
 * Each target binding is a map with {@code target} and
 * the binding's own parameters. The fields from {@code ca} on apply to certificates only; {@code consumers}
 * and {@code maxGracePeriod} to {@code revokeWhen: acknowledged} only; {@code scopes} are returned by the verify
 * endpoint for the relying services' least-privilege checks; {@code import} brings an existing secret under
 * management as version 1 (api-key and password). Its {@code toString} never shows an imported secret.
 */
public record NewCredential(
        String id,
        String agent,
        String type,
        String backend,
        RotationSpec rotation,
        String gracePeriod,
        List<Map<String, String>> targets,
        String ca,
        String keySpec,
        String validity,
        Double renewAt,
        List<String> dnsNames,
        List<String> uris,
        String keyCustody,
        Integer length,
        String alphabet,
        String revokeWhen,
        List<String> consumers,
        String maxGracePeriod,
        List<String> scopes,
        @JsonProperty("import") ImportSpec imported) {

    /** A credential with nothing imported: its version 1 is generated. */
    public NewCredential(String id, String agent, String type, String backend, RotationSpec rotation,
                         String gracePeriod, List<Map<String, String>> targets, String ca, String keySpec,
                         String validity, Double renewAt, List<String> dnsNames, List<String> uris,
                         String keyCustody, Integer length, String alphabet, String revokeWhen,
                         List<String> consumers, String maxGracePeriod, List<String> scopes) {
        this(id, agent, type, backend, rotation, gracePeriod, targets, ca, keySpec, validity, renewAt, dnsNames, uris,
                keyCustody, length, alphabet, revokeWhen, consumers, maxGracePeriod, scopes, null);
    }

    /** A credential without scopes. */
    public NewCredential(String id, String agent, String type, String backend, RotationSpec rotation,
                         String gracePeriod, List<Map<String, String>> targets, String ca, String keySpec,
                         String validity, Double renewAt, List<String> dnsNames, List<String> uris,
                         String keyCustody, Integer length, String alphabet, String revokeWhen,
                         List<String> consumers, String maxGracePeriod) {
        this(id, agent, type, backend, rotation, gracePeriod, targets, ca, keySpec, validity, renewAt, dnsNames, uris,
                keyCustody, length, alphabet, revokeWhen, consumers, maxGracePeriod, null);
    }

    /** An API-key credential. */
    public NewCredential(String id, String agent, String type, String backend, RotationSpec rotation,
                         String gracePeriod, List<Map<String, String>> targets) {
        this(id, agent, type, backend, rotation, gracePeriod, targets, null, null, null, null, null, null, null);
    }

    /** A credential without password fields. */
    public NewCredential(String id, String agent, String type, String backend, RotationSpec rotation,
                         String gracePeriod, List<Map<String, String>> targets, String ca, String keySpec,
                         String validity, Double renewAt, List<String> dnsNames, List<String> uris,
                         String keyCustody) {
        this(id, agent, type, backend, rotation, gracePeriod, targets, ca, keySpec, validity, renewAt, dnsNames, uris,
                keyCustody, null, null);
    }

    /** A credential revoked on grace alone. */
    public NewCredential(String id, String agent, String type, String backend, RotationSpec rotation,
                         String gracePeriod, List<Map<String, String>> targets, String ca, String keySpec,
                         String validity, Double renewAt, List<String> dnsNames, List<String> uris,
                         String keyCustody, Integer length, String alphabet) {
        this(id, agent, type, backend, rotation, gracePeriod, targets, ca, keySpec, validity, renewAt, dnsNames, uris,
                keyCustody, length, alphabet, null, null, null);
    }

    /**
     * Exactly one of an ISO-8601 interval, a Quartz cron expression (UTC), or {@code manual: true} (never scheduled,
     * rotated only when an operator asks).
     */
    public record RotationSpec(String every, String cron, Boolean manual) {
        /** An interval or a cron expression. */
        public RotationSpec(String every, String cron) {
            this(every, cron, null);
        }
    }

    /**
     * {@code "import": {"secret": "…"}}: version 1 is this existing secret, already at the targets, instead of a
     * generated one. Its {@code toString} never shows it.
     */
    public record ImportSpec(String secret) {
        @Override
        public String toString() {
            return "ImportSpec[secret=(redacted)]";
        }
    }
}
