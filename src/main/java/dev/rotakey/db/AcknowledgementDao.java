package dev.rotakey.db;

import dev.rotakey.core.Acknowledgement;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.util.List;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/** Reads and writes consumers' acknowledgements of versions (one row per version and consumer). */
public final class AcknowledgementDao {
    private static final RowMapper<Acknowledgement> MAPPER = (rs, ctx) -> new Acknowledgement(
            rs.getString("credential_id"), rs.getInt("version"), rs.getString("consumer"),
            instant(rs.getTimestamp("acknowledged_at")), rs.getString("actor"));

    private final Handle h;

    AcknowledgementDao(Handle h) {
        this.h = h;
    }

    public Optional<Acknowledgement> find(String credentialId, int version, String consumer) {
        return h.createQuery("SELECT * FROM version_acknowledgements WHERE credential_id = :c AND version = :v "
                        + "AND consumer = :n")
                .bind("c", credentialId).bind("v", version).bind("n", consumer).map(MAPPER).findOne();
    }

    public void insert(Acknowledgement a) {
        h.createUpdate("INSERT INTO version_acknowledgements (credential_id, version, consumer, acknowledged_at, actor) "
                        + "VALUES (:c, :v, :n, :at, :actor)")
                .bind("c", a.credentialId()).bind("v", a.version()).bind("n", a.consumer())
                .bind("at", a.acknowledgedAt()).bind("actor", a.actor()).execute();
    }

    /** Every acknowledgement of a version, by consumer name. */
    public List<Acknowledgement> ofVersion(String credentialId, int version) {
        return h.createQuery("SELECT * FROM version_acknowledgements WHERE credential_id = :c AND version = :v "
                        + "ORDER BY consumer")
                .bind("c", credentialId).bind("v", version).map(MAPPER).list();
    }
}
