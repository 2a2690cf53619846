package dev.rotakey.service;

import dev.rotakey.core.Credential;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.BindingClaimDao;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import dev.rotakey.db.UniqueViolation;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Keeps one credential per exclusive resource of a target ({@link Target#claims}): refuses a credential whose
 * binding would overwrite another credential's secret, records its claims in the transaction that creates it, and
 * at start-up claims what credentials created before this check hold, reporting resources already shared.
 *
 * <p>A claim is released when its credential is decommissioned and every version of it has been removed from the
 * targets (no version PENDING, CURRENT or PREVIOUS, no revocation left failing); until then a new credential cannot
 * take the resource, so that a revocation still being retried never meets another credential's material there.
 */
public final class BindingClaims {
    private static final Logger LOG = LoggerFactory.getLogger(BindingClaims.class);
    private static final int BATCH = 500;
    /** Credentials per page of the start-up check. */
    private static final int PAGE = 1000;

    /** One claim of one binding of a credential. */
    record Claim(int binding, String target, String claim) {
    }

    private final Targets targets;

    public BindingClaims(Targets targets) {
        this.targets = targets;
    }

    /**
     * The claims of validated bindings, refusing (422, naming the later binding) two bindings of the same request
     * that claim one resource.
     */
    List<Claim> of(List<TargetBinding> bindings) {
        List<Claim> out = new ArrayList<>();
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < bindings.size(); i++) {
            TargetBinding b = bindings.get(i);
            for (String claim : targets.get(b.target()).claims(b)) {
                Integer earlier = seen.putIfAbsent(b.target() + "\0" + claim, i);
                if (earlier != null && earlier != i) {
                    throw RejectedException.invalid("targets[" + i + "]", "uses the same " + describe(claim)
                            + " of target '" + b.target() + "' as targets[" + earlier + "]");
                }
                if (earlier == null) {
                    out.add(new Claim(i, b.target(), claim));
                }
            }
        }
        return out;
    }

    /**
     * Records {@code c}'s claims in the caller's transaction, taking over those of a released credential; a claim
     * held by another credential is a conflict (409) naming the target, the resource and that credential.
     */
    void claim(Daos tx, Credential c, List<Claim> claims) {
        BindingClaimDao dao = tx.bindingClaims();
        for (Claim claim : claims) {
            Optional<String> holder = dao.holder(claim.target(), claim.claim());
            if (holder.isPresent() && !holder.get().equals(c.id())) {
                if (!dao.released(holder.get())) {
                    throw conflict(claim, holder.get());
                }
                dao.release(claim.target(), claim.claim(), holder.get());
            }
            if (holder.isEmpty() || !holder.get().equals(c.id())) {
                try {
                    dao.insert(claim.target(), claim.claim(), c.id());
                } catch (UnableToExecuteStatementException e) {
                    if (UniqueViolation.in(e)) {
                        // Another credential claimed it between the look-up and the insert.
                        throw conflict(claim, null);
                    }
                    throw e;
                }
            }
        }
    }

    /**
     * {@link #claim} for many new credentials at once, in the caller's transaction, with one look-up per thousand
     * claims and one batch insert. A claim held by a credential that is not released is a conflict (409) naming the
     * item ({@code item.apply(i)}, e.g. {@code credentials[3]}), its binding and the holder. The items' claims must
     * not overlap one another (the caller refuses that first, naming both items).
     */
    void claimAll(Daos tx, List<Credential> credentials, List<List<Claim>> claims, IntFunction<String> item) {
        BindingClaimDao dao = tx.bindingClaims();
        List<BindingClaimDao.Row> wanted = claims.stream().flatMap(List::stream)
                .map(c -> new BindingClaimDao.Row(c.target(), c.claim(), null)).toList();
        Map<String, String> held = new HashMap<>();
        for (int from = 0; from < wanted.size(); from += BATCH) {
            dao.holders(wanted.subList(from, Math.min(wanted.size(), from + BATCH)))
                    .forEach(r -> held.put(r.target() + "\0" + r.claim(), r.credentialId()));
        }
        List<BindingClaimDao.Row> rows = new ArrayList<>();
        for (int i = 0; i < credentials.size(); i++) {
            Credential c = credentials.get(i);
            for (Claim claim : claims.get(i)) {
                String holder = held.get(claim.target() + "\0" + claim.claim());
                if (holder != null) {
                    if (!dao.released(holder)) {
                        RejectedException e = conflict(claim, holder);
                        throw RejectedException.conflict(item.apply(i) + "." + e.getMessage());
                    }
                    dao.release(claim.target(), claim.claim(), holder);
                }
                rows.add(new BindingClaimDao.Row(claim.target(), claim.claim(), c.id()));
            }
        }
        try {
            dao.insertAll(rows);
        } catch (UnableToExecuteStatementException e) {
            if (UniqueViolation.in(e)) {
                throw RejectedException.conflict("a resource that one of the credentials binds was claimed by another "
                        + "credential meanwhile; nothing was created");
            }
            throw e;
        }
    }


    private static RejectedException conflict(Claim claim, String holder) {
        return RejectedException.conflict("targets[" + claim.binding() + "]: the " + describe(claim.claim()) + " of target '"
                + claim.target() + "' is already bound to " + (holder == null ? "another credential" : "credential '"
                + holder + "'") + "; two credentials there would overwrite each other's secret");
    }

    /** "path 'a/b'", "role 'x_a'": the claim's kind and value, for messages. */
    static String describe(String claim) {
        int colon = claim.indexOf(':');
        return colon < 0 ? "resource '" + claim + "'" : claim.substring(0, colon) + " '" + claim.substring(colon + 1) + "'";
    }

    /**
     * Claims, for every active credential, what no other credential holds yet (credentials created before claims were
     * recorded, or bound to a target whose claims changed), and returns one warning per resource already held by
     * another credential, naming both. A page of credentials at a time, in id order, so that memory does not grow with
     * the fleet: each page's own claims are read at once, and only those missing are looked up and inserted.
     */
    public List<String> backfill(Store store) {
        List<String> warnings = new ArrayList<>();
        String after = "";
        while (true) {
            String from = after;
            List<Credential> page = store.read(d -> d.bindingClaims().activeCredentials(from, PAGE));
            if (page.isEmpty()) {
                break;
            }
            backfill(store, page, warnings);
            after = page.get(page.size() - 1).id();
        }
        warnings.forEach(w -> LOG.warn("binding claims: {}", w));
        return warnings;
    }

    private void backfill(Store store, List<Credential> page, List<String> warnings) {
        Map<String, String> held = new HashMap<>();
        store.read(d -> d.bindingClaims().ofCredentials(page.stream().map(Credential::id).toList()))
                .forEach(r -> held.put(r.target() + "\0" + r.claim(), r.credentialId()));
        Map<Credential, List<Claim>> wanted = new LinkedHashMap<>();
        List<BindingClaimDao.Row> unknown = new ArrayList<>();
        for (Credential c : page) {
            List<Claim> claims = claimsOf(c, warnings);
            wanted.put(c, claims);
            claims.stream().filter(claim -> !held.containsKey(claim.target() + "\0" + claim.claim()))
                    .forEach(claim -> unknown.add(new BindingClaimDao.Row(claim.target(), claim.claim(), c.id())));
        }
        // Held by credentials outside the page, if at all: usually there is none to look up.
        for (int from = 0; from < unknown.size(); from += BATCH) {
            List<BindingClaimDao.Row> some = unknown.subList(from, Math.min(unknown.size(), from + BATCH));
            store.read(d -> d.bindingClaims().holders(some)).forEach(r -> held.put(r.target() + "\0" + r.claim(),
                    r.credentialId()));
        }
        List<BindingClaimDao.Row> missing = new ArrayList<>();
        wanted.forEach((c, claims) -> {
            // One warning per binding and other credential, naming the binding's first shared resource.
            Map<Integer, Map<String, List<String>>> shared = new LinkedHashMap<>();
            for (Claim claim : claims) {
                String holder = held.putIfAbsent(claim.target() + "\0" + claim.claim(), c.id());
                if (holder == null) {
                    missing.add(new BindingClaimDao.Row(claim.target(), claim.claim(), c.id()));
                } else if (!holder.equals(c.id())) {
                    shared.computeIfAbsent(claim.binding(), b -> new LinkedHashMap<>())
                            .computeIfAbsent(holder, h -> new ArrayList<>()).add(claim.claim());
                }
            }
            shared.forEach((binding, byHolder) -> byHolder.forEach((holder, resources) -> {
                int more = resources.size() - 1;
                warnings.add("the " + describe(resources.get(0)) + (more > 0 ? " (and " + more + " related "
                        + (more == 1 ? "resource" : "resources") + ")" : "") + " of target '"
                        + c.bindings().get(binding).target() + "' is bound to credential '" + holder
                        + "' and to credential '" + c.id() + "': they overwrite each other's secret; decommission one of them");
            }));
        });
        if (missing.isEmpty()) {
            return;
        }
        try {
            store.txRun(tx -> tx.bindingClaims().insertAll(missing));
        } catch (RuntimeException raced) {
            // Another node claimed one of them meanwhile: one by one, skipping what is held now.
            store.txRun(tx -> missing.forEach(r -> {
                if (tx.bindingClaims().holder(r.target(), r.claim()).isEmpty()) {
                    tx.bindingClaims().insert(r.target(), r.claim(), r.credentialId());
                }
            }));
        }
    }

    /** The claims of {@code c}'s bindings to configured targets; a binding a target no longer accepts is a warning. */
    private List<Claim> claimsOf(Credential c, List<String> warnings) {
        List<Claim> out = new ArrayList<>();
        List<TargetBinding> bindings = c.bindings();
        for (int i = 0; i < bindings.size(); i++) {
            TargetBinding b = bindings.get(i);
            Optional<Target> target = targets.find(b.target());
            if (target.isEmpty()) {
                continue;
            }
            try {
                for (String claim : target.get().claims(b)) {
                    out.add(new Claim(i, b.target(), claim));
                }
            } catch (RuntimeException e) {
                warnings.add("credential '" + c.id() + "': targets[" + i + "] is no longer a valid binding of target '"
                        + b.target() + "': " + e.getMessage());
            }
        }
        return out;
    }
}
