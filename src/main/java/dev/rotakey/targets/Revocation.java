package dev.rotakey.targets;

import java.util.List;

/**
 * A version to remove from one target binding. Rotakey no longer holds the plaintext of such a
 * version; {@link #matcher()} tells whether some content found at the target is that version's
 * material (by comparing backend digests), so that a target never removes a newer version. For a
 * certificate the matched content is the certificate PEM, exactly as delivered.
 * {@link #references()} are the {@link Target#materialReference} values recorded for this version
 * at this binding (several when the material was issued again after a restart); empty for targets
 * that need none.
 */
public record Revocation(
        String agentId,
        String credentialId,
        String credentialType,
        int version,
        TargetBinding binding,
        MaterialMatcher matcher,
        List<String> references) {

    public Revocation {
        references = List.copyOf(references);
    }

    /** A revocation for a target that recognises material by its content alone. */
    public Revocation(String agentId, String credentialId, String credentialType, int version, TargetBinding binding,
                      MaterialMatcher matcher) {
        this(agentId, credentialId, credentialType, version, binding, matcher, List.of());
    }

    /** Decides whether content read from a target is the material of the version being revoked. */
    @FunctionalInterface
    public interface MaterialMatcher {
        boolean matches(byte[] content);
    }

    @Override
    public String toString() {
        return "Revocation{credential=" + credentialId + ", version=" + version + ", binding=" + binding + "}";
    }
}
