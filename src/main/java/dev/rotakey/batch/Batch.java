package dev.rotakey.batch;

import java.time.Instant;
import java.util.Locale;

/**
 * One operator task's work on many credentials (a rotation of an agent's credentials, a decommission, an emergency
 * revocation), as recorded in the database: what it covers, who asked, which node works it and how it ended.
 * {@code total} is null until the batch is planned (its credentials listed as items).
 *
 * @param claim the token of the node's current hold on a RUNNING batch: whoever works it holds the latest one
 */
public record Batch(String id, long seq, Kind kind, String subject, String actor, State state, String node,
                    String claim, String correlationId, Integer total, String error, Instant createdAt,
                    Instant updatedAt, Instant finishedAt) {

    /** What a batch does to each of its credentials. */
    public enum Kind {
        /** Starts a rotation of each active credential of an agent (or of one credential). */
        ROTATE,
        /** Revokes everything of each credential of a decommissioned agent. */
        DECOMMISSION,
        /** Removes the versions an emergency revoked from the credential's targets. */
        REVOKE;

        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** RUNNING until every item has an outcome; then DONE, or FAILED when an item (or the batch itself) failed. */
    public enum State {
        RUNNING, DONE, FAILED
    }

    /** Subjects are {@code agent:<id>} or {@code credential:<id>}, as in the audit trail. */
    public static final String AGENT = "agent:";

    /** The id of the agent or credential the batch is about. */
    public String subjectId() {
        return subject.substring(subject.indexOf(':') + 1);
    }

    /** Whether the batch is about an agent (all its credentials) rather than one credential. */
    public boolean aboutAgent() {
        return subject.startsWith(AGENT);
    }

    public boolean planned() {
        return total != null;
    }

    public boolean running() {
        return state == State.RUNNING;
    }

    /** The same batch held under {@code newClaim} by {@code byNode}. */
    public Batch claimedBy(String byNode, String newClaim) {
        return new Batch(id, seq, kind, subject, actor, state, byNode, newClaim, correlationId, total, error, createdAt,
                updatedAt, finishedAt);
    }
}
