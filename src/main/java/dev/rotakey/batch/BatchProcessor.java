package dev.rotakey.batch;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.db.Store;
import dev.rotakey.service.FailureClassifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;

/**
 * Works one batch to its end on the calling thread: plans it if its task did not, runs the work of each PENDING item
 * in order and records its outcome, then finishes it. Stops between two items when the node is stopping or another
 * node has taken the batch over; what is left resumes from the first item without an outcome.
 */
public final class BatchProcessor {
    private static final Logger LOG = LoggerFactory.getLogger(BatchProcessor.class);
    /** Items read at a time, at least; the hold on the batch is checked once per page. */
    static final int PAGE = 100;
    /**
     * Outcomes written at a time, in one commit: a commit per item made the batch slower than the rotations it
     * starts on an fsync-bound database. Items worked and not yet recorded when the node dies are worked again
     * ({@link BatchWork#run} is safe to repeat).
     */
    static final int RECORD_EVERY = 20;

    private final Store store;
    private final BatchRecords records;
    private final Map<Batch.Kind, BatchWork> works;

    public BatchProcessor(Store store, BatchRecords records, Map<Batch.Kind, BatchWork> works) {
        this.store = store;
        this.records = records;
        this.works = Map.copyOf(works);
    }

    /**
     * Runs {@code batch}, held under its {@link Batch#claim()}, until every item has an outcome or {@code stopping}
     * says to stop.
     *
     * @return whether the batch ended here (false: stopped, taken over, or left RUNNING after a passing failure)
     */
    public boolean run(Batch batch, BooleanSupplier stopping) {
        if (stopping.getAsBoolean()) {
            return false;
        }
        String previousMdc = MDC.get(AuditLog.MDC_CORRELATION);
        if (batch.correlationId() != null) {
            // The operator's request id: the rotations the batch starts and their audit events carry it, as before.
            MDC.put(AuditLog.MDC_CORRELATION, batch.correlationId());
        }
        try {
            return work(batch, stopping);
        } catch (RuntimeException e) {
            return failed(batch, e);
        } finally {
            if (previousMdc == null) {
                MDC.remove(AuditLog.MDC_CORRELATION);
            } else {
                MDC.put(AuditLog.MDC_CORRELATION, previousMdc);
            }
        }
    }

    private boolean work(Batch batch, BooleanSupplier stopping) {
        BatchWork work = Objects.requireNonNull(works.get(batch.kind()), "no work for batches of kind " + batch.kind());
        Batch b = batch;
        if (!b.planned()) {
            if (!holds(b)) {
                return false;
            }
            b = records.plan(b, work.plan(b));
        }
        int after = -1;
        while (true) {
            if (stopping.getAsBoolean() || !holds(b)) {
                return false;
            }
            String id = b.id();
            int from = after;
            int size = Math.max(PAGE, work.together());
            List<BatchItem> page = store.read(d -> d.batches().pending(id, from, size));
            if (page.isEmpty()) {
                break;
            }
            Map<Integer, ItemResult> done = new LinkedHashMap<>();
            try {
                for (int i = 0; i < page.size(); i += work.together()) {
                    if (stopping.getAsBoolean()) {
                        return false;
                    }
                    List<BatchItem> group = page.subList(i, Math.min(page.size(), i + work.together()));
                    List<ItemResult> results = runGroup(work, b, group);
                    for (int k = 0; k < group.size(); k++) {
                        done.put(group.get(k).itemNo(), results.get(k));
                    }
                    after = group.get(group.size() - 1).itemNo();
                    if (done.size() >= RECORD_EVERY) {
                        records.record(b, done);
                        done.clear();
                    }
                }
            } finally {
                // Also when stopping: what was done is recorded (an unrecorded item is only worked again, harmlessly).
                records.record(b, done);
            }
        }
        Batch.State state = records.finish(b);
        LOG.info("batch {} ({} {}) ended {}", b.id(), b.kind().wireName(), b.subject(), state);
        return true;
    }

    private List<ItemResult> runGroup(BatchWork work, Batch b, List<BatchItem> group) {
        List<String> ids = group.stream().map(BatchItem::credentialId).toList();
        try {
            return group.size() == 1 ? List.of(work.run(b, ids.get(0))) : work.runAll(b, ids);
        } catch (RuntimeException e) {
            FailureClassifier.Kind kind = FailureClassifier.classify(e);
            String error = FailureClassifier.describe(e);
            if (kind.unforeseen()) {
                LOG.error("batch {}: {} failed ({}): {}", b.id(), ids, kind.description(), error, e);
            } else {
                LOG.warn("batch {}: {} failed: {}", b.id(), ids, error, e);
            }
            return ids.stream().map(id -> ItemResult.failed(error)).toList();
        }
    }

    private boolean holds(Batch b) {
        return store.read(d -> d.batches().holds(b.id(), b.claim()));
    }

    /**
     * The batch itself failed (its plan, or the database). A passing failure (the database unreachable) leaves it
     * RUNNING, for the sweep to run again; any other ends it FAILED.
     */
    private boolean failed(Batch b, RuntimeException e) {
        FailureClassifier.Kind kind = FailureClassifier.classify(e);
        String error = FailureClassifier.describe(e);
        if (kind.retryable()) {
            LOG.warn("batch {} interrupted, to be resumed: {}", b.id(), error, e);
            return false;
        }
        LOG.error("batch {} failed ({}): {}", b.id(), kind.description(), error, e);
        try {
            records.fail(b, error);
        } catch (RuntimeException again) {
            LOG.warn("batch {}: cannot record its failure ({}); it is resumed later", b.id(),
                    FailureClassifier.describe(again));
            return false;
        }
        return true;
    }
}
