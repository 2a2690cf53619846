package dev.rotakey.ca;

import dev.rotakey.audit.AuditLog;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.testing.SoftHsmTokens;
import dev.rotakey.testing.TestClock;
import dev.rotakey.testing.TestDatabase;
import dev.rotakey.testing.TestDatabases;
import dev.rotakey.testing.TestDatabases.Engine;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the CA tests share: CAs on the {@code rotakey-test} SoftHSM2 token and a test database, a
 * clock moved by hand, leaf keys, and OpenSSL. {@link #close()} destroys every CA key the database knows of.
 */
final class CaBench implements AutoCloseable {
    final TestClock clock;
    final KeyBackend backend;
    final TestDatabase db;
    final Map<String, CertificateAuthorityFactory> configs = new LinkedHashMap<>();

    CaBench(Engine engine, Path dir, Instant start) throws Exception {
        this.clock = new TestClock(start);
        this.db = TestDatabases.open(engine, dir);
        KeyBackend b = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        b.start();
        assertThat(b.status().healthy()).as(b.status().message()).isTrue();
        this.backend = b;
    }

    /** Adds a CA to the configuration the next {@link #authorities()} uses. */
    CertificateAuthorityFactory ca(String name, KeySpec spec, String subject) {
        CertificateAuthorityFactory f = new CertificateAuthorityFactory();
        f.setBackend("hsm");
        f.setKeySpec(spec);
        f.setSubject(subject);
        f.setTrustDomain("example.org");
        f.setValidity(Duration.ofDays(365));
        f.setCrlBaseUrl("https://ca.example.org/");
        configs.put(name, f);
        return f;
    }

    /** A new, started instance over the same database and token (as after a restart, or on another node). */
    CertificateAuthorities authorities() {
        CertificateAuthorities authorities = new CertificateAuthorities(configs, new KeyBackends(Map.of("hsm", backend)),
                db.store(), audit(), clock);
        authorities.start();
        return authorities;
    }

    /** An audit log on the bench's database, as the application's composition root gives the CAs. */
    AuditLog audit() {
        return new AuditLog(db.store(), clock, NodeIdentity.single("test-node"));
    }

    static PublicKey leafKey(KeySpec spec) throws GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance(spec.keyAlgorithm());
        if (spec.curve().isPresent()) {
            generator.initialize(new ECGenParameterSpec(spec.curve().get()));
        } else {
            generator.initialize(spec.keySize());
        }
        return generator.generateKeyPair().getPublic();
    }

    static LeafRequest request(String agent, String credential, int version, PublicKey key, Duration validity,
                               List<String> dns, List<String> uris) {
        return new LeafRequest(agent, credential, version, key, validity, dns, uris);
    }


    /** Whether the token still holds a signing key under {@code alias}, asked through a fresh connection. */
    boolean tokenHasKey(String alias) {
        KeyBackend fresh = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm-check");
        try {
            fresh.start();
            return fresh.signingKey(alias).isPresent();
        } finally {
            fresh.close();
        }
    }

    @Override
    public void close() throws Exception {
        // Through a fresh connection: a PKCS#11 KeyStore does not see keys another connection created after it loaded.
        KeyBackend cleaner = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm-cleaner");
        try {
            cleaner.start();
            db.store().read(d -> d.certificateAuthorities().generationsIn("hsm"))
                    .forEach(r -> cleaner.destroySigningKey(r.keyAlias()));
        } finally {
            cleaner.close();
            backend.close();
            db.close();
        }
    }
}
