package dev.rotakey.api;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/rotations?since=PT24H}: the fleet's rotations started since {@code since}, with exact counts by
 * state and the first {@code limit} of them, FAILED first and then newest first; {@code more} is how many were left out.
 */
public record RecentRotationsView(Instant since, Map<String, Long> counts, List<RotationView> rotations, long more) {
}
