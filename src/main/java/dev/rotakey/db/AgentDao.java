package dev.rotakey.db;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.rotakey.core.Agent;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Reads and writes agents. */
public final class AgentDao {
    private static final TypeReference<Map<String, String>> ATTRIBUTES = new TypeReference<>() {
    };
    static final RowMapper<Agent> MAPPER = (rs, ctx) -> new Agent(
            rs.getString("id"),
            rs.getString("owner"),
            Agent.AgentKind.valueOf(rs.getString("kind")),
            rs.getString("description"),
            JsonText.read(rs.getString("attributes"), ATTRIBUTES),
            Agent.AgentStatus.valueOf(rs.getString("status")),
            instant(rs.getTimestamp("expires_at")),
            instant(rs.getTimestamp("created_at")),
            instant(rs.getTimestamp("decommissioned_at")));

    private final Handle h;

    AgentDao(Handle h) {
        this.h = h;
    }

    public void insert(Agent a) {
        h.createUpdate("INSERT INTO agents (id, owner, kind, description, attributes, status, expires_at, created_at, "
                        + "decommissioned_at) VALUES (:id, :owner, :kind, :description, :attributes, :status, :expiresAt, "
                        + ":createdAt, :decommissionedAt)")
                .bind("id", a.id())
                .bind("owner", a.owner())
                .bind("kind", a.kind().name())
                .bind("description", a.description())
                .bind("attributes", JsonText.write(a.attributes()))
                .bind("status", a.status().name())
                .bind("expiresAt", a.expiresAt())
                .bind("createdAt", a.createdAt())
                .bind("decommissionedAt", a.decommissionedAt())
                .execute();
    }

    public Optional<Agent> find(String id) {
        return h.createQuery("SELECT * FROM agents WHERE id = :id").bind("id", id).map(MAPPER).findOne();
    }

    /** Locks the agent's row until the transaction ends, so decommissioning and creation do not interleave. */
    public Optional<Agent> findForUpdate(String id) {
        return h.createQuery("SELECT * FROM agents WHERE id = :id FOR UPDATE").bind("id", id).map(MAPPER).findOne();
    }

    /** A page of agents in id order, after {@code afterId} (keyset pagination, so deep pages stay cheap). */
    public List<Agent> list(String afterId, int limit) {
        return list(afterId, limit, null);
    }

    /** A page of agents by id, of one owner's when {@code owner} is not null. */
    public List<Agent> list(String afterId, int limit, String owner) {
        return h.createQuery("SELECT * FROM agents WHERE id > :after" + (owner == null ? "" : " AND owner = :owner")
                        + " ORDER BY id LIMIT :limit")
                .bind("after", afterId == null ? "" : afterId)
                .bind("owner", owner)
                .bind("limit", limit)
                .map(MAPPER)
                .list();
    }

    /** Sets what may change in place: the description and the attributes. */
    public void update(String id, String description, Map<String, String> attributes) {
        h.createUpdate("UPDATE agents SET description = :description, attributes = :attributes WHERE id = :id")
                .bind("id", id).bind("description", description).bind("attributes", JsonText.write(attributes))
                .execute();
    }

    public void markDecommissioned(String id, Instant at) {
        h.createUpdate("UPDATE agents SET status = 'DECOMMISSIONED', decommissioned_at = :at WHERE id = :id")
                .bind("id", id).bind("at", at).execute();
    }

    /** Ephemeral agents still active whose expiry has passed. */
    public List<String> expiredEphemeral(Instant now, int limit) {
        return h.createQuery("SELECT id FROM agents WHERE kind = 'EPHEMERAL' AND status = 'ACTIVE' "
                        + "AND expires_at <= :now ORDER BY expires_at LIMIT :limit")
                .bind("now", now).bind("limit", limit).mapTo(String.class).list();
    }

    static Instant instant(Timestamp t) {
        return t == null ? null : t.toInstant();
    }
}
