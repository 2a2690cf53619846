package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rotakey.core.Rotation;
import dev.rotakey.core.RotationStep;

/**
 * One credential of a batch creation's answer: its version 1 and that version's state as the batch left it
 * ({@code CURRENT}; {@code PENDING}, or null before it was recorded, while its first rotation goes on in the
 * background after a failure), and that rotation, with its last error if it has one. No secret: the material went to
 * the targets only.
 */
public record CreatedCredentialView(
        String id,
        int version,
        String state,
        String rotation,
        String rotationState,
        @JsonInclude(JsonInclude.Include.NON_NULL) String lastError) {

    public static CreatedCredentialView of(Rotation r) {
        String state = switch (r.state()) {
            case SUCCEEDED -> "CURRENT";
            case FAILED -> "FAILED";
            case RUNNING -> r.step() == RotationStep.CREATE ? null : "PENDING";
        };
        return new CreatedCredentialView(r.credentialId(), r.version(), state, r.id(), r.state().name(), r.lastError());
    }
}
