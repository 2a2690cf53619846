package dev.rotakey.service;

import dev.rotakey.api.IsoDurations;
import dev.rotakey.api.PlanView;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.PlanDao;
import dev.rotakey.db.Store;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A dry run of the schedule: what will rotate, be revoked or expire between now (the injected clock) and
 * now + a window, so that an operator sees a storm coming. Reads the database only; changes nothing.
 */
public final class RotationPlanner {
    public static final Duration DEFAULT_WINDOW = Duration.ofHours(24);
    public static final Duration MAX_WINDOW = Duration.ofDays(366);
    public static final int DEFAULT_LIMIT = 100;
    public static final int MAX_LIMIT = 1000;

    /** Whether the kill switch holds scheduled work: {@code QuartzWorkScheduler::paused} in the daemon. */
    @FunctionalInterface
    public interface PauseState {
        boolean paused() throws Exception;
    }

    private final Store store;
    private final Clock clock;
    private final PauseState pause;

    public RotationPlanner(Store store, Clock clock, PauseState pause) {
        this.store = store;
        this.clock = clock;
        this.pause = pause;
    }

    /**
     * The window a request asks for: an ISO-8601 duration ({@code PT24H}, {@code P7D}), positive and at
     * most {@code P366D}; {@code null} or blank means {@link #DEFAULT_WINDOW}.
     */
    public static Duration window(String within) {
        if (within == null || within.isBlank()) {
            return DEFAULT_WINDOW;
        }
        Duration d;
        try {
            d = Duration.parse(within.trim());
        } catch (DateTimeParseException e) {
            throw RejectedException.invalid("within", "must be an ISO-8601 duration such as PT24H or P7D");
        }
        if (d.isZero() || d.isNegative()) {
            throw RejectedException.invalid("within", "must be positive");
        }
        if (d.compareTo(MAX_WINDOW) > 0) {
            throw RejectedException.invalid("within", "must be at most " + IsoDurations.format(MAX_WINDOW));
        }
        return d;
    }

    /**
     * The plan for the coming {@code within} (see {@link #window}), at most {@code limit} items of each kind;
     * the answer echoes {@code within} as written.
     */
    public PlanView plan(String within, int limit) {
        Duration window = window(within);
        String label = within == null || within.isBlank() ? DEFAULT_WINDOW.toString() : within.trim();
        if (limit < 1 || limit > MAX_LIMIT) {
            throw RejectedException.invalid("limit", "must be between 1 and " + MAX_LIMIT);
        }
        boolean paused;
        try {
            paused = pause.paused();
        } catch (Exception e) {
            throw new IllegalStateException("cannot tell whether rotations are paused: " + e.getMessage(), e);
        }
        Instant from = clock.instant();
        Instant to = from.plus(window);
        return store.read(d -> {
            PlanDao plan = d.plan();
            PlanView.Section<PlanDao.PlannedRotation> overdue = new PlanView.Section<>(
                    plan.countOverdueRotations(from), plan.overdueRotations(from, limit));
            PlanView.Section<PlanDao.PlannedRevocation> overdueRevocations = new PlanView.Section<>(
                    plan.countOverdueRevocations(from), plan.overdueRevocations(from, limit));
            PlanView.Section<PlanDao.PlannedRotation> rotations = new PlanView.Section<>(
                    plan.countRotations(from, to), plan.rotations(from, to, limit));
            PlanView.Section<PlanDao.PlannedRevocation> revocations = new PlanView.Section<>(
                    plan.countRevocations(from, to), plan.revocations(from, to, limit));

            List<PlanView.Expiry> expiring = new ArrayList<>();
            plan.certificateExpiries(from, to, limit).forEach(c -> expiring.add(PlanView.Expiry.of(c)));
            plan.agentExpiries(from, to, limit).forEach(a -> expiring.add(PlanView.Expiry.of(a)));
            Map<Long, Long> caByHour = new TreeMap<>();
            long caCount = 0;
            for (PlanDao.CaGeneration g : plan.caGenerationsInUse()) {
                Instant notAfter = notAfter(g);
                if (!notAfter.isBefore(from) && !notAfter.isAfter(to)) {
                    expiring.add(PlanView.Expiry.ofCa(g.name(), g.generation(), notAfter));
                    caByHour.merge(Math.floorDiv(notAfter.getEpochSecond(), 3600), 1L, Long::sum);
                    caCount++;
                }
            }
            expiring.sort(Comparator.comparing(PlanView.Expiry::at));
            long expiryCount = plan.countCertificateExpiries(from, to) + plan.countAgentExpiries(from, to) + caCount;
            PlanView.Section<PlanView.Expiry> expiries = new PlanView.Section<>(expiryCount,
                    List.copyOf(expiring.subList(0, Math.min(limit, expiring.size()))));

            TreeMap<Long, long[]> hours = new TreeMap<>();
            add(hours, plan.rotationsByHour(from, to), 0);
            add(hours, plan.revocationsByHour(from, to), 1);
            add(hours, plan.certificateExpiriesByHour(from, to), 2);
            add(hours, plan.agentExpiriesByHour(from, to), 2);
            add(hours, caByHour, 2);
            List<PlanView.Hour> byHour = hours.entrySet().stream()
                    .map(e -> new PlanView.Hour(Instant.ofEpochSecond(e.getKey() * 3600), e.getValue()[0],
                            e.getValue()[1], e.getValue()[2]))
                    .toList();

            boolean truncated = overdue.truncated() || overdueRevocations.truncated() || rotations.truncated()
                    || revocations.truncated() || expiries.truncated();
            return new PlanView(from, to, label, paused, overdue, overdueRevocations, rotations,
                    revocations, expiries, byHour, truncated);
        });
    }

    private static void add(TreeMap<Long, long[]> hours, Map<Long, Long> counts, int column) {
        counts.forEach((hour, n) -> hours.computeIfAbsent(hour, k -> new long[3])[column] += n);
    }

    private static Instant notAfter(PlanDao.CaGeneration g) {
        try {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(
                    new ByteArrayInputStream(g.certificatePem().getBytes(StandardCharsets.US_ASCII)));
            return cert.getNotAfter().toInstant();
        } catch (CertificateException e) {
            throw new IllegalStateException("stored certificate of CA " + g.name() + " generation " + g.generation()
                    + " does not parse: " + e.getMessage(), e);
        }
    }
}
