package dev.rotakey.service;

import dev.rotakey.api.CredentialView;
import dev.rotakey.api.RotationView;
import dev.rotakey.ca.CertificateSummary;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialVersion;
import dev.rotakey.core.RejectedException;
import dev.rotakey.db.Store;
import dev.rotakey.targets.Login;

import java.util.List;
import java.util.Map;

/**
 * The read side of {@code /api/v1/credentials} and {@code /api/v1/rotations}: credentials with their versions,
 * certificates and latest rotation, and rotations with their steps, as the API shows them. A page of
 * credentials costs a fixed number of queries, however many rows it has.
 */
public final class CredentialQueries {
    private final Store store;
    private final CredentialService credentials;

    public CredentialQueries(Store store, CredentialService credentials) {
        this.store = store;
        this.credentials = credentials;
    }

    /** One credential with its versions, their certificates and logins, and its latest rotation; 404 if unknown. */
    public CredentialView credential(String id) {
        Credential c = credentials.get(id);
        List<CredentialVersion> versions = store.read(d -> d.versions().ofCredential(c.id()));
        Map<Integer, List<Login>> logins = credentials.logins(c, versions);
        return store.read(d -> CredentialView.of(c, versions, credentials.certificates(c),
                d.rotations().ofCredential(c.id(), 1).stream().findFirst()
                        .map(r -> RotationView.of(r, null)).orElse(null),
                d.credentials().acknowledgementOverdue(c.id()), logins));
    }

    /** A page of credentials (of one agent, if given) after {@code after} by id, without their latest rotations. */
    public List<CredentialView> page(String agent, String after, int limit) {
        return page(agent, after, limit, null);
    }

    /** As {@link #page(String, String, int)}, of one owner's agents only when {@code owner} is not null. */
    public List<CredentialView> page(String agent, String after, int limit, String owner) {
        List<Credential> page = store.read(d -> d.credentials().list(agent, after, limit, owner));
        if (page.isEmpty()) {
            return List.of();
        }
        String first = page.get(0).id();
        String last = page.get(page.size() - 1).id();
        Map<String, List<CredentialVersion>> versions = store.read(d -> d.versions().ofCredentialRange(agent, first, last));
        Map<String, List<String>> overdue = store.read(d -> d.credentials().acknowledgementOverdueRange(agent, first, last));
        Map<String, Map<Integer, CertificateSummary>> certificates = credentials.certificates(page);
        return page.stream()
                .map(c -> CredentialView.of(c, versions.getOrDefault(c.id(), List.of()),
                        certificates.getOrDefault(c.id(), Map.of()), null,
                        c.acknowledgements() == null ? null : overdue.getOrDefault(c.id(), List.of())))
                .toList();
    }

    /** The latest {@code limit} rotations of a credential, newest first, without their steps (none for an unknown one). */
    public List<RotationView> rotationsOf(String credentialId, int limit) {
        return store.read(d -> d.rotations().ofCredential(credentialId, limit)).stream()
                .map(r -> RotationView.of(r, null)).toList();
    }

    /** One rotation with the record of every step it ran; 404 if unknown. */
    public RotationView rotation(String id) {
        return store.read(d -> d.rotations().find(id).map(r -> RotationView.of(r, d.rotations().steps(id))))
                .orElseThrow(() -> RejectedException.notFound("rotation", id));
    }
}
