package dev.rotakey.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.rotakey.core.Rotation;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The answer to {@code PATCH /api/v1/credentials/{id}}: the credential as it is now, the fields that changed, and
 * whether the change needs new material (with the rotation that makes it); {@code removalFailures} lists removed
 * bindings whose material could not be taken out (their claims stay held).
 */
public record CredentialChangeView(
        @JsonUnwrapped CredentialView credential,
        List<String> changes,
        Map<String, Object> newMaterial,
        @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> removalFailures) {

    public static CredentialChangeView of(CredentialView credential, List<String> changes, boolean needed, String reason,
                                          Rotation rotation, List<String> removalFailures) {
        Map<String, Object> material = new LinkedHashMap<>();
        material.put("needed", needed);
        if (needed) {
            material.put("reason", reason);
            if (rotation != null) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("id", rotation.id());
                r.put("state", rotation.state().name());
                r.put("href", "/api/v1/rotations/" + rotation.id());
                material.put("rotation", r);
            }
        }
        return new CredentialChangeView(credential, changes, material, removalFailures);
    }
}
