package dev.rotakey.targets.files;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import dev.rotakey.targets.TargetException;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.jcajce.provider.asymmetric.util.EC5Util;
import org.bouncycastle.math.ec.ECPoint;
import org.bouncycastle.math.ec.FixedPointCombMultiplier;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.security.spec.ECParameterSpec;
import java.security.spec.EllipticCurve;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

import static dev.rotakey.targets.files.CertificateFiles.CERT;
import static dev.rotakey.targets.files.CertificateFiles.CHAIN;

/**
 * Checks that the PEM files of a certificate directory fit together: {@code cert.pem} holds the leaf alone,
 * {@code key.pem} its private key, and {@code chain.pem} the certificates that sign it, each by the next.
 */
final class CertificatePemCheck {
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    /** Each curve's generator with its precomputed multiples, for deriving public points quickly. */
    private static final Cache<EllipticCurve, ECPoint> GENERATORS = Caffeine.newBuilder().maximumSize(16).build();
    /** Digests of chains whose certificates were found to sign each other. */
    private final Cache<String, Boolean> soundChains = Caffeine.newBuilder().maximumSize(64).build();

    CertificatePemCheck(String name) {
        this.name = name;
    }

    /** The one certificate {@code cert.pem} holds. */
    X509Certificate leaf(Path file, byte[] pem) {
        List<X509Certificate> parsed = chain(file, pem);
        if (parsed.size() != 1) {
            throw new TargetException("target '" + name + "': " + file + " holds " + parsed.size()
                    + " certificates; expected the leaf alone", false);
        }
        return parsed.get(0);
    }

    /** The certificates a PEM file holds, at least one. */
    List<X509Certificate> chain(Path file, byte[] pem) {
        List<X509Certificate> parsed = new ArrayList<>();
        try {
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                parsed.add((X509Certificate) c);
            }
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new TargetException("target '" + name + "': " + file + " does not parse as PEM certificates: "
                    + e.getMessage(), false, e);
        }
        if (parsed.isEmpty()) {
            throw new TargetException("target '" + name + "': " + file + " holds no certificate", false);
        }
        return parsed;
    }

    /**
     * Proves that key.pem holds the private half of the certificate's public key: for an EC key by deriving its
     * public point, for any other by signing a random challenge with it (comparing the key pair's parameters would
     * need code for every key type).
     * Parser errors are not passed on, as they might quote the key. Clears {@code content}.
     */
    void keyMatches(Path dir, Path file, byte[] content, X509Certificate certificate) {
        PrivateKey key;
        try (PEMParser parser = new PEMParser(new InputStreamReader(new ByteArrayInputStream(content), StandardCharsets.US_ASCII))) {
            Object parsed = parser.readObject();
            if (!(parsed instanceof PrivateKeyInfo info)) {
                throw new TargetException("target '" + name + "': " + file
                        + " does not hold a PKCS#8 private key (-----BEGIN PRIVATE KEY-----)", false);
            }
            key = new JcaPEMKeyConverter().getPrivateKey(info);
        } catch (IOException | RuntimeException e) {
            if (e instanceof TargetException t) {
                throw t;
            }
            throw new TargetException("target '" + name + "': " + file + " does not parse as a PKCS#8 private key ("
                    + e.getClass().getSimpleName() + ")", false);
        } finally {
            Arrays.fill(content, (byte) 0);
        }
        keyMatches(dir, file, key, certificate);
    }

    /** Proves that {@code key}, read from {@code file}, is the private half of the certificate's public key. */
    void keyMatches(Path dir, Path file, PrivateKey key, X509Certificate certificate) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> throw new TargetException("target '" + name + "': " + file + " holds a "
                    + key.getAlgorithm() + " key, which cannot be checked against the certificate", false);
        };
        Optional<Boolean> derived = ecMatches(key, certificate.getPublicKey());
        boolean matches = derived.orElseGet(() -> signatureMatches(key, algorithm, certificate));
        if (!matches) {
            throw new TargetException("target '" + name + "': " + file + " does not match the public key of "
                    + dir.resolve(CERT), false);
        }
    }

    /**
     * For an EC key, whether the public point it yields is the certificate's: one multiplication of the curve's
     * generator, where signing a challenge and verifying it costs three.
     *
     * @return empty for other key types
     */
    private static Optional<Boolean> ecMatches(PrivateKey key, PublicKey publicKey) {
        if (!(key instanceof ECPrivateKey ec) || !(publicKey instanceof ECPublicKey certified)) {
            return Optional.empty();
        }
        ECParameterSpec params = certified.getParams();
        if (!ec.getParams().getCurve().equals(params.getCurve()) || !ec.getParams().getGenerator().equals(params.getGenerator())) {
            return Optional.of(false);
        }
        ECPoint generator = GENERATORS.get(params.getCurve(), c -> EC5Util.convertPoint(EC5Util.convertCurve(c),
                params.getGenerator()));
        ECPoint derived = new FixedPointCombMultiplier().multiply(generator, ec.getS()).normalize();
        return Optional.of(!derived.isInfinity()
                && derived.getAffineXCoord().toBigInteger().equals(certified.getW().getAffineX())
                && derived.getAffineYCoord().toBigInteger().equals(certified.getW().getAffineY()));
    }

    /** Whether a challenge signed with {@code key} verifies with the certificate's public key. */
    private static boolean signatureMatches(PrivateKey key, String algorithm, X509Certificate certificate) {
        byte[] challenge = new byte[32];
        RANDOM.nextBytes(challenge);
        boolean matches;
        try {
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            matches = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            // A key of another type than the certificate's, typically.
            matches = false;
        }
        return matches;
    }

    /**
     * The certificate is signed by chain.pem's first certificate, and each of those by the next. A chain (by the
     * digest of {@code chainPem}) found sound once is not checked again: a CA's certificates are shared by every leaf
     * it issues.
     */
    void chainSigns(Path dir, X509Certificate certificate, List<X509Certificate> chain, byte[] chainPem) {
        checkSigned("the certificate in " + dir.resolve(CERT), certificate, chain.get(0),
                "certificate 1 of " + dir.resolve(CHAIN));
        String digest = digest(chainPem);
        if (soundChains.getIfPresent(digest) != null) {
            return;
        }
        for (int i = 0; i + 1 < chain.size(); i++) {
            checkSigned("certificate " + (i + 1) + " of " + dir.resolve(CHAIN), chain.get(i), chain.get(i + 1),
                    "its certificate " + (i + 2));
        }
        X509Certificate last = chain.get(chain.size() - 1);
        if (last.getIssuerX500Principal().equals(last.getSubjectX500Principal())) {
            checkSigned("the last certificate of " + dir.resolve(CHAIN), last, last, "itself");
        }
        soundChains.put(digest, Boolean.TRUE);
    }

    private static String digest(byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    private void checkSigned(String subject, X509Certificate certificate, X509Certificate issuer, String issuerName) {
        if (!certificate.getIssuerX500Principal().equals(issuer.getSubjectX500Principal())) {
            throw new TargetException("target '" + name + "': " + subject + " is issued by '"
                    + certificate.getIssuerX500Principal().getName() + "', not by " + issuerName + " ('"
                    + issuer.getSubjectX500Principal().getName() + "')", false);
        }
        try {
            certificate.verify(issuer.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new TargetException("target '" + name + "': the signature of " + subject + " does not verify against "
                    + issuerName + "'s public key (" + e.getClass().getSimpleName() + ")", false);
        }
    }
}
