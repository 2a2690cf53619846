package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/**
 * The ledger of leaf certificates the CAs issued: one row per certificate, keyed by serial. Every
 * query goes through an index (by credential version, or by CA generation, revocation and expiry).
 */
public final class IssuedCertificateDao {
    /** One issued certificate; {@code serial} is lower-case hex. Public facts only. */
    public record IssuedRecord(String serial, String caName, int caGeneration, String credentialId, int version,
                               String agentId, Instant notBefore, Instant notAfter, Instant issuedAt,
                               Instant revokedAt, String revokeReason) {
    }

    /** A CA generation whose CRL must change. */
    public record CaGeneration(String caName, int generation) {
    }

    private static final String COLUMNS = "serial, ca_name, ca_generation, credential_id, version, agent_id, not_before, "
            + "not_after, issued_at, revoked_at, revoke_reason";

    private final Handle h;

    IssuedCertificateDao(Handle h) {
        this.h = h;
    }

    public void insert(IssuedRecord r) {
        h.createUpdate("INSERT INTO issued_certificates (" + COLUMNS + ") VALUES (:serial, :ca, :gen, :cred, :version, "
                        + ":agent, :nb, :na, :issued, :revoked, :reason)")
                .bind("serial", r.serial()).bind("ca", r.caName()).bind("gen", r.caGeneration())
                .bind("cred", r.credentialId()).bind("version", r.version()).bind("agent", r.agentId())
                .bind("nb", r.notBefore()).bind("na", r.notAfter()).bind("issued", r.issuedAt())
                .bindByType("revoked", r.revokedAt(), Instant.class).bind("reason", r.revokeReason())
                .execute();
    }

    public boolean exists(String serial) {
        return h.createQuery("SELECT COUNT(*) FROM issued_certificates WHERE serial = :s")
                .bind("s", serial).mapTo(Integer.class).one() > 0;
    }

    /** Every certificate issued for {@code credentialId}, by version then issue time. */
    public List<IssuedRecord> forCredential(String credentialId) {
        return forCredentials(List.of(credentialId));
    }

    /** Every certificate issued for these credentials, in one query, by credential, version and issue time. */
    public List<IssuedRecord> forCredentials(java.util.Collection<String> credentialIds) {
        if (credentialIds.isEmpty()) {
            return List.of();
        }
        return h.createQuery("SELECT " + COLUMNS + " FROM issued_certificates WHERE credential_id IN (<c>) "
                        + "ORDER BY credential_id, version, issued_at, serial")
                .bindList("c", List.copyOf(credentialIds))
                .map((rs, ctx) -> record(rs))
                .list();
    }

    /** The CA generations that issued for this credential version and have an unrevoked certificate of it. */
    public List<CaGeneration> unrevokedIssuers(String credentialId, int version) {
        return h.createQuery("SELECT DISTINCT ca_name, ca_generation FROM issued_certificates "
                        + "WHERE credential_id = :c AND version = :v AND revoked_at IS NULL")
                .bind("c", credentialId).bind("v", version)
                .map((rs, ctx) -> new CaGeneration(rs.getString("ca_name"), rs.getInt("ca_generation")))
                .list();
    }

    /** Revokes the unrevoked certificates of a credential version; earlier revocations keep their time and reason. */
    public int revoke(String credentialId, int version, String reason, Instant at) {
        return h.createUpdate("UPDATE issued_certificates SET revoked_at = :at, revoke_reason = :reason "
                        + "WHERE credential_id = :c AND version = :v AND revoked_at IS NULL")
                .bind("at", at).bind("reason", reason).bind("c", credentialId).bind("v", version)
                .execute();
    }

    /** The CRL entries of a CA generation: revoked certificates that have not expired at {@code now}. */
    public List<IssuedRecord> revokedUnexpired(String caName, int generation, Instant now) {
        return h.createQuery("SELECT " + COLUMNS + " FROM issued_certificates WHERE ca_name = :ca AND ca_generation = :g "
                        + "AND revoked_at IS NOT NULL AND not_after > :now ORDER BY revoked_at, serial")
                .bind("ca", caName).bind("g", generation).bind("now", now)
                .map((rs, ctx) -> record(rs))
                .list();
    }

    /** How many certificates of a CA generation are still usable at {@code now}: neither revoked nor expired. */
    public long outstanding(String caName, int generation, Instant now) {
        return h.createQuery("SELECT COUNT(*) FROM issued_certificates WHERE ca_name = :ca AND ca_generation = :g "
                        + "AND revoked_at IS NULL AND not_after > :now")
                .bind("ca", caName).bind("g", generation).bind("now", now)
                .mapTo(Long.class).one();
    }

    /** Whether any certificate of a CA generation is still usable at {@code now}; stops at the first one. */
    public boolean hasOutstanding(String caName, int generation, Instant now) {
        return h.createQuery("SELECT 1 FROM issued_certificates WHERE ca_name = :ca AND ca_generation = :g "
                        + "AND revoked_at IS NULL AND not_after > :now FETCH FIRST 1 ROWS ONLY")
                .bind("ca", caName).bind("g", generation).bind("now", now)
                .mapTo(Integer.class).findOne().isPresent();
    }

    private static IssuedRecord record(ResultSet rs) throws SQLException {
        return new IssuedRecord(rs.getString("serial"), rs.getString("ca_name"), rs.getInt("ca_generation"),
                rs.getString("credential_id"), rs.getInt("version"), rs.getString("agent_id"),
                AgentDao.instant(rs.getTimestamp("not_before")), AgentDao.instant(rs.getTimestamp("not_after")),
                AgentDao.instant(rs.getTimestamp("issued_at")), AgentDao.instant(rs.getTimestamp("revoked_at")),
                rs.getString("revoke_reason"));
    }
}
