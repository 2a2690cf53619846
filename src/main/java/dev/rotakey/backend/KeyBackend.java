package dev.rotakey.backend;

import java.util.Optional;

/**
 * A place where Rotakey's keys live and are used without leaving it: a PKCS#11 token or a
 * Vault transit engine. Credentials refer to a backend by its configured name.
 *
 * <p>A backend is {@linkplain #start() started} once; if the device is offline or the PIN is
 * wrong it stays offline (reported by {@link #status()}) rather than failing the daemon.
 * Operations on an offline backend throw {@link KeyBackendUnavailableException} (retryable) or
 * {@link KeyBackendAuthenticationException} (not retried: tokens lock after wrong PINs).
 */
public interface KeyBackend extends AutoCloseable {

    /** The name under which the backend is configured ({@code hsm}, …). */
    String name();

    /** The configured type ({@code pkcs11}, {@code vault-transit}). */
    String type();

    /**
     * Connects, logs in and makes sure the backend's own keys (the HMAC key for digests) exist,
     * creating them on first use. Never throws: a failure leaves the backend offline with a
     * reason in {@link #status()}. A wrong PIN is not retried automatically.
     */
    void start();

    /** Tries to connect again after an offline start, unless the last failure was a wrong PIN. */
    BackendStatus reconnect();

    /** Cryptographically strong random bytes from the backend's RNG. */
    byte[] randomBytes(int length);

    /**
     * HMAC-SHA256 of {@code data} under the backend's non-extractable digest key. The same
     * input always gives the same output for as long as the key exists.
     */
    byte[] hmac(byte[] data);

    /** A stable identifier of the digest key (stored beside digests, so a key change is visible). */
    String hmacKeyId();

    /**
     * Generates a sensitive, non-extractable key pair of {@code spec} inside the backend and persists
     * it under {@code alias}, refusing (with a non-retryable {@link KeyBackendException}) an alias
     * that already exists.
     */
    SigningKey createSigningKey(String alias, KeySpec spec);

    /** The signing key stored under {@code alias}, or empty when there is none (or the alias names another kind of key). */
    Optional<SigningKey> signingKey(String alias);

    /** Destroys the signing key stored under {@code alias}; does nothing when there is none. */
    void destroySigningKey(String alias);

    /**
     * The aliases of the signing keys stored in the backend that start with {@code prefix}, for finding
     * keys no record accounts for. Lists the whole backend: for sweeps after a restart, never per operation.
     */
    java.util.List<String> signingKeyAliases(String prefix);

    /**
     * How software outside Rotakey finds the private key stored under {@code alias}: for PKCS#11 an
     * RFC 7512 URI ({@code pkcs11:token=…;object=…;type=private}). Names the key; grants nothing.
     */
    String keyUri(String alias);

    /** Whether the backend is usable now, and why not. Cheap: no device round trip. */
    BackendStatus status();

    /** Releases sessions and handles. */
    @Override
    void close();
}
