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

    private final java.util.Map<String, SigningKey> signingKeys = new java.util.HashMap<>();

    @Override
    public String hmacKeyId() {
        return "test-hmac";
    }

    /** Key pairs in memory, JCA's: enough for resources that sign (the audit checkpoints'). */
    @Override
    public synchronized SigningKey createSigningKey(String alias, KeySpec spec) {
        if (signingKeys.containsKey(alias)) {
            throw new dev.rotakey.backend.KeyBackendException("alias " + alias + " exists");
        }
        try {
            java.security.KeyPairGenerator generator = java.security.KeyPairGenerator.getInstance(spec.keyAlgorithm());
            if (spec.curve().isPresent()) {
                generator.initialize(new java.security.spec.ECGenParameterSpec(spec.curve().get()));
            } else {
                generator.initialize(spec.keySize());
            }
            java.security.KeyPair pair = generator.generateKeyPair();
            SigningKey key = new SigningKey() {
                @Override
                public String alias() {
                    return alias;
                }

                @Override
                public KeySpec spec() {
                    return spec;
                }

                @Override
                public java.security.PublicKey publicKey() {
                    return pair.getPublic();
                }

                @Override
                public byte[] sign(byte[] data) {
                    try {
                        java.security.Signature signer = java.security.Signature.getInstance(spec.signatureAlgorithm());
                        signer.initSign(pair.getPrivate());
                        signer.update(data);
                        return signer.sign();
                    } catch (GeneralSecurityException e) {
                        throw new IllegalStateException(e);
                    }
                }
            };
            signingKeys.put(alias, key);
            return key;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public synchronized Optional<SigningKey> signingKey(String alias) {
        return Optional.ofNullable(signingKeys.get(alias));
    }

    @Override
    public synchronized void destroySigningKey(String alias) {
        signingKeys.remove(alias);
    }

    @Override
    public synchronized List<String> signingKeyAliases(String prefix) {
        return signingKeys.keySet().stream().filter(a -> a.startsWith(prefix)).sorted().toList();
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
