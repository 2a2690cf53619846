package dev.rotakey.service;

import dev.rotakey.targets.TargetException;

import java.util.ArrayList;
import java.util.List;

/**
 * The failures of a removal that tries every place even when one fails, so that one refusing target never keeps
 * another (and the CURRENT version there) waiting (docs/design.md, I1 and I4). They are reported together at the
 * end: retryable when any of them is.
 */
final class PartialFailures {
    private final List<String> failures = new ArrayList<>();
    private RuntimeException first;
    private boolean retryable;

    /** Runs {@code action}; a failure is recorded against {@code place} and does not stop the caller. */
    void attempt(String place, Runnable action) {
        try {
            action.run();
        } catch (RuntimeException e) {
            failures.add(place + ": " + FailureClassifier.describe(e));
            first = first == null ? e : first;
            retryable |= FailureClassifier.retryable(e);
        }
    }

    /** Throws the one failure as it was, or all of them as one {@link TargetException}; nothing when all succeeded. */
    void throwIfAny() {
        if (failures.size() == 1) {
            throw first;
        }
        if (first != null) {
            throw new TargetException(failures.size() + " places failed: " + String.join("; ", failures), retryable, first);
        }
    }
}
