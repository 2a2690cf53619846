package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The generations of each certificate authority: key alias, backend, public certificate, state and parent. */
public final class CertificateAuthorityDao {
    /** The PostgreSQL channel told of every change to CA generations and their CRLs (migration 28-ca-cache-notify). */
    public static final String CHANGES_CHANNEL = "rotakey_certificate_authorities";

    /**
     * One generation of a CA; {@code certificatePem} is public material only. {@code parentName} and
     * {@code parentGeneration} name the parent CA generation that signed an intermediate's certificate.
     */
    public record CaRecord(String name, int generation, String keyAlias, String keySpec, String backend,
                           String certificatePem, String state, Instant createdAt, String parentName,
                           Integer parentGeneration, Instant retiredAt, Instant keyDestroyedAt) {

        /** A self-signed generation, not retired. */
        public CaRecord(String name, int generation, String keyAlias, String keySpec, String backend,
                        String certificatePem, String state, Instant createdAt) {
            this(name, generation, keyAlias, keySpec, backend, certificatePem, state, createdAt, null, null, null, null);
        }
    }

    private final Handle h;

    CertificateAuthorityDao(Handle h) {
        this.h = h;
    }

    private static final String COLUMNS = "name, generation, key_alias, key_spec, backend, certificate, state, created_at, "
            + "parent_name, parent_generation, retired_at, key_destroyed_at";

    /** Every generation of the CA {@code name}, oldest first; empty when it has not been created yet. */
    public List<CaRecord> generations(String name) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificate_authorities WHERE name = :n ORDER BY generation")
                .bind("n", name)
                .map((rs, ctx) -> record(rs))
                .list();
    }

    /** One generation of the CA {@code name}. */
    public Optional<CaRecord> generation(String name, int generation) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificate_authorities WHERE name = :n AND generation = :g")
                .bind("n", name).bind("g", generation)
                .map((rs, ctx) -> record(rs))
                .findOne();
    }

    /** The generation of {@code name} in {@code state} ACTIVE, if the CA exists. */
    public Optional<CaRecord> active(String name) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificate_authorities WHERE name = :n AND state = 'ACTIVE'")
                .bind("n", name)
                .map((rs, ctx) -> record(rs))
                .findOne();
    }

    /** Every generation of every CA whose key lives in the backend {@code backend}. */
    public List<CaRecord> generationsIn(String backend) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificate_authorities WHERE backend = :b ORDER BY name, generation")
                .bind("b", backend)
                .map((rs, ctx) -> record(rs))
                .list();
    }

    /**
     * Locks the CA {@code name} for the rest of the transaction, through its first generation's row
     * (which never changes after it is written), and tells whether the CA exists. Issuing and
     * rotating both take this lock, so an issue never signs with a generation a committed rotation retired.
     */
    public boolean lock(String name) {
        return h.createQuery("SELECT generation FROM certificate_authorities WHERE name = :n AND generation = 1 FOR UPDATE")
                .bind("n", name)
                .mapTo(Integer.class)
                .findOne()
                .isPresent();
    }

    /** Moves a generation from {@code from} to {@code to}; false when it was not in {@code from}. */
    public boolean changeState(String name, int generation, String from, String to, Instant retiredAt) {
        return h.createUpdate("UPDATE certificate_authorities SET state = :to, retired_at = COALESCE(:retired, retired_at) "
                        + "WHERE name = :n AND generation = :g AND state = :from")
                .bind("to", to).bindByType("retired", retiredAt, Instant.class).bind("n", name).bind("g", generation).bind("from", from)
                .execute() == 1;
    }

    public void markKeyDestroyed(String name, int generation, Instant at) {
        h.createUpdate("UPDATE certificate_authorities SET key_destroyed_at = :at WHERE name = :n AND generation = :g")
                .bind("at", at).bind("n", name).bind("g", generation)
                .execute();
    }

    /** How many generations of other CAs that are not RETIRED were signed by {@code name}'s generation {@code generation}. */
    public int childrenInUse(String name, int generation) {
        return h.createQuery("SELECT COUNT(*) FROM certificate_authorities WHERE parent_name = :n AND parent_generation = :g "
                        + "AND state <> 'RETIRED'")
                .bind("n", name).bind("g", generation)
                .mapTo(Integer.class)
                .one();
    }

    private static CaRecord record(ResultSet rs) throws SQLException {
        int parentGeneration = rs.getInt("parent_generation");
        Integer parent = rs.wasNull() ? null : parentGeneration;
        return new CaRecord(rs.getString("name"), rs.getInt("generation"), rs.getString("key_alias"),
                rs.getString("key_spec"), rs.getString("backend"), rs.getString("certificate"),
                rs.getString("state"), AgentDao.instant(rs.getTimestamp("created_at")), rs.getString("parent_name"),
                parent, AgentDao.instant(rs.getTimestamp("retired_at")), AgentDao.instant(rs.getTimestamp("key_destroyed_at")));
    }

    public void insert(CaRecord r) {
        h.createUpdate("INSERT INTO certificate_authorities (name, generation, key_alias, key_spec, backend, certificate, "
                        + "state, created_at, parent_name, parent_generation) VALUES (:name, :generation, :alias, :spec, "
                        + ":backend, :cert, :state, :at, :parentName, :parentGeneration)")
                .bind("name", r.name()).bind("generation", r.generation()).bind("alias", r.keyAlias())
                .bind("spec", r.keySpec()).bind("backend", r.backend()).bind("cert", r.certificatePem())
                .bind("state", r.state()).bind("at", r.createdAt())
                .bind("parentName", r.parentName())
                .bindByType("parentGeneration", r.parentGeneration(), Integer.class)
                .execute();
    }
}
