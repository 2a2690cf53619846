package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.db.Store;
import dev.rotakey.schedule.QuartzWorkScheduler;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code GET /api/v1/status}: whether rotations are paused, versions by state, recent failures, consumers
 * overdue with their acknowledgements, alerts firing, backends.
 */
@Path("/api/v1/status")
@Produces(MediaType.APPLICATION_JSON)
public final class StatusResource {
    private final Store store;
    private final QuartzWorkScheduler scheduler;
    private final KeyBackends backends;

    public StatusResource(Store store, QuartzWorkScheduler scheduler, KeyBackends backends) {
        this.store = store;
        this.scheduler = scheduler;
        this.backends = backends;
    }

    @GET
    @Timed
    public Map<String, Object> status() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("paused", scheduler.pausedOrUnknown());
        out.put("schedulerRunning", scheduler.running());
        store.read(d -> {
            out.put("credentials", d.credentials().countByStatus());
            out.put("versions", d.versions().countByState());
            out.put("failedRotations", d.rotations().latestFailed(20).stream()
                    .map(r -> Map.of("credential", r.credentialId(), "rotation", r.id(),
                            "error", r.lastError() == null ? "" : r.lastError())).toList());
            out.put("failedRevocations", d.versions().failedRevocations());
            // Credentials whose old version was revoked by maxGracePeriod before these consumers acknowledged.
            out.put("acknowledgementOverdue", d.credentials().acknowledgementsOverdue(100));
            // Alerts firing as of the last evaluation, by alert name (GET /api/v1/alerts lists them).
            Map<String, Integer> alerts = new java.util.TreeMap<>();
            d.alerts().firing().forEach(f -> alerts.merge(f.labels().getOrDefault("alertname", f.condition()), 1, Integer::sum));
            out.put("alertsFiring", alerts);
            return out;
        });
        Map<String, Object> b = new LinkedHashMap<>();
        for (KeyBackend k : backends.all()) {
            b.put(k.name(), Map.of("type", k.type(), "healthy", k.status().healthy(), "message", k.status().message()));
        }
        out.put("keyBackends", b);
        return out;
    }
}
