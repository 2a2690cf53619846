package dev.rotakey.api;

import dev.rotakey.core.Rotation;
import dev.rotakey.db.RotationDao;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/** A rotation with (optionally) the record of its steps, as the API shows it. */
public record RotationView(
        String id,
        String credential,
        int version,
        String trigger,
        String actor,
        String state,
        String step,
        int attempts,
        Instant nextAttemptAt,
        String lastError,
        boolean emergency,
        String correlationId,
        Instant startedAt,
        Instant finishedAt,
        List<StepView> steps) {

    /** One recorded run of a step. */
    public record StepView(String step, int attempt, String outcome, String error, Instant startedAt, Instant finishedAt) {
    }

    public static RotationView of(Rotation r, List<RotationDao.StepRecord> steps) {
        return new RotationView(r.id(), r.credentialId(), r.version(), r.trigger().wireName(), r.actor(),
                r.state().name(), r.step().name().toLowerCase(Locale.ROOT), r.attempts(), r.nextAttemptAt(),
                r.lastError(), r.emergency(), r.correlationId(), r.startedAt(), r.finishedAt(),
                steps == null ? null : steps.stream().map(s -> new StepView(s.step().toLowerCase(Locale.ROOT),
                        s.attempt(), s.outcome(), s.error(), s.startedAt(), s.finishedAt())).toList());
    }
}
