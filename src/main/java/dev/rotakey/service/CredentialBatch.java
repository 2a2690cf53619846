package dev.rotakey.service;

import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.Agent;
import dev.rotakey.core.Credential;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import dev.rotakey.db.UniqueViolation;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Creates many credentials in one request ({@code POST /api/v1/credentials:batch}): every item is validated as a single
 * creation validates it before anything is stored (a refusal names the item's index), then all are registered with
 * their first rotations in one transaction — all of them or none — and their first versions are issued together by
 * {@link FirstVersions}.
 */
public final class CredentialBatch {
    private static final Logger LOG = LoggerFactory.getLogger(CredentialBatch.class);
    /** The most credentials one batch may create. */
    public static final int MAX_ITEMS = 1000;

    private final Store store;
    private final CredentialService credentials;
    private final BindingClaims claims;
    private final KeyBackends backends;
    private final AuditLog audit;
    private final FirstVersions firstVersions;

    public CredentialBatch(Store store, CredentialService credentials, Targets targets, KeyBackends backends,
                           AuditLog audit, FirstVersions firstVersions) {
        this.store = store;
        this.credentials = credentials;
        this.claims = new BindingClaims(targets);
        this.backends = backends;
        this.audit = audit;
        this.firstVersions = firstVersions;
    }

    /** One valid item: its place in the request, the credential it makes and the resources it claims. */
    private record Item(int index, Credential credential, List<BindingClaims.Claim> claims) {
    }

    /**
     * Creates every credential of {@code items} and issues its version 1, as {@link CredentialService#create} does for
     * one.
     *
     * @return each credential with its first rotation as the batch left it, in the order given
     * @throws RejectedException when any item is refused: then nothing was created
     */
    public List<CredentialService.Created> create(List<NewCredential> items, String actor) {
        if (items == null || items.isEmpty()) {
            throw RejectedException.invalid("credentials", "must list 1 to " + MAX_ITEMS + " credentials");
        }
        if (items.size() > MAX_ITEMS) {
            throw RejectedException.invalid("credentials", "at most " + MAX_ITEMS + " credentials per batch (this one has "
                    + items.size() + "); send the rest in another");
        }
        List<Item> valid = validate(items);
        for (String name : new LinkedHashSet<>(valid.stream().map(i -> i.credential().backend()).toList())) {
            BackendStatus status = backends.get(name).status();
            if (!status.healthy()) {
                // Refused before anything is stored, as a single creation is.
                throw new KeyBackendUnavailableException("key backend '" + name + "' is unavailable: " + status.message());
            }
        }
        // The usual refusals (an unknown agent, a batch sent twice) before the backend does any work; checked again
        // below, in the transaction that registers the credentials.
        store.read(d -> {
            check(d, valid, false);
            return null;
        });
        String correlation = Optional.ofNullable(MDC.get(AuditLog.MDC_CORRELATION)).orElse(UUID.randomUUID().toString());
        long started = System.nanoTime();
        FirstVersions.Prepared prepared = firstVersions.prepare(valid.stream().map(Item::credential).toList(), actor,
                correlation);
        long issued = System.nanoTime();
        try {
            register(valid, actor, prepared);
        } catch (RuntimeException e) {
            prepared.abandon();
            throw e;
        }
        firstVersions.recorded(prepared);
        LOG.debug("batch of {} credentials: issued in {} ms, registered in {} ms", valid.size(),
                (issued - started) / 1_000_000, (System.nanoTime() - issued) / 1_000_000);
        return firstVersions.finish(prepared);
    }

    /** Every item checked before anything is stored; two items may not share an id or a target's resource. */
    private List<Item> validate(List<NewCredential> items) {
        List<Item> out = new ArrayList<>();
        Map<String, Integer> ids = new HashMap<>();
        Map<String, String> claimedBy = new HashMap<>();
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i) == null) {
                throw RejectedException.invalid(item(i), "must be a credential, not null");
            }
            Credential c;
            List<BindingClaims.Claim> wanted;
            try {
                if (items.get(i).imported() != null) {
                    throw RejectedException.invalid("import", "is not supported in a batch creation: import an existing "
                            + "secret with POST /api/v1/credentials, one credential at a time");
                }
                c = credentials.validate(items.get(i));
                wanted = claims.of(c.bindings());
            } catch (RejectedException e) {
                throw new RejectedException(e.kind(), e.field() == null ? item(i) : item(i) + "." + e.field(),
                        item(i) + "." + e.getMessage());
            }
            Integer earlier = ids.putIfAbsent(c.id(), i);
            if (earlier != null) {
                throw RejectedException.invalid(item(i) + ".id", "'" + c.id() + "' is " + item(earlier) + ".id too");
            }
            for (BindingClaims.Claim claim : wanted) {
                String binding = item(i) + ".targets[" + claim.binding() + "]";
                String other = claimedBy.putIfAbsent(claim.target() + "\0" + claim.claim(), binding);
                if (other != null && !other.startsWith(item(i) + ".")) {
                    throw RejectedException.invalid(binding, "uses the same " + BindingClaims.describe(claim.claim())
                            + " of target '" + claim.target() + "' as " + other);
                }
            }
            out.add(new Item(i, c, wanted));
        }
        return out;
    }

    /**
     * In one transaction: checks the agents, the ids and the claims against what is stored, then inserts every
     * credential with its claims, and its first rotation and PENDING version, with their audit events.
     */
    private void register(List<Item> items, String actor, FirstVersions.Prepared prepared) {
        List<Credential> all = items.stream().map(Item::credential).toList();
        try {
            store.txRun(tx -> {
                check(tx, items, true);
                tx.credentials().insertAll(all);
                claims.claimAll(tx, all, items.stream().map(Item::claims).toList(), n -> item(items.get(n).index()));
                audit.recordAll(tx, all.stream().map(c -> new AuditLog.Entry(actor, AuditAction.CREDENTIAL_CREATED,
                        AuditSubject.credential(c.id()), "ok", "agent=" + c.agentId() + " type=" + c.type().wireName()
                        + " backend=" + c.backend() + " targets=" + c.bindings().stream().map(TargetBinding::target)
                        .toList())).toList());
                firstVersions.record(tx, prepared);
            });
        } catch (RuntimeException e) {
            if (!(e instanceof RejectedException) && UniqueViolation.in(e)) {
                throw RejectedException.conflict("a credential of this batch was created by another request meanwhile; "
                        + "nothing was created");
            }
            throw e;
        }
    }

    /**
     * Refuses the batch when an agent is missing or decommissioned or a credential exists, naming the first item
     * concerned; {@code lock} locks each agent, in id order, as a single creation locks its agent.
     */
    private static void check(Daos d, List<Item> items, boolean lock) {
        Map<String, Integer> agents = new TreeMap<>();
        items.forEach(i -> agents.putIfAbsent(i.credential().agentId(), i.index()));
        agents.forEach((id, index) -> {
            Agent agent = (lock ? d.agents().findForUpdate(id) : d.agents().find(id)).orElseThrow(() ->
                    RejectedException.invalid(item(index) + ".agent", "agent '" + id + "' does not exist"));
            if (!agent.active()) {
                throw RejectedException.conflict(item(index) + ": agent '" + id + "' is decommissioned");
            }
        });
        Set<String> existing = d.credentials().existing(items.stream().map(i -> i.credential().id()).toList());
        for (Item i : items) {
            if (existing.contains(i.credential().id())) {
                throw RejectedException.conflict(item(i.index()) + ": credential '" + i.credential().id()
                        + "' already exists");
            }
        }
    }

    private static String item(int index) {
        return "credentials[" + index + "]";
    }
}
