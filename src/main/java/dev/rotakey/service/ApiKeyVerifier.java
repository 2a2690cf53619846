package dev.rotakey.service;

import dev.rotakey.api.VerifyKeyResponse;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.AuditSubject;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.core.ApiKeyFormat;
import dev.rotakey.core.Credential;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.PresentedKeyDao.PresentedKey;
import dev.rotakey.db.Store;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Answers whether a presented API key is valid: the format and checksum are checked first (a
 * mistyped key costs no database look-up), then the key's digest under each backend is looked up, with what the
 * answer needs, in one query or in a {@link NotifiedCache} dropped at every change (docs/design.md, "Caches"). A
 * revoked or failed key is refused and recorded as a security event, every time; a valid one writes nothing and logs
 * nothing.
 */
public final class ApiKeyVerifier {
    /**
     * Told the result of every verification, for metrics: {@code valid}, {@code malformed},
     * {@code unknown}, {@code unavailable}, or the refused version's state ({@code revoked},
     * {@code failed}, {@code pending}).
     */
    @FunctionalInterface
    public interface Results {
        void verified(String result);

        Results NONE = result -> {
        };
    }

    private final KeyBackends backends;
    private final AuditLog audit;
    private final NotifiedCache<List<String>, PresentedKey> keys;
    private final Results results;
    /** Made once: the look-up a cache miss runs. */
    private final Function<List<String>, Optional<PresentedKey>> lookUp;

    /** Without a cache: every verification reads the database. */
    public ApiKeyVerifier(Store store, KeyBackends backends, AuditLog audit) {
        this(store, backends, audit, NotifiedCache.off(), Results.NONE);
    }

    /**
     * @param keys what the presented digests found, kept until the next change to versions, credentials, agents or
     *             rotations: the caller drops it after each of {@code store}'s transactions and, on PostgreSQL, when
     *             another node's change is notified
     */
    public ApiKeyVerifier(Store store, KeyBackends backends, AuditLog audit,
                          NotifiedCache<List<String>, PresentedKey> keys, Results results) {
        this.backends = backends;
        this.audit = audit;
        this.keys = keys;
        this.results = results;
        this.lookUp = digests -> store.read(d -> d.presentedKeys().find(digests));
    }

    /**
     * A PENDING version that has been delivered is already in the consumers' hands (the file holds
     * it between delivery and promotion), so it is accepted, as a pending secret already set in the
     * accepting system is in AWS-style rotation. If its rotation fails it becomes FAILED and is refused.
     */
    private static boolean deliveredPending(PresentedKey k) {
        return k.state() == VersionState.PENDING && k.rotationState() == RotationState.RUNNING
                && (k.rotationStep() == RotationStep.VERIFY || k.rotationStep() == RotationStep.PROMOTE);
    }

    public VerifyKeyResponse verify(String presented, String actor) {
        VerifyKeyResponse response;
        try {
            response = check(presented, actor);
        } catch (KeyBackendUnavailableException e) {
            results.verified("unavailable");
            throw e;
        }
        results.verified(response.valid() ? "valid" : response.reason().startsWith("malformed") ? "malformed"
                : response.reason());
        return response;
    }

    private VerifyKeyResponse check(String presented, String actor) {
        if (presented == null) {
            throw RejectedException.invalid("key", "is required");
        }
        if (ApiKeyFormat.parse(presented) instanceof ApiKeyFormat.Malformed m) {
            return VerifyKeyResponse.refused("malformed: the key " + m.message());
        }
        byte[] utf8 = presented.getBytes(StandardCharsets.UTF_8);
        // The cache's key: not changed once looked up.
        List<String> digests = new ArrayList<>(1);
        KeyBackendException unavailable = null;
        try {
            for (KeyBackend b : backends.all()) {
                try {
                    digests.add(MaterialDigests.digest(b, utf8));
                } catch (KeyBackendException e) {
                    unavailable = e;
                }
            }
        } finally {
            Arrays.fill(utf8, (byte) 0);
        }
        // The version, its credential's type, its agent and its rotation's state: from the cache, or in one round trip.
        Optional<PresentedKey> found = keys.find(digests, lookUp);
        if (found.isEmpty()) {
            if (unavailable != null) {
                // A backend that could not digest the key might hold it: "unknown" would be a false answer.
                throw new KeyBackendUnavailableException("cannot verify the key now: " + unavailable.getMessage());
            }
            return VerifyKeyResponse.refused("unknown");
        }
        PresentedKey k = found.get();
        // Only API keys are presented here: a certificate's digest is of public material, and a password is checked
        // by the system it unlocks, never by Rotakey. A version whose credential or agent is gone is unknown too.
        if (k.type() != CredentialType.API_KEY || k.agentId() == null) {
            return VerifyKeyResponse.refused("unknown");
        }
        boolean decommissioned = k.decommissioned();
        boolean valid = !decommissioned && (k.state().accepted() || deliveredPending(k));
        String reason = valid ? null : decommissioned ? "decommissioned" : k.state().name().toLowerCase(Locale.ROOT);
        if (!valid && (decommissioned || k.state() != VersionState.PENDING)) {
            audit.record(actor, AuditAction.API_KEY_REVOKED_PRESENTED,
                    AuditSubject.version(k.credentialId(), k.version()), "denied",
                    "a " + (decommissioned ? "decommissioned " : "") + k.state() + " key of agent " + k.agentId()
                            + " (owner " + k.owner() + ") was presented for verification: it may have leaked");
        }
        return new VerifyKeyResponse(valid, reason, k.agentId(), k.owner(), k.credentialId(), k.version(),
                k.state().name(), k.revokeAfter());
    }
}
