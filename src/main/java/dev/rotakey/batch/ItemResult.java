package dev.rotakey.batch;

/** How the work on one credential of a batch ended: recorded as the item's outcome. */
public record ItemResult(BatchItem.Outcome outcome, String reason, String rotationId, String detail) {
    public static ItemResult started(String rotationId) {
        return new ItemResult(BatchItem.Outcome.STARTED, null, rotationId, null);
    }

    public static ItemResult done() {
        return new ItemResult(BatchItem.Outcome.DONE, null, null, null);
    }

    public static ItemResult skipped(String reason, String rotationId, String detail) {
        return new ItemResult(BatchItem.Outcome.SKIPPED, reason, rotationId, detail);
    }

    public static ItemResult failed(String detail) {
        return new ItemResult(BatchItem.Outcome.FAILED, null, null, detail);
    }
}
