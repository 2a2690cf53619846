package dev.rotakey.api;

import java.util.List;
import java.util.Map;

/**
 * Body of {@code POST /api/v1/credentials}, as docs/design.md shows it. Each target binding is an
 * object with {@code target} (the target's name) and the binding's own parameters. The fields
 * from {@code ca} on apply to {@code "type": "certificate"} only; {@code consumers} and
 * {@code maxGracePeriod} to {@code "revokeWhen": "acknowledged"} only.
 */
public record CreateCredentialRequest(
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
        String maxGracePeriod) {

    /** Exactly one of an ISO-8601 interval or a Quartz cron expression (UTC). */
    public record RotationSpec(String every, String cron) {
    }
}
