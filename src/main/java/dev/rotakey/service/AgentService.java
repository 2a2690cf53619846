package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.core.Agent;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/** Registers agents, each with an accountable owner, and lists them. */
public final class AgentService {
    static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
    private static final int MAX_ATTRIBUTES = 64;

    private final Store store;
    private final AuditLog audit;
    private final WorkScheduler scheduler;
    private final Clock clock;

    public AgentService(Store store, AuditLog audit, WorkScheduler scheduler, Clock clock) {
        this.store = store;
        this.audit = audit;
        this.scheduler = scheduler;
        this.clock = clock;
    }

    public Agent create(NewAgent req, String actor) {
        if (req == null) {
            throw RejectedException.badRequest("a JSON body is required");
        }
        requireId("id", req.id());
        String owner = owner(req.owner());
        Agent.AgentKind kind;
        try {
            kind = req.kind() == null ? Agent.AgentKind.PERSISTENT : Agent.AgentKind.valueOf(req.kind().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw RejectedException.invalid("kind", "must be 'persistent' or 'ephemeral'");
        }
        Instant now = clock.instant();
        if (kind == Agent.AgentKind.EPHEMERAL) {
            if (req.expiresAt() == null) {
                throw RejectedException.invalid("expiresAt", "is required for an ephemeral agent");
            }
            if (!req.expiresAt().isAfter(now)) {
                throw RejectedException.invalid("expiresAt", "must be in the future");
            }
        } else if (req.expiresAt() != null) {
            throw RejectedException.invalid("expiresAt", "only ephemeral agents expire");
        }
        Map<String, String> attributes = attributes(req.attributes());
        description(req.description());
        Duration attestEvery = attestEvery(req.attestEvery());
        Agent agent = new Agent(req.id(), owner, kind, req.description(), attributes,
                Agent.AgentStatus.ACTIVE, req.expiresAt(), now, null);
        store.txRun(tx -> {
            if (tx.agents().find(agent.id()).isPresent()) {
                throw RejectedException.conflict("agent '" + agent.id() + "' already exists");
            }
            tx.agents().insert(agent);
            if (attestEvery != null) {
                tx.attestations().setAttestEvery(agent.id(), attestEvery);
            }
            audit.record(tx, actor, AuditAction.AGENT_CREATED, "agent:" + agent.id(), "ok",
                    "owner=" + agent.owner() + " kind=" + kind.name().toLowerCase(Locale.ROOT));
        });
        if (agent.expiresAt() != null) {
            scheduler.decommissionAt(agent.id(), agent.expiresAt());
        }
        return agent;
    }

    /** @throws RejectedException naming {@code owner} unless it is a person or team of at most 320 characters */
    static String owner(String owner) {
        if (owner == null || owner.isBlank()) {
            throw RejectedException.invalid("owner", "is required: every agent needs an accountable person or team");
        }
        if (owner.length() > 320) {
            throw RejectedException.invalid("owner", "is longer than 320 characters");
        }
        return owner.trim();
    }

    /** @throws RejectedException naming {@code attributes} unless there are at most 64, each name 1-64, value ≤ 256 */
    static Map<String, String> attributes(Map<String, String> attributes) {
        if (attributes == null) {
            return Map.of();
        }
        if (attributes.size() > MAX_ATTRIBUTES) {
            throw RejectedException.invalid("attributes", "at most " + MAX_ATTRIBUTES + " attributes");
        }
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            if (e.getKey().isBlank() || e.getKey().length() > 64 || e.getValue() == null || e.getValue().length() > 256) {
                throw RejectedException.invalid("attributes", "names must be 1-64 characters and values at most 256");
            }
        }
        return attributes;
    }

    /** @throws RejectedException naming {@code description} when it is longer than 1024 characters */
    static void description(String description) {
        if (description != null && description.length() > 1024) {
            throw RejectedException.invalid("description", "is longer than 1024 characters");
        }
    }

    /** The agent's own attestation interval, or null to follow {@code governance.attestEvery}. */
    static Duration attestEvery(String text) {
        if (text == null) {
            return null;
        }
        Duration d = CredentialService.duration("attestEvery", text);
        if (d.isNegative() || d.isZero()) {
            throw RejectedException.invalid("attestEvery", "must be positive");
        }
        return d;
    }

    public Agent get(String id) {
        return store.read(d -> d.agents().find(id)).orElseThrow(() -> RejectedException.notFound("agent", id));
    }

    public List<Agent> list(String after, int limit) {
        return list(after, limit, null);
    }

    /** A page of agents by id, of one owner's when {@code owner} is not null. */
    public List<Agent> list(String after, int limit, String owner) {
        return store.read(d -> d.agents().list(after, limit, owner));
    }

    static void requireId(String field, String id) {
        if (id == null || id.isBlank()) {
            throw RejectedException.invalid(field, "is required");
        }
        if (!ID.matcher(id).matches()) {
            throw RejectedException.invalid(field, "must be 1-128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
    }
}
