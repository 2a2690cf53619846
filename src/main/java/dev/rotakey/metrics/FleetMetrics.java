package dev.rotakey.metrics;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.Credential;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.FleetDao;
import dev.rotakey.db.Store;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The state of the whole fleet as Prometheus gauges: credentials and versions by state, failures
 * outstanding, the earliest and overdue rotations, certificate and CA expiry, the scheduler's kill
 * switch and the key backends' health. The database figures come from one set of aggregate queries
 * run at most once per refresh interval, however often and however many Prometheus servers scrape.
 */
public final class FleetMetrics {
    private static final Logger LOG = LoggerFactory.getLogger(FleetMetrics.class);
    /** At most this many credentials get their own series when per-credential series are on. */
    public static final int MAX_CREDENTIAL_SERIES = 100_000;

    /** One refresh's figures; absent optionals and empty maps give no sample. */
    record Snapshot(Map<String, Long> credentials, Map<String, Long> versions, long credentialsFailed,
                    long revocationsFailed, Optional<Instant> nextRotation, long overdue,
                    Optional<Instant> oldestOverdue, Optional<Instant> lastSuccess,
                    Map<String, Instant> certificateExpiry, List<CaExpiry> caExpiry, Optional<Boolean> paused,
                    List<FleetDao.CredentialSchedule> perCredential) {
    }

    /** The notAfter of one CA generation's own certificate. */
    record CaExpiry(String ca, int generation, Instant notAfter) {
    }

    private final Store store;
    private final Callable<Boolean> schedulerPaused;
    private final Clock clock;
    private final Duration overdueAfter;
    private final Duration refreshInterval;
    private final boolean perCredentialSeries;
    /** A CA generation's certificate never changes: parsed once. */
    private final Map<String, Instant> caNotAfter = new ConcurrentHashMap<>();
    private Snapshot snapshot;
    private Instant lastAttempt;

    /**
     * @param schedulerPaused whether the scheduler's kill switch is on (asked once per refresh)
     * @param overdueAfter the alerting section's tolerance: due longer ago than this is overdue
     * @param perCredentialSeries whether each credential gets its own series (off by default: cardinality)
     */
    public FleetMetrics(PrometheusRegistry registry, Store store, KeyBackends backends, Callable<Boolean> schedulerPaused,
                        Clock clock, Duration overdueAfter, Duration refreshInterval, boolean perCredentialSeries) {
        this.store = store;
        this.schedulerPaused = schedulerPaused;
        this.clock = clock;
        this.overdueAfter = overdueAfter;
        this.refreshInterval = refreshInterval;
        this.perCredentialSeries = perCredentialSeries;

        gauge(registry, "rotakey_credentials", "Credentials by status (active, decommissioned)", s -> cb -> {
            for (Credential.CredentialStatus st : Credential.CredentialStatus.values()) {
                cb.call(s.credentials().getOrDefault(st.name(), 0L), st.name().toLowerCase(Locale.ROOT));
            }
        }, "state");
        gauge(registry, "rotakey_credential_versions", "Credential versions by state", s -> cb -> {
            for (VersionState st : VersionState.values()) {
                cb.call(s.versions().getOrDefault(st.name(), 0L), st.name().toLowerCase(Locale.ROOT));
            }
        }, "state");
        gauge(registry, "rotakey_credentials_failed", "Credentials whose latest rotation FAILED",
                s -> cb -> cb.call(s.credentialsFailed()));
        gauge(registry, "rotakey_revocations_failed",
                "Superseded versions whose removal from a target failed and is outstanding",
                s -> cb -> cb.call(s.revocationsFailed()));
        gauge(registry, "rotakey_next_rotation_timestamp_seconds",
                "Earliest next rotation of an active credential (in the past while one is due)",
                s -> cb -> s.nextRotation().ifPresent(at -> cb.call(epochSeconds(at))));
        gauge(registry, "rotakey_credentials_overdue",
                "Active credentials whose rotation was due longer ago than alerting.overdueAfter",
                s -> cb -> cb.call(s.overdue()));
        gauge(registry, "rotakey_oldest_overdue_rotation_timestamp_seconds",
                "When the rotation of the longest-overdue credential was due; no sample while none is overdue",
                s -> cb -> s.oldestOverdue().ifPresent(at -> cb.call(epochSeconds(at))));
        gauge(registry, "rotakey_last_successful_rotation_timestamp_seconds",
                "When the latest successful rotation finished",
                s -> cb -> s.lastSuccess().ifPresent(at -> cb.call(epochSeconds(at))));
        gauge(registry, "rotakey_certificate_earliest_expiry_timestamp_seconds",
                "Earliest notAfter among the current certificates issued by each CA", s -> cb ->
                        s.certificateExpiry().forEach((ca, at) -> cb.call(epochSeconds(at), ca)), "ca");
        gauge(registry, "rotakey_ca_certificate_expiry_timestamp_seconds",
                "notAfter of the certificate of each ACTIVE or RETIRING CA generation", s -> cb -> {
                    for (CaExpiry e : s.caExpiry()) {
                        cb.call(epochSeconds(e.notAfter()), e.ca(), Integer.toString(e.generation()));
                    }
                }, "ca", "generation");
        gauge(registry, "rotakey_scheduler_paused", "1 while the scheduler's kill switch is on (pause-rotations)",
                s -> cb -> s.paused().ifPresent(p -> cb.call(p ? 1 : 0)));
        GaugeWithCallback.builder().name("rotakey_key_backend_up")
                .help("1 while the key backend is usable, 0 while it is offline")
                .labelNames("backend", "type")
                .callback(cb -> {
                    for (KeyBackend b : backends.all()) {
                        cb.call(b.status().healthy() ? 1 : 0, b.name(), b.type());
                    }
                }).register(registry);
        if (perCredentialSeries) {
            gauge(registry, "rotakey_credential_next_rotation_timestamp_seconds",
                    "Next rotation of each active credential (prometheus.perCredentialSeries)", s -> cb -> {
                        for (FleetDao.CredentialSchedule c : s.perCredential()) {
                            if (c.nextRotationAt() != null) {
                                cb.call(epochSeconds(c.nextRotationAt()), c.credentialId(), c.agentId(), c.owner());
                            }
                        }
                    }, "credential", "agent", "owner");
            gauge(registry, "rotakey_credential_current_version",
                    "CURRENT version number of each active credential (prometheus.perCredentialSeries)", s -> cb -> {
                        for (FleetDao.CredentialSchedule c : s.perCredential()) {
                            if (c.currentVersion() != null) {
                                cb.call(c.currentVersion(), c.credentialId(), c.agentId(), c.owner());
                            }
                        }
                    }, "credential", "agent", "owner");
        }
    }

    private void gauge(PrometheusRegistry registry, String name, String help,
                       java.util.function.Function<Snapshot, Consumer<GaugeWithCallback.Callback>> samples,
                       String... labels) {
        GaugeWithCallback.builder().name(name).help(help).labelNames(labels)
                .callback(cb -> current().ifPresent(s -> samples.apply(s).accept(cb)))
                .register(registry);
    }

    /**
     * The latest snapshot, refreshed first when it is older than the refresh interval. A failed
     * refresh keeps the previous snapshot and is not tried again before the interval is over, so a
     * database outage does not make every scrape wait for a connection timeout.
     */
    synchronized Optional<Snapshot> current() {
        Instant now = clock.instant();
        if (lastAttempt == null || !now.isBefore(lastAttempt.plus(refreshInterval))) {
            lastAttempt = now;
            try {
                snapshot = load(now);
            } catch (RuntimeException e) {
                LOG.warn("fleet metrics not refreshed, keeping those of the previous refresh: {}", e.toString(), e);
            }
        }
        return Optional.ofNullable(snapshot);
    }

    private Snapshot load(Instant now) {
        Optional<Boolean> paused;
        try {
            paused = Optional.of(schedulerPaused.call());
        } catch (Exception e) {
            LOG.debug("scheduler state unavailable for metrics: {}", e.toString());
            paused = Optional.empty();
        }
        Optional<Boolean> pausedNow = paused;
        Instant cutoff = now.minus(overdueAfter);
        return store.read(d -> {
            FleetDao f = d.fleet();
            Optional<Instant> next = f.earliestNextRotation();
            long overdue = f.overdue(cutoff);
            // The earliest due rotation is the oldest overdue one whenever it lies before the cut-off.
            Optional<Instant> oldestOverdue = next.filter(at -> at.isBefore(cutoff));
            return new Snapshot(f.credentialsByStatus(), f.versionsByState(), f.credentialsWithFailedRotation(),
                    f.failedRevocations(), next, overdue, oldestOverdue, f.lastSuccessfulRotation(),
                    f.earliestCurrentCertificateExpiry(),
                    f.caCertificatesInUse().stream().map(this::expiry).flatMap(Optional::stream).toList(),
                    pausedNow, perCredentialSeries ? f.activeSchedules(MAX_CREDENTIAL_SERIES) : List.of());
        });
    }

    private Optional<CaExpiry> expiry(FleetDao.CaCertificate c) {
        Instant notAfter = caNotAfter.computeIfAbsent(c.name() + "#" + c.generation(), k -> notAfter(c));
        return notAfter.equals(Instant.MIN) ? Optional.empty() : Optional.of(new CaExpiry(c.name(), c.generation(), notAfter));
    }

    private static Instant notAfter(FleetDao.CaCertificate c) {
        try {
            X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(c.certificatePem().getBytes(StandardCharsets.US_ASCII)));
            return cert.getNotAfter().toInstant();
        } catch (CertificateException | RuntimeException e) {
            LOG.warn("certificate of CA {} generation {} unreadable for metrics: {}", c.name(), c.generation(), e.toString(), e);
            return Instant.MIN;
        }
    }

    private static double epochSeconds(Instant at) {
        return at.getEpochSecond() + at.getNano() / 1e9;
    }
}
