package dev.rotakey.targets.files;

import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.BaseDirectory.Stored;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The certificate side of {@link LocalFilesTarget}: a certificate version goes to the directory its
 * binding's {@code path} names, as {@code cert.pem} (the leaf), {@code chain.pem} (issuing CA first,
 * up to the root) and either {@code key.pem} (PKCS#8, {@code export} custody) or {@code key.uri}
 * (one line, the RFC 7512 URI of a key kept in the key backend).
 *
 * <p>Every file is mode 0600, the public ones too: the base directory is 0700, so consumers run as
 * Rotakey's user anyway, and one mode for everything keeps the checks and the backups uniform.
 *
 * <p>{@code cert.pem} is the commit point. It is written last on delivery (after the key and the
 * chain, and after the stale one of {@code key.pem}/{@code key.uri} is removed), so that a consumer
 * that reloads when {@code cert.pem} changes always finds the matching key and chain already in
 * place; consumers should watch {@code cert.pem}, not the key. It is also the last file restored by
 * a discard and the last removed by a revocation, so that a repeated call after a crash still
 * recognises, by {@code cert.pem}, which version the directory holds. Likewise its backup is written
 * after the other backups and removed after them: while {@code .cert.pem.rotakey-previous} exists
 * the other backups are a complete set, and a missing {@code .key.pem.rotakey-previous} then means
 * that the previous version had no {@code key.pem}.
 */
final class CertificateFiles {
    /** The credential type of certificate deliveries and revocations. */
    static final String TYPE = "certificate";
    static final String CERT = "cert.pem";
    static final String CHAIN = "chain.pem";
    static final String KEY = "key.pem";
    static final String KEY_URI = "key.uri";
    /** The files besides {@code cert.pem}, in the order a delivery writes them. */
    private static final List<String> COMPANIONS = List.of(KEY, KEY_URI, CHAIN);
    private static final List<String> ALL = List.of(KEY, KEY_URI, CHAIN, CERT);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final LocalFilesTarget files;
    private final BaseDirectory tree;
    private final String name;

    CertificateFiles(LocalFilesTarget files) {
        this.files = files;
        this.tree = files.tree();
        this.name = files.targetName();
    }

    void deliver(Delivery delivery) {
        Location location = files.locate(delivery.binding());
        CertificateMaterial material = delivery.certificate();
        String keyFile = material.privateKeyPem() != null ? KEY : KEY_URI;
        String staleKeyFile = keyFile.equals(KEY) ? KEY_URI : KEY;
        byte[] certificate = material.certificatePem().getBytes(StandardCharsets.UTF_8);
        byte[] chain = material.chainPem().getBytes(StandardCharsets.UTF_8);
        byte[] key = keyContent(material);
        Path where = tree.path().resolve(location.relative());
        try {
            Path dir = directory(location, true).orElseThrow();
            where = dir;
            removeLeftoverTemporaries(dir);
            takeBackups(dir, certificate);
            writeIfChanged(dir, keyFile, key);
            writeIfChanged(dir, CHAIN, chain);
            // Before cert.pem appears, so that a consumer reloading on it never sees both custodies.
            delete(dir, staleKeyFile);
            writeIfChanged(dir, CERT, certificate);
        } catch (IOException e) {
            throw tree.ioFailure("deliver version " + delivery.version() + " to", where, e);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    void verify(Delivery delivery) {
        Location location = files.locate(delivery.binding());
        CertificateMaterial material = delivery.certificate();
        Path where = tree.path().resolve(location.relative());
        try {
            Optional<Path> found = directory(location, false);
            if (found.isEmpty()) {
                throw new TargetException("target '" + name + "': " + where + " is missing; version "
                        + delivery.version() + " of " + delivery.credentialId() + " is not delivered", true);
            }
            Path dir = found.get();
            where = dir;
            X509Certificate certificate = certificates(dir.resolve(CERT),
                    expected(dir, CERT, material.certificatePem().getBytes(StandardCharsets.UTF_8), delivery));
            List<X509Certificate> chain = parseChain(dir.resolve(CHAIN),
                    expected(dir, CHAIN, material.chainPem().getBytes(StandardCharsets.UTF_8), delivery));
            if (material.privateKeyPem() != null) {
                verifyKey(dir, certificate, material, delivery);
                expectAbsent(dir, KEY_URI, delivery);
            } else {
                byte[] uri = keyContent(material);
                expected(dir, KEY_URI, uri, delivery);
                expectAbsent(dir, KEY, delivery);
            }
            verifyChain(dir, certificate, chain);
        } catch (IOException e) {
            throw tree.ioFailure("read", where, e);
        }
    }

    void revoke(Revocation revocation) {
        Location location = files.locate(revocation.binding());
        Path where = tree.path().resolve(location.relative());
        try {
            Optional<Path> found = directory(location, false);
            if (found.isEmpty()) {
                return;
            }
            Path dir = found.get();
            where = dir;
            if (tree.holds(dir.resolve(CERT), revocation)) {
                removeAll(dir);
            } else if (tree.holds(backup(dir, CERT), revocation)) {
                // A newer version is in place: only its backups, which hold the revoked version, go.
                deleteBackups(dir);
            }
        } catch (IOException e) {
            throw tree.ioFailure("revoke version " + revocation.version() + " at", where, e);
        }
    }

    void discard(Revocation revocation) {
        Location location = files.locate(revocation.binding());
        Path where = tree.path().resolve(location.relative());
        try {
            Optional<Path> found = directory(location, false);
            if (found.isEmpty()) {
                return;
            }
            Path dir = found.get();
            where = dir;
            Optional<Stored> current = tree.read(dir.resolve(CERT));
            if (current.isEmpty()) {
                // No certificate was ever committed here (or it was revoked): a key or chain is what an
                // interrupted first delivery left, and before it there was nothing.
                removeAll(dir);
                return;
            }
            try (Stored cert = current.get()) {
                if (!revocation.matcher().matches(cert.content())) {
                    // Another version is in place; it is left alone, bar what a delivery cut short left beside it.
                    rollBackInterruptedDelivery(dir, cert.content());
                    return;
                }
            }
            boolean restorable = tree.read(backup(dir, CERT)).map(previous -> {
                try (previous) {
                    return !revocation.matcher().matches(previous.content());
                }
            }).orElse(false);
            if (!restorable) {
                removeAll(dir);
                return;
            }
            restoreCompanions(dir);
            // The backup was written atomically with mode 0600 and fsynced: renaming it over cert.pem
            // commits the previous version and removes the backup in one step.
            Files.move(backup(dir, CERT), dir.resolve(CERT), StandardCopyOption.ATOMIC_MOVE);
            BaseDirectory.fsyncDirectory(dir);
            for (String companion : COMPANIONS) {
                Files.deleteIfExists(backup(dir, companion));
            }
            BaseDirectory.fsyncDirectory(dir);
        } catch (IOException e) {
            throw tree.ioFailure("discard version " + revocation.version() + " at", where, e);
        }
    }

    /**
     * The certificate directory's real path, created when {@code create}; refuses a path that names a
     * file (an API key delivered there earlier, or a binding meant for one).
     */
    private Optional<Path> directory(Location location, boolean create) throws IOException {
        Optional<Path> parent = tree.directory(location.parents(), create);
        if (parent.isEmpty()) {
            return parent;
        }
        Path dir = parent.get().resolve(location.fileName());
        try {
            BasicFileAttributes attributes = Files.readAttributes(dir, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attributes.isRegularFile()) {
                throw new TargetException("target '" + name + "': " + dir + " is a file, not a directory (an API key's "
                        + "file?); a certificate's path names the directory its cert.pem, chain.pem and key go to", false);
            }
        } catch (NoSuchFileException e) {
            if (!create) {
                return Optional.empty();
            }
        }
        return tree.directory(location.segments(), create);
    }

    /**
     * Keeps the files of the version in place as backups before a different certificate replaces
     * it. Skipped when an interrupted delivery already took them: the backed-up certificate is then
     * still the one in place, and the key beside it may already be the new one.
     */
    private void takeBackups(Path dir, byte[] certificate) throws IOException {
        Optional<Stored> current = tree.read(dir.resolve(CERT));
        if (current.isEmpty()) {
            // Backups from an earlier life of this directory would otherwise be "restored" by a
            // discard, although before this rotation there was no certificate at all.
            deleteBackups(dir);
            return;
        }
        try (Stored cert = current.get()) {
            if (MessageDigest.isEqual(cert.content(), certificate) || isBackedUp(dir, cert.content())) {
                return;
            }
            for (String companion : COMPANIONS) {
                Optional<Stored> file = tree.read(dir.resolve(companion));
                if (file.isPresent()) {
                    try (Stored content = file.get()) {
                        BaseDirectory.writeAtomically(dir, backup(dir, companion), content.content());
                    }
                } else if (Files.deleteIfExists(backup(dir, companion))) {
                    BaseDirectory.fsyncDirectory(dir);
                }
            }
            BaseDirectory.writeAtomically(dir, backup(dir, CERT), cert.content());
        }
    }

    /** Whether the backups are a complete set taken of the certificate in place. */
    private boolean isBackedUp(Path dir, byte[] certificate) throws IOException {
        return tree.read(backup(dir, CERT)).map(backedUp -> {
            try (backedUp) {
                return MessageDigest.isEqual(backedUp.content(), certificate);
            }
        }).orElse(false);
    }

    /**
     * A delivery that took backups and then stopped before writing {@code cert.pem} may have left a
     * new key or chain beside the certificate in place; the backups are exactly that certificate's
     * companions, so they go back.
     */
    private void rollBackInterruptedDelivery(Path dir, byte[] certificate) throws IOException {
        if (isBackedUp(dir, certificate)) {
            restoreCompanions(dir);
            deleteBackups(dir);
        }
    }

    /** Puts back the companions of the backed-up version; one without a backup did not exist then. */
    private void restoreCompanions(Path dir) throws IOException {
        for (String companion : COMPANIONS) {
            Optional<Stored> previous = tree.read(backup(dir, companion));
            if (previous.isPresent()) {
                try (Stored content = previous.get()) {
                    // Copied, not moved: the backup must survive a crash until cert.pem is back.
                    writeIfChanged(dir, companion, content.content());
                }
            } else {
                delete(dir, companion);
            }
        }
    }

    /** Removes every file of the directory, cert.pem last (see the class comment). */
    private void removeAll(Path dir) throws IOException {
        removeLeftoverTemporaries(dir);
        for (String companion : COMPANIONS) {
            Files.deleteIfExists(dir.resolve(companion));
        }
        deleteBackups(dir);
        Files.deleteIfExists(dir.resolve(CERT));
        BaseDirectory.fsyncDirectory(dir);
    }

    /** Temporaries of interrupted writes of the files and of their backups; they may hold the key. */
    private static void removeLeftoverTemporaries(Path dir) throws IOException {
        for (String file : ALL) {
            BaseDirectory.removeLeftoverTemporaries(dir, file);
            BaseDirectory.removeLeftoverTemporaries(dir, backup(dir, file).getFileName().toString());
        }
    }

    /** Removes the backups, the certificate's last so that it keeps marking a complete set. */
    private void deleteBackups(Path dir) throws IOException {
        for (String companion : COMPANIONS) {
            Files.deleteIfExists(backup(dir, companion));
        }
        Files.deleteIfExists(backup(dir, CERT));
        BaseDirectory.fsyncDirectory(dir);
    }

    private void writeIfChanged(Path dir, String fileName, byte[] content) throws IOException {
        Path file = dir.resolve(fileName);
        Optional<Stored> existing = tree.read(file);
        if (existing.isPresent()) {
            try (Stored current = existing.get()) {
                if (MessageDigest.isEqual(current.content(), content) && current.mode().equals(BaseDirectory.FILE_MODE)) {
                    return;
                }
            }
        }
        BaseDirectory.writeAtomically(dir, file, content);
    }

    /** Deletes a file (a link itself, never its target) and makes the deletion durable. */
    private static void delete(Path dir, String fileName) throws IOException {
        if (Files.deleteIfExists(dir.resolve(fileName))) {
            BaseDirectory.fsyncDirectory(dir);
        }
    }

    private static Path backup(Path dir, String fileName) {
        return dir.resolve("." + fileName + BaseDirectory.BACKUP_SUFFIX);
    }

    /** The key file's content; the caller clears it. */
    private byte[] keyContent(CertificateMaterial material) {
        if (material.privateKeyPem() != null) {
            return material.privateKeyPem().utf8();
        }
        String uri = material.privateKeyUri();
        if (uri.isBlank() || uri.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw new TargetException("target '" + name + "': the key URI must be one line without control characters", false);
        }
        return (uri + "\n").getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The file's content after checking that it is the delivered one with the private mode; a
     * missing or different file may still be a delivery in progress, hence retryable.
     */
    private byte[] expected(Path dir, String fileName, byte[] expected, Delivery delivery) throws IOException {
        Path file = dir.resolve(fileName);
        Optional<Stored> stored = tree.read(file);
        if (stored.isEmpty()) {
            throw new TargetException("target '" + name + "': " + file + " is missing; version "
                    + delivery.version() + " of " + delivery.credentialId() + " is not delivered", true);
        }
        try (Stored current = stored.get()) {
            if (!MessageDigest.isEqual(current.content(), expected)) {
                throw new TargetException("target '" + name + "': " + file + " does not hold version "
                        + delivery.version() + " of " + delivery.credentialId(), true);
            }
            if (!current.mode().equals(BaseDirectory.FILE_MODE)) {
                throw new TargetException("target '" + name + "': " + file + " has mode "
                        + PosixFilePermissions.toString(current.mode()) + ", expected rw-------", true);
            }
            return current.content().clone();
        } finally {
            Arrays.fill(expected, (byte) 0);
        }
    }

    private void expectAbsent(Path dir, String fileName, Delivery delivery) throws IOException {
        Path file = dir.resolve(fileName);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new TargetException("target '" + name + "': " + file + " is left from another version; version "
                    + delivery.version() + " of " + delivery.credentialId() + " keeps its key "
                    + (fileName.equals(KEY) ? "in the key backend" : "in key.pem"), true);
        }
    }

    private X509Certificate certificates(Path file, byte[] pem) {
        List<X509Certificate> parsed = parseChain(file, pem);
        if (parsed.size() != 1) {
            throw new TargetException("target '" + name + "': " + file + " holds " + parsed.size()
                    + " certificates; expected the leaf alone", false);
        }
        return parsed.get(0);
    }

    private List<X509Certificate> parseChain(Path file, byte[] pem) {
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
     * Proves that key.pem holds the private half of the certificate's public key by signing a random
     * challenge with it: comparing the key pair's parameters would need code for every key type.
     * Parser errors are not passed on, as they might quote the key.
     */
    private void verifyKey(Path dir, X509Certificate certificate, CertificateMaterial material, Delivery delivery)
            throws IOException {
        Path file = dir.resolve(KEY);
        byte[] content = expected(dir, KEY, material.privateKeyPem().utf8(), delivery);
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
        String algorithm = switch (key.getAlgorithm()) {
            case "EC", "ECDSA" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "EdDSA", "Ed25519", "Ed448" -> "EdDSA";
            default -> throw new TargetException("target '" + name + "': " + file + " holds a "
                    + key.getAlgorithm() + " key, which cannot be checked against the certificate", false);
        };
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
        if (!matches) {
            throw new TargetException("target '" + name + "': " + file + " does not match the public key of "
                    + dir.resolve(CERT), false);
        }
    }

    /** The certificate is signed by chain.pem's first certificate, and each of those by the next. */
    private void verifyChain(Path dir, X509Certificate certificate, List<X509Certificate> chain) {
        checkSigned("the certificate in " + dir.resolve(CERT), certificate, chain.get(0),
                "certificate 1 of " + dir.resolve(CHAIN));
        for (int i = 0; i + 1 < chain.size(); i++) {
            checkSigned("certificate " + (i + 1) + " of " + dir.resolve(CHAIN), chain.get(i), chain.get(i + 1),
                    "its certificate " + (i + 2));
        }
        X509Certificate last = chain.get(chain.size() - 1);
        if (last.getIssuerX500Principal().equals(last.getSubjectX500Principal())) {
            checkSigned("the last certificate of " + dir.resolve(CHAIN), last, last, "itself");
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
