package dev.rotakey.ca;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.db.CertificateAuthorityDao.CaRecord;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Proxy;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The key ring asks a backend for each CA key once, parses each CA certificate once, and forgets a destroyed key. */
class CaKeyRingTest {
    private static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    /** The calls a backend received, and the keys it holds. */
    private final List<String> calls = new ArrayList<>();
    private final Map<String, SigningKey> stored = new HashMap<>();
    private final KeyBackend backend = (KeyBackend) Proxy.newProxyInstance(KeyBackend.class.getClassLoader(),
            new Class<?>[]{KeyBackend.class}, (proxy, method, args) -> {
                calls.add(method.getName() + (args == null ? "" : " " + args[0]));
                return switch (method.getName()) {
                    case "name" -> "hsm";
                    case "signingKey" -> Optional.ofNullable(stored.get((String) args[0]));
                    case "destroySigningKey" -> {
                        stored.remove((String) args[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(method.getName());
                };
            });
    private final CaKeyRing ring = new CaKeyRing(new KeyBackends(Map.of("hsm", backend)));

    private static CaRecord generation(int generation, String alias, String pem) {
        return new CaRecord("agents-ca", generation, alias, "EC_P256", "hsm", pem, GenerationState.ACTIVE.name(), NOW);
    }

    @Test
    void aKeyIsLookedUpOnceAndAKeyJustCreatedNotAtAll() throws Exception {
        stored.put("ca-1", softwareKey("ca-1"));
        CaRecord first = generation(1, "ca-1", null);

        SigningKey key = ring.key(first);
        assertThat(ring.key(first)).isSameAs(key);
        assertThat(calls).containsExactly("signingKey ca-1");

        SigningKey created = softwareKey("ca-2");
        ring.add("ca-2", created);
        assertThat(ring.key(generation(2, "ca-2", null))).isSameAs(created);
        assertThat(calls).containsExactly("signingKey ca-1");
    }

    @Test
    void aDestroyedKeyIsForgottenAndAMissingKeyNamesTheGeneration() throws Exception {
        stored.put("ca-1", softwareKey("ca-1"));
        CaRecord first = generation(1, "ca-1", null);
        ring.key(first);

        ring.destroy(first);

        assertThat(stored).isEmpty();
        assertThatThrownBy(() -> ring.key(first)).isInstanceOf(KeyBackendException.class)
                .hasMessage("the key ca-1 of CA agents-ca generation 1 is missing from key backend hsm");
        assertThat(calls).containsExactly("signingKey ca-1", "destroySigningKey ca-1", "signingKey ca-1");
    }

    @Test
    void aCertificateIsParsedOncePerGeneration() throws Exception {
        SigningKey key = softwareKey("ca-1");
        String pem = CertificatePem.of(new RootCertificateBuilder(new SecureRandom(), Clock.fixed(NOW, ZoneOffset.UTC))
                .build(key, CertificateAuthorityFactory.parseSubject("CN=Agents CA"), Duration.ofDays(10)));

        var certificate = ring.certificate(generation(1, "ca-1", pem));

        assertThat(certificate.getSubjectX500Principal().getName()).isEqualTo("CN=Agents CA");
        assertThat(certificate.getPublicKey()).isEqualTo(key.publicKey());
        assertThat(ring.certificate(generation(1, "ca-1", pem))).isSameAs(certificate);
        assertThat(calls).isEmpty();
    }

    /** A P-256 key in software, standing in for one in a backend. */
    private static SigningKey softwareKey(String alias) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair pair = generator.generateKeyPair();
        return new SigningKey() {
            @Override
            public String alias() {
                return alias;
            }

            @Override
            public KeySpec spec() {
                return KeySpec.EC_P256;
            }

            @Override
            public PublicKey publicKey() {
                return pair.getPublic();
            }

            @Override
            public byte[] sign(byte[] data) {
                try {
                    Signature signature = Signature.getInstance(KeySpec.EC_P256.signatureAlgorithm());
                    signature.initSign(pair.getPrivate());
                    signature.update(data);
                    return signature.sign();
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }
        };
    }
}
