package dev.rotakey.service;

import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.Daos;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Login;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.Targets;
import dev.rotakey.targets.VersionReferences;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Joins what Rotakey recorded at each binding (the targets' references to every version) with the targets that
 * read it: a version's deliveries carry its own references, the CURRENT version's and the version's logins, and
 * the API shows which user name each version logs in with.
 */
public final class BindingRecords {
    private final Store store;
    private final Targets targets;

    public BindingRecords(Store store, Targets targets) {
        this.store = store;
        this.targets = targets;
    }

    /** One delivery of {@code material} as version {@code version} per binding of {@code c}, in binding order. */
    public List<Delivery> deliveries(Credential c, int version, IssuedMaterial material) {
        record Recorded(Map<Integer, Map<Integer, List<String>>> references, Integer current) {
        }
        // Only this version's and the CURRENT one's references: a long-lived credential has many versions.
        Recorded recorded = store.read(d -> {
            Integer current = d.versions().ofCredential(c.id()).stream().filter(v -> v.state() == VersionState.CURRENT)
                    .map(CredentialVersion::version).findFirst().orElse(null);
            List<Integer> wanted = current == null ? List.of(version) : List.of(version, current);
            return new Recorded(d.deliveries().referencesOf(c.id(), wanted), current);
        });
        List<TargetBinding> bindings = c.bindings();
        List<Login> logins = logins(c, version, recorded.references().getOrDefault(version, Map.of()));
        List<Delivery> out = new ArrayList<>();
        for (int i = 0; i < bindings.size(); i++) {
            TargetBinding b = bindings.get(i);
            List<String> own = recorded.references().getOrDefault(version, Map.of()).getOrDefault(i, List.of());
            VersionReferences current = recorded.current() == null ? null : new VersionReferences(recorded.current(),
                    recorded.references().getOrDefault(recorded.current(), Map.of()).getOrDefault(i, List.of()));
            out.add(new Delivery(c.agentId(), c.id(), c.type().wireName(), version, b, material.secret(),
                    material.certificate()).withRecords(own, current, logins));
        }
        return out;
    }

    /**
     * {@link #deliveries} of a credential's first version, from what the caller knows instead of the database: no
     * version is CURRENT, and the version's own references are {@code references} (one per binding, null where the
     * target needs none; null for none recorded yet).
     */
    public List<Delivery> firstDeliveries(Credential c, int version, IssuedMaterial material, List<String> references) {
        Map<Integer, List<String>> own = new TreeMap<>();
        for (int i = 0; references != null && i < references.size(); i++) {
            if (references.get(i) != null) {
                own.put(i, List.of(references.get(i)));
            }
        }
        List<TargetBinding> bindings = c.bindings();
        List<Login> logins = logins(c, version, own);
        List<Delivery> out = new ArrayList<>();
        for (int i = 0; i < bindings.size(); i++) {
            out.add(new Delivery(c.agentId(), c.id(), c.type().wireName(), version, bindings.get(i), material.secret(),
                    material.certificate()).withRecords(own.getOrDefault(i, List.of()), null, logins));
        }
        return out;
    }

    /** Records each binding's target reference to a version's material (by binding index; null where none). */
    static void addReferences(Daos tx, String credentialId, int version, List<String> references) {
        for (int i = 0; i < references.size(); i++) {
            if (references.get(i) != null) {
                tx.deliveries().addReference(credentialId, version, i, references.get(i));
            }
        }
    }

    /** Records that {@code version} reached every binding of {@code c} at {@code at}. */
    static void delivered(Daos tx, Credential c, int version, Instant at) {
        List<TargetBinding> bindings = c.bindings();
        for (int i = 0; i < bindings.size(); i++) {
            tx.deliveries().delivered(c.id(), version, i, bindings.get(i).target(), at);
        }
    }

    /** Records that {@code version} works at every binding of {@code c}, as of {@code at}. */
    static void verified(Daos tx, Credential c, int version, Instant at) {
        for (int i = 0; i < c.bindings().size(); i++) {
            tx.deliveries().verified(c.id(), version, i, at);
        }
    }

    /** Records that {@code version} is gone from every binding of {@code c}, as of {@code at}. */
    static void removed(Daos tx, Credential c, int version, Instant at) {
        for (int i = 0; i < c.bindings().size(); i++) {
            tx.deliveries().removed(c.id(), version, i, at);
        }
    }

    /** The logins of every version of {@code c} that has one, by version. */
    public Map<Integer, List<Login>> logins(Credential c, List<CredentialVersion> versions) {
        Map<Integer, Map<Integer, List<String>>> references = store.read(d -> d.deliveries().referencesOf(c.id()));
        Map<Integer, List<Login>> out = new TreeMap<>();
        for (CredentialVersion v : versions) {
            List<Login> logins = logins(c, v.version(), references.getOrDefault(v.version(), Map.of()));
            if (!logins.isEmpty()) {
                out.put(v.version(), logins);
            }
        }
        return out;
    }

    /** What each binding's target says the version logs in as, from the references recorded for it (by binding). */
    private List<Login> logins(Credential c, int version, Map<Integer, List<String>> referencesByBinding) {
        List<Login> out = new ArrayList<>();
        List<TargetBinding> bindings = c.bindings();
        for (int i = 0; i < bindings.size(); i++) {
            TargetBinding b = bindings.get(i);
            int index = i;
            targets.find(b.target()).ifPresent(t -> {
                String login = t.login(b, c.id(), new VersionReferences(version,
                        referencesByBinding.getOrDefault(index, List.of())));
                if (login != null) {
                    out.add(new Login(b.target(), login, t.endpoint(b)));
                }
            });
        }
        return out;
    }
}
