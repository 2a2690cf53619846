package dev.rotakey.service;

import dev.rotakey.api.FleetView;
import dev.rotakey.api.IsoDurations;
import dev.rotakey.api.RecentRotationsView;
import dev.rotakey.api.RotationView;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RotationState;
import dev.rotakey.db.Store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The fleet-wide reads behind {@code GET /api/v1/fleet} and {@code GET /api/v1/rotations} (and the dashboard, which
 * shows the same figures): aggregates and bounded pages computed in the database, never the fleet loaded into memory.
 */
public final class FleetQueries {
    public static final Duration DEFAULT_SINCE = Duration.ofHours(24);
    public static final Duration MAX_SINCE = Duration.ofDays(31);
    public static final int MAX_LIMIT = 1000;

    private final Store store;
    private final Clock clock;

    public FleetQueries(Store store, Clock clock) {
        this.store = store;
        this.clock = clock;
    }

    /** The fleet in aggregate, with the {@code owners} owners that have most ACTIVE credentials (1 to 1000). */
    public FleetView fleet(int owners) {
        checkLimit("owners", owners);
        Instant now = clock.instant();
        return store.read(d -> {
            Map<String, Long> byStatus = d.fleet().credentialsByStatus();
            Map<String, Long> byOwner = d.fleet().activeCredentialsByOwner(owners);
            long ownerCount = d.fleet().ownersWithActiveCredentials();
            long active = byStatus.getOrDefault("ACTIVE", 0L);
            long listed = byOwner.values().stream().mapToLong(Long::longValue).sum();
            List<FleetView.OwnerCount> top = byOwner.entrySet().stream()
                    .map(e -> new FleetView.OwnerCount(e.getKey(), e.getValue())).toList();
            return new FleetView(byStatus, d.fleet().activeCredentialsByType(),
                    new FleetView.Owners(top, Math.max(0, ownerCount - top.size()), Math.max(0, active - listed)),
                    d.fleet().credentialsWithFailedRotation(), d.fleet().rotationsRunning(), d.fleet().overdue(now),
                    d.fleet().versionsByState());
        });
    }

    /**
     * The rotations started in the last {@code since} (an ISO-8601 duration, default PT24H, at most P31D), of one
     * {@code state} if given, FAILED first then newest first, at most {@code limit}.
     */
    public RecentRotationsView rotations(String since, String state, int limit) {
        Duration window = since(since);
        Set<RotationState> states = states(state);
        checkLimit("limit", limit);
        Instant from = clock.instant().minus(window);
        return store.read(d -> {
            Map<String, Long> counts = d.rotations().countStartedSince(from, states);
            List<RotationView> page = d.rotations().startedSince(from, states, limit).stream()
                    .map(r -> RotationView.of(r, null)).toList();
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            return new RecentRotationsView(from, counts, page, Math.max(0, total - page.size()));
        });
    }

    static Duration since(String since) {
        if (since == null || since.isBlank()) {
            return DEFAULT_SINCE;
        }
        Duration d;
        try {
            d = Duration.parse(since.trim());
        } catch (DateTimeParseException e) {
            throw RejectedException.invalid("since", "must be an ISO-8601 duration such as PT24H or P7D");
        }
        if (d.isZero() || d.isNegative()) {
            throw RejectedException.invalid("since", "must be positive");
        }
        if (d.compareTo(MAX_SINCE) > 0) {
            throw RejectedException.invalid("since", "must be at most " + IsoDurations.format(MAX_SINCE));
        }
        return d;
    }

    static Set<RotationState> states(String state) {
        if (state == null || state.isBlank()) {
            return EnumSet.allOf(RotationState.class);
        }
        try {
            return EnumSet.of(RotationState.valueOf(state.trim().toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
            throw RejectedException.invalid("state", "must be one of RUNNING, SUCCEEDED, FAILED");
        }
    }

    private static void checkLimit(String field, int n) {
        if (n < 1 || n > MAX_LIMIT) {
            throw RejectedException.invalid(field, "must be between 1 and " + MAX_LIMIT);
        }
    }
}
