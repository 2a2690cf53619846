package dev.rotakey.db;

import dev.rotakey.audit.AuditCheckpoint;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/** Stores and reads the audit chain's signed checkpoints. */
public final class AuditCheckpointDao {
    private static final RowMapper<AuditCheckpoint> MAPPER = (rs, ctx) -> new AuditCheckpoint(
            rs.getLong("seq"), rs.getString("hash"), instant(rs.getTimestamp("at")), rs.getString("backend"),
            rs.getString("key_alias"), rs.getString("algorithm"), rs.getString("payload"), rs.getString("signature"),
            rs.getString("node"));

    private final Handle h;

    AuditCheckpointDao(Handle h) {
        this.h = h;
    }

    /** Stores {@code c} unless the same event is already checkpointed (by another node); answers whether it stored it. */
    public boolean insertIfAbsent(AuditCheckpoint c) {
        return h.createUpdate("INSERT INTO audit_checkpoints (seq, hash, at, backend, key_alias, algorithm, payload, "
                        + "signature, node) SELECT :seq, :hash, :at, :backend, :key, :algorithm, :payload, :signature, :node "
                        + "WHERE NOT EXISTS (SELECT 1 FROM audit_checkpoints WHERE seq = :seq)")
                .bind("seq", c.seq()).bind("hash", c.hash()).bind("at", c.at()).bind("backend", c.backend())
                .bind("key", c.keyAlias()).bind("algorithm", c.algorithm()).bind("payload", c.payload())
                .bind("signature", c.signature()).bind("node", c.node())
                .execute() == 1;
    }

    /** The checkpoint of the highest event, if any. */
    public Optional<AuditCheckpoint> latest() {
        return h.createQuery("SELECT * FROM audit_checkpoints ORDER BY seq DESC LIMIT 1").map(MAPPER).findOne();
    }

    /** Checkpoints of events numbered above {@code afterSeq}, in order. */
    public List<AuditCheckpoint> after(long afterSeq, int limit) {
        return h.createQuery("SELECT * FROM audit_checkpoints WHERE seq > :after ORDER BY seq LIMIT :limit")
                .bind("after", afterSeq).bind("limit", limit).map(MAPPER).list();
    }
}
