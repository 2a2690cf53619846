package dev.rotakey.db;

import dev.rotakey.core.Agent;
import dev.rotakey.core.Attestation;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/** Reads and writes agents' attestation: the last one, their own interval, suspensions and ownership transfers. */
public final class AttestationDao {
    /** An agent with its attestation, as the deadline sweep and the alerts read them. */
    public record Attested(Agent agent, Attestation attestation) {
    }

    static final RowMapper<Attestation> MAPPER = (rs, ctx) -> {
        String every = rs.getString("attest_every");
        return new Attestation(rs.getString("id"), every == null ? null : Duration.parse(every),
                instant(rs.getTimestamp("attested_at")), rs.getString("attested_by"),
                instant(rs.getTimestamp("suspended_at")), rs.getString("pending_owner"),
                instant(rs.getTimestamp("pending_owner_since")));
    };
    private static final RowMapper<Attested> ATTESTED = (rs, ctx) ->
            new Attested(AgentDao.MAPPER.map(rs, ctx), MAPPER.map(rs, ctx));

    private final Handle h;

    AttestationDao(Handle h) {
        this.h = h;
    }

    public Optional<Attestation> find(String agentId) {
        return h.createQuery("SELECT * FROM agents WHERE id = :id").bind("id", agentId).map(MAPPER).findOne();
    }

    /** An agent and its attestation, in one read of its row. */
    public Optional<Attested> findAttested(String agentId) {
        return h.createQuery("SELECT * FROM agents WHERE id = :id").bind("id", agentId).map(ATTESTED).findOne();
    }

    /** {@link #findAttested}, its row locked until the transaction ends (attestations and changes do not interleave). */
    public Optional<Attested> findAttestedForUpdate(String agentId) {
        return h.createQuery("SELECT * FROM agents WHERE id = :id FOR UPDATE").bind("id", agentId).map(ATTESTED)
                .findOne();
    }

    /** The attestations of {@code agentIds} (a page of a listing), by agent. */
    public Map<String, Attestation> findAll(Collection<String> agentIds) {
        Map<String, Attestation> out = new LinkedHashMap<>();
        if (!agentIds.isEmpty()) {
            h.createQuery("SELECT * FROM agents WHERE id IN (<ids>)").bindList("ids", List.copyOf(agentIds))
                    .map(MAPPER).forEach(a -> out.put(a.agentId(), a));
        }
        return out;
    }

    /** Records an attestation now and lifts a suspension. */
    public void attest(String agentId, Instant at, String by) {
        h.createUpdate("UPDATE agents SET attested_at = :at, attested_by = :by, suspended_at = NULL WHERE id = :id")
                .bind("id", agentId).bind("at", at).bind("by", by).execute();
    }

    /** The agent's own interval, or null to follow the configured one. */
    public void setAttestEvery(String agentId, Duration every) {
        h.createUpdate("UPDATE agents SET attest_every = :every WHERE id = :id")
                .bind("id", agentId).bind("every", every == null ? null : every.toString()).execute();
    }

    /** An ownership transfer that waits for {@code newOwner}'s attestation; null cancels a waiting one. */
    public void setPendingOwner(String agentId, String newOwner, Instant since) {
        h.createUpdate("UPDATE agents SET pending_owner = :owner, pending_owner_since = :since WHERE id = :id")
                .bind("id", agentId).bind("owner", newOwner).bind("since", newOwner == null ? null : since).execute();
    }

    /** Completes a transfer: the waiting owner becomes the owner. */
    public void completeTransfer(String agentId, String newOwner) {
        h.createUpdate("UPDATE agents SET owner = :owner, pending_owner = NULL, pending_owner_since = NULL WHERE id = :id")
                .bind("id", agentId).bind("owner", newOwner).execute();
    }

    /** Suspends an active agent not yet suspended; whether this call did (on a cluster, one node's sweep wins). */
    public boolean suspend(String agentId, Instant at) {
        return h.createUpdate("UPDATE agents SET suspended_at = :at WHERE id = :id AND status = 'ACTIVE' "
                + "AND suspended_at IS NULL").bind("id", agentId).bind("at", at).execute() == 1;
    }

    /**
     * Active agents following the configured interval whose last attestation (or creation) is at or before
     * {@code baseBefore}, longest waiting first, from the {@code offset}-th; {@code unsuspendedOnly} leaves out those
     * already suspended.
     */
    public List<Attested> waitingSince(Instant baseBefore, boolean unsuspendedOnly, int offset, int limit) {
        return h.createQuery("SELECT * FROM agents WHERE status = 'ACTIVE' AND attest_every IS NULL "
                        + "AND COALESCE(attested_at, created_at) <= :before"
                        + (unsuspendedOnly ? " AND suspended_at IS NULL" : "")
                        + " ORDER BY COALESCE(attested_at, created_at), id LIMIT :limit OFFSET :offset")
                .bind("before", baseBefore).bind("limit", limit).bind("offset", offset).map(ATTESTED).list();
    }

    /** Active agents with an interval of their own (few: an exception to the policy), to be judged one by one. */
    public List<Attested> withOwnInterval(int limit) {
        return h.createQuery("SELECT * FROM agents WHERE status = 'ACTIVE' AND attest_every IS NOT NULL "
                        + "ORDER BY id LIMIT :limit")
                .bind("limit", limit).map(ATTESTED).list();
    }
}
