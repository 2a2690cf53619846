package dev.rotakey.ca;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.testing.SoftHsmTokens;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.SubjectKeyIdentifier;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static dev.rotakey.testing.OpenSsl.openssl;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Self-signed CA certificates signed by a real SoftHSM2 key: they verify with their own key, carry
 * the CA extensions, and satisfy OpenSSL.
 */
class RootCertificateBuilderIT {
    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final X500Name SUBJECT = CertificateAuthorityFactory.parseSubject("CN=Rotakey Test CA,O=Rotakey");

    @TempDir
    Path tmp;

    private final List<String> created = new ArrayList<>();
    private final SecureRandom random = new SecureRandom();
    private KeyBackend backend;

    @BeforeEach
    void startBackend() {
        backend = SoftHsmTokens.factory(SoftHsmTokens.TEST).build("hsm");
        backend.start();
        assertThat(backend.status().healthy()).as(backend.status().message()).isTrue();
    }

    @AfterEach
    void destroyKeys() {
        created.forEach(backend::destroySigningKey);
        backend.close();
    }

    private SigningKey key(KeySpec spec) {
        byte[] suffix = new byte[6];
        random.nextBytes(suffix);
        String alias = "test-ca-" + HexFormat.of().formatHex(suffix);
        created.add(alias);
        return backend.createSigningKey(alias, spec);
    }

    private X509Certificate build(SigningKey key) {
        return new RootCertificateBuilder(random, Clock.fixed(NOW, ZoneOffset.UTC)).build(key, SUBJECT, Duration.ofDays(3650));
    }

    @ParameterizedTest
    @EnumSource(KeySpec.class)
    void theCertificateIsASelfSignedCaThatVerifiesWithItsOwnKey(KeySpec spec) throws Exception {
        SigningKey key = key(spec);
        X509Certificate cert = build(key);

        cert.verify(key.publicKey());
        assertThat(cert.getPublicKey()).isEqualTo(key.publicKey());
        assertThat(cert.getSigAlgName()).isEqualToIgnoringCase(spec.signatureAlgorithm());
        assertThat(cert.getSubjectX500Principal().getName()).isEqualTo("CN=Rotakey Test CA,O=Rotakey");
        assertThat(cert.getIssuerX500Principal()).isEqualTo(cert.getSubjectX500Principal());
        assertThat(cert.getVersion()).isEqualTo(3);
    }

    @Test
    void theExtensionsSerialAndValidityAreThoseOfARoot() throws Exception {
        SigningKey key = key(KeySpec.EC_P256);
        X509Certificate cert = build(key);

        assertThat(cert.getBasicConstraints()).isEqualTo(Integer.MAX_VALUE);
        assertThat(cert.getCriticalExtensionOIDs()).contains(Extension.basicConstraints.getId(), Extension.keyUsage.getId());
        boolean[] usage = cert.getKeyUsage();
        // keyCertSign is bit 5, cRLSign bit 6; nothing else.
        for (int bit = 0; bit < usage.length; bit++) {
            assertThat(usage[bit]).as("key usage bit " + bit).isEqualTo(bit == 5 || bit == 6);
        }
        byte[] ski = ASN1OctetString.getInstance(cert.getExtensionValue(Extension.subjectKeyIdentifier.getId())).getOctets();
        assertThat(SubjectKeyIdentifier.getInstance(ski).getKeyIdentifier())
                .isEqualTo(new JcaX509ExtensionUtils().createSubjectKeyIdentifier(key.publicKey()).getKeyIdentifier());
        assertThat(cert.getNonCriticalExtensionOIDs()).contains(Extension.subjectKeyIdentifier.getId());

        assertThat(cert.getSerialNumber().signum()).isPositive();
        assertThat(cert.getSerialNumber().bitLength()).isGreaterThanOrEqualTo(64);
        assertThat(build(key).getSerialNumber()).isNotEqualTo(cert.getSerialNumber());

        assertThat(cert.getNotBefore().toInstant()).isEqualTo(NOW.minus(Duration.ofMinutes(5)));
        assertThat(cert.getNotAfter().toInstant()).isEqualTo(NOW.plus(Duration.ofDays(3650)));
    }

    @Test
    void openSslReadsItAsACaAndVerifiesIt() throws Exception {
        SigningKey key = key(KeySpec.EC_P384);
        // OpenSSL checks validity against the real clock.
        X509Certificate cert = new RootCertificateBuilder(random, Clock.systemUTC()).build(key, SUBJECT, Duration.ofDays(30));
        Path pem = Files.writeString(tmp.resolve("ca.pem"), CertificatePem.of(cert));

        String text = openssl("x509", "-noout", "-text", "-in", pem.toString());
        assertThat(text).contains("CA:TRUE").contains("Certificate Sign, CRL Sign")
                .contains("Subject Key Identifier").containsPattern("Subject: ?O ?= ?Rotakey, ?CN ?= ?Rotakey Test CA");
        // RFC 2253 order (most significant last) as operators write it in the config.
        assertThat(openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", pem.toString()))
                .contains("CN=Rotakey Test CA,O=Rotakey");
        assertThat(openssl("verify", "-CAfile", pem.toString(), pem.toString())).contains("OK");
    }

}
