package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

/**
 * The audit chain's head: the number and hash of the last chained event, kept in {@code audit_chain}'s one row, whose
 * row lock orders the commits that record events. {@code legacyUntilId}: events up to this id were recorded before
 * the chain existed and are chained once, at the next start.
 */
public record AuditChainHead(long seq, String hash, long legacyUntilId) {
    static AuditChainHead lock(Handle h) {
        return h.createQuery("SELECT head_seq, head_hash, legacy_until_id FROM audit_chain WHERE id = 1 FOR UPDATE")
                .map((rs, ctx) -> new AuditChainHead(rs.getLong(1), rs.getString(2), rs.getLong(3)))
                .one();
    }

    static AuditChainHead read(Handle h) {
        return h.createQuery("SELECT head_seq, head_hash, legacy_until_id FROM audit_chain WHERE id = 1")
                .map((rs, ctx) -> new AuditChainHead(rs.getLong(1), rs.getString(2), rs.getLong(3)))
                .one();
    }

    static void advance(Handle h, long seq, String hash) {
        h.createUpdate("UPDATE audit_chain SET head_seq = :seq, head_hash = :hash WHERE id = 1")
                .bind("seq", seq).bind("hash", hash).execute();
    }
}
