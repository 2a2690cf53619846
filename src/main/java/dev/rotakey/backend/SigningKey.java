package dev.rotakey.backend;

import java.security.PublicKey;

/**
 * An asymmetric key pair whose private half stays inside a {@link KeyBackend}: callers get the
 * public key and signatures, never the private key's material.
 */
public interface SigningKey {

    /** The name under which the backend stores the key. */
    String alias();

    /** The kind of key, which also fixes the signature algorithm. */
    KeySpec spec();

    /** The public key, an ordinary JDK key usable without the backend (to verify, or to put in a certificate). */
    PublicKey publicKey();

    /**
     * Signs {@code data} with {@link KeySpec#signatureAlgorithm()} inside the backend. Throws
     * {@link KeyBackendUnavailableException} while the backend is offline and
     * {@link KeyBackendException} once the key has been destroyed.
     */
    byte[] sign(byte[] data);
}
