package dev.rotakey.db;

import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.statement.PreparedBatch;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Records which target bindings have received, verified and dropped each version. */
public final class DeliveryDao {
    private final Handle h;

    DeliveryDao(Handle h) {
        this.h = h;
    }

    public void delivered(String credentialId, int version, int bindingIndex, String target, Instant at) {
        int n = h.createUpdate("UPDATE deliveries SET delivered_at = :at, verified_at = NULL, removed_at = NULL "
                        + "WHERE credential_id = :c AND version = :v AND binding_index = :i")
                .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("at", at).execute();
        if (n == 0) {
            h.createUpdate("INSERT INTO deliveries (credential_id, version, binding_index, target, delivered_at) "
                            + "VALUES (:c, :v, :i, :t, :at)")
                    .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("t", target).bind("at", at)
                    .execute();
        }
    }

    /** One binding's record of a version: its credential, version, binding index and target. */
    public record Binding(String credentialId, int version, int bindingIndex, String target) {
    }

    /**
     * {@link #delivered} (and, when {@code verifiedAt} is not null, {@link #verified}) of versions delivered for the
     * first time, with no record of them yet, in one batch: a batch creation's first versions.
     */
    public void deliveredFirst(List<Binding> bindings, Instant deliveredAt, Instant verifiedAt) {
        if (bindings.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch("INSERT INTO deliveries (credential_id, version, binding_index, target, "
                + "delivered_at, verified_at) VALUES (:c, :v, :i, :t, :delivered, :verified)");
        bindings.forEach(b -> batch.bind("c", b.credentialId()).bind("v", b.version()).bind("i", b.bindingIndex())
                .bind("t", b.target()).bind("delivered", deliveredAt)
                .bindByType("verified", verifiedAt, Instant.class).add());
        batch.execute();
    }

    public void verified(String credentialId, int version, int bindingIndex, Instant at) {
        h.createUpdate("UPDATE deliveries SET verified_at = :at WHERE credential_id = :c AND version = :v AND binding_index = :i")
                .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("at", at).execute();
    }

    /** Records a target's reference to a version's material at a binding; repeating it is harmless. */
    public void addReference(String credentialId, int version, int bindingIndex, String reference) {
        boolean known = h.createQuery("SELECT COUNT(*) FROM target_references WHERE credential_id = :c AND version = :v "
                        + "AND binding_index = :i AND reference = :r")
                .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("r", reference)
                .mapTo(Integer.class).one() > 0;
        if (!known) {
            h.createUpdate("INSERT INTO target_references (credential_id, version, binding_index, reference) "
                            + "VALUES (:c, :v, :i, :r)")
                    .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("r", reference).execute();
        }
    }

    /**
     * Drops what is recorded of one binding of a credential (every version's deliveries and references there): the
     * binding was removed by a change of the credential.
     */
    public void dropBinding(String credentialId, int bindingIndex) {
        h.createUpdate("DELETE FROM deliveries WHERE credential_id = :c AND binding_index = :i")
                .bind("c", credentialId).bind("i", bindingIndex).execute();
        h.createUpdate("DELETE FROM target_references WHERE credential_id = :c AND binding_index = :i")
                .bind("c", credentialId).bind("i", bindingIndex).execute();
    }

    /**
     * Moves what is recorded of a binding to another index (a binding before it was removed). Moves are made in
     * ascending order of the new index, into indexes already freed, so that the primary key never collides.
     */
    public void moveBinding(String credentialId, int from, int to) {
        h.createUpdate("UPDATE deliveries SET binding_index = :to WHERE credential_id = :c AND binding_index = :from")
                .bind("c", credentialId).bind("from", from).bind("to", to).execute();
        h.createUpdate("UPDATE target_references SET binding_index = :to WHERE credential_id = :c AND binding_index = :from")
                .bind("c", credentialId).bind("from", from).bind("to", to).execute();
    }

    /** Every reference recorded for a version at a binding, oldest first. */
    public List<String> references(String credentialId, int version, int bindingIndex) {
        return h.createQuery("SELECT reference FROM target_references WHERE credential_id = :c AND version = :v "
                        + "AND binding_index = :i ORDER BY seq")
                .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).mapTo(String.class).list();
    }

    /**
     * Every reference recorded for any version of a credential, oldest first, keyed by version and then by binding
     * index: one query for a whole credential's view or delivery.
     */
    public Map<Integer, Map<Integer, List<String>>> referencesOf(String credentialId) {
        return referencesOf(credentialId, null);
    }

    /** {@link #referencesOf(String)} for some versions only (all when null). */
    public Map<Integer, Map<Integer, List<String>>> referencesOf(String credentialId, java.util.Collection<Integer> versions) {
        Map<Integer, Map<Integer, List<String>>> out = new TreeMap<>();
        if (versions != null && versions.isEmpty()) {
            return out;
        }
        h.createQuery("SELECT version, binding_index, reference FROM target_references WHERE credential_id = :c "
                        + (versions == null ? "" : "AND version IN (<versions>) ") + "ORDER BY seq")
                .bind("c", credentialId)
                .define("versions", versions == null ? "" : versions.stream().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining(", ")))
                .map((rs, ctx) -> {
                    out.computeIfAbsent(rs.getInt("version"), v -> new TreeMap<>())
                            .computeIfAbsent(rs.getInt("binding_index"), i -> new ArrayList<>())
                            .add(rs.getString("reference"));
                    return 0;
                })
                .list();
        return out;
    }

    public void removed(String credentialId, int version, int bindingIndex, Instant at) {
        h.createUpdate("UPDATE deliveries SET removed_at = :at WHERE credential_id = :c AND version = :v AND binding_index = :i")
                .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("at", at).execute();
    }
}
