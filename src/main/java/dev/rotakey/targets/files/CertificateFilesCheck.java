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
 * Verifies what a certificate directory holds: each file is the delivered version's with mode 0600, the other
 * custody's key file is gone, and the PEM files fit together ({@link CertificatePemCheck}).
 */
final class CertificateFilesCheck {
    private final BaseDirectory tree;
    private final String name;
    private final CertificatePemCheck pem;

    CertificateFilesCheck(BaseDirectory tree, String name) {
        this.tree = tree;
        this.name = name;
        this.pem = new CertificatePemCheck(name);
    }

    void verify(Path dir, Delivery delivery) throws IOException {
        CertificateMaterial material = delivery.certificate();
        X509Certificate certificate = pem.leaf(dir.resolve(CERT),
                expected(dir, CERT, material.certificatePem().getBytes(StandardCharsets.UTF_8), delivery));
        List<X509Certificate> chain = pem.chain(dir.resolve(CHAIN),
                expected(dir, CHAIN, material.chainPem().getBytes(StandardCharsets.UTF_8), delivery));
        if (material.privateKeyPem() != null) {
            pem.keyMatches(dir, dir.resolve(KEY), expected(dir, KEY, material.privateKeyPem().utf8(), delivery), certificate);
            expectAbsent(dir, KEY_URI, delivery);
        } else {
            byte[] uri = CertificateFiles.keyContent(name, material);
            expected(dir, KEY_URI, uri, delivery);
            expectAbsent(dir, KEY, delivery);
        }
        pem.chainSigns(dir, certificate, chain);
    }

    /**
     * The file's content after checking that it is the delivered one with the private mode; a
     * missing or different file may still be a delivery in progress, hence retryable.
     */
    private byte[] expected(Path dir, String fileName, byte[] expected, Delivery delivery) throws IOException {
        Path file = dir.resolve(fileName);
        Optional<Stored> stored = tree.read(file);
        if (stored.isEmpty()) {
            throw DeliveredFile.missing(name, file, delivery);
        }
        try (Stored current = stored.get()) {
            DeliveredFile.check(name, file, current, expected, delivery);
            return current.content().clone();
        } finally {
            Arrays.fill(expected, (byte) 0);
        }
    }

    private void expectAbsent(Path dir, String fileName, Delivery delivery) {
        Path file = dir.resolve(fileName);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new TargetException("target '" + name + "': " + file + " is left from another version; version "
                    + delivery.version() + " of " + delivery.credentialId() + " keeps its key "
                    + (fileName.equals(KEY) ? "in the key backend" : "in key.pem"), true);
        }
    }
}
