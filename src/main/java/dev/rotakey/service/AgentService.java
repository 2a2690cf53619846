package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.core.Agent;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.WorkScheduler;
import dev.rotakey.db.Store;

import java.time.Clock;
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
        if (req.owner() == null || req.owner().isBlank()) {
            throw RejectedException.invalid("owner", "is required: every agent needs an accountable person or team");
        }
        if (req.owner().length() > 320) {
            throw RejectedException.invalid("owner", "is longer than 320 characters");
        }
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
        Map<String, String> attributes = req.attributes() == null ? Map.of() : req.attributes();
        if (attributes.size() > MAX_ATTRIBUTES) {
            throw RejectedException.invalid("attributes", "at most " + MAX_ATTRIBUTES + " attributes");
        }
        for (Map.Entry<String, String> e : attributes.entrySet()) {
            if (e.getKey().isBlank() || e.getKey().length() > 64 || e.getValue() == null || e.getValue().length() > 256) {
                throw RejectedException.invalid("attributes", "names must be 1-64 characters and values at most 256");
            }
        }
        if (req.description() != null && req.description().length() > 1024) {
            throw RejectedException.invalid("description", "is longer than 1024 characters");
        }
        Agent agent = new Agent(req.id(), req.owner().trim(), kind, req.description(), attributes,
                Agent.AgentStatus.ACTIVE, req.expiresAt(), now, null);
        store.txRun(tx -> {
            if (tx.agents().find(agent.id()).isPresent()) {
                throw RejectedException.conflict("agent '" + agent.id() + "' already exists");
            }
            tx.agents().insert(agent);
            audit.record(tx, actor, AuditAction.AGENT_CREATED, "agent:" + agent.id(), "ok",
                    "owner=" + agent.owner() + " kind=" + kind.name().toLowerCase(Locale.ROOT));
        });
        if (agent.expiresAt() != null) {
            scheduler.decommissionAt(agent.id(), agent.expiresAt());
        }
        return agent;
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
