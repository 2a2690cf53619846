package dev.rotakey.resources;

import dev.rotakey.backend.BackendStatus;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.List;
import java.util.Optional;

/**
 * A key backend for resource tests: HMAC-SHA256 under a fixed key, so that a test can record a version's digest
 * and present its secret; no signing keys. The resources under test never see a backend, only the services do.
 */
public final class TestKeyBackend implements KeyBackend {
    private static final byte[] KEY = "resource-test-hmac-key".getBytes(StandardCharsets.UTF_8);
    private final String name;

    public TestKeyBackend(String name) {
        this.name = name;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String type() {
        return "test";
    }

    @Override
    public void start() {
    }

    @Override
    public BackendStatus reconnect() {
        return status();
    }

    @Override
    public byte[] randomBytes(int length) {
        byte[] b = new byte[length];
        new SecureRandom().nextBytes(b);
        return b;
    }

    @Override
    public byte[] hmac(byte[] data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(KEY, "HmacSHA256"));
            return mac.doFinal(data);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String hmacKeyId() {
        return "test-hmac";
    }

    @Override
    public SigningKey createSigningKey(String alias, KeySpec spec) {
        throw new UnsupportedOperationException("no signing keys in resource tests");
    }

    @Override
    public Optional<SigningKey> signingKey(String alias) {
        return Optional.empty();
    }

    @Override
    public void destroySigningKey(String alias) {
    }

    @Override
    public List<String> signingKeyAliases(String prefix) {
        return List.of();
    }

    @Override
    public String keyUri(String alias) {
        return "test:" + alias;
    }

    @Override
    public BackendStatus status() {
        return new BackendStatus(true, "ok");
    }

    @Override
    public void close() {
    }
}
