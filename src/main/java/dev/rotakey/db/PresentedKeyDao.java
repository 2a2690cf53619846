package dev.rotakey.db;

import dev.rotakey.core.CredentialType;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.VersionState;
import com.fasterxml.jackson.core.type.TypeReference;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;

import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rotakey.db.AgentDao.instant;

/**
 * The one query of an API-key verification: the version whose digest was presented, with its credential's type and
 * scopes, its agent, owner, attributes, suspension and expiry, and the state of the rotation that made it, in one round trip on the versions' unique digest index.
 */
public final class PresentedKeyDao {
    /**
     * The PostgreSQL channel that triggers on the tables this DAO reads (versions, credentials, agents, rotations)
     * notify after every statement that changes them (migration 23-cache-notify), whichever node or tool ran it.
     */
    public static final String CHANGES_CHANNEL = "rotakey_credentials";
    /**
     * A version found by its digest. {@code type}, {@code agentId} and {@code owner} are null when the credential or
     * the agent is gone; {@code rotationState} and {@code rotationStep} when the version has no rotation recorded.
     */
    public record PresentedKey(String credentialId, int version, VersionState state, Instant revokeAfter,
                               CredentialType type, String agentId, String owner, boolean decommissioned,
                               RotationState rotationState, RotationStep rotationStep, List<String> scopes,
                               Map<String, String> attributes, boolean suspended, Instant agentExpiresAt) {
        public PresentedKey {
            scopes = scopes == null ? List.of() : List.copyOf(scopes);
            attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
        }

        /** A key as before governance: no scopes, no attributes, not suspended, never expiring. */
        public PresentedKey(String credentialId, int version, VersionState state, Instant revokeAfter,
                            CredentialType type, String agentId, String owner, boolean decommissioned,
                            RotationState rotationState, RotationStep rotationStep) {
            this(credentialId, version, state, revokeAfter, type, agentId, owner, decommissioned, rotationState,
                    rotationStep, List.of(), Map.of(), false, null);
        }
    }

    private static final TypeReference<List<String>> SCOPES = new TypeReference<>() {
    };
    private static final TypeReference<Map<String, String>> ATTRIBUTES = new TypeReference<>() {
    };

    private static final RowMapper<PresentedKey> MAPPER = (rs, ctx) -> {
        String rotationState = rs.getString("rotation_state");
        String rotationStep = rs.getString("rotation_step");
        return new PresentedKey(rs.getString("credential_id"), rs.getInt("version"),
                VersionState.valueOf(rs.getString("state")), instant(rs.getTimestamp("revoke_after")),
                CredentialType.fromWire(rs.getString("type")).orElse(null), rs.getString("agent_id"), rs.getString("owner"),
                // A decommission answers before its versions are revoked at the targets: its mark alone refuses the keys.
                "DECOMMISSIONED".equals(rs.getString("credential_status")) || "DECOMMISSIONED".equals(rs.getString("agent_status")),
                rotationState == null ? null : RotationState.valueOf(rotationState),
                rotationStep == null ? null : RotationStep.valueOf(rotationStep),
                rs.getString("scopes") == null ? List.of() : JsonText.read(rs.getString("scopes"), SCOPES),
                rs.getString("attributes") == null ? Map.of() : JsonText.read(rs.getString("attributes"), ATTRIBUTES),
                rs.getTimestamp("suspended_at") != null,
                "EPHEMERAL".equals(rs.getString("agent_kind")) ? instant(rs.getTimestamp("expires_at")) : null);
    };

    private final Handle h;

    PresentedKeyDao(Handle h) {
        this.h = h;
    }

    /** The version holding one of {@code digests} (one per key backend), if any. */
    public Optional<PresentedKey> find(Collection<String> digests) {
        if (digests.isEmpty()) {
            return Optional.empty();
        }
        return h.createQuery("SELECT v.credential_id, v.version, v.state, v.revoke_after, c.type, a.id AS agent_id, "
                        + "a.owner, c.status AS credential_status, a.status AS agent_status, r.state AS rotation_state, "
                        + "r.step AS rotation_step, c.scopes, a.attributes, a.suspended_at, a.kind AS agent_kind, a.expires_at "
                        + "FROM credential_versions v "
                        + "LEFT JOIN credentials c ON c.id = v.credential_id "
                        + "LEFT JOIN agents a ON a.id = c.agent_id "
                        + "LEFT JOIN rotations r ON r.id = v.rotation_id "
                        + "WHERE v.digest IN (<digests>)")
                .bindList("digests", List.copyOf(digests)).map(MAPPER).findFirst();
    }
}
