package dev.rotakey.faults;

/**
 * An invariant that did not hold: which one (I1…I6), after which step of the sequence (-1 for the final
 * checks after every fault was cleared), and what the targets and the API showed.
 */
record Violation(String invariant, int step, String detail) {
    /** Raised inside a run to stop it at the first violation. */
    static final class Found extends RuntimeException {
        final transient Violation violation;

        Found(Violation violation) {
            super(violation.toString(), null, false, false);
            this.violation = violation;
        }
    }

    /** Two violations are "the same failure" for shrinking when they break the same invariant the same way. */
    String signature() {
        return invariant + ": " + detail.split("[{;(:]")[0].replaceAll("\\d+", "#");
    }

    @Override
    public String toString() {
        return invariant + (step < 0 ? " (after healing)" : " (after step " + step + ")") + ": " + detail;
    }
}
