package dev.rotakey.service;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.ApiKeyIssuer;
import dev.rotakey.core.Credential;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.PasswordIssuer;
import dev.rotakey.core.PasswordPolicy;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.Targets;

/**
 * Makes the new material of a credential version, of the credential's type, from its backend; and disposes of
 * material that will never be delivered.
 */
final class MaterialIssuer {
    private final Targets targets;
    private final CertificateIssuer certificates;
    private final ApiKeyIssuer apiKeys = new ApiKeyIssuer();
    private final PasswordIssuer passwords = new PasswordIssuer();

    MaterialIssuer(Targets targets, CertificateAuthorities authorities) {
        this.targets = targets;
        this.certificates = new CertificateIssuer(authorities);
    }

    IssuedMaterial issue(KeyBackend backend, Credential c, int version) {
        return switch (c.type()) {
            case CERTIFICATE -> certificates.issue(backend, c, version);
            case API_KEY -> apiKeys.issue(backend);
            // Targets' refused characters are taken out now, not only at creation: a binding's target may
            // have been reconfigured since. Fewer than ten left fails the rotation rather than weakening it.
            case PASSWORD -> passwords.issue(backend, c.password().length(), usableAlphabet(c));
        };
    }

    private String usableAlphabet(Credential c) {
        String alphabet = c.password().alphabetWithout(CredentialService.refusedCharacters(targets, c.bindings()));
        if (alphabet.length() < PasswordPolicy.MIN_ALPHABET) {
            throw new TargetException("credential " + c.id() + ": only " + alphabet.length() + " characters of its "
                    + "alphabet are accepted by every bound target; at least " + PasswordPolicy.MIN_ALPHABET + " are needed",
                    false);
        }
        return alphabet;
    }

    /** Wipes material that will never be delivered, and destroys its leaf key if the backend holds one. */
    static void abandon(KeyBackend backend, IssuedMaterial material, RuntimeException cause) {
        material.destroy();
        if (material.keyRef() != null) {
            CertificateRetirement.destroyUnrecorded(backend, material.keyRef(),
                    cause != null ? cause : new IllegalStateException("abandoned leaf key " + material.keyRef()));
        }
    }
}
