package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

/** The generations of each certificate authority: key alias, backend and public certificate. */
public final class CertificateAuthorityDao {
    /** One generation of a CA; {@code certificatePem} is public material only. */
    public record CaRecord(String name, int generation, String keyAlias, String keySpec, String backend,
                           String certificatePem, String state, Instant createdAt) {
    }

    private final Handle h;

    CertificateAuthorityDao(Handle h) {
        this.h = h;
    }

    private static final String COLUMNS = "name, generation, key_alias, key_spec, backend, certificate, state, created_at";

    /** Every generation of the CA {@code name}, oldest first; empty when it has not been created yet. */
    public List<CaRecord> generations(String name) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificate_authorities WHERE name = :n ORDER BY generation")
                .bind("n", name)
                .map((rs, ctx) -> record(rs))
                .list();
    }

    /** Every generation of every CA whose key lives in the backend {@code backend}. */
    public List<CaRecord> generationsIn(String backend) {
        return h.createQuery("SELECT " + COLUMNS + " FROM certificate_authorities WHERE backend = :b ORDER BY name, generation")
                .bind("b", backend)
                .map((rs, ctx) -> record(rs))
                .list();
    }

    private static CaRecord record(ResultSet rs) throws SQLException {
        return new CaRecord(rs.getString("name"), rs.getInt("generation"), rs.getString("key_alias"),
                rs.getString("key_spec"), rs.getString("backend"), rs.getString("certificate"),
                rs.getString("state"), AgentDao.instant(rs.getTimestamp("created_at")));
    }

    public void insert(CaRecord r) {
        h.createUpdate("INSERT INTO certificate_authorities (name, generation, key_alias, key_spec, backend, certificate, "
                        + "state, created_at) VALUES (:name, :generation, :alias, :spec, :backend, :cert, :state, :at)")
                .bind("name", r.name()).bind("generation", r.generation()).bind("alias", r.keyAlias())
                .bind("spec", r.keySpec()).bind("backend", r.backend()).bind("cert", r.certificatePem())
                .bind("state", r.state()).bind("at", r.createdAt())
                .execute();
    }
}
