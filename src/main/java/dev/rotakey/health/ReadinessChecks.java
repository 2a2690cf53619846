package dev.rotakey.health;

import com.codahale.metrics.health.HealthCheck;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.db.Store;
import dev.rotakey.schedule.QuartzWorkScheduler;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one place that says which health checks decide whether this node may take traffic (readiness: the
 * database answers, every key backend is online, the scheduler runs) and which only tell people about the
 * fleet (failed rotations, expiring certificates). The latter are the same on every node of a cluster: letting
 * them take a node out of a load balancer would take every node out at once.
 */
public final class ReadinessChecks {
    private ReadinessChecks() {
    }

    /** What {@code /health/ready} runs, by the names {@code /healthcheck} shows them under. */
    public static Map<String, HealthCheck> readiness(Store store, Collection<KeyBackend> backends,
                                                     QuartzWorkScheduler scheduler) {
        Map<String, HealthCheck> checks = new LinkedHashMap<>();
        checks.put("database-store", new DatabaseHealthCheck(store));
        for (KeyBackend b : backends) {
            checks.put("key-backend-" + b.name(), new KeyBackendHealthCheck(b));
        }
        checks.put("scheduler", new SchedulerHealthCheck(scheduler));
        return checks;
    }

    /** Conditions for an operator (and alerts), shown at {@code /healthcheck}; never part of readiness. */
    public static Map<String, HealthCheck> businessAlerts(Store store, CertificateAuthorities authorities) {
        Map<String, HealthCheck> checks = new LinkedHashMap<>();
        checks.put("failed-rotations", new FailedRotationsHealthCheck(store));
        checks.put("certificate-authorities", new CertificateAuthoritiesHealthCheck(authorities));
        return checks;
    }
}
