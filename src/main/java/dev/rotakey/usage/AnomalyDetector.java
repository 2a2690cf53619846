package dev.rotakey.usage;

import dev.rotakey.core.VersionState;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * Decides, from counts alone, whether a credential's use is anomalous: pure functions of the telemetry's numbers, the
 * configured thresholds and the instant given, so that tests drive them with synthetic traffic and a fixed clock.
 */
public final class AnomalyDetector {
    /**
     * The lowest baseline, in uses per hour: a credential used once a week has a mean near zero, and any use would be
     * "ten times" it. With {@code spikeMinimumUses} this keeps rare credentials quiet.
     */
    public static final double BASELINE_FLOOR = 1.0;

    /** Whose credential it is, as every anomaly names it. */
    public record Whose(String credentialId, int version, String agentId, String owner) {
    }

    private final double spikeFactor;
    private final long spikeMinimumUses;
    private final Duration baselineWindow;
    private final Duration learningPeriod;
    private final Duration previousWarning;

    public AnomalyDetector(UsageFactory config) {
        this.spikeFactor = config.getSpikeFactor();
        this.spikeMinimumUses = config.getSpikeMinimumUses();
        this.baselineWindow = config.getBaselineWindow();
        this.learningPeriod = config.getLearningPeriod();
        this.previousWarning = config.getPreviousWarning();
    }

    /**
     * Whether a credential first used at {@code firstUsedAt} (null: never before) is still learning at {@code now}: its
     * services, networks and hourly uses are recorded, but raise no anomaly.
     */
    public boolean learning(Instant firstUsedAt, Instant now) {
        return firstUsedAt == null || firstUsedAt.plus(learningPeriod).isAfter(now);
    }

    /** Where the baseline of the hour starting at {@code hourStart} begins: {@code baselineWindow} before it. */
    public Instant baselineFrom(Instant hourStart) {
        return hourStart.minus(baselineWindow);
    }

    /**
     * The baseline of the hour starting at {@code hourStart}: the mean uses per hour over the complete hours of the
     * baseline window before it, counting only the hours since the credential's first use (a credential first used
     * three days ago is averaged over three days, not fourteen), and at least {@link #BASELINE_FLOOR}.
     *
     * @param usesInWindow the uses counted from {@link #baselineFrom} up to {@code hourStart}
     */
    public double baseline(long usesInWindow, Instant firstUsedAt, Instant hourStart) {
        Instant from = baselineFrom(hourStart);
        if (firstUsedAt != null) {
            Instant firstHour = firstUsedAt.truncatedTo(ChronoUnit.HOURS);
            if (firstHour.isAfter(from)) {
                from = firstHour;
            }
        }
        long hours = Math.max(1, Duration.between(from, hourStart).toHours());
        return Math.max(BASELINE_FLOOR, (double) usesInWindow / hours);
    }

    /**
     * A spike in the hour starting at {@code hourStart} (so far, or complete): more than {@code spikeFactor} times the
     * baseline and at least {@code spikeMinimumUses}; empty while the credential learns.
     */
    public Optional<Anomaly> spike(Whose w, Instant hourStart, long usesInHour, long usesInWindow, Instant firstUsedAt,
                                   Instant now) {
        if (learning(firstUsedAt, now) || usesInHour < spikeMinimumUses) {
            return Optional.empty();
        }
        double baseline = baseline(usesInWindow, firstUsedAt, hourStart);
        if (usesInHour <= spikeFactor * baseline) {
            return Optional.empty();
        }
        return Optional.of(new Anomaly(w.credentialId(), w.version(), w.agentId(), w.owner(), AnomalyKind.SPIKE,
                hourStart.toString(), String.format(java.util.Locale.ROOT,
                "%d uses in the hour from %s, %.1f times its baseline of %.2f uses/hour (threshold %s times, at least %d)",
                usesInHour, hourStart, usesInHour / baseline, baseline, spikeFactor, spikeMinimumUses), now));
    }

    /**
     * A relying service or source network never seen before, once the credential has learnt its usual ones; empty
     * while it learns.
     */
    public Optional<Anomaly> newValue(Whose w, AnomalyKind kind, String value, Instant firstUsedAt, Instant now) {
        if (learning(firstUsedAt, now)) {
            return Optional.empty();
        }
        String what = kind == AnomalyKind.NEW_SERVICE ? "relying service" : "source network";
        return Optional.of(new Anomaly(w.credentialId(), w.version(), w.agentId(), w.owner(), kind, value,
                "first use by " + what + " " + value + " (first used " + firstUsedAt + ")", now));
    }

    /**
     * Whether a use is an allowed use of a PREVIOUS version whose revocation is less than {@code previousWarning} away:
     * a consumer that has not switched to the current version. Cheap: called for every use.
     */
    public boolean previousLate(CredentialUse use) {
        return use.allowed() && use.state() == VersionState.PREVIOUS && use.revokeAfter() != null
                && use.at().plus(previousWarning).isAfter(use.revokeAfter());
    }

    /** The anomaly of a PREVIOUS version last presented at {@code lastAt}, to be revoked at {@code revokeAfter}. */
    public Anomaly previousLate(Whose w, String service, Instant lastAt, Instant revokeAfter, Instant now) {
        return new Anomaly(w.credentialId(), w.version(), w.agentId(), w.owner(), AnomalyKind.PREVIOUS_LATE,
                "v" + w.version(), "version " + w.version() + " (PREVIOUS) was still presented at " + lastAt
                + (service == null ? "" : " by " + service) + ", its revocation is due at " + revokeAfter
                + ": a consumer has not switched to the current version", now);
    }
}
