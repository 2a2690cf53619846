package dev.rotakey.batch;

import dev.rotakey.api.BatchView;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.BatchDao;
import dev.rotakey.db.Store;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The read side of {@code /api/v1/batches}, from the database: any node answers for any batch. One batch costs four
 * queries however many items it has (the batch, its counts, its rotations' states, a page of items with their
 * rotations).
 */
public final class BatchQueries {
    private final Store store;

    public BatchQueries(Store store) {
        this.store = store;
    }

    /** One batch with a page of {@code limit} items after item number {@code after}; 404 if unknown. */
    public BatchView batch(String id, int after, int limit) {
        return store.read(d -> {
            Batch b = d.batches().find(id).orElseThrow(() -> RejectedException.notFound("batch", id));
            List<BatchItem> items = d.batches().items(id, after, limit);
            String next = items.size() == limit ? Integer.toString(items.get(items.size() - 1).itemNo()) : null;
            return BatchView.of(b, d.batches().counts(List.of(id)), d.batches().rotationStates(id), items, next);
        });
    }

    /** A page of the latest batches and the cursor of the next (older) page, null after the last. */
    public record Page(List<BatchView> batches, String next) {
    }

    /** The latest batches, newest first, before sequence number {@code before}, with their counts. */
    public Page recent(long before, int limit) {
        return store.read(d -> {
            List<Batch> page = d.batches().recent(before, limit);
            Map<String, List<BatchDao.Count>> counts = d.batches().counts(page.stream().map(Batch::id).toList()).stream()
                    .collect(Collectors.groupingBy(BatchDao.Count::batchId));
            return new Page(page.stream().map(b -> BatchView.of(b, counts.getOrDefault(b.id(), List.of()), null, null,
                    null)).toList(), page.size() == limit ? Long.toString(page.get(page.size() - 1).seq()) : null);
        });
    }
}
