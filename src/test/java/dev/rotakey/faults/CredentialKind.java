package dev.rotakey.faults;

import java.util.List;

/**
 * The credential types and target bindings the fault model creates. Every kind is also bound to the webhook
 * consumer ({@code hook}), which is where the model learns each version's plaintext.
 */
enum CredentialKind {
    API_KEY_FILES("api-key", "hsm", List.of(Binding.FILES)),
    API_KEY_KV_TRANSIT("api-key", "transit", List.of(Binding.KV)),
    API_KEY_FILES_KV("api-key", "hsm", List.of(Binding.FILES, Binding.KV)),
    PASSWORD_PG_SINGLE("password", "hsm", List.of(Binding.PG_SINGLE)),
    PASSWORD_PG_ALTERNATING("password", "hsm", List.of(Binding.PG_ALTERNATING)),
    PASSWORD_REDIS("password", "transit", List.of(Binding.REDIS)),
    PASSWORD_REDIS_PG_ALTERNATING("password", "hsm", List.of(Binding.REDIS, Binding.PG_ALTERNATING)),
    PASSWORD_MARIA_SINGLE("password", "transit", List.of(Binding.MARIA_SINGLE)),
    PASSWORD_MARIA_ALTERNATING("password", "hsm", List.of(Binding.MARIA_ALTERNATING)),
    CERT_FILES("certificate", "hsm", List.of(Binding.FILES)),
    CERT_HSM_KEY_FILES_KV("certificate", "hsm", List.of(Binding.FILES, Binding.KV));

    /** A binding to one of the configured targets. */
    enum Binding { FILES, KV, PG_SINGLE, PG_ALTERNATING, REDIS, MARIA_SINGLE, MARIA_ALTERNATING }

    final String type;
    final String backend;
    final List<Binding> bindings;

    CredentialKind(String type, String backend, List<Binding> bindings) {
        this.type = type;
        this.backend = backend;
        this.bindings = bindings;
    }

    boolean certificate() {
        return type.equals("certificate");
    }

    /** Whether the certificate's key stays in the HSM ({@code keyCustody: hsm}), a token object per version. */
    boolean hsmKey() {
        return this == CERT_HSM_KEY_FILES_KV;
    }
}
