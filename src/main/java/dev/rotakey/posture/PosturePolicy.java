package dev.rotakey.posture;

import dev.rotakey.config.GovernanceFactory;

import java.time.Duration;

/**
 * What the posture report judges by: {@code governance.posture}, the attestation interval and warning of
 * {@code governance}, and {@code alerting.overdueAfter}, the tolerance after which a due rotation is overdue.
 *
 * @param attestEvery null: attestation is not required, except of agents with their own interval
 */
public record PosturePolicy(PostureFactory posture, Duration attestEvery, Duration attestWarning,
                            Duration overdueAfter) {
    public static PosturePolicy of(GovernanceFactory governance, Duration overdueAfter) {
        return new PosturePolicy(governance.getPosture(), governance.getAttestEvery(), governance.getAttestWarning(),
                overdueAfter);
    }
}
