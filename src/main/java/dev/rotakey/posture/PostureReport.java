package dev.rotakey.posture;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What {@code GET /api/v1/posture} answers: the fleet score, counts by severity, kind and owner, the findings (worst
 * first, at most {@code governance.posture.maxFindings} per kind) and, per kind, how many were left out.
 *
 * @param score     0-100, 100 for no findings (docs/governance.md, "Posture report")
 * @param truncated per kind, the findings not listed (the counts include them); empty when none were left out
 */
public record PostureReport(Instant generatedAt, int score, Counts counts, List<Finding> findings,
                            Map<String, Integer> truncated) {
    /**
     * The counts of the report's scope (the whole fleet, or one owner's), whatever the minimum severity listed.
     *
     * @param agents      active agents
     * @param credentials active credentials
     */
    public record Counts(int agents, int credentials, int findings, Map<String, Integer> bySeverity,
                         Map<String, Integer> byKind, Map<String, OwnerCounts> byOwner) {
    }

    /** One owner's active agents and credentials, and the findings about them. */
    public record OwnerCounts(int agents, int credentials, int findings, Map<String, Integer> bySeverity) {
    }
}
