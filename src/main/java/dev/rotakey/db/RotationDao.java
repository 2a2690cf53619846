package dev.rotakey.db;

import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.RotationTrigger;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/** Reads and writes rotations and the record of each step they ran. */
public final class RotationDao {
    static final RowMapper<Rotation> MAPPER = (rs, ctx) -> new Rotation(
            rs.getString("id"),
            rs.getString("credential_id"),
            rs.getInt("version"),
            RotationTrigger.valueOf(rs.getString("trigger_kind")),
            rs.getString("actor"),
            RotationState.valueOf(rs.getString("state")),
            RotationStep.valueOf(rs.getString("step")),
            rs.getInt("attempts"),
            instant(rs.getTimestamp("next_attempt_at")),
            rs.getString("last_error"),
            rs.getBoolean("emergency"),
            rs.getString("correlation_id"),
            instant(rs.getTimestamp("started_at")),
            instant(rs.getTimestamp("updated_at")),
            instant(rs.getTimestamp("finished_at")));

    /** One recorded run of a step. */
    public record StepRecord(int seq, String step, int attempt, String outcome, String error, Instant startedAt,
                             Instant finishedAt) {
    }

    private final Handle h;

    RotationDao(Handle h) {
        this.h = h;
    }

    private static final String INSERT = "INSERT INTO rotations (id, credential_id, version, trigger_kind, actor, "
            + "state, step, attempts, next_attempt_at, last_error, emergency, correlation_id, started_at, updated_at, "
            + "finished_at) VALUES (:id, :credentialId, :version, :trigger, :actor, :state, :step, :attempts, "
            + ":nextAttemptAt, :lastError, :emergency, :correlationId, :startedAt, :updatedAt, :finishedAt)";
    private static final String ADVANCE = "UPDATE rotations SET state = :state, step = :step, attempts = :attempts, "
            + "next_attempt_at = :nextAttemptAt, last_error = :lastError, updated_at = :updatedAt, "
            + "finished_at = :finishedAt WHERE id = :id AND step = :expectedStep AND attempts = :expectedAttempts "
            + "AND state = 'RUNNING'";
    /** The step's number is the rotation's next one, found by the statement itself so that it can be batched. */
    private static final String RECORD_STEP = "INSERT INTO rotation_steps (rotation_id, seq, step, attempt, outcome, "
            + "error, started_at, finished_at) SELECT :id, COALESCE(MAX(seq), 0) + 1, :step, :attempt, :outcome, :error, "
            + ":startedAt, :finishedAt FROM rotation_steps WHERE rotation_id = :id";

    /** One run of a step to record, as {@link #recordStep} takes it. */
    public record NewStep(String rotationId, String step, int attempt, String outcome, String error, Instant startedAt,
                          Instant finishedAt) {
    }

    public void insert(Rotation r) {
        bindRotation(h.createUpdate(INSERT), r).execute();
    }

    /** Inserts many rotations in one batch. */
    public void insertAll(List<Rotation> rotations) {
        if (rotations.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch(INSERT);
        rotations.forEach(r -> bindRotation(batch, r).add());
        batch.execute();
    }

    private static <S extends SqlStatement<S>> S bindRotation(S statement, Rotation r) {
        return statement.bindMethods(r)
                .bind("trigger", r.trigger().name())
                .bind("state", r.state().name())
                .bind("step", r.step().name());
    }

    /**
     * Writes {@code next} only if the stored rotation is still {@code expected} (same step and
     * attempts), so two workers can never both advance one rotation.
     *
     * @return whether the row was updated
     */
    public boolean advance(Rotation expected, Rotation next) {
        return bindAdvance(h.createUpdate(ADVANCE), expected, next).execute() == 1;
    }

    /**
     * {@link #advance} of many rotations in one batch: each pair is (expected, next).
     *
     * @return for each pair, in order, whether its row was updated
     */
    public boolean[] advanceAll(List<Map.Entry<Rotation, Rotation>> pairs) {
        boolean[] out = new boolean[pairs.size()];
        if (pairs.isEmpty()) {
            return out;
        }
        PreparedBatch batch = h.prepareBatch(ADVANCE);
        pairs.forEach(p -> bindAdvance(batch, p.getKey(), p.getValue()).add());
        int[] counts = batch.execute();
        for (int i = 0; i < out.length; i++) {
            out[i] = counts[i] == 1;
        }
        return out;
    }

    private static <S extends SqlStatement<S>> S bindAdvance(S statement, Rotation expected, Rotation next) {
        return statement.bindMethods(next)
                .bind("state", next.state().name())
                .bind("step", next.step().name())
                .bind("expectedStep", expected.step().name())
                .bind("expectedAttempts", expected.attempts());
    }

    /**
     * Marks rotations still running as worked on at {@code now}, without changing them: a batch that is about to run
     * them keeps other nodes' sweeps, which take up rotations left quiet for a while, away from them.
     */
    public void touch(java.util.Collection<String> ids, Instant now) {
        if (!ids.isEmpty()) {
            h.createUpdate("UPDATE rotations SET updated_at = :now WHERE id IN (<ids>) AND state = 'RUNNING'")
                    .bind("now", now).bindList("ids", List.copyOf(ids)).execute();
        }
    }

    /**
     * Makes a running rotation an emergency one (its promotion revokes the superseded version at once).
     *
     * @return whether a running rotation was changed
     */
    public boolean escalate(String id) {
        return h.createUpdate("UPDATE rotations SET emergency = TRUE WHERE id = :id AND state = 'RUNNING'")
                .bind("id", id).execute() == 1;
    }

    public Optional<Rotation> find(String id) {
        return h.createQuery("SELECT * FROM rotations WHERE id = :id").bind("id", id).map(MAPPER).findOne();
    }

    /** The rotations of {@code ids} that exist, in one query, by id. */
    public Map<String, Rotation> findAll(java.util.Collection<String> ids) {
        Map<String, Rotation> out = new java.util.HashMap<>();
        if (!ids.isEmpty()) {
            h.createQuery("SELECT * FROM rotations WHERE id IN (<ids>)").bindList("ids", List.copyOf(ids)).map(MAPPER)
                    .forEach(r -> out.put(r.id(), r));
        }
        return out;
    }

    public Optional<Rotation> running(String credentialId) {
        return h.createQuery("SELECT * FROM rotations WHERE credential_id = :id AND state = 'RUNNING'")
                .bind("id", credentialId).map(MAPPER).findFirst();
    }

    /** The running rotation of each of {@code credentialIds} that has one, by credential id, in one query. */
    public Map<String, Rotation> runningOf(java.util.Collection<String> credentialIds) {
        Map<String, Rotation> out = new java.util.HashMap<>();
        if (!credentialIds.isEmpty()) {
            h.createQuery("SELECT * FROM rotations WHERE credential_id IN (<ids>) AND state = 'RUNNING'")
                    .bindList("ids", List.copyOf(credentialIds)).map(MAPPER).forEach(r -> out.put(r.credentialId(), r));
        }
        return out;
    }

    /**
     * The latest rotation of each of {@code credentialIds} started with {@code correlationId} at or after
     * {@code since}, by credential id: what a batch already started before its node stopped.
     */
    public Map<String, Rotation> startedWith(java.util.Collection<String> credentialIds, String correlationId,
                                             Instant since) {
        Map<String, Rotation> out = new java.util.HashMap<>();
        if (!credentialIds.isEmpty()) {
            h.createQuery("SELECT * FROM rotations WHERE credential_id IN (<ids>) AND correlation_id = :c "
                            + "AND started_at >= :since ORDER BY started_at")
                    .bindList("ids", List.copyOf(credentialIds)).bind("c", correlationId).bind("since", since)
                    .map(MAPPER).forEach(r -> out.put(r.credentialId(), r));
        }
        return out;
    }

    /** The running rotations of an agent's credentials. */
    public List<Rotation> runningOfAgent(String agentId) {
        return h.createQuery("SELECT r.* FROM rotations r JOIN credentials c ON c.id = r.credential_id "
                        + "WHERE c.agent_id = :agent AND r.state = 'RUNNING' ORDER BY r.credential_id")
                .bind("agent", agentId).map(MAPPER).list();
    }

    /** A page of the running rotations, in id order after {@code afterId}. */
    public List<Rotation> running(String afterId, int limit) {
        return h.createQuery("SELECT * FROM rotations WHERE state = 'RUNNING' AND id > :after ORDER BY id LIMIT :limit")
                .bind("after", afterId).bind("limit", limit).map(MAPPER).list();
    }

    public List<Rotation> allRunning() {
        return h.createQuery("SELECT * FROM rotations WHERE state = 'RUNNING' ORDER BY started_at")
                .map(MAPPER).list();
    }

    public List<Rotation> ofCredential(String credentialId, int limit) {
        return h.createQuery("SELECT * FROM rotations WHERE credential_id = :id ORDER BY started_at DESC, id LIMIT :limit")
                .bind("id", credentialId).bind("limit", limit).map(MAPPER).list();
    }

    /** Credentials whose most recent finished rotation FAILED (none succeeded since). */
    public List<Rotation> latestFailed(int limit) {
        return h.createQuery("SELECT r.* FROM rotations r WHERE r.state = 'FAILED' AND NOT EXISTS ("
                        + "SELECT 1 FROM rotations s WHERE s.credential_id = r.credential_id AND s.state <> 'RUNNING' "
                        + "AND s.started_at > r.started_at) ORDER BY r.finished_at DESC LIMIT :limit")
                .bind("limit", limit).map(MAPPER).list();
    }

    /**
     * Rotations of the given states started at or after {@code since}: FAILED first, then newest first, at most
     * {@code limit}. A range of {@code idx_rotations_state_started} per state, so it costs what the window holds,
     * not the whole history.
     */
    public List<Rotation> startedSince(Instant since, java.util.Collection<RotationState> states, int limit) {
        return h.createQuery("SELECT * FROM rotations WHERE state IN (<states>) AND started_at >= :since "
                        + "ORDER BY CASE WHEN state = 'FAILED' THEN 0 ELSE 1 END, started_at DESC, id LIMIT :limit")
                .bindList("states", states.stream().map(Enum::name).toList()).bind("since", since).bind("limit", limit)
                .map(MAPPER).list();
    }

    /** How many rotations of each state started at or after {@code since} (states without any are left out). */
    public Map<String, Long> countStartedSince(Instant since, java.util.Collection<RotationState> states) {
        Map<String, Long> out = new java.util.TreeMap<>();
        h.createQuery("SELECT state, COUNT(*) AS n FROM rotations WHERE state IN (<states>) AND started_at >= :since "
                        + "GROUP BY state")
                .bindList("states", states.stream().map(Enum::name).toList()).bind("since", since)
                .map((rs, ctx) -> Map.entry(rs.getString("state"), rs.getLong("n")))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    public void recordStep(String rotationId, String step, int attempt, String outcome, String error,
                           Instant startedAt, Instant finishedAt) {
        // One statement: the rotation's lock keeps two steps of one rotation from numbering themselves at once.
        h.createUpdate("INSERT INTO rotation_steps (rotation_id, seq, step, attempt, outcome, error, started_at, finished_at) "
                        + "SELECT :id, COALESCE(MAX(seq), 0) + 1, :step, :attempt, :outcome, :error, :startedAt, :finishedAt "
                        + "FROM rotation_steps WHERE rotation_id = :id")
                .bind("id", rotationId).bind("step", step).bind("attempt", attempt)
                .bind("outcome", outcome).bind("error", error).bind("startedAt", startedAt).bind("finishedAt", finishedAt)
                .execute();
    }

    /** {@link #recordStep} of many steps (of different rotations) in one batch. */
    public void recordSteps(List<NewStep> steps) {
        if (steps.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch(RECORD_STEP);
        for (NewStep s : steps) {
            batch.bind("id", s.rotationId()).bind("step", s.step()).bind("attempt", s.attempt())
                    .bind("outcome", s.outcome()).bind("error", s.error()).bind("startedAt", s.startedAt())
                    .bind("finishedAt", s.finishedAt()).add();
        }
        batch.execute();
    }

    public List<StepRecord> steps(String rotationId) {
        return h.createQuery("SELECT * FROM rotation_steps WHERE rotation_id = :id ORDER BY seq")
                .bind("id", rotationId)
                .map((rs, ctx) -> new StepRecord(rs.getInt("seq"), rs.getString("step"), rs.getInt("attempt"),
                        rs.getString("outcome"), rs.getString("error"), instant(rs.getTimestamp("started_at")),
                        instant(rs.getTimestamp("finished_at"))))
                .list();
    }
}
