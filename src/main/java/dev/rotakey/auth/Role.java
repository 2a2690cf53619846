package dev.rotakey.auth;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a bearer token is for. Which endpoints and tasks each role may call is declared in {@link AccessPolicy}, and
 * nowhere else.
 */
public enum Role {
    /** Tokens and configuration-level actions (the CA's rotation, log levels), and everything the others may do. */
    ADMIN,
    /** Day-to-day work on the inventory: creating, rotating, revoking and decommissioning, pausing the scheduler. */
    OPERATOR,
    /** Reads everything (inventory, audit trail, plan, status, batches, health, metrics) and changes nothing. */
    AUDITOR,
    /** Health checks and metrics only: what Prometheus and probes need. */
    MONITOR,
    /** API-key verification only: what consuming services get. */
    VERIFIER,
    /** Bound to one owner: reads that owner's agents, their credentials and rotations, and rotates them. */
    OWNER,
    /**
     * One agent, authenticated by the SPIFFE ID of its client certificate (mutual TLS), never by a token: reads its
     * own credentials' metadata, acknowledges their versions and asks for their rotation.
     */
    AGENT;

    private static final Map<String, Role> BY_WIRE_NAME = Arrays.stream(values())
            .collect(Collectors.toUnmodifiableMap(Role::wireName, r -> r));

    /** The name in tokens, task parameters and audit events: {@code admin}, {@code operator}, ... */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The role of a wire name, if it is one; asked on every authenticated request. */
    public static Optional<Role> of(String wireName) {
        return Optional.ofNullable(wireName == null ? null : BY_WIRE_NAME.get(wireName));
    }

    /** The wire names, for messages: {@code admin, operator, ...}. */
    public static String wireNames() {
        return String.join(", ", Arrays.stream(values()).map(Role::wireName).toList());
    }

    /** Whether a bearer token may carry this role: an agent's identity comes only from its certificate. */
    public boolean issuable() {
        return this != AGENT;
    }

    /** The wire names of the roles a token may carry, for messages. */
    public static String issuableWireNames() {
        return String.join(", ", Arrays.stream(values()).filter(Role::issuable).map(Role::wireName).toList());
    }
}
