package dev.rotakey.targets.files;

import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.BaseDirectory.Stored;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

import static dev.rotakey.targets.files.CertificateFiles.CERT;
import static dev.rotakey.targets.files.CertificateFiles.CHAIN;
import static dev.rotakey.targets.files.CertificateFiles.KEY;
import static dev.rotakey.targets.files.CertificateFiles.KEY_URI;

/**
 * Verifies what a certificate directory holds: each file is the delivered version's with the binding's access, the
 * other formats' key files are gone, and the PEM files fit together ({@link CertificatePemCheck}).
 */
final class CertificateFilesCheck {
    private final BaseDirectory tree;
    private final String name;
    private final CertificatePemCheck pem;
    private final Pkcs12Files pkcs12;

    CertificateFilesCheck(BaseDirectory tree, String name, Pkcs12Files pkcs12) {
        this.tree = tree;
        this.name = name;
        this.pem = new CertificatePemCheck(name);
        this.pkcs12 = pkcs12;
    }

    /**
     * Checks each file against the delivered version, unless this process knows them {@code untouched} since it wrote
     * them (the same bytes: then they are not read again), and that the delivered PEM files fit together.
     */
    void verify(Path dir, Delivery delivery, CertificateFormat format, FileAccess access, boolean untouched)
            throws IOException {
        CertificateMaterial material = delivery.certificate();
        List<String> keyFiles = format.keyFiles(material, delivery.binding());
        if (!untouched) {
            same(dir, CERT, material.certificatePem().getBytes(StandardCharsets.UTF_8), delivery, access);
            same(dir, CHAIN, material.chainPem().getBytes(StandardCharsets.UTF_8), delivery, access);
            switch (format) {
                case PEM -> same(dir, keyFiles.get(0), CertificateFiles.keyContent(name, material), delivery, access);
                case COMBINED -> same(dir, CertificateFormat.COMBINED_PEM, CertificateFormat.combined(material), delivery, access);
                case PKCS12 -> keystore(dir, material, keyFiles.contains(CertificateFormat.KEYSTORE_PASSWORD), access);
            }
            for (String other : CertificateFiles.KEY_FILES) {
                if (!keyFiles.contains(other)) {
                    expectAbsent(dir, other, delivery);
                }
            }
        }
        // The files hold the delivered bytes: whether those fit together is checked on them.
        X509Certificate certificate = pem.leaf(dir.resolve(CERT), material.certificatePem().getBytes(StandardCharsets.UTF_8));
        byte[] chainPem = material.chainPem().getBytes(StandardCharsets.UTF_8);
        List<X509Certificate> chain = pem.chain(dir.resolve(CHAIN), chainPem);
        if (material.privateKeyPem() != null && format != CertificateFormat.PKCS12) {
            pem.keyMatches(dir, dir.resolve(keyFiles.get(0)), material.privateKeyPem().utf8(), certificate);
        }
        pem.chainSigns(dir, certificate, chain, chainPem);
    }

    /**
     * Checks that keystore.p12 (and keystore.pass, when it has one) have the binding's access, and that the keystore
     * opens with its password and holds the delivered certificate, chain and matching key.
     */
    void keystore(Path dir, CertificateMaterial material, boolean withPassword, FileAccess access) throws IOException {
        Path file = dir.resolve(CertificateFormat.KEYSTORE);
        char[] password = new char[0];
        if (withPassword) {
            Stored stored = readWithAccess(dir.resolve(CertificateFormat.KEYSTORE_PASSWORD), access);
            try (stored) {
                password = new String(stored.content(), StandardCharsets.UTF_8).strip().toCharArray();
            }
        }
        try (Stored stored = readWithAccess(file, access)) {
            pkcs12.check(dir, file, stored.content(), password, material, pem);
        } finally {
            Arrays.fill(password, '\0');
        }
    }

    private Stored readWithAccess(Path file, FileAccess access) throws IOException {
        Optional<Stored> stored = tree.read(file);
        if (stored.isEmpty()) {
            throw new TargetException("target '" + name + "': " + file + " is missing", true);
        }
        if (!access.holds(stored.get())) {
            String found = FileAccess.describe(stored.get());
            stored.get().close();
            throw new TargetException("target '" + name + "': " + file + " has " + found + ", expected " + access, true);
        }
        return stored.get();
    }

    /**
     * Checks that the file is the delivered one with the private mode (clearing {@code expected}); a missing or
     * different file may still be a delivery in progress, hence retryable.
     */
    private void same(Path dir, String fileName, byte[] expected, Delivery delivery, FileAccess access) throws IOException {
        Path file = dir.resolve(fileName);
        try {
            Optional<Stored> stored = tree.read(file);
            if (stored.isEmpty()) {
                throw DeliveredFile.missing(name, file, delivery);
            }
            try (Stored current = stored.get()) {
                DeliveredFile.check(name, file, current, expected, delivery, access);
            }
        } finally {
            Arrays.fill(expected, (byte) 0);
        }
    }

    private void expectAbsent(Path dir, String fileName, Delivery delivery) {
        Path file = dir.resolve(fileName);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new TargetException("target '" + name + "': " + file + " is left from another version or format; "
                    + "version " + delivery.version() + " of " + delivery.credentialId() + " keeps its key elsewhere", true);
        }
    }
}
