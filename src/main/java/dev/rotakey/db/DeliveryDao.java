package dev.rotakey.db;

import org.jdbi.v3.core.Handle;

import java.time.Instant;

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

    public void verified(String credentialId, int version, int bindingIndex, Instant at) {
        h.createUpdate("UPDATE deliveries SET verified_at = :at WHERE credential_id = :c AND version = :v AND binding_index = :i")
                .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("at", at).execute();
    }

    public void removed(String credentialId, int version, int bindingIndex, Instant at) {
        h.createUpdate("UPDATE deliveries SET removed_at = :at WHERE credential_id = :c AND version = :v AND binding_index = :i")
                .bind("c", credentialId).bind("v", version).bind("i", bindingIndex).bind("at", at).execute();
    }
}
