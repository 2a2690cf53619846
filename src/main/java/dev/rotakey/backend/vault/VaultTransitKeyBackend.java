package dev.rotakey.backend.vault;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rotakey.backend.BackendConnection;
import dev.rotakey.backend.BackendConnection.Failure;
import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.vault.VaultPermissionDeniedException;
import dev.rotakey.vault.VaultResponse;
import dev.rotakey.vault.VaultSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A {@link KeyBackend} on HashiCorp Vault's transit engine: random bytes from {@code transit/random},
 * HMAC-SHA256 under a non-exportable {@code hmac} key, and non-exportable ECDSA/RSA signing keys that
 * sign through {@code transit/sign}. Interchangeable with {@code pkcs11}: same offline-at-start
 * behaviour, cached key handles, and exceptions (both keep their online/offline state in a
 * {@link BackendConnection}); unlike a token, an offline transit backend also tries to connect again
 * when an operation needs it, at most once per {@link #RECONNECT_INTERVAL}.
 *
 * <p><b>Key versions.</b> A transit key can gain versions (someone runs {@code rotate}, or
 * {@link #rotateKey(String)}). Rotakey binds each key to exactly one version: the oldest usable
 * one ({@code max(1, min_available_version, min_encryption_version)}), read once and pinned as
 * {@code key_version} in every request. That keeps HMAC digests stable and keeps signatures
 * matching the public key already in a CA certificate even after an outside rotation and a restart.
 * The pin moves only when old versions are retired ({@link #retireVersionsBelow(String, int)}).
 * Rotakey's own CA rotation does not use transit rotation: each CA generation gets a new key
 * ({@code rotakey-ca-<name>-<generation>-<hex>}) and the retired generation's key is destroyed
 * whole by {@link #destroySigningKey(String)}; {@code rotateKey}/{@code retireVersionsBelow} are
 * there for operators and tests that rotate a transit key in place.
 *
 * <p>{@link #keyUri(String)} is {@code vault:<address>/v1/[<namespace>/]<mount>/keys/<alias>}: the
 * key's Vault API URL behind a {@code vault:} scheme. It names the key; it grants nothing.
 */
public final class VaultTransitKeyBackend implements KeyBackend {
    private static final Logger LOG = LoggerFactory.getLogger(VaultTransitKeyBackend.class);

    static final String TYPE = "vault-transit";
    /** Transit key names end up in URL paths: keep them to characters that need no escaping. Longer than pkcs11's 100: leaf aliases carry a credential id of up to 128 characters. */
    static final String KEY_NAME = "[A-Za-z0-9][A-Za-z0-9_.-]{0,199}";
    private static final Pattern KEY_NAME_PATTERN = Pattern.compile(KEY_NAME);
    /** Vault refuses more than 128 KiB per random request. */
    private static final int MAX_RANDOM_REQUEST = 128 * 1024;
    private static final byte[] PROBE = "rotakey start-up probe".getBytes(StandardCharsets.US_ASCII);

    /** What {@link #start()} established: the pinned HMAC key version and the signing-key handles read so far. */
    private record Connection(int hmacVersion, ConcurrentMap<String, TransitSigningKey> signingKeys) {
    }

    private final String name;
    private final VaultSession session;
    private final String mount;
    private final String hmacKey;
    private final Clock clock;
    private final BackendConnection<Connection> state;
    private final TransitMount transit;

    /**
     * While there is no connection (Vault unreachable or the login refused at start, or since), an
     * operation tries to connect again, at most once per interval. Unlike a token's PIN, a refused
     * AppRole or token login locks nothing out, and without this a backend that was down when the
     * daemon started stayed down after Vault recovered, so no rotation on it could succeed again (I3).
     */
    static final Duration RECONNECT_INTERVAL = Duration.ofSeconds(2);

    VaultTransitKeyBackend(String name, VaultSession session, String mount, String hmacKey, Clock clock) {
        this.name = name;
        this.session = session;
        this.mount = mount;
        this.hmacKey = hmacKey;
        this.clock = clock;
        this.transit = new TransitMount(name, LOG, session, mount, hmacKey);
        this.state = BackendConnection.connectedOnDemand(name, LOG, clock, RECONNECT_INTERVAL, this::connect);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return TYPE;
    }

    /** The session, shared with nobody else; exposed for tests and diagnostics. */
    VaultSession session() {
        return session;
    }

    @Override
    public void start() {
        state.start(this::connect);
    }

    /**
     * Connects again when offline, or checks the HMAC key when operations have been failing on an
     * open connection (Vault sealed, 5xx): a success makes the backend healthy again.
     */
    @Override
    public BackendStatus reconnect() {
        return state.reconnect(current -> {
            if (current == null) {
                connect();
                return;
            }
            try {
                transit.readHmacVersion();
                state.recovered(current, () -> upStatus(current));
            } catch (KeyBackendException e) {
                state.stillDown(Failure.of(e), e.getMessage());
            }
        });
    }

    @Override
    public byte[] randomBytes(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length must not be negative");
        }
        Connection c = state.require("randomBytes");
        byte[] out = new byte[length];
        int done = 0;
        while (done < length) {
            int n = Math.min(MAX_RANDOM_REQUEST, length - done);
            byte[] chunk = random(c, n);
            System.arraycopy(chunk, 0, out, done, n);
            Arrays.fill(chunk, (byte) 0);
            done += n;
        }
        return out;
    }

    @Override
    public byte[] hmac(byte[] data) {
        Objects.requireNonNull(data, "data");
        Connection c = state.require("hmac");
        return hmac(c, data);
    }

    @Override
    public String hmacKeyId() {
        Connection c = state.require("hmacKeyId");
        return "vault-transit:" + mount + "/" + hmacKey + "/v" + c.hmacVersion();
    }

    @Override
    public SigningKey createSigningKey(String alias, KeySpec spec) {
        checkAlias(alias);
        Objects.requireNonNull(spec, "spec");
        Connection c = state.require("createSigningKey");
        String path = keyPath(alias);
        TransitSigningKey key = operation(c, "createSigningKey", () -> {
            // Vault answers a create of an existing key with success: check first, as pkcs11 refuses the alias.
            if (c.signingKeys().containsKey(alias) || session.read(path).found()) {
                throw new KeyBackendException("key '" + alias + "' already exists in Vault transit mount '" + mount + "'");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("type", TransitFormat.typeOf(spec));
            body.put("exportable", false);
            body.put("allow_plaintext_backup", false);
            session.write(path, body);
            return readSigningKey(alias).orElseThrow(() ->
                    new KeyBackendException("key '" + alias + "' is missing from Vault right after it was created"));
        });
        if (key.spec() != spec) {
            throw new KeyBackendException("Vault created key '" + alias + "' as " + key.spec() + ", not " + spec);
        }
        c.signingKeys().put(alias, key);
        LOG.info("Key backend '{}' created signing key '{}' ({})", name, alias, spec);
        return key;
    }

    @Override
    public Optional<SigningKey> signingKey(String alias) {
        checkAlias(alias);
        Connection c = state.require("signingKey");
        TransitSigningKey cached = c.signingKeys().get(alias);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<TransitSigningKey> read = operation(c, "signingKey", () -> readSigningKey(alias));
        read.ifPresent(k -> c.signingKeys().putIfAbsent(alias, k));
        return read.map(k -> c.signingKeys().getOrDefault(alias, k));
    }

    /**
     * A handle on one particular version of a signing key (its public key and signatures of that
     * version); empty when the key or the version is absent. Not cached.
     */
    public Optional<SigningKey> signingKey(String alias, int version) {
        checkAlias(alias);
        Connection c = state.require("signingKey");
        return operation(c, "signingKey", () -> {
            VaultResponse r = session.read(keyPath(alias));
            return r.found() ? signingKeyOf(alias, r.data(), version).map(k -> (SigningKey) k) : Optional.empty();
        });
    }

    /** {@code LIST <mount>/keys}: the HMAC key and any other transit key not starting with {@code prefix} are left out. */
    @Override
    public List<String> signingKeyAliases(String prefix) {
        Connection c = state.require("signingKeyAliases");
        return operation(c, "signingKeyAliases", () -> {
            VaultResponse r = session.list(mount + "/keys");
            List<String> aliases = new ArrayList<>();
            if (r.found()) {
                r.data().path("keys").forEach(k -> {
                    if (k.asText().startsWith(prefix)) {
                        aliases.add(k.asText());
                    }
                });
            }
            return aliases;
        });
    }

    @Override
    public void destroySigningKey(String alias) {
        checkAlias(alias);
        Connection c = state.require("destroySigningKey");
        String path = keyPath(alias);
        operation(c, "destroySigningKey", () -> {
            c.signingKeys().remove(alias);
            if (!session.read(path).found()) {
                return null;
            }
            // Vault refuses to delete a key until deletion_allowed is set on it.
            session.write(path + "/config", Map.of("deletion_allowed", true));
            session.delete(path);
            LOG.info("Key backend '{}' destroyed signing key '{}'", name, alias);
            return null;
        });
        c.signingKeys().remove(alias);
    }

    /**
     * Adds a version to the transit key {@code alias} and returns its number. The key keeps signing
     * with its pinned version until {@link #retireVersionsBelow(String, int)} retires the older ones.
     */
    public int rotateKey(String alias) {
        checkAlias(alias);
        Connection c = state.require("rotateKey");
        return operation(c, "rotateKey", () -> transit.rotate(alias));
    }

    /**
     * Retires every version of {@code alias} below {@code version}: raises
     * {@code min_decryption_version} and {@code min_encryption_version} to it (never lowering them)
     * and then trims the older versions for good. Afterwards the key signs with {@code version}
     * (now its oldest usable one). Does nothing for versions already retired.
     */
    public void retireVersionsBelow(String alias, int version) {
        checkAlias(alias);
        if (version < 1) {
            throw new IllegalArgumentException("version must be at least 1");
        }
        Connection c = state.require("retireVersionsBelow");
        operation(c, "retireVersionsBelow", () -> {
            transit.retireVersionsBelow(alias, version);
            return null;
        });
        c.signingKeys().remove(alias);
    }

    @Override
    public String keyUri(String alias) {
        checkAlias(alias);
        String ns = session.namespace().map(n -> trimSlashes(n) + "/").orElse("");
        return "vault:" + session.address() + "/v1/" + ns + mount + "/keys/" + alias;
    }

    /**
     * Cheap: the state of the last operation, plus the token's lifetime as last reported (a static
     * token that expired makes the backend unhealthy; one about to expire is named in the message).
     */
    @Override
    public BackendStatus status() {
        BackendStatus s = state.status();
        Optional<String> problem = session.tokenProblem();
        if (!s.healthy() || problem.isEmpty() || state.current() == null) {
            return s;
        }
        Optional<Instant> expiry = session.tokenExpiry();
        if (expiry.isPresent() && !clock.instant().isBefore(expiry.get())) {
            return BackendStatus.down(problem.get());
        }
        return BackendStatus.up(s.message() + "; warning: " + problem.get());
    }

    @Override
    public void close() {
        state.close(last -> session.close());
    }

    @Override
    public String toString() {
        return "VaultTransitKeyBackend{name=" + name + ", session=" + session + ", mount=" + mount + ", hmacKey=" + hmacKey
                + ", status=" + state.status() + "}";
    }

    /**
     * Logs in, makes sure the HMAC key exists (creating it non-exportable on first use), pins its
     * version and probes random and HMAC once, so a missing policy shows at start-up, not on the
     * first credential.
     */
    private void connect() {
        try {
            session.login();
            int version = transit.readHmacVersion();
            Connection c = new Connection(version, new ConcurrentHashMap<>());
            random(c, 16);
            hmac(c, PROBE);
            state.connected(c, upStatus(c));
            session.startRenewal();
            LOG.info("Key backend '{}' is online: Vault {}, transit mount '{}', HMAC key '{}' v{}", name,
                    session.address(), mount, hmacKey, version);
        } catch (KeyBackendException e) {
            state.offline(Failure.of(e), e.getMessage(), e);
        } catch (RuntimeException e) {
            state.offline(Failure.UNAVAILABLE, "unexpected error connecting to Vault at " + session.address() + " ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    private byte[] random(Connection c, int n) {
        return operation(c, "randomBytes", () -> transit.random(n));
    }

    private byte[] hmac(Connection c, byte[] data) {
        return operation(c, "hmac", () -> transit.hmac(c.hmacVersion(), data));
    }

    /** Signs with the version {@code key} is pinned to. */
    byte[] sign(TransitSigningKey key, byte[] data) {
        Objects.requireNonNull(data, "data");
        Connection c = state.require("sign");
        return operation(c, "sign", () -> transit.sign(key, data));
    }

    private Optional<TransitSigningKey> readSigningKey(String alias) {
        VaultResponse r = session.read(keyPath(alias));
        if (!r.found()) {
            return Optional.empty();
        }
        return signingKeyOf(alias, r.data(), TransitFormat.pinnedVersion(r.data()));
    }

    /** The handle for {@code version} of a key, or empty when it is not one of Rotakey's signing key types or lacks the version. */
    private Optional<TransitSigningKey> signingKeyOf(String alias, JsonNode d, int version) {
        String type = d.path("type").asText("");
        Optional<KeySpec> spec = TransitFormat.specOf(type);
        if (spec.isEmpty() || !d.path("supports_signing").asBoolean(true)) {
            return Optional.empty();
        }
        JsonNode pem = d.path("keys").path(Integer.toString(version)).path("public_key");
        if (!pem.isTextual()) {
            return Optional.empty();
        }
        PublicKey publicKey = TransitFormat.parsePublicKey(pem.asText(), spec.get(), alias);
        if (KeySpec.of(publicKey).orElse(null) != spec.get()) {
            throw new KeyBackendException("transit key '" + alias + "' of type " + type + " has a public key that is not "
                    + spec.get());
        }
        return Optional.of(new TransitSigningKey(this, alias, spec.get(), publicKey, version));
    }

    /**
     * Runs one Vault exchange: an unavailability (sealed, 5xx, network) or a refused re-login makes
     * the backend unhealthy until an operation succeeds again or {@link #reconnect()} does; a 403 on
     * one path and other refusals leave it alone.
     */
    private <T> T operation(Connection c, String operation, Supplier<T> body) {
        try {
            T result = body.get();
            state.recovered(c, () -> upStatus(c));
            return result;
        } catch (KeyBackendUnavailableException e) {
            state.failed(c, operation, Failure.UNAVAILABLE, operation + " failed: " + e.getMessage(), e);
            throw e;
        } catch (KeyBackendAuthenticationException e) {
            // A policy refusing one path is not an outage; a refused login (the token could not be replaced) is.
            if (!(e instanceof VaultPermissionDeniedException)) {
                state.failed(c, operation, Failure.AUTHENTICATION, operation + " failed: " + e.getMessage(), e);
            }
            throw e;
        }
    }

    private BackendStatus upStatus(Connection c) {
        return BackendStatus.up("Vault " + session.address() + ", transit mount '" + mount + "', HMAC key '" + hmacKey
                + "' v" + c.hmacVersion());
    }

    private String keyPath(String key) {
        return transit.keyPath(key);
    }

    private static String trimSlashes(String s) {
        String t = s;
        while (t.startsWith("/")) {
            t = t.substring(1);
        }
        while (t.endsWith("/")) {
            t = t.substring(0, t.length() - 1);
        }
        return t;
    }

    private static void checkAlias(String alias) {
        Objects.requireNonNull(alias, "alias");
        if (!KEY_NAME_PATTERN.matcher(alias).matches()) {
            throw new IllegalArgumentException("signing key alias must be 1 to 200 letters, digits, '_', '.' or '-',"
                    + " starting with a letter or digit");
        }
    }
}
