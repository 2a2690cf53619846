package dev.rotakey.crash;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What the daemon's database holds, read directly (over JDBC, while the daemon is down: embedded H2
 * admits one process) — versions, rotations, and the key objects the records account for.
 */
record StoredState(List<Version> versions, List<RotationRow> rotations, Set<String> caKeyAliases) {

    record Version(String credential, int version, String state, String keyRef, String revokeError, String revokeReason) {
    }

    record RotationRow(String id, String credential, int version, String state, String step) {
    }

    static StoredState read(String url, String user) {
        try (Connection c = DriverManager.getConnection(url, user, "");
             Statement s = c.createStatement()) {
            List<Version> versions = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT credential_id, version, state, key_ref, revoke_error, revoke_reason "
                    + "FROM credential_versions ORDER BY credential_id, version")) {
                while (rs.next()) {
                    versions.add(new Version(rs.getString(1), rs.getInt(2), rs.getString(3), rs.getString(4),
                            rs.getString(5), rs.getString(6)));
                }
            }
            List<RotationRow> rotations = new ArrayList<>();
            try (ResultSet rs = s.executeQuery("SELECT id, credential_id, version, state, step FROM rotations")) {
                while (rs.next()) {
                    rotations.add(new RotationRow(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4),
                            rs.getString(5)));
                }
            }
            Set<String> aliases = new HashSet<>();
            try (ResultSet rs = s.executeQuery("SELECT key_alias FROM certificate_authorities WHERE key_destroyed_at IS NULL")) {
                while (rs.next()) {
                    aliases.add(rs.getString(1));
                }
            }
            // The audit chain's checkpoint keys: each checkpoint names the key that signed it.
            try (ResultSet rs = s.executeQuery("SELECT DISTINCT key_alias FROM audit_checkpoints")) {
                while (rs.next()) {
                    aliases.add(rs.getString(1));
                }
            }
            return new StoredState(List.copyOf(versions), List.copyOf(rotations), Set.copyOf(aliases));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the daemon's database: " + e.getMessage(), e);
        }
    }

    List<Version> of(String credential) {
        return versions.stream().filter(v -> v.credential().equals(credential)).toList();
    }

    List<RotationRow> rotationsOf(String credential) {
        return rotations.stream().filter(r -> r.credential().equals(credential)).toList();
    }

    /** Key objects a version (leaf keys) or a CA generation accounts for. */
    Set<String> accountedKeys() {
        Set<String> keys = new HashSet<>(caKeyAliases);
        versions.stream().map(Version::keyRef).filter(k -> k != null).forEach(keys::add);
        return keys;
    }
}
