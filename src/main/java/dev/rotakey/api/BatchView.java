package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.batch.Batch;
import dev.rotakey.batch.BatchItem;
import dev.rotakey.db.BatchDao;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A batch as the API shows it: what it covers and how far it is, its items' outcomes counted (skipped ones also by
 * reason), the rotations its items name counted by their state now, and, for one batch, a page of its items.
 *
 * @param rotations the rotations its items started or found running, by state now: {@code RUNNING} 0 means they
 *                  all ended
 */
public record BatchView(
        String id,
        String kind,
        String subject,
        String actor,
        String state,
        String node,
        String correlationId,
        Instant createdAt,
        Instant updatedAt,
        Instant finishedAt,
        String error,
        Counts counts,
        Map<String, Long> skipped,
        @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Long> rotations,
        @JsonInclude(JsonInclude.Include.NON_NULL) List<ItemView> items,
        @JsonInclude(JsonInclude.Include.NON_NULL) String next) {

    /** Items by outcome; {@code total} is null until the batch has listed its credentials. */
    public record Counts(Integer total, long pending, long started, long done, long skipped, long failed) {
    }

    /** One credential of the batch, and the rotation it started or found running. */
    public record ItemView(String credential, String outcome, String reason, String detail, RotationRef rotation) {
    }

    /** A rotation named by an item, with its state and step now. */
    public record RotationRef(String id, String state, String step, String href) {
    }

    /** The batch with its counts; {@code rotations}, {@code items} and {@code next} only for a single batch's view. */
    public static BatchView of(Batch b, List<BatchDao.Count> counts, Map<String, Long> rotations, List<BatchItem> items,
                               String next) {
        long[] byOutcome = new long[BatchItem.Outcome.values().length];
        Map<String, Long> skipped = new TreeMap<>();
        for (BatchDao.Count c : counts) {
            byOutcome[c.outcome().ordinal()] += c.n();
            if (c.outcome() == BatchItem.Outcome.SKIPPED) {
                skipped.merge(c.reason() == null ? "other" : c.reason(), c.n(), Long::sum);
            }
        }
        return new BatchView(b.id(), b.kind().wireName(), b.subject(), b.actor(), b.state().name(), b.node(),
                b.correlationId(), b.createdAt(), b.updatedAt(), b.finishedAt(), b.error(),
                new Counts(b.total(), byOutcome[BatchItem.Outcome.PENDING.ordinal()],
                        byOutcome[BatchItem.Outcome.STARTED.ordinal()], byOutcome[BatchItem.Outcome.DONE.ordinal()],
                        byOutcome[BatchItem.Outcome.SKIPPED.ordinal()], byOutcome[BatchItem.Outcome.FAILED.ordinal()]),
                skipped, rotations, items == null ? null : items.stream().map(BatchView::item).toList(), next);
    }

    private static ItemView item(BatchItem i) {
        RotationRef rotation = i.rotationId() == null ? null : new RotationRef(i.rotationId(), i.rotationState(),
                i.rotationStep() == null ? null : i.rotationStep().toLowerCase(Locale.ROOT), "/api/v1/rotations/" + i.rotationId());
        return new ItemView(i.credentialId(), i.outcome().name(), i.reason(), i.detail(), rotation);
    }
}
