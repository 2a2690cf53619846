package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.config.GovernanceFactory.DeadlineAction;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.core.AttestationPolicy.State;
import dev.rotakey.db.AttestationDao.Attested;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Enforces the attestation deadlines, run on a timer ({@code governance.checkEvery}): an agent past its deadline is left to the alerts ({@code notify}),
 * suspended ({@code suspend}: scheduled rotations stop, its keys are refused with reason {@code suspended}, until it is
 * re-attested) or decommissioned ({@code decommission}); and counts the fleet's agents by attestation state for the
 * {@code rotakey_agents_attestation} gauge. Safe on every node of a cluster at once: a suspension is one conditional
 * update, a decommission one batch.
 */
public final class AttestationDeadlines {
    private static final Logger LOG = LoggerFactory.getLogger(AttestationDeadlines.class);
    /** The actor of what the sweep does, in the audit trail: the policy, not a person. */
    public static final String ACTOR = "governance:attestation";
    private static final int PAGE = 1_000;

    /** An agent that needs its owner's attention, and where it stands. */
    public record Attention(Attested agent, AttestationPolicy.Standing standing) {
    }

    private final Store store;
    private final AttestationPolicy policy;
    private final DeadlineAction action;
    private final AuditLog audit;
    private final BiConsumer<String, String> decommission;
    private final Runnable changed;
    private final Clock clock;
    private volatile Map<State, Long> counts = Map.of();

    /**
     * @param decommission decommissions an agent, as an operator's task does: (agent, actor)
     * @param changed      told after a run that suspended or decommissioned an agent (the alert evaluator's nudge)
     */
    public AttestationDeadlines(Store store, AttestationPolicy policy, DeadlineAction action,
                                AuditLog audit, BiConsumer<String, String> decommission, Runnable changed, Clock clock,
                                PrometheusRegistry registry) {
        this.store = store;
        this.policy = policy;
        this.action = action;
        this.audit = audit;
        this.decommission = decommission;
        this.changed = changed;
        this.clock = clock;
        GaugeWithCallback.builder().name("rotakey_agents_attestation")
                .help("Active agents whose owner's attestation is due (within governance.attestWarning), overdue, or "
                        + "overdue and suspended")
                .labelNames("state")
                .callback(cb -> {
                    Map<State, Long> c = counts;
                    for (State s : List.of(State.DUE, State.OVERDUE, State.SUSPENDED)) {
                        cb.call(c.getOrDefault(s, 0L), s.wireName());
                    }
                }).register(registry);
    }

    /**
     * The active agents that are due, overdue or suspended at {@code now}, longest waiting first, at most {@code max}:
     * those following the configured interval found by one indexed range (paged), those with their own one by one.
     */
    public static List<Attention> needingAttention(Daos d, AttestationPolicy policy, Instant now, int max) {
        List<Attention> out = new ArrayList<>();
        if (policy.every() != null) {
            Instant from = now.minus(policy.every()).plus(policy.warning());
            for (int offset = 0; out.size() < max; offset += PAGE) {
                List<Attested> page = d.attestations().waitingSince(from, false, offset, PAGE);
                collect(out, page, policy, now, max);
                if (page.size() < PAGE) {
                    break;
                }
            }
        }
        collect(out, d.attestations().withOwnInterval(100_000), policy, now, max);
        return out;
    }

    private static void collect(List<Attention> out, List<Attested> agents, AttestationPolicy policy, Instant now,
                                int max) {
        for (Attested a : agents) {
            AttestationPolicy.Standing s = policy.standing(a.agent(), a.attestation(), now);
            if (out.size() < max && (s.state() == State.DUE || s.state() == State.OVERDUE || s.state() == State.SUSPENDED)) {
                out.add(new Attention(a, s));
            }
        }
    }

    /** One check, now, on the caller's thread: how many agents it suspended or decommissioned. */
    public synchronized int run() {
        Instant now = clock.instant();
        List<Attention> attention = store.read(d -> needingAttention(d, policy, now, Integer.MAX_VALUE));
        Map<State, Long> c = new EnumMap<>(State.class);
        int acted = 0;
        for (Attention a : attention) {
            State state = a.standing().state();
            if (state == State.OVERDUE && action != DeadlineAction.NOTIFY && enforce(a, now)) {
                acted++;
                state = action == DeadlineAction.SUSPEND ? State.SUSPENDED : null;
            }
            if (state != null) {
                c.merge(state, 1L, Long::sum);
            }
        }
        counts = Map.copyOf(c);
        if (acted > 0) {
            changed.run();
        }
        return acted;
    }

    private boolean enforce(Attention a, Instant now) {
        String agentId = a.agent().agent().id();
        String owner = a.agent().agent().owner();
        String why = "attestation by " + owner + " overdue since " + a.standing().dueAt();
        if (action == DeadlineAction.SUSPEND) {
            return store.tx(tx -> {
                if (!tx.attestations().suspend(agentId, now)) {
                    return false;
                }
                audit.record(tx, ACTOR, AuditAction.AGENT_SUSPENDED, AuditSubject.agent(agentId), "ok",
                        why + ": scheduled rotations stopped and its keys refused until it is re-attested");
                return true;
            });
        }
        LOG.warn("decommissioning agent {}: {}", agentId, why);
        store.txRun(tx -> audit.record(tx, ACTOR, AuditAction.AGENT_ATTESTATION_OVERDUE, AuditSubject.agent(agentId),
                "ok", why + ": decommissioning it (governance.onAttestationDeadline: decommission)"));
        decommission.accept(agentId, ACTOR);
        return true;
    }
}
