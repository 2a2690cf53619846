package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** The signed CRL of each CA generation (DER, public), and the CA's CRL number counter. */
public final class CrlDao {
    /**
     * A generation's current CRL; {@code der} is null until the first one is signed. {@code stale}: a
     * revocation happened that this CRL does not list yet.
     */
    public record CrlRecord(String caName, int generation, long crlNumber, Instant thisUpdate, Instant nextUpdate,
                            byte[] der, boolean stale) {
    }

    private final Handle h;

    CrlDao(Handle h) {
        this.h = h;
    }

    /** Adds the (empty) row of a generation; false when it exists already. */
    public boolean insertIfAbsent(String caName, int generation) {
        boolean exists = h.createQuery("SELECT COUNT(*) FROM certificate_revocation_lists WHERE ca_name = :n AND ca_generation = :g")
                .bind("n", caName).bind("g", generation).mapTo(Integer.class).one() > 0;
        if (exists) {
            return false;
        }
        h.createUpdate("INSERT INTO certificate_revocation_lists (ca_name, ca_generation, crl_number) VALUES (:n, :g, 0)")
                .bind("n", caName).bind("g", generation).execute();
        return true;
    }

    /**
     * Locks every CRL row of the CA {@code caName} for the transaction and returns the highest CRL
     * number it has used, so that the next number is unique and increasing across its generations and nodes.
     */
    public long lockAndMaxNumber(String caName) {
        List<Long> numbers = h.createQuery("SELECT crl_number FROM certificate_revocation_lists WHERE ca_name = :n FOR UPDATE")
                .bind("n", caName).mapTo(Long.class).list();
        return numbers.stream().mapToLong(Long::longValue).max().orElse(0);
    }

    public void store(String caName, int generation, long number, Instant thisUpdate, Instant nextUpdate, byte[] der) {
        h.createUpdate("UPDATE certificate_revocation_lists SET crl_number = :num, this_update = :tu, next_update = :nu, "
                        + "crl = :der, stale = FALSE WHERE ca_name = :n AND ca_generation = :g")
                .bind("num", number).bind("tu", thisUpdate).bind("nu", nextUpdate).bind("der", der)
                .bind("n", caName).bind("g", generation)
                .execute();
    }

    /**
     * Marks a generation's CRL as missing a revocation, in the revoking transaction. A signer holds the
     * row lock from reading the entries to storing the CRL, so this waits for it and is never lost.
     */
    public void markStale(String caName, int generation) {
        h.createUpdate("UPDATE certificate_revocation_lists SET stale = TRUE WHERE ca_name = :n AND ca_generation = :g")
                .bind("n", caName).bind("g", generation).execute();
    }

    public Optional<CrlRecord> find(String caName, int generation) {
        return h.createQuery("SELECT ca_name, ca_generation, crl_number, this_update, next_update, crl, stale "
                        + "FROM certificate_revocation_lists WHERE ca_name = :n AND ca_generation = :g")
                .bind("n", caName).bind("g", generation)
                .map((rs, ctx) -> new CrlRecord(rs.getString("ca_name"), rs.getInt("ca_generation"), rs.getLong("crl_number"),
                        AgentDao.instant(rs.getTimestamp("this_update")), AgentDao.instant(rs.getTimestamp("next_update")),
                        rs.getBytes("crl"), rs.getBoolean("stale")))
                .findOne();
    }
}
