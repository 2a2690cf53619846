package dev.rotakey.batch;

import java.util.List;

/** What a batch of one {@link Batch.Kind} does: which credentials it covers, and the work on each. */
public interface BatchWork {
    /**
     * The credentials the batch covers, in the order they are worked on. Called when a batch that its task did not
     * plan is run (a rotation of an agent), or resumed unplanned after a crash: it must be safe to repeat.
     */
    List<String> plan(Batch batch);

    /**
     * Does the batch's work on one credential. Safe to repeat for a credential whose outcome was never recorded
     * (the node stopped in between). A refusal is an outcome ({@link ItemResult#skipped}), not an exception.
     */
    ItemResult run(Batch batch, String credentialId);

    /** How many credentials {@link #runAll} takes at once; 1 when the work is done one credential at a time. */
    default int together() {
        return 1;
    }

    /**
     * Does the batch's work on several credentials ({@link #together} at most), each as {@link #run} would.
     *
     * @return each credential's outcome, in order
     */
    default List<ItemResult> runAll(Batch batch, List<String> credentialIds) {
        return credentialIds.stream().map(id -> run(batch, id)).toList();
    }
}
