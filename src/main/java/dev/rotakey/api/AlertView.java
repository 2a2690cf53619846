package dev.rotakey.api;

import dev.rotakey.db.AlertDao;

import java.time.Instant;
import java.util.Map;

/** A firing alert as {@code GET /api/v1/alerts} shows it: its labels, when it started and how often it was notified. */
public record AlertView(
        String fingerprint,
        String alertname,
        String severity,
        String owner,
        Map<String, String> labels,
        String summary,
        String description,
        Instant startsAt,
        Instant lastNotifiedAt,
        int notifications) {

    public static AlertView of(AlertDao.Firing f) {
        return new AlertView(f.fingerprint(), f.labels().get("alertname"), f.labels().get("severity"),
                f.labels().get("owner"), f.labels(), f.summary(), f.description(), f.startedAt(), f.lastNotifiedAt(),
                f.notifications());
    }
}
