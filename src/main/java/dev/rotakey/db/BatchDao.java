package dev.rotakey.db;

import dev.rotakey.batch.Batch;
import dev.rotakey.batch.BatchItem;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/** Reads and writes operator batches and their items (one per credential). */
public final class BatchDao {
    static final RowMapper<Batch> MAPPER = (rs, ctx) -> new Batch(
            rs.getString("id"),
            rs.getLong("seq"),
            Batch.Kind.valueOf(rs.getString("kind")),
            rs.getString("subject"),
            rs.getString("actor"),
            Batch.State.valueOf(rs.getString("state")),
            rs.getString("node"),
            rs.getString("claim"),
            rs.getString("correlation_id"),
            (Integer) rs.getObject("total", Integer.class),
            rs.getString("error"),
            instant(rs.getTimestamp("created_at")),
            instant(rs.getTimestamp("updated_at")),
            instant(rs.getTimestamp("finished_at")));

    private static final RowMapper<BatchItem> ITEM = (rs, ctx) -> new BatchItem(
            rs.getString("batch_id"),
            rs.getInt("item_no"),
            rs.getString("credential_id"),
            BatchItem.Outcome.valueOf(rs.getString("outcome")),
            rs.getString("reason"),
            rs.getString("rotation_id"),
            rs.getString("detail"),
            instant(rs.getTimestamp("updated_at")),
            rs.getString("rotation_state"),
            rs.getString("rotation_step"));

    /** How many items of a batch ended one way (and, for skipped ones, for one reason). */
    public record Count(String batchId, BatchItem.Outcome outcome, String reason, long n) {
    }

    private final Handle h;

    BatchDao(Handle h) {
        this.h = h;
    }

    /** Records a new batch; its {@code seq} is the database's. */
    public void insert(Batch b) {
        h.createUpdate("INSERT INTO batches (id, kind, subject, actor, state, node, claim, correlation_id, total, error, "
                        + "created_at, updated_at, finished_at) VALUES (:id, :kind, :subject, :actor, :state, :node, :claim, "
                        + ":correlationId, :total, :error, :createdAt, :updatedAt, :finishedAt)")
                .bindMethods(b)
                .bind("kind", b.kind().name())
                .bind("state", b.state().name())
                .execute();
    }

    public Optional<Batch> find(String id) {
        return h.createQuery("SELECT * FROM batches WHERE id = :id").bind("id", id).map(MAPPER).findOne();
    }

    /** The latest batches, newest first, before {@code beforeSeq} (keyset pagination). */
    public List<Batch> recent(long beforeSeq, int limit) {
        return h.createQuery("SELECT * FROM batches WHERE seq < :before ORDER BY seq DESC LIMIT :limit")
                .bind("before", beforeSeq).bind("limit", limit).map(MAPPER).list();
    }

    /** Batches not finished, on any node, oldest first. */
    public List<Batch> running(int limit) {
        return h.createQuery("SELECT * FROM batches WHERE state = 'RUNNING' ORDER BY seq LIMIT :limit")
                .bind("limit", limit).map(MAPPER).list();
    }

    /**
     * Takes a RUNNING batch over for {@code node} under {@code newClaim}, if nobody took it since it was read under
     * {@code expectedClaim}: of two nodes that try, one wins.
     */
    public boolean claim(String id, String expectedClaim, String node, String newClaim, Instant now) {
        return h.createUpdate("UPDATE batches SET node = :node, claim = :newClaim, updated_at = :now WHERE id = :id "
                        + "AND claim = :expected AND state = 'RUNNING'")
                .bind("id", id).bind("expected", expectedClaim).bind("node", node).bind("newClaim", newClaim)
                .bind("now", now).execute() == 1;
    }

    /** Whether {@code claim} still holds the RUNNING batch. */
    public boolean holds(String id, String claim) {
        return h.createQuery("SELECT COUNT(*) FROM batches WHERE id = :id AND claim = :claim AND state = 'RUNNING'")
                .bind("id", id).bind("claim", claim).mapTo(Integer.class).one() == 1;
    }

    /**
     * Records the batch's items, in order, as PENDING, and its total, unless it has them already: the batch's row is
     * locked first, so that of two that plan it one does.
     *
     * @return whether this call planned it
     */
    public boolean plan(String id, List<String> credentialIds, Instant now) {
        boolean planned = h.createQuery("SELECT total FROM batches WHERE id = :id FOR UPDATE").bind("id", id)
                .mapTo(Integer.class).findOne().isPresent();
        if (planned) {
            return false;
        }
        PreparedBatch insert = h.prepareBatch("INSERT INTO batch_items (batch_id, item_no, credential_id, outcome, "
                + "updated_at) VALUES (:batch, :no, :credential, 'PENDING', :now)");
        for (int i = 0; i < credentialIds.size(); i++) {
            insert.bind("batch", id).bind("no", i).bind("credential", credentialIds.get(i)).bind("now", now).add();
        }
        if (!credentialIds.isEmpty()) {
            insert.execute();
        }
        h.createUpdate("UPDATE batches SET total = :total, updated_at = :now WHERE id = :id")
                .bind("id", id).bind("total", credentialIds.size()).bind("now", now).execute();
        return true;
    }

    /** Names the rotation an item is about before it has an outcome (an emergency's, known when it is planned). */
    public void nameRotation(String id, int itemNo, String rotationId) {
        h.createUpdate("UPDATE batch_items SET rotation_id = :rotation WHERE batch_id = :id AND item_no = :no")
                .bind("id", id).bind("no", itemNo).bind("rotation", rotationId).execute();
    }

    /** Items still PENDING after {@code afterItem}, in order. */
    public List<BatchItem> pending(String id, int afterItem, int limit) {
        return h.createQuery("SELECT i.*, NULL AS rotation_state, NULL AS rotation_step FROM batch_items i "
                        + "WHERE i.batch_id = :id AND i.item_no > :after AND i.outcome = 'PENDING' ORDER BY i.item_no LIMIT :limit")
                .bind("id", id).bind("after", afterItem).bind("limit", limit).map(ITEM).list();
    }

    /**
     * Records an item's outcome, once: an item that already has one keeps it (another node worked it first).
     * A rotation recorded earlier (an emergency's, at planning) stays when none is given.
     */
    public boolean record(String id, int itemNo, BatchItem.Outcome outcome, String reason, String rotationId,
                          String detail, Instant now) {
        return h.createUpdate("UPDATE batch_items SET outcome = :outcome, reason = :reason, "
                        + "rotation_id = COALESCE(:rotation, rotation_id), detail = :detail, updated_at = :now "
                        + "WHERE batch_id = :id AND item_no = :no AND outcome = 'PENDING'")
                .bind("id", id).bind("no", itemNo).bind("outcome", outcome.name()).bind("reason", reason)
                .bind("rotation", rotationId).bind("detail", truncate(detail)).bind("now", now)
                .execute() == 1;
    }

    /** Ends a RUNNING batch. */
    public boolean finish(String id, Batch.State state, String error, Instant now) {
        return h.createUpdate("UPDATE batches SET state = :state, error = :error, updated_at = :now, finished_at = :now "
                        + "WHERE id = :id AND state = 'RUNNING'")
                .bind("id", id).bind("state", state.name()).bind("error", truncate(error)).bind("now", now)
                .execute() == 1;
    }

    /** A page of a batch's items after {@code afterItem}, each with its rotation's state and step: one query. */
    public List<BatchItem> items(String id, int afterItem, int limit) {
        return h.createQuery("SELECT i.*, r.state AS rotation_state, r.step AS rotation_step FROM batch_items i "
                        + "LEFT JOIN rotations r ON r.id = i.rotation_id "
                        + "WHERE i.batch_id = :id AND i.item_no > :after ORDER BY i.item_no LIMIT :limit")
                .bind("id", id).bind("after", afterItem).bind("limit", limit).map(ITEM).list();
    }

    /** The items of each of {@code ids} counted by outcome (and reason), in one query. */
    public List<Count> counts(Collection<String> ids) {
        if (ids.isEmpty()) {
            return List.of();
        }
        return h.createQuery("SELECT batch_id, outcome, reason, COUNT(*) AS n FROM batch_items WHERE batch_id IN (<ids>) "
                        + "GROUP BY batch_id, outcome, reason")
                .bindList("ids", List.copyOf(ids))
                .map((rs, ctx) -> new Count(rs.getString("batch_id"), BatchItem.Outcome.valueOf(rs.getString("outcome")),
                        rs.getString("reason"), rs.getLong("n")))
                .list();
    }

    /** The rotations a batch's items name, counted by their state now. */
    public Map<String, Long> rotationStates(String id) {
        Map<String, Long> out = new LinkedHashMap<>();
        h.createQuery("SELECT r.state, COUNT(*) AS n FROM batch_items i JOIN rotations r ON r.id = i.rotation_id "
                        + "WHERE i.batch_id = :id GROUP BY r.state ORDER BY r.state")
                .bind("id", id)
                .map((rs, ctx) -> Map.entry(rs.getString("state"), rs.getLong("n")))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }

    private static String truncate(String s) {
        return s == null || s.length() <= 2000 ? s : s.substring(0, 2000);
    }
}
