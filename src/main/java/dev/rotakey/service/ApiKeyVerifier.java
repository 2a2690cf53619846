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
import dev.rotakey.core.CredentialScopes;
import dev.rotakey.core.CredentialType;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.RejectedException;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationStep;
import dev.rotakey.core.VersionState;
import dev.rotakey.db.NotifiedCache;
import dev.rotakey.db.PresentedKeyDao.PresentedKey;
import dev.rotakey.db.Store;

import dev.rotakey.usage.CredentialUse;
import dev.rotakey.usage.UsageRecorder;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
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

    /**
     * Who asked: {@code actor} as audit events name it, {@code relyingService} as the usage telemetry counts it (the
     * verifier token's name), and the address the request came from (null when unknown).
     */
    public record Caller(String actor, String relyingService, String sourceAddress) {
    }

    /** At most this many scopes may be required in one request, each of at most {@link CredentialScopes#MAX_LENGTH}. */
    private static final int MAX_REQUIRED_SCOPES = 64;

    private final KeyBackends backends;
    private final AuditLog audit;
    private final NotifiedCache<List<String>, PresentedKey> keys;
    private final Results results;
    private final UsageRecorder usage;
    private final Clock clock;
    /** Made once: the look-up a cache miss runs. */
    private final Function<List<String>, Optional<PresentedKey>> lookUp;

    /** Without a cache: every verification reads the database. */
    public ApiKeyVerifier(Store store, KeyBackends backends, AuditLog audit) {
        this(store, backends, audit, NotifiedCache.off(), Results.NONE, UsageRecorder.NONE, Clock.systemUTC());
    }

    /** With a cache and metrics, and no usage telemetry (the tests that predate it). */
    public ApiKeyVerifier(Store store, KeyBackends backends, AuditLog audit,
                          NotifiedCache<List<String>, PresentedKey> keys, Results results) {
        this(store, backends, audit, keys, results, UsageRecorder.NONE, Clock.systemUTC());
    }

    /**
     * @param keys  what the presented digests found, kept until the next change to versions, credentials, agents or
     *              rotations: the caller drops it after each of {@code store}'s transactions and, on PostgreSQL, when
     *              another node's change is notified
     * @param usage told of every verification of a key Rotakey knows, allowed or refused
     */
    public ApiKeyVerifier(Store store, KeyBackends backends, AuditLog audit,
                          NotifiedCache<List<String>, PresentedKey> keys, Results results, UsageRecorder usage,
                          Clock clock) {
        this.backends = backends;
        this.audit = audit;
        this.keys = keys;
        this.results = results;
        this.usage = usage;
        this.clock = clock;
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

    /** A verification that requires no scope, by a caller counted under its actor's name. */
    public VerifyKeyResponse verify(String presented, String actor) {
        return verify(presented, null, new Caller(actor, actor, null));
    }

    /**
     * Whether {@code presented} is valid now and, when {@code requireScopes} is given, carries every one of them.
     *
     * @throws RejectedException when the key is missing or {@code requireScopes} is not a short list of scope strings
     */
    public VerifyKeyResponse verify(String presented, List<String> requireScopes, Caller caller) {
        List<String> required = required(requireScopes);
        VerifyKeyResponse response;
        try {
            response = check(presented, required, caller);
        } catch (KeyBackendUnavailableException e) {
            results.verified("unavailable");
            throw e;
        }
        results.verified(response.valid() ? "valid" : response.reason().startsWith("malformed") ? "malformed"
                : response.reason());
        return response;
    }

    private static List<String> required(List<String> requireScopes) {
        if (requireScopes == null) {
            return List.of();
        }
        if (requireScopes.size() > MAX_REQUIRED_SCOPES) {
            throw RejectedException.invalid("requireScopes", "may name at most " + MAX_REQUIRED_SCOPES + " scopes");
        }
        for (String scope : requireScopes) {
            CredentialScopes.check("requireScopes", scope);
        }
        return requireScopes;
    }

    private VerifyKeyResponse check(String presented, List<String> required, Caller caller) {
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
        Instant now = clock.instant();
        String reason = refusal(k, now);
        List<String> missing = List.of();
        if (reason == null && !required.isEmpty()) {
            missing = required.stream().filter(scope -> !k.scopes().contains(scope)).distinct().toList();
            if (!missing.isEmpty()) {
                reason = "scope";
            }
        }
        audit(k, reason, missing, caller.actor());
        usage.used(new CredentialUse(k.credentialId(), k.version(), k.state(), k.revokeAfter(), k.agentId(), k.owner(),
                caller.relyingService(), caller.sourceAddress(), reason, now));
        return new VerifyKeyResponse(reason == null, reason, k.agentId(), k.owner(), k.credentialId(), k.version(),
                k.state().name(), k.revokeAfter(), k.scopes(), k.attributes(), missing.isEmpty() ? null : missing);
    }

    /** Why a known key is refused whatever scopes are asked for, or null when it is valid. */
    private static String refusal(PresentedKey k, Instant now) {
        if (k.decommissioned()) {
            return "decommissioned";
        }
        if (!k.state().accepted() && !deliveredPending(k)) {
            return k.state().name().toLowerCase(Locale.ROOT);
        }
        // An ephemeral agent is decommissioned at its expiry by a scheduled job; its keys stop working at the instant.
        if (k.agentExpiresAt() != null && !now.isBefore(k.agentExpiresAt())) {
            return "expired";
        }
        return k.suspended() ? "suspended" : null;
    }

    /**
     * A refused key is a denied use, recorded every time: a revoked, failed, decommissioned or expired one as a security
     * event (it may have leaked), a suspended one or one lacking a scope as a denied use. A PENDING one not yet
     * delivered is refused quietly: it was never handed out.
     */
    private void audit(PresentedKey k, String reason, List<String> missing, String actor) {
        if (reason == null || "pending".equals(reason)) {
            return;
        }
        String subject = AuditSubject.version(k.credentialId(), k.version());
        String whose = " of agent " + k.agentId() + " (owner " + k.owner() + ")";
        switch (reason) {
            case "suspended" -> audit.record(actor, AuditAction.API_KEY_SUSPENDED_PRESENTED, subject, "denied",
                    "a key" + whose + " was presented while the agent is suspended (attestation overdue)");
            case "scope" -> audit.record(actor, AuditAction.API_KEY_SCOPE_DENIED, subject, "denied",
                    "a key" + whose + " was presented without the required scope(s) " + String.join(" ", missing));
            case "expired" -> audit.record(actor, AuditAction.API_KEY_REVOKED_PRESENTED, subject, "denied",
                    "a key" + whose + " was presented after the agent's expiry at " + k.agentExpiresAt()
                            + ": it may have leaked");
            default -> audit.record(actor, AuditAction.API_KEY_REVOKED_PRESENTED, subject, "denied",
                    "a " + (k.decommissioned() ? "decommissioned " : "") + k.state() + " key" + whose
                            + " was presented for verification: it may have leaked");
        }
    }
}
