package dev.rotakey.api;

import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/fleet}: the fleet in aggregate — credentials by status and (ACTIVE ones) by type and by their
 * agent's owner (the largest owners, with what the rest add up to), how many are failing, rotating or overdue, and
 * versions by state. Every figure is one SQL aggregate, whatever the fleet's size.
 *
 * @param failing  credentials whose latest finished rotation FAILED
 * @param rotating rotations running now
 * @param overdue  ACTIVE credentials whose rotation is due and not done
 */
public record FleetView(Map<String, Long> credentials, Map<String, Long> activeByType, Owners owners, long failing,
                        long rotating, long overdue, Map<String, Long> versions) {

    /** The owners with most ACTIVE credentials, and how many more owners (and their credentials) are not listed. */
    public record Owners(List<OwnerCount> top, long moreOwners, long moreCredentials) {
    }

    /** One owner's ACTIVE credentials. */
    public record OwnerCount(String owner, long credentials) {
    }
}
