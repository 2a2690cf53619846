package dev.rotakey.service;

import dev.rotakey.backend.BackendSecureRandom;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeySpec;
import dev.rotakey.backend.SigningKey;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.IssuedCertificate;
import dev.rotakey.ca.LeafRequest;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.Credential;
import dev.rotakey.core.IssuedMaterial;
import dev.rotakey.core.KeyCustody;
import dev.rotakey.core.MaterialDigests;
import dev.rotakey.core.Secret;
import dev.rotakey.targets.CertificateMaterial;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.CharArrayWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * Issues one certificate version: makes the leaf key pair (in the JVM from the backend's RNG for
 * {@code export} custody, or inside the backend for {@code hsm}), has the credential's CA certify
 * it, and digests the certificate PEM with the backend's HMAC key so that targets can later
 * recognise exactly this version.
 */
final class CertificateIssuer {
    private final CertificateAuthorities authorities;

    CertificateIssuer(CertificateAuthorities authorities) {
        this.authorities = authorities;
    }

    IssuedMaterial issue(KeyBackend backend, Credential c, int version) {
        CertificateProfile p = c.certificate();
        if (p.keyCustody() == KeyCustody.HSM) {
            return issueWithBackendKey(backend, c, version, p);
        }
        KeyPair pair = generate(p.keySpec(), backend);
        Secret keyPem = privateKeyPem(pair);
        try {
            IssuedCertificate cert = authorities.issue(p.ca(), request(c, version, p, pair.getPublic()));
            CertificateMaterial material = new CertificateMaterial(cert.certificatePem(), cert.chainPem(), keyPem, null);
            return digested(backend, material, null);
        } catch (RuntimeException e) {
            keyPem.destroy();
            throw e;
        }
    }

    private IssuedMaterial issueWithBackendKey(KeyBackend backend, Credential c, int version, CertificateProfile p) {
        // A random suffix: a re-issue of the same version after a restart never collides with a key left behind.
        String alias = "rotakey-leaf-" + c.id() + "-" + version + "-" + HexFormat.of().formatHex(backend.randomBytes(4));
        SigningKey key = backend.createSigningKey(alias, p.keySpec());
        try {
            IssuedCertificate cert = authorities.issue(p.ca(), request(c, version, p, key.publicKey()));
            CertificateMaterial material = new CertificateMaterial(cert.certificatePem(), cert.chainPem(), null,
                    backend.keyUri(alias));
            return digested(backend, material, alias);
        } catch (RuntimeException e) {
            CertificateRetirement.destroyUnrecorded(backend, alias, e);
            throw e;
        }
    }

    private static LeafRequest request(Credential c, int version, CertificateProfile p, PublicKey publicKey) {
        return new LeafRequest(c.agentId(), c.id(), version, publicKey, p.validity(), p.dnsNames(), p.uris());
    }

    private static IssuedMaterial digested(KeyBackend backend, CertificateMaterial material, String keyRef) {
        byte[] pem = material.certificatePem().getBytes(StandardCharsets.UTF_8);
        String digest = MaterialDigests.digest(backend, pem);
        return new IssuedMaterial(Secret.of(material.certificatePem()), digest, backend.hmacKeyId(), material, keyRef);
    }

    static KeyPair generate(KeySpec spec, KeyBackend backend) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(spec.keyAlgorithm());
            BackendSecureRandom random = new BackendSecureRandom(backend);
            if (spec.curve().isPresent()) {
                generator.initialize(new ECGenParameterSpec(spec.curve().get()), random);
            } else {
                generator.initialize(spec.keySize(), random);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot generate a " + spec + " key pair: " + e.getMessage(), e);
        }
    }

    /** PKCS#8 PEM, written into a char array that becomes the Secret (no String copy of the key). */
    private static Secret privateKeyPem(KeyPair pair) {
        byte[] der = pair.getPrivate().getEncoded();
        WipeableWriter out = new WipeableWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(new PemObject("PRIVATE KEY", der));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode a private key as PEM", e);
        } finally {
            Arrays.fill(der, (byte) 0);
        }
        char[] chars = out.toCharArray();
        out.wipe();
        return Secret.wrap(chars);
    }

    /** A CharArrayWriter whose buffer can be zeroed, so the PEM key is not left behind on the heap. */
    private static final class WipeableWriter extends CharArrayWriter {
        void wipe() {
            Arrays.fill(buf, '\0');
            reset();
        }
    }
}
