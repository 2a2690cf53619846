package dev.rotakey.testing;

import dev.rotakey.schedule.JobHandler;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/** A {@link JobHandler} that records every call and when it came, thread-safely, for tests to await. */
public final class RecordingJobHandler implements JobHandler {
    public static final String ROTATE = "rotate";
    public static final String CONTINUE = "continue";
    public static final String REVOKE = "revoke";
    public static final String DECOMMISSION = "decommission";

    /** One call: the kind of work ({@link #ROTATE}, …), its subject ({@code credential#vN} for a revocation), and when. */
    public record Call(String kind, String subject, Instant at) {
        @Override
        public String toString() {
            return kind + ":" + subject + "@" + at;
        }
    }

    private final List<Call> calls = new CopyOnWriteArrayList<>();

    @Override
    public void rotationDue(String credentialId) {
        record(ROTATE, credentialId);
    }

    @Override
    public void continueRotation(String rotationId) {
        record(CONTINUE, rotationId);
    }

    @Override
    public void revocationDue(String credentialId, int version) {
        record(REVOKE, credentialId + "#v" + version);
    }

    @Override
    public void agentExpired(String agentId) {
        record(DECOMMISSION, agentId);
    }

    private void record(String kind, String subject) {
        calls.add(new Call(kind, subject, Instant.now()));
    }

    /** A snapshot of the calls so far, in the order they came. */
    public List<Call> calls() {
        return List.copyOf(calls);
    }

    public boolean called(String kind, String subject) {
        return count(kind, subject) > 0;
    }

    public long count(String kind, String subject) {
        return calls.stream().filter(c -> c.kind().equals(kind) && c.subject().equals(subject)).count();
    }

    /** The first call of this kind and subject, if any. */
    public Optional<Call> first(String kind, String subject) {
        return calls.stream().filter(c -> c.kind().equals(kind) && c.subject().equals(subject)).findFirst();
    }
}
