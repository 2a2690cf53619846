package dev.rotakey.resources;

import com.codahale.metrics.annotation.Timed;
import dev.rotakey.db.AlertDao.Firing;
import dev.rotakey.db.Store;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /api/v1/alerts}: the alerts firing now (as of the last evaluation), oldest first, with
 * their labels, when they started, when they were last notified and how many times.
 */
@Path("/api/v1/alerts")
@Produces(MediaType.APPLICATION_JSON)
public final class AlertResource {
    private final Store store;

    public AlertResource(Store store) {
        this.store = store;
    }

    @GET
    @Timed
    public Map<String, Object> firing() {
        List<Firing> rows = store.read(d -> d.alerts().firing());
        List<Map<String, Object>> alerts = new ArrayList<>();
        for (Firing f : rows) {
            Map<String, Object> a = new LinkedHashMap<>();
            a.put("fingerprint", f.fingerprint());
            a.put("alertname", f.labels().get("alertname"));
            a.put("severity", f.labels().get("severity"));
            a.put("owner", f.labels().get("owner"));
            a.put("labels", f.labels());
            a.put("summary", f.summary());
            a.put("description", f.description());
            a.put("startsAt", f.startedAt());
            a.put("lastNotifiedAt", f.lastNotifiedAt());
            a.put("notifications", f.notifications());
            alerts.add(a);
        }
        return Map.of("alerts", alerts);
    }
}
