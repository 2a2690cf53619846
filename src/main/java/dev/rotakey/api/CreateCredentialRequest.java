package dev.rotakey.api;

import java.util.List;
import java.util.Map;

/**
 * Body of {@code POST /api/v1/credentials}, as DESIGN.md shows it. Each target binding is an
 * object with {@code target} (the target's name) and the binding's own parameters.
 */
public record CreateCredentialRequest(
        String id,
        String agent,
        String type,
        String backend,
        RotationSpec rotation,
        String gracePeriod,
        List<Map<String, String>> targets) {

    /** Exactly one of an ISO-8601 interval or a Quartz cron expression (UTC). */
    public record RotationSpec(String every, String cron) {
    }
}
