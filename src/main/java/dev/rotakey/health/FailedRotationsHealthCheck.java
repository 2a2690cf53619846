package dev.rotakey.health;

import com.codahale.metrics.health.HealthCheck;
import dev.rotakey.core.Rotation;
import dev.rotakey.db.Store;

import java.util.List;
import java.util.stream.Collectors;

/**
 * Unhealthy while some credential's latest rotation FAILED (and none has succeeded since), or a
 * superseded version could not be revoked: both need an operator.
 */
public final class FailedRotationsHealthCheck extends HealthCheck {
    private final Store store;

    public FailedRotationsHealthCheck(Store store) {
        this.store = store;
    }

    @Override
    protected Result check() {
        List<Rotation> failed = store.read(d -> d.rotations().latestFailed(10));
        long revocations = store.read(d -> d.versions().failedRevocations());
        if (failed.isEmpty() && revocations == 0) {
            return Result.healthy("no failed rotations or revocations");
        }
        String which = failed.stream().map(Rotation::credentialId).distinct().collect(Collectors.joining(", "));
        return Result.unhealthy((failed.isEmpty() ? "" : "failed rotation(s) of: " + which + ". ")
                + (revocations == 0 ? "" : revocations + " version(s) still to be removed from a target (revoked or failed; "
                        + "retried until done)"));
    }
}
