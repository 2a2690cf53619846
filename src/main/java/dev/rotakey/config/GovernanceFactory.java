package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.core.AttestationPolicy;
import dev.rotakey.posture.PostureFactory;
import dev.rotakey.usage.UsageFactory;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import java.time.Duration;
import java.util.Locale;

/**
 * The {@code governance:} section: how often owners must re-attest their agents, what happens at the deadline, and the
 * usage telemetry and posture report that tell a security team how the fleet is used (docs/governance.md).
 */
public class GovernanceFactory {
    /** What happens to an agent whose attestation deadline passed. */
    public enum DeadlineAction {
        /** Alert the owner and the operators; nothing else changes. */
        NOTIFY,
        /** Stop its scheduled rotations and refuse its keys (reason {@code suspended}) until it is re-attested. */
        SUSPEND,
        /** Decommission it: every credential revoked everywhere. */
        DECOMMISSION;

        @com.fasterxml.jackson.annotation.JsonCreator
        public static DeadlineAction of(String wire) {
            return valueOf(wire.trim().toUpperCase(Locale.ROOT));
        }

        @com.fasterxml.jackson.annotation.JsonValue
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How often an agent must be re-attested by its owner; null: attestation is not required. */
    private Duration attestEvery;

    /** How long before the deadline the owner is warned. */
    @NotNull
    private Duration attestWarning = Duration.ofDays(14);

    @NotNull
    private DeadlineAction onAttestationDeadline = DeadlineAction.NOTIFY;

    /** How often the deadlines are checked. */
    @NotNull
    private Duration checkEvery = Duration.ofMinutes(1);

    @Valid
    @NotNull
    private UsageFactory usage = new UsageFactory();

    @Valid
    @NotNull
    private PostureFactory posture = new PostureFactory();

    @JsonProperty
    public Duration getAttestEvery() {
        return attestEvery;
    }

    @JsonProperty
    public void setAttestEvery(Duration attestEvery) {
        this.attestEvery = attestEvery;
    }

    @JsonProperty
    public Duration getAttestWarning() {
        return attestWarning;
    }

    @JsonProperty
    public void setAttestWarning(Duration attestWarning) {
        this.attestWarning = attestWarning;
    }

    @JsonProperty
    public DeadlineAction getOnAttestationDeadline() {
        return onAttestationDeadline;
    }

    @JsonProperty
    public void setOnAttestationDeadline(DeadlineAction onAttestationDeadline) {
        this.onAttestationDeadline = onAttestationDeadline;
    }

    @JsonProperty
    public Duration getCheckEvery() {
        return checkEvery;
    }

    @JsonProperty
    public void setCheckEvery(Duration checkEvery) {
        this.checkEvery = checkEvery;
    }

    @JsonProperty
    public UsageFactory getUsage() {
        return usage;
    }

    @JsonProperty
    public void setUsage(UsageFactory usage) {
        this.usage = usage;
    }

    @JsonProperty
    public PostureFactory getPosture() {
        return posture;
    }

    @JsonProperty
    public void setPosture(PostureFactory posture) {
        this.posture = posture;
    }

    /** The attestation rule this section sets: {@code attestEvery} and {@code attestWarning}. */
    public AttestationPolicy attestationPolicy() {
        return new AttestationPolicy(attestEvery, attestWarning);
    }

    @ValidationMethod(message = "attestEvery must be positive and longer than attestWarning; attestWarning and checkEvery "
            + "must be positive")
    public boolean isAttestationValid() {
        if (attestWarning == null || checkEvery == null || attestWarning.isNegative() || !positive(checkEvery)) {
            return false;
        }
        return attestEvery == null || (positive(attestEvery) && attestEvery.compareTo(attestWarning) > 0);
    }

    private static boolean positive(Duration d) {
        return !d.isNegative() && !d.isZero();
    }
}
