package dev.rotakey.targets.files;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.CertificateMaterial;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.files.TestCertificateAuthority.KeyType;
import dev.rotakey.targets.files.TestCertificateAuthority.Leaf;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static dev.rotakey.testing.OpenSsl.openssl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** What the {@code local-files} target does with certificates: a directory of PEM files. */
class LocalFilesTargetCertificateIT {
    private static final String URI_1 = "pkcs11:token=rotakey;object=leaf-1;type=private";
    private static final String URI_2 = "pkcs11:token=rotakey;object=leaf-2;type=private";

    private static TestCertificateAuthority ecCa;
    private static TestCertificateAuthority rsaCa;
    private static Leaf ec1;
    private static Leaf ec2;
    private static Leaf ec3;
    private static Leaf rsa1;

    @TempDir
    Path tmp;

    private Path base;
    private Path dir;
    private LocalFilesTarget target;

    @BeforeAll
    static void issue() {
        ecCa = TestCertificateAuthority.create("Agents EC", KeyType.EC);
        rsaCa = TestCertificateAuthority.create("Agents RSA", KeyType.RSA);
        ec1 = ecCa.leaf("agent-1 v1", KeyType.EC);
        ec2 = ecCa.leaf("agent-1 v2", KeyType.EC);
        ec3 = ecCa.leaf("agent-1 v3", KeyType.EC);
        rsa1 = rsaCa.leaf("agent-1 rsa", KeyType.RSA);
    }

    @BeforeEach
    void setUp() throws IOException {
        base = Files.createDirectory(tmp.resolve("delivered"));
        dir = base.resolve("agents/a1/tls");
        target = new LocalFilesTarget("files", base);
    }

    private static TargetBinding binding(String path) {
        return new TargetBinding("files", Map.of("path", path));
    }

    private static Delivery delivery(int version, CertificateMaterial material) {
        return delivery("agents/a1/tls", version, material);
    }

    private static Delivery delivery(String path, int version, CertificateMaterial material) {
        return new Delivery("agent", "cred", "certificate", version, binding(path),
                Secret.of(material.certificatePem()), material);
    }

    private static Revocation revocation(int version, Leaf leaf) {
        byte[] expected = leaf.certificatePem().getBytes(StandardCharsets.UTF_8);
        return new Revocation("agent", "cred", "certificate", version, binding("agents/a1/tls"),
                content -> java.util.Arrays.equals(content, expected));
    }

    private static String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static String text(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    private static List<String> namesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private void assertHolds(Leaf leaf) throws IOException {
        assertThat(namesIn(dir)).contains("cert.pem", "chain.pem", "key.pem").doesNotContain("key.uri");
        assertThat(text(dir.resolve("cert.pem"))).isEqualTo(leaf.certificatePem());
        assertThat(text(dir.resolve("chain.pem"))).isEqualTo(leaf.chainPem());
        assertThat(text(dir.resolve("key.pem"))).isEqualTo(leaf.privateKeyPem());
    }

    /** A verify failure that is final, with a message naming {@code file} and saying {@code problem}. */
    private void assertVerifyRefuses(Delivery delivery, String file, String problem) {
        TargetException e = catchThrowableOfType(TargetException.class, () -> target.verify(delivery));
        assertThat(e).as("verify must fail").isNotNull();
        assertThat(e.retryable()).isFalse();
        assertThat(e.getMessage()).contains(dir.resolve(file).toString()).contains(problem);
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void deliversTheCertificateChainAndKeyAsPrivateFilesThatVerify(KeyType type) throws IOException {
        Leaf leaf = type == KeyType.EC ? ec1 : rsa1;
        target.deliver(delivery(1, leaf.exported()));

        assertThat(namesIn(dir)).containsExactly("cert.pem", "chain.pem", "key.pem");
        assertHolds(leaf);
        for (String file : List.of("cert.pem", "chain.pem", "key.pem")) {
            assertThat(mode(dir.resolve(file))).as(file).isEqualTo("rw-------");
        }
        assertThat(mode(dir)).isEqualTo("rwx------");
        target.verify(delivery(1, leaf.exported()));
    }

    @ParameterizedTest
    @EnumSource(KeyType.class)
    void opensslAcceptsTheDeliveredFiles(KeyType type) throws Exception {
        Leaf leaf = type == KeyType.EC ? ec1 : rsa1;
        target.deliver(delivery(1, leaf.exported()));

        assertThat(openssl("verify", "-CAfile", dir.resolve("chain.pem").toString(), dir.resolve("cert.pem").toString()))
                .contains(": OK");
        // The key is PKCS#8 and is the certificate's: openssl derives the same public key from both.
        String fromKey = openssl("pkey", "-in", dir.resolve("key.pem").toString(), "-pubout");
        String fromCertificate = openssl("x509", "-in", dir.resolve("cert.pem").toString(), "-noout", "-pubkey");
        assertThat(fromKey).startsWith("-----BEGIN PUBLIC KEY-----").isEqualTo(fromCertificate);
    }


    @Test
    void deliveringTwiceRewritesNothing() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        Object certInode = Files.getAttribute(dir.resolve("cert.pem"), "unix:ino");
        Object keyInode = Files.getAttribute(dir.resolve("key.pem"), "unix:ino");

        target.deliver(delivery(1, ec1.exported()));

        assertThat(Files.getAttribute(dir.resolve("cert.pem"), "unix:ino")).isEqualTo(certInode);
        assertThat(Files.getAttribute(dir.resolve("key.pem"), "unix:ino")).isEqualTo(keyInode);
        assertThat(namesIn(dir)).containsExactly("cert.pem", "chain.pem", "key.pem");
    }

    @Test
    void temporaryFilesOfAnInterruptedWriteAreRemoved() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        for (Path leftover : List.of(dir.resolve(".key.pem.rotakey-tmp-crashed"),
                dir.resolve("..key.pem.rotakey-previous.rotakey-tmp-crashed"))) {
            // Left by an earlier life of the daemon, which the target below starts after.
            Files.writeString(leftover, ec2.privateKeyPem());
            Files.setLastModifiedTime(leftover, FileTime.from(Instant.now().minus(Duration.ofMinutes(5))));
        }

        target = new LocalFilesTarget("files", base);
        target.deliver(delivery(2, ec2.exported()));
        assertThat(namesIn(dir)).allMatch(name -> !name.contains(".rotakey-tmp-"));

        Files.writeString(dir.resolve(".cert.pem.rotakey-tmp-crashed"), ec3.certificatePem());
        target.revoke(revocation(2, ec2));
        assertThat(namesIn(dir)).isEmpty();
    }

    @Test
    void aNewVersionReplacesAllFilesAndKeepsThePreviousOnesAsBackups() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        target.deliver(delivery(2, ec2.exported()));

        assertHolds(ec2);
        assertThat(namesIn(dir)).containsExactly(".cert.pem.rotakey-previous", ".chain.pem.rotakey-previous",
                ".key.pem.rotakey-previous", "cert.pem", "chain.pem", "key.pem");
        assertThat(text(dir.resolve(".cert.pem.rotakey-previous"))).isEqualTo(ec1.certificatePem());
        assertThat(text(dir.resolve(".key.pem.rotakey-previous"))).isEqualTo(ec1.privateKeyPem());
        assertThat(mode(dir.resolve(".key.pem.rotakey-previous"))).isEqualTo("rw-------");
        target.verify(delivery(2, ec2.exported()));
    }

    @Test
    void aKeyInTheBackendIsDeliveredAsItsUriOnOneLine() throws IOException {
        target.deliver(delivery(1, ec1.inBackend(URI_1)));

        assertThat(namesIn(dir)).containsExactly("cert.pem", "chain.pem", "key.uri");
        assertThat(text(dir.resolve("key.uri"))).isEqualTo(URI_1 + "\n");
        target.verify(delivery(1, ec1.inBackend(URI_1)));
        assertThatThrownBy(() -> target.verify(delivery(1, ec1.inBackend(URI_2))))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.getMessage())
                        .contains(dir.resolve("key.uri").toString()).contains("does not hold version 1"));
    }

    @Test
    void aKeyUriOfSeveralLinesIsRefused() {
        assertThatThrownBy(() -> target.deliver(delivery(1, ec1.inBackend(URI_1 + "\nobject=other"))))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isFalse());
    }

    @Test
    void switchingCustodyRemovesTheStaleKeyFileAndDiscardBringsItBack() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        target.deliver(delivery(2, ec2.inBackend(URI_2)));

        assertThat(namesIn(dir)).contains("cert.pem", "chain.pem", "key.uri").doesNotContain("key.pem");
        target.verify(delivery(2, ec2.inBackend(URI_2)));

        target.discard(revocation(2, ec2));

        assertThat(namesIn(dir)).containsExactly("cert.pem", "chain.pem", "key.pem");
        assertHolds(ec1);
        target.verify(delivery(1, ec1.exported()));

        target.deliver(delivery(2, ec2.inBackend(URI_2)));
        target.deliver(delivery(3, ec3.exported()));
        assertThat(namesIn(dir)).contains("key.pem").doesNotContain("key.uri");
        target.verify(delivery(3, ec3.exported()));
    }

    @Test
    void aStaleKeyFileOfTheOtherCustodyFailsVerification() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        Files.writeString(dir.resolve("key.uri"), URI_1 + "\n");

        assertThatThrownBy(() -> target.verify(delivery(1, ec1.exported())))
                .isInstanceOfSatisfying(TargetException.class,
                        e -> assertThat(e.getMessage()).contains(dir.resolve("key.uri").toString()));
    }

    @Test
    void verifyRefusesAKeyThatIsNotTheCertificates() {
        // As delivered, so the files hold exactly the delivery: only deriving from the key can tell.
        CertificateMaterial mismatched = new CertificateMaterial(ec1.certificatePem(), ec1.chainPem(),
                Secret.of(ec2.privateKeyPem()), null);
        target.deliver(delivery(1, mismatched));
        assertVerifyRefuses(delivery(1, mismatched), "key.pem", "does not match the public key");

        CertificateMaterial otherType = new CertificateMaterial(ec1.certificatePem(), ec1.chainPem(),
                Secret.of(rsa1.privateKeyPem()), null);
        target.deliver(delivery(2, otherType));
        assertVerifyRefuses(delivery(2, otherType), "key.pem", "does not match the public key");
    }

    @Test
    void verifyRefusesAKeyThatIsNotPkcs8() {
        CertificateMaterial garbled = new CertificateMaterial(ec1.certificatePem(), ec1.chainPem(),
                Secret.of("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"), null);
        target.deliver(delivery(1, garbled));
        assertVerifyRefuses(delivery(1, garbled), "key.pem", "PKCS#8");
    }

    @Test
    void verifyRefusesACertificateOfAnotherCa() {
        CertificateMaterial foreign = new CertificateMaterial(rsa1.certificatePem(), ec1.chainPem(),
                Secret.of(rsa1.privateKeyPem()), null);
        target.deliver(delivery(1, foreign));
        assertVerifyRefuses(delivery(1, foreign), "cert.pem", "is issued by 'CN=Agents RSA Intermediate'");
    }

    @Test
    void verifyRefusesACertificateOfALookAlikeCa() {
        // Same issuer name, another key: only the signature tells them apart.
        Leaf impostor = ecCa.lookAlike().leaf("agent-1 v1", KeyType.EC);
        CertificateMaterial forged = new CertificateMaterial(impostor.certificatePem(), ec1.chainPem(),
                Secret.of(impostor.privateKeyPem()), null);
        target.deliver(delivery(1, forged));
        assertVerifyRefuses(delivery(1, forged), "cert.pem", "signature");
    }

    @Test
    void verifyRefusesATamperedChain() {
        // A sound chain verified first is remembered as sound: only by its own bytes, never by its names.
        target.deliver(delivery(1, ec1.exported()));
        target.verify(delivery(1, ec1.exported()));
        TestCertificateAuthority lookAlike = ecCa.lookAlike();
        // The right intermediate, then a root of the same name that did not sign it.
        String wrongRoot = TestCertificateAuthority.pem(ecCa.intermediate) + TestCertificateAuthority.pem(lookAlike.root);
        CertificateMaterial tampered = new CertificateMaterial(ec1.certificatePem(), wrongRoot,
                Secret.of(ec1.privateKeyPem()), null);
        target.deliver(delivery(1, tampered));
        assertVerifyRefuses(delivery(1, tampered), "chain.pem", "certificate 1 of");

        String reversed = TestCertificateAuthority.pem(ecCa.root) + TestCertificateAuthority.pem(ecCa.intermediate);
        CertificateMaterial misordered = new CertificateMaterial(ec1.certificatePem(), reversed,
                Secret.of(ec1.privateKeyPem()), null);
        target.deliver(delivery(2, misordered));
        assertVerifyRefuses(delivery(2, misordered), "chain.pem", "is issued by");

        CertificateMaterial corrupt = new CertificateMaterial(ec1.certificatePem(), ec1.chainPem().substring(0, 200),
                Secret.of(ec1.privateKeyPem()), null);
        target.deliver(delivery(3, corrupt));
        assertVerifyRefuses(delivery(3, corrupt), "chain.pem", "does not parse");
    }

    @Test
    void verifyFailsRetryablyWhenTheFilesAreNotTheDeliveredOnes() throws IOException {
        assertThatThrownBy(() -> target.verify(delivery(1, ec1.exported())))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.getMessage()).contains("missing");
                });

        target.deliver(delivery(1, ec1.exported()));
        Files.writeString(dir.resolve("key.pem"), ec2.privateKeyPem());
        assertThatThrownBy(() -> target.verify(delivery(1, ec1.exported())))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.getMessage()).contains(dir.resolve("key.pem").toString()).contains("does not hold version 1");
                });

        target.deliver(delivery(1, ec1.exported()));
        target.verify(delivery(1, ec1.exported()));
        Files.setPosixFilePermissions(dir.resolve("cert.pem"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> target.verify(delivery(1, ec1.exported())))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.getMessage()).contains("rw-r--r--"));
        target.deliver(delivery(1, ec1.exported()));
        target.verify(delivery(1, ec1.exported()));
    }

    @Test
    void revokeLeavesANewerVersionUntouchedAndDropsTheRevokedBackups() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        target.deliver(delivery(2, ec2.exported()));
        Object inode = Files.getAttribute(dir.resolve("key.pem"), "unix:ino");

        target.revoke(revocation(1, ec1));

        assertThat(namesIn(dir)).containsExactly("cert.pem", "chain.pem", "key.pem");
        assertHolds(ec2);
        assertThat(Files.getAttribute(dir.resolve("key.pem"), "unix:ino")).isEqualTo(inode);
        target.verify(delivery(2, ec2.exported()));
    }

    @Test
    void revokeRemovesEveryFileOfTheRevokedVersionAndIsIdempotent() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        target.deliver(delivery(2, ec2.inBackend(URI_2)));

        target.revoke(revocation(2, ec2));
        assertThat(namesIn(dir)).isEmpty();
        target.revoke(revocation(2, ec2));
        assertThat(namesIn(dir)).isEmpty();

        assertThatCode(() -> new LocalFilesTarget("files", base).revoke(new Revocation("agent", "cred", "certificate", 1,
                binding("never/delivered"), content -> true))).doesNotThrowAnyException();
    }

    @Test
    void discardPutsThePreviousVersionBackAndRemovesTheBackups() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        target.deliver(delivery(2, ec2.exported()));

        target.discard(revocation(2, ec2));
        target.discard(revocation(2, ec2));

        assertThat(namesIn(dir)).containsExactly("cert.pem", "chain.pem", "key.pem");
        assertHolds(ec1);
        target.verify(delivery(1, ec1.exported()));
    }

    @Test
    void discardOfTheFirstVersionLeavesNothingAndOfAnotherVersionLeavesTheCurrent() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        target.discard(revocation(3, ec3));
        assertHolds(ec1);

        target.discard(revocation(1, ec1));
        assertThat(namesIn(dir)).isEmpty();
    }

    @Test
    void anInterruptedDeliveryIsCompletedByARetryOrUndoneByADiscard() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        interruptedDeliveryOf(ec2);

        // Retrying must not take the half-written state as the previous version's backup.
        target.deliver(delivery(2, ec2.exported()));
        target.verify(delivery(2, ec2.exported()));
        target.discard(revocation(2, ec2));
        assertHolds(ec1);
        target.verify(delivery(1, ec1.exported()));

        interruptedDeliveryOf(ec2);
        // cert.pem still holds version 1, but key.pem and chain.pem are version 2's already.
        target.discard(revocation(2, ec2));
        assertThat(namesIn(dir)).containsExactly("cert.pem", "chain.pem", "key.pem");
        assertHolds(ec1);
        target.verify(delivery(1, ec1.exported()));
    }

    /** What a crash leaves after the backups and the new key were written, before cert.pem was. */
    private void interruptedDeliveryOf(Leaf next) throws IOException {
        String current = text(dir.resolve("cert.pem"));
        target.deliver(delivery(2, next.exported()));
        Files.writeString(dir.resolve("cert.pem"), current);
        assertThat(text(dir.resolve("key.pem"))).isEqualTo(next.privateKeyPem());
    }

    @Test
    void anInterruptedFirstDeliveryIsCleanedUpByDiscard() throws IOException {
        target.deliver(delivery(1, ec1.exported()));
        Files.delete(dir.resolve("cert.pem"));

        target.discard(revocation(1, ec1));

        assertThat(namesIn(dir)).isEmpty();
    }

    @Test
    void aCertificateIsNotDeliveredOverAnApiKeyFileNorAnApiKeyIntoACertificateDirectory() throws IOException {
        Files.createDirectories(base.resolve("agents/a1"));
        Files.writeString(base.resolve("agents/a1/tls"), "an API key");
        assertThatThrownBy(() -> target.deliver(delivery(1, ec1.exported())))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains(dir.toString()).contains("is a file, not a directory");
                });
        assertThat(text(base.resolve("agents/a1/tls"))).isEqualTo("an API key");

        target.deliver(delivery("agents/a2/tls", 1, ec1.exported()));
        Delivery apiKey = new Delivery("agent", "key", "api-key", 1, binding("agents/a2/tls"), Secret.of("rk_secret"));
        assertThatThrownBy(() -> target.deliver(apiKey))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("is a directory");
                });
        target.verify(delivery("agents/a2/tls", 1, ec1.exported()));
    }

    @Test
    void aCertificateDeliveryWithoutItsMaterialIsRefused() {
        Delivery bare = new Delivery("agent", "cred", "certificate", 1, binding("agents/a1/tls"),
                Secret.of(ec1.certificatePem()));
        assertThatThrownBy(() -> target.deliver(bare))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isFalse());
        assertThat(base.resolve("agents")).doesNotExist();
    }

    @Test
    void neverRevealsThePrivateKey() {
        CertificateMaterial mismatched = new CertificateMaterial(ec1.certificatePem(), ec1.chainPem(),
                Secret.of(ec2.privateKeyPem()), null);
        target.deliver(delivery(1, mismatched));

        List<String> texts = new ArrayList<>();
        texts.add(String.valueOf(target));
        texts.add(String.valueOf(delivery(1, mismatched)));
        texts.add(String.valueOf(mismatched));
        texts.add(String.valueOf(revocation(1, ec1)));
        for (Delivery failing : List.of(delivery(1, mismatched), delivery(2, ec1.exported()),
                delivery(3, new CertificateMaterial(ec1.certificatePem(), ec1.chainPem(),
                        Secret.of("-----BEGIN PRIVATE KEY-----\n" + ec2.privateKeyPem().substring(28, 60) + "\n"), null)))) {
            TargetException e = catchThrowableOfType(TargetException.class, () -> target.verify(failing));
            assertThat(e).isNotNull();
            for (Throwable t = e; t != null; t = t.getCause()) {
                texts.add(String.valueOf(t));
            }
        }

        for (Leaf leaf : List.of(ec1, ec2)) {
            // Any line of the key's base64 body would be a leak.
            List<String> keyLines = leaf.privateKeyPem().lines().filter(l -> !l.startsWith("-----")).toList();
            for (String line : keyLines) {
                assertThat(texts).noneSatisfy(text -> assertThat(text).contains(line));
            }
        }
    }
}
