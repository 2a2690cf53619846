package dev.rotakey.alert;

import dev.rotakey.db.AlertDao.Firing;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The pure decision of one evaluation: given the alerts whose conditions hold now and the ledger of
 * alerts already notified, which to open (new), which to repeat (firing for a repeat interval since
 * the last notification), and which to resolve (their condition has cleared). No I/O, no clock.
 */
public record AlertReconciliation(List<Alert> open, List<Repeat> repeat, List<Firing> resolve) {

    /** A firing alert due for another notification, with the ledger row it was last notified as. */
    public record Repeat(Alert alert, Firing previous) {
    }

    public static AlertReconciliation of(Collection<Alert> holding, List<Firing> ledger, Instant now,
                                         Duration repeatInterval) {
        Map<String, Firing> notified = new LinkedHashMap<>();
        for (Firing f : ledger) {
            notified.put(f.fingerprint(), f);
        }
        List<Alert> open = new ArrayList<>();
        List<Repeat> repeat = new ArrayList<>();
        Map<String, Alert> seen = new LinkedHashMap<>();
        for (Alert a : holding) {
            seen.put(a.fingerprint(), a);
        }
        for (Alert a : seen.values()) {
            Firing f = notified.get(a.fingerprint());
            if (f == null) {
                open.add(a);
            } else if (!now.isBefore(f.lastNotifiedAt().plus(repeatInterval))) {
                // Receivers see one alert that started when it first fired, not a new one per repeat.
                repeat.add(new Repeat(new Alert(a.fingerprint(), a.condition(), AlertStatus.FIRING, a.labels(),
                        a.summary(), a.description(), f.startedAt(), null), f));
            }
        }
        List<Firing> resolve = new ArrayList<>();
        for (Firing f : ledger) {
            if (!seen.containsKey(f.fingerprint())) {
                resolve.add(f);
            }
        }
        return new AlertReconciliation(List.copyOf(open), List.copyOf(repeat), List.copyOf(resolve));
    }

    /** The resolved notification for a ledger row whose condition cleared at {@code at}. */
    public static Alert resolved(Firing f, Instant at) {
        return new Alert(f.fingerprint(), AlertCondition.valueOf(f.condition()), AlertStatus.RESOLVED, f.labels(),
                f.summary(), f.description(), f.startedAt(), at);
    }
}
