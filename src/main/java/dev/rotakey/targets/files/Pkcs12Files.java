package dev.rotakey.targets.files;

import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.TargetException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Writes and checks the {@code keystore.p12} of a {@code pkcs12} certificate binding with the JDK's own PKCS#12
 * implementation (PBES2 with AES-256 and an HMAC-SHA256 MAC since Java 17, which OpenSSL 3 and Java agents read):
 * one private key entry, alias {@code rotakey}, holding the leaf and its chain.
 */
final class Pkcs12Files {
    static final String ALIAS = "rotakey";
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String target;

    Pkcs12Files(String target) {
        this.target = target;
    }

    /** A fresh random password for a keystore: 32 URL-safe characters (192 bits). */
    static char[] newPassword() {
        byte[] random = new byte[24];
        RANDOM.nextBytes(random);
        char[] password = Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
        Arrays.fill(random, (byte) 0);
        return password;
    }

    /** The keystore's bytes for the material, protected by {@code password} (empty for none). */
    byte[] write(CertificateMaterial material, char[] password) {
        PrivateKey key = privateKey(material);
        try {
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry(ALIAS, key, password, chain(material).toArray(new Certificate[0]));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            store.store(out, password);
            return out.toByteArray();
        } catch (GeneralSecurityException | IOException e) {
            throw new TargetException("target '" + target + "': cannot build a PKCS#12 keystore ("
                    + e.getClass().getSimpleName() + ")", false);
        }
    }

    /**
     * Checks that {@code content} opens with {@code password} and holds the delivered leaf (with its chain) and a key
     * that {@code pem} proves to be its private half.
     */
    void check(Path dir, Path file, byte[] content, char[] password, CertificateMaterial material, CertificatePemCheck pem) {
        KeyStore store;
        Key key;
        Certificate[] stored;
        try {
            store = KeyStore.getInstance("PKCS12");
            store.load(new ByteArrayInputStream(content), password);
            key = store.getKey(ALIAS, password);
            stored = store.getCertificateChain(ALIAS);
        } catch (GeneralSecurityException | IOException e) {
            throw new TargetException("target '" + target + "': " + file + " does not open as a PKCS#12 keystore with "
                    + "its password (" + e.getClass().getSimpleName() + ")", true);
        }
        List<X509Certificate> expected = chain(material);
        if (!(key instanceof PrivateKey privateKey) || stored == null || !Arrays.equals(stored,
                expected.toArray(new Certificate[0]))) {
            throw new TargetException("target '" + target + "': " + file + " does not hold the delivered certificate, "
                    + "its chain and a private key under alias '" + ALIAS + "'", true);
        }
        pem.keyMatches(dir, file, privateKey, expected.get(0));
    }

    private PrivateKey privateKey(CertificateMaterial material) {
        byte[] content = material.privateKeyPem().utf8();
        try (PEMParser parser = new PEMParser(new InputStreamReader(new ByteArrayInputStream(content),
                StandardCharsets.US_ASCII))) {
            if (parser.readObject() instanceof PrivateKeyInfo info) {
                return new JcaPEMKeyConverter().getPrivateKey(info);
            }
        } catch (IOException | RuntimeException e) {
            // Not passed on: a parser's message might quote the key.
        } finally {
            Arrays.fill(content, (byte) 0);
        }
        throw new TargetException("target '" + target + "': the delivered private key is not PKCS#8 PEM", false);
    }

    private List<X509Certificate> chain(CertificateMaterial material) {
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            List<X509Certificate> out = new ArrayList<>();
            for (String pem : List.of(material.certificatePem(), material.chainPem())) {
                for (Certificate c : factory.generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)))) {
                    out.add((X509Certificate) c);
                }
            }
            return out;
        } catch (GeneralSecurityException e) {
            throw new TargetException("target '" + target + "': the delivered certificate does not parse", false);
        }
    }
}
