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

    /**
     * Checks each file against the delivered version, unless this process knows them {@code untouched} since it wrote
     * them (the same bytes: then they are not read again), and that the delivered PEM files fit together.
     */
    void verify(Path dir, Delivery delivery, boolean untouched) throws IOException {
        CertificateMaterial material = delivery.certificate();
        boolean exported = material.privateKeyPem() != null;
        if (!untouched) {
            same(dir, CERT, material.certificatePem().getBytes(StandardCharsets.UTF_8), delivery);
            same(dir, CHAIN, material.chainPem().getBytes(StandardCharsets.UTF_8), delivery);
            if (exported) {
                same(dir, KEY, material.privateKeyPem().utf8(), delivery);
                expectAbsent(dir, KEY_URI, delivery);
            } else {
                same(dir, KEY_URI, CertificateFiles.keyContent(name, material), delivery);
                expectAbsent(dir, KEY, delivery);
            }
        }
        // The files hold the delivered bytes: whether those fit together is checked on them.
        X509Certificate certificate = pem.leaf(dir.resolve(CERT), material.certificatePem().getBytes(StandardCharsets.UTF_8));
        byte[] chainPem = material.chainPem().getBytes(StandardCharsets.UTF_8);
        List<X509Certificate> chain = pem.chain(dir.resolve(CHAIN), chainPem);
        if (exported) {
            pem.keyMatches(dir, dir.resolve(KEY), material.privateKeyPem().utf8(), certificate);
        }
        pem.chainSigns(dir, certificate, chain, chainPem);
    }

    /**
     * Checks that the file is the delivered one with the private mode (clearing {@code expected}); a missing or
     * different file may still be a delivery in progress, hence retryable.
     */
    private void same(Path dir, String fileName, byte[] expected, Delivery delivery) throws IOException {
        Path file = dir.resolve(fileName);
        try {
            Optional<Stored> stored = tree.read(file);
            if (stored.isEmpty()) {
                throw DeliveredFile.missing(name, file, delivery);
            }
            try (Stored current = stored.get()) {
                DeliveredFile.check(name, file, current, expected, delivery);
            }
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
