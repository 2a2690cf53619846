package dev.rotakey.db;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.core.AcknowledgementPolicy;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.KeyCustody;
import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.core.RotationPolicy;
import dev.rotakey.targets.TargetBinding;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.mapper.RowMapper;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.SqlStatement;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.rotakey.db.AgentDao.instant;

/** Reads and writes credentials (their policy and bindings; never any secret). */
public final class CredentialDao {
    private static final TypeReference<List<Map<String, String>>> BINDINGS = new TypeReference<>() {
    };
    private static final TypeReference<List<String>> SCOPES = new TypeReference<>() {
    };
    static final RowMapper<Credential> MAPPER = (rs, ctx) -> {
        String every = rs.getString("rotation_every");
        String cron = rs.getString("rotation_cron");
        List<TargetBinding> bindings = new ArrayList<>();
        for (Map<String, String> m : JsonText.read(rs.getString("bindings"), BINDINGS)) {
            Map<String, String> params = new LinkedHashMap<>(m);
            String target = params.remove("target");
            bindings.add(new TargetBinding(target, params));
        }
        return new Credential(
                rs.getString("id"),
                rs.getString("agent_id"),
                CredentialType.fromWire(rs.getString("type")).orElseThrow(
                        () -> new IllegalStateException("unknown stored credential type")),
                rs.getString("backend"),
                every != null ? RotationPolicy.every(Duration.parse(every))
                        : cron != null ? RotationPolicy.cron(cron) : RotationPolicy.MANUAL,
                Duration.parse(rs.getString("grace_period")),
                bindings,
                Credential.CredentialStatus.valueOf(rs.getString("status")),
                instant(rs.getTimestamp("next_rotation_at")),
                instant(rs.getTimestamp("created_at")),
                instant(rs.getTimestamp("decommissioned_at")),
                profile(rs.getString("certificate_profile")),
                passwordPolicy(rs.getString("password_policy")),
                acknowledgements(rs.getString("acknowledgement_policy")),
                rs.getString("scopes") == null ? List.of() : JsonText.read(rs.getString("scopes"), SCOPES),
                instant(rs.getTimestamp("retired_at")),
                rs.getString("retired_by"));
    };

    /** The acknowledgement policy as stored: {@code {"consumers": […], "maxGracePeriod": "PT3H"}}. */
    private record StoredAcknowledgements(List<String> consumers, String maxGracePeriod) {
    }

    static AcknowledgementPolicy acknowledgements(String json) {
        if (json == null) {
            return null;
        }
        StoredAcknowledgements a = JsonText.read(json, new TypeReference<StoredAcknowledgements>() {
        });
        return new AcknowledgementPolicy(a.consumers(), Duration.parse(a.maxGracePeriod()));
    }

    private static String acknowledgementsJson(AcknowledgementPolicy a) {
        return a == null ? null : JsonText.write(new StoredAcknowledgements(a.consumers(), a.maxGracePeriod().toString()));
    }

    /** The password policy as stored: {@code {"length": 32, "alphabet": "…"}}. */
    private record StoredPasswordPolicy(int length, String alphabet) {
    }

    private static PasswordPolicy passwordPolicy(String json) {
        if (json == null) {
            return null;
        }
        StoredPasswordPolicy p = JsonText.read(json, new TypeReference<StoredPasswordPolicy>() {
        });
        return new PasswordPolicy(p.length(), p.alphabet());
    }

    private static String passwordPolicyJson(PasswordPolicy p) {
        return p == null ? null : JsonText.write(new StoredPasswordPolicy(p.length(), p.alphabet()));
    }

    /** The certificate profile as stored: a flat JSON object of strings and lists, stable across versions. */
    private record StoredProfile(String ca, String keySpec, String validity, double renewAt, List<String> dnsNames,
                                 List<String> uris, String keyCustody) {
    }

    private static CertificateProfile profile(String json) {
        if (json == null) {
            return null;
        }
        StoredProfile p = JsonText.read(json, new TypeReference<StoredProfile>() {
        });
        return new CertificateProfile(p.ca(), KeySpec.valueOf(p.keySpec()), Duration.parse(p.validity()), p.renewAt(),
                p.dnsNames() == null ? List.of() : p.dnsNames(), p.uris() == null ? List.of() : p.uris(),
                KeyCustody.fromWire(p.keyCustody()).orElseThrow(
                        () -> new IllegalStateException("unknown stored key custody")));
    }

    private static String profileJson(CertificateProfile p) {
        return p == null ? null : JsonText.write(new StoredProfile(p.ca(), p.keySpec().name(), p.validity().toString(),
                p.renewAt(), p.dnsNames(), p.uris(), p.keyCustody().wireName()));
    }

    private final Handle h;

    CredentialDao(Handle h) {
        this.h = h;
    }

    private static final String INSERT = "INSERT INTO credentials (id, agent_id, type, backend, rotation_every, "
            + "rotation_cron, grace_period, bindings, status, next_rotation_at, created_at, certificate_profile, "
            + "password_policy, acknowledgement_policy, scopes) VALUES (:id, :agent, :type, :backend, :every, :cron, :grace, "
            + ":bindings, :status, :next, :createdAt, :profile, :password, :acks, :scopes)";

    public void insert(Credential c) {
        bind(h.createUpdate(INSERT), c).execute();
    }

    /** Inserts many credentials in one batch (a batch creation's registration); fails as a whole on any duplicate. */
    public void insertAll(List<Credential> credentials) {
        if (credentials.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch(INSERT);
        for (Credential c : credentials) {
            bind(batch, c).add();
        }
        batch.execute();
    }

    private static List<Map<String, String>> bindingsJson(Credential c) {
        List<Map<String, String>> bindings = new ArrayList<>();
        for (TargetBinding b : c.bindings()) {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("target", b.target());
            m.putAll(b.params());
            bindings.add(m);
        }
        return bindings;
    }

    private static <S extends SqlStatement<S>> S bind(S statement, Credential c) {
        List<Map<String, String>> bindings = bindingsJson(c);
        return statement
                .bind("id", c.id())
                .bind("agent", c.agentId())
                .bind("type", c.type().wireName())
                .bind("backend", c.backend())
                .bind("every", c.policy().every() == null ? null : c.policy().every().toString())
                .bind("cron", c.policy().cron())
                .bind("grace", c.gracePeriod().toString())
                .bind("bindings", JsonText.write(bindings))
                .bind("status", c.status().name())
                .bind("next", c.nextRotationAt())
                .bind("createdAt", c.createdAt())
                .bind("profile", profileJson(c.certificate()))
                .bind("password", passwordPolicyJson(c.password()))
                .bind("acks", acknowledgementsJson(c.acknowledgements()))
                .bind("scopes", c.scopes().isEmpty() ? null : JsonText.write(c.scopes()));
    }

    /** Which of {@code ids} name an existing credential, in one query. */
    public Set<String> existing(Collection<String> ids) {
        if (ids.isEmpty()) {
            return Set.of();
        }
        return new HashSet<>(h.createQuery("SELECT id FROM credentials WHERE id IN (<ids>)")
                .bindList("ids", List.copyOf(ids)).mapTo(String.class).list());
    }

    public Optional<Credential> find(String id) {
        return h.createQuery("SELECT * FROM credentials WHERE id = :id").bind("id", id).map(MAPPER).findOne();
    }

    /** The wire name of the credential's type, without reading the rest of it. */
    public Optional<String> typeOf(String id) {
        return h.createQuery("SELECT type FROM credentials WHERE id = :id").bind("id", id).mapTo(String.class).findOne();
    }

    /**
     * Locks the credential's row until the transaction ends: every change to a credential's
     * versions or rotations happens under this lock, on H2 and PostgreSQL alike.
     */
    public Optional<Credential> findForUpdate(String id) {
        return h.createQuery("SELECT * FROM credentials WHERE id = :id FOR UPDATE").bind("id", id).map(MAPPER).findOne();
    }

    /** {@link #findForUpdate} of many credentials at once, locked in id order. */
    public void lockAll(Collection<String> ids) {
        if (!ids.isEmpty()) {
            h.createQuery("SELECT id FROM credentials WHERE id IN (<ids>) ORDER BY id FOR UPDATE")
                    .bindList("ids", List.copyOf(ids)).mapTo(String.class).list();
        }
    }

    /** {@link #lockAll} that also reads the credentials it locks, by id; ids that name none are left out. */
    public Map<String, Credential> lockAndReadAll(Collection<String> ids) {
        Map<String, Credential> out = new LinkedHashMap<>();
        if (!ids.isEmpty()) {
            h.createQuery("SELECT * FROM credentials WHERE id IN (<ids>) ORDER BY id FOR UPDATE")
                    .bindList("ids", List.copyOf(ids)).map(MAPPER).forEach(c -> out.put(c.id(), c));
        }
        return out;
    }

    public List<Credential> list(String agentId, String afterId, int limit) {
        return list(agentId, afterId, limit, null);
    }

    /** A page of credentials by id, of one agent's and of one owner's agents' when those are not null. */
    public List<Credential> list(String agentId, String afterId, int limit, String owner) {
        return h.createQuery("SELECT * FROM credentials WHERE id > :after"
                        + (agentId == null ? "" : " AND agent_id = :agent")
                        + (owner == null ? "" : " AND agent_id IN (SELECT a.id FROM agents a WHERE a.owner = :owner)")
                        + " ORDER BY id LIMIT :limit")
                .bind("after", afterId == null ? "" : afterId)
                .bind("agent", agentId)
                .bind("owner", owner)
                .bind("limit", limit)
                .map(MAPPER)
                .list();
    }

    public List<String> idsOfAgent(String agentId) {
        return h.createQuery("SELECT id FROM credentials WHERE agent_id = :agent ORDER BY id")
                .bind("agent", agentId).mapTo(String.class).list();
    }

    /** The agent's credentials that are not decommissioned, by id. */
    public List<String> activeIdsOfAgent(String agentId) {
        return h.createQuery("SELECT id FROM credentials WHERE agent_id = :agent AND status = 'ACTIVE' ORDER BY id")
                .bind("agent", agentId).mapTo(String.class).list();
    }

    public void setNextRotation(String id, Instant next) {
        h.createUpdate("UPDATE credentials SET next_rotation_at = :next WHERE id = :id")
                .bind("id", id).bind("next", next).execute();
    }

    /** {@link #setNextRotation} of many credentials in one batch, by credential id. */
    public void setNextRotations(Map<String, Instant> nextById) {
        if (nextById.isEmpty()) {
            return;
        }
        PreparedBatch batch = h.prepareBatch("UPDATE credentials SET next_rotation_at = :next WHERE id = :id");
        nextById.forEach((id, next) -> batch.bind("id", id).bind("next", next).add());
        batch.execute();
    }

    public void markDecommissioned(String id, Instant at) {
        h.createUpdate("UPDATE credentials SET status = 'DECOMMISSIONED', decommissioned_at = :at, "
                        + "next_rotation_at = NULL WHERE id = :id")
                .bind("id", id).bind("at", at).execute();
    }

    /**
     * Retires one credential: DECOMMISSIONED (nothing schedules, rotates or verifies it any more) with when and by
     * whom, and no next rotation.
     */
    public void markRetired(String id, Instant at, String by) {
        h.createUpdate("UPDATE credentials SET status = 'DECOMMISSIONED', decommissioned_at = :at, retired_at = :at, "
                        + "retired_by = :by, next_rotation_at = NULL WHERE id = :id")
                .bind("id", id).bind("at", at).bind("by", by).execute();
    }

    /**
     * Writes what a change may change (rotation policy, grace period, bindings, password policy, certificate profile,
     * acknowledgement policy, scopes) and the next rotation time; the rest of a credential is fixed at creation.
     */
    public void update(Credential c) {
        h.createUpdate("UPDATE credentials SET rotation_every = :every, rotation_cron = :cron, grace_period = :grace, "
                        + "bindings = :bindings, next_rotation_at = :next, certificate_profile = :profile, "
                        + "password_policy = :password, acknowledgement_policy = :acks, scopes = :scopes WHERE id = :id")
                .bind("id", c.id())
                .bind("every", c.policy().every() == null ? null : c.policy().every().toString())
                .bind("cron", c.policy().cron())
                .bind("grace", c.gracePeriod().toString())
                .bind("bindings", JsonText.write(bindingsJson(c)))
                .bind("next", c.nextRotationAt())
                .bind("profile", profileJson(c.certificate()))
                .bind("password", passwordPolicyJson(c.password()))
                .bind("acks", acknowledgementsJson(c.acknowledgements()))
                .bind("scopes", c.scopes().isEmpty() ? null : JsonText.write(c.scopes()))
                .execute();
    }

    /** {@link #markDecommissioned} for every active credential of an agent, in one statement. */
    public int markAllDecommissioned(String agentId, Instant at) {
        return h.createUpdate("UPDATE credentials SET status = 'DECOMMISSIONED', decommissioned_at = :at, "
                        + "next_rotation_at = NULL WHERE agent_id = :agent AND status = 'ACTIVE'")
                .bind("agent", agentId).bind("at", at).execute();
    }

    /**
     * Active credentials whose next rotation is due at or before {@code now}, soonest first; a suspended agent's wait
     * (its owner's attestation is overdue) until it is re-attested.
     */
    public List<String> due(Instant now, int limit) {
        return h.createQuery("SELECT c.id FROM credentials c JOIN agents a ON a.id = c.agent_id "
                        + "WHERE c.status = 'ACTIVE' AND c.next_rotation_at <= :now AND a.suspended_at IS NULL "
                        + "ORDER BY c.next_rotation_at LIMIT :limit")
                .bind("now", now).bind("limit", limit).mapTo(String.class).list();
    }

    /** The consumers recorded as overdue with their acknowledgement (empty when none are). */
    public List<String> acknowledgementOverdue(String id) {
        String json = h.createQuery("SELECT acknowledgement_overdue FROM credentials WHERE id = :id")
                .bind("id", id).mapTo(String.class).findOne().orElse(null);
        return consumers(json);
    }

    /** A stored list of consumers ({@code acknowledgement_overdue}); empty for null. */
    static List<String> consumers(String json) {
        return json == null ? List.of() : JsonText.read(json, new TypeReference<List<String>>() {
        });
    }

    /** {@link #acknowledgementOverdue(String)} for the credentials with ids from {@code first} to {@code last} (of {@code agentId}, if given): a page. */
    public Map<String, List<String>> acknowledgementOverdueRange(String agentId, String first, String last) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        h.createQuery("SELECT id, acknowledgement_overdue FROM credentials WHERE id BETWEEN :first AND :last "
                        + "AND acknowledgement_overdue IS NOT NULL" + (agentId == null ? "" : " AND agent_id = :agent"))
                .bind("first", first).bind("last", last).bind("agent", agentId)
                .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("acknowledgement_overdue")))
                .forEach(e -> out.put(e.getKey(), consumers(e.getValue())));
        return out;
    }

    /** Every credential with consumers overdue, by id (at most {@code limit}), for the status page and alerting. */
    public Map<String, List<String>> acknowledgementsOverdue(int limit) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        h.createQuery("SELECT id, acknowledgement_overdue FROM credentials WHERE acknowledgement_overdue IS NOT NULL "
                        + "ORDER BY id LIMIT :limit")
                .bind("limit", limit)
                .map((rs, ctx) -> Map.entry(rs.getString("id"), rs.getString("acknowledgement_overdue")))
                .forEach(e -> out.put(e.getKey(), consumers(e.getValue())));
        return out;
    }

    /** Records the consumers overdue with their acknowledgement; an empty list clears the flag. */
    public void setAcknowledgementOverdue(String id, List<String> consumers) {
        h.createUpdate("UPDATE credentials SET acknowledgement_overdue = :o WHERE id = :id")
                .bind("id", id).bind("o", consumers.isEmpty() ? null : JsonText.write(consumers)).execute();
    }

    public Map<String, Long> countByStatus() {
        Map<String, Long> out = new LinkedHashMap<>();
        h.createQuery("SELECT status, COUNT(*) AS n FROM credentials GROUP BY status")
                .map((rs, ctx) -> Map.entry(rs.getString("status"), rs.getLong("n")))
                .forEach(e -> out.put(e.getKey(), e.getValue()));
        return out;
    }
}
