package dev.rotakey.targets.files;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/** What the {@code local-files} target promises beyond the common contract: files, modes, paths. */
class LocalFilesTargetTest {
    @TempDir
    Path tmp;

    private Path base;
    private LocalFilesTarget target;

    @BeforeEach
    void setUp() throws IOException {
        base = Files.createDirectory(tmp.resolve("delivered"));
        target = new LocalFilesTarget("files", base);
    }

    private static TargetBinding binding(String path) {
        return new TargetBinding("files", Map.of("path", path));
    }

    private static Delivery delivery(String path, int version, String material) {
        return new Delivery("agent", "cred", "api-key", version, binding(path), Secret.of(material));
    }

    private static Revocation revocation(String path, int version, String material) {
        byte[] expected = material.getBytes(StandardCharsets.UTF_8);
        return new Revocation("agent", "cred", "api-key", version, binding(path), content -> Arrays.equals(content, expected));
    }

    private String mode(Path p) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS));
    }

    private static String text(Path p) throws IOException {
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    private Stream<String> namesIn(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList().stream();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"../x", "/etc/x", "a/../../x", "a/../x", "./x", "a/./x", "a//x", "a/", "..", ".", "x/..",
            "a/.x.rotakey-previous", ".x.rotakey-tmp-1", "a\nb", "a\u0000b"})
    void refusesPathsThatAreNotNormalisedAndRelative(String path) {
        InvalidBindingException e = catchThrowableOfType(InvalidBindingException.class,
                () -> target.validateBinding(binding(path)));
        assertThat(e).isNotNull();
        assertThat(e.parameter()).isEqualTo("path");
    }

    @ParameterizedTest
    @ValueSource(strings = {"x", "agent/api-key", "a/b/c/d.pem", ".hidden", "a..b/x.."})
    void acceptsNormalisedRelativePaths(String path) {
        assertThatCode(() -> target.validateBinding(binding(path))).doesNotThrowAnyException();
    }

    @Test
    void requiresThePath() {
        assertThatThrownBy(() -> target.validateBinding(new TargetBinding("files", Map.of())))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("path"));
        assertThatThrownBy(() -> target.validateBinding(binding(" ")))
                .isInstanceOf(InvalidBindingException.class);
    }

    @Test
    void refusesUnknownParametersByName() {
        Map<String, String> params = new HashMap<>();
        params.put("path", "x");
        params.put("colour", "red");
        params.put("shape", "round");
        assertThatThrownBy(() -> target.validateBinding(new TargetBinding("files", params)))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> {
                    assertThat(e.parameter()).isEqualTo("colour");
                    assertThat(e.getMessage()).contains("colour").contains("shape");
                });
    }

    @Test
    void deliveryRefusesAnInvalidBindingWithoutRetry() {
        assertThatThrownBy(() -> target.deliver(delivery("../x", 1, "secret-material")))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isFalse());
        assertThat(tmp.resolve("x")).doesNotExist();
    }

    @Test
    void writesExactlyTheMaterialWithPrivateModes() throws IOException {
        target.deliver(delivery("agent/sub/api-key", 1, "rk_material\u00e9"));

        Path file = base.resolve("agent/sub/api-key");
        assertThat(Files.readAllBytes(file)).isEqualTo("rk_material\u00e9".getBytes(StandardCharsets.UTF_8));
        assertThat(mode(file)).isEqualTo("rw-------");
        assertThat(mode(base.resolve("agent"))).isEqualTo("rwx------");
        assertThat(mode(base.resolve("agent/sub"))).isEqualTo("rwx------");
    }

    @Test
    void keepsThePreviousVersionInAPrivateBackupAndLeavesNoTemporaryFiles() throws IOException {
        for (int v = 1; v <= 5; v++) {
            target.deliver(delivery("a/key", v, "material-" + v));
            target.deliver(delivery("a/key", v, "material-" + v));
        }
        assertThat(namesIn(base.resolve("a"))).containsExactly(".key.rotakey-previous", "key");
        assertThat(text(base.resolve("a/.key.rotakey-previous"))).isEqualTo("material-4");
        assertThat(mode(base.resolve("a/.key.rotakey-previous"))).isEqualTo("rw-------");
    }

    @Test
    void removesTemporaryFilesLeftByAWriteThatACrashInterrupted() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        leftover(base.resolve(".key.rotakey-tmp-crashed"), "material-2");
        leftover(base.resolve("..key.rotakey-previous.rotakey-tmp-crashed"), "material-1");
        leftover(base.resolve(".other.rotakey-tmp-crashed"), "material-9");

        LocalFilesTarget restarted = new LocalFilesTarget("files", base);
        restarted.deliver(delivery("key", 2, "material-2"));

        assertThat(namesIn(base)).containsExactly(".key.rotakey-previous", "key");
    }

    @Test
    void leavesAloneATemporaryWrittenSinceItStartedWhichBelongsToAWriteInProgress() throws IOException {
        LocalFilesTarget other = new LocalFilesTarget("files", base);
        Files.writeString(base.resolve(".other.rotakey-tmp-in-progress"), "material-9");

        target.deliver(delivery("key", 1, "material-1"));
        other.deliver(delivery("key", 2, "material-2"));

        assertThat(namesIn(base)).containsExactly(".key.rotakey-previous", ".other.rotakey-tmp-in-progress", "key");
    }

    /** A temporary an earlier life of the daemon left: written before this test's targets started. */
    private static void leftover(Path file, String content) throws IOException {
        Files.writeString(file, content);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().minus(Duration.ofMinutes(5))));
    }

    @Test
    void repeatedDeliveryDoesNotRewriteTheFile() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        Object inode = Files.getAttribute(base.resolve("key"), "unix:ino");

        target.deliver(delivery("key", 1, "material-1"));

        assertThat(Files.getAttribute(base.resolve("key"), "unix:ino")).isEqualTo(inode);
        assertThat(namesIn(base)).containsExactly("key");
    }

    @Test
    void repeatedDeliveryRepairsALooseMode() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        Files.setPosixFilePermissions(base.resolve("key"), PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> target.verify(delivery("key", 1, "material-1")))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.getMessage()).contains(base.resolve("key").toString()).contains("rw-r--r--");
                    assertThat(e.retryable()).isTrue();
                });

        target.deliver(delivery("key", 1, "material-1"));

        target.verify(delivery("key", 1, "material-1"));
        assertThat(namesIn(base)).containsExactly("key");
    }

    @Test
    void keepsThePreviousVersionAsAHardLinkNotACopy() throws IOException {
        target.deliver(delivery("key", 1, "material-one"));
        Object first = Files.readAttributes(base.resolve("key"), BasicFileAttributes.class).fileKey();
        target.deliver(delivery("key", 2, "material-two"));

        Path backup = base.resolve(".key" + BaseDirectory.BACKUP_SUFFIX);
        assertThat(Files.readAttributes(backup, BasicFileAttributes.class).fileKey()).isEqualTo(first);
        assertThat(Files.readString(backup)).isEqualTo("material-one");
        assertThat(Files.getPosixFilePermissions(backup)).isEqualTo(BaseDirectory.FILE_MODE);
        assertThat(Files.readString(base.resolve("key"))).isEqualTo("material-two");
    }

    @Test
    void aFileChangedAfterDeliveryIsReadBackEvenWithItsSizeAndTimeRestored() throws IOException {
        target.deliver(delivery("key", 1, "material-one"));
        Path file = base.resolve("key");
        FileTime written = Files.getLastModifiedTime(file);
        Files.writeString(file, "material-two");
        Files.setLastModifiedTime(file, written);

        assertThatThrownBy(() -> target.verify(delivery("key", 1, "material-one")))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.getMessage()).contains("does not hold"));
    }

    @Test
    void aFileReplacedAfterDeliveryWithTheSameContentStillVerifiesByReadingIt() throws IOException {
        target.deliver(delivery("key", 1, "material-one"));
        Path file = base.resolve("key");
        Path elsewhere = base.resolve("copy");
        Files.writeString(elsewhere, "material-one");
        Files.setPosixFilePermissions(elsewhere, BaseDirectory.FILE_MODE);
        Files.move(elsewhere, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);

        target.verify(delivery("key", 1, "material-one"));
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> target.verify(delivery("key", 1, "material-one")))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.getMessage()).contains("mode"));
    }

    @Test
    void verifyNamesThePathButNotTheContent() throws IOException {
        target.deliver(delivery("key", 1, "material-one"));
        TargetException wrong = catchThrowableOfType(TargetException.class, () -> target.verify(delivery("key", 2, "material-two")));
        assertThat(wrong.retryable()).isTrue();
        assertThat(wrong.getMessage()).contains(base.resolve("key").toString())
                .doesNotContain("material-one").doesNotContain("material-two");

        Files.delete(base.resolve("key"));
        TargetException missing = catchThrowableOfType(TargetException.class, () -> target.verify(delivery("key", 1, "material-one")));
        assertThat(missing.retryable()).isTrue();
        assertThat(missing.getMessage()).contains(base.resolve("key").toString()).contains("missing");
    }

    @Test
    void refusesASymbolicLinkThatLeavesTheBaseDirectory() throws IOException {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        Files.createSymbolicLink(base.resolve("escape"), outside);
        target.validateBinding(binding("escape/key"));

        assertThatThrownBy(() -> target.deliver(delivery("escape/key", 1, "material-1")))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("outside");
                });
        assertThatThrownBy(() -> target.deliver(delivery("escape/deeper/key", 1, "material-1")))
                .isInstanceOf(TargetException.class);
        assertThat(namesIn(outside)).isEmpty();
    }

    @Test
    void refusesWhenTheFileItselfIsASymbolicLink() throws IOException {
        Path outside = Files.writeString(tmp.resolve("outside-file"), "not yours");
        Files.createSymbolicLink(base.resolve("key"), outside);

        assertThatThrownBy(() -> target.deliver(delivery("key", 1, "material-1")))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isFalse());
        assertThatThrownBy(() -> target.revoke(revocation("key", 1, "not yours"))).isInstanceOf(TargetException.class);
        assertThat(text(outside)).isEqualTo("not yours");
    }

    @Test
    void followsASymbolicLinkThatStaysInside() throws IOException {
        Files.createDirectory(base.resolve("real"));
        Files.createSymbolicLink(base.resolve("alias"), base.resolve("real"));

        target.deliver(delivery("alias/key", 1, "material-1"));

        assertThat(text(base.resolve("real/key"))).isEqualTo("material-1");
        target.verify(delivery("alias/key", 1, "material-1"));
    }

    @Test
    void revokeLeavesANewerVersionAndRemovesTheRevokedBackup() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        target.deliver(delivery("key", 2, "material-2"));

        target.revoke(revocation("key", 1, "material-1"));

        assertThat(namesIn(base)).containsExactly("key");
        assertThat(text(base.resolve("key"))).isEqualTo("material-2");
    }

    @Test
    void revokeRemovesTheFileThatHoldsTheRevokedVersion() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        target.revoke(revocation("key", 1, "material-1"));
        target.revoke(revocation("key", 1, "material-1"));
        assertThat(namesIn(base)).isEmpty();
    }

    @Test
    void discardRestoresTheBackupAndRemovesIt() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        target.deliver(delivery("key", 2, "material-2"));

        target.discard(revocation("key", 2, "material-2"));

        assertThat(namesIn(base)).containsExactly("key");
        assertThat(text(base.resolve("key"))).isEqualTo("material-1");
        assertThat(mode(base.resolve("key"))).isEqualTo("rw-------");
    }

    @Test
    void discardLeavesAFileThatHoldsAnotherVersion() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        target.deliver(delivery("key", 2, "material-2"));

        target.discard(revocation("key", 3, "material-3"));

        assertThat(text(base.resolve("key"))).isEqualTo("material-2");
        assertThat(text(base.resolve(".key.rotakey-previous"))).isEqualTo("material-1");
    }

    @Test
    void aStaleBackupIsNotRestoredWhenThereWasNoFileBeforeTheRotation() throws IOException {
        target.deliver(delivery("key", 1, "material-1"));
        target.deliver(delivery("key", 2, "material-2"));
        Files.delete(base.resolve("key"));

        target.deliver(delivery("key", 3, "material-3"));
        target.discard(revocation("key", 3, "material-3"));

        assertThat(namesIn(base)).isEmpty();
    }

    @Test
    void ioErrorsAreRetryableAndKeepTheCause() {
        String tooLong = "k".repeat(300);

        assertThatThrownBy(() -> target.deliver(delivery("a/" + tooLong, 1, "material-1")))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isTrue();
                    assertThat(e.getCause()).isInstanceOf(IOException.class);
                    assertThat(e.getMessage()).contains(tooLong).doesNotContain("material-1");
                });
    }

    @Test
    void aFileWhereADirectoryShouldBeIsRefused() throws IOException {
        Files.writeString(base.resolve("plain-file"), "x");
        assertThatThrownBy(() -> target.deliver(delivery("plain-file/key", 1, "material-1")))
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.getMessage()).contains("not a directory"));
    }

    @Test
    void claimsTheFileAndWhatACertificateWouldWriteAtItsPathAndTheLoginFile() {
        assertThat(target.claims(binding("agents/key"))).containsExactly("path:agents/key", "path:agents/key/cert.pem",
                "path:agents/key/chain.pem", "path:agents/key/key.pem", "path:agents/key/key.uri");
        assertThat(target.claims(new TargetBinding("files", Map.of("path", "a/pw", "loginPath", "a/pw.user"))))
                .contains("path:a/pw", "path:a/pw.user");
        assertThatThrownBy(() -> target.validateBinding(new TargetBinding("files", Map.of("path", "a/pw", "loginPath", "a/pw"))))
                .isInstanceOf(InvalidBindingException.class).hasMessageContaining("loginPath");
        assertThatThrownBy(() -> target.validateBinding(new TargetBinding("files", Map.of("path", "a/pw", "loginPath", "../x"))))
                .isInstanceOf(InvalidBindingException.class).hasMessageContaining("loginPath");
    }

    @Test
    void theLoginFileIsWrittenWithThePasswordAndPutBackWithIt() throws IOException {
        TargetBinding b = new TargetBinding("files", Map.of("path", "a/pw", "loginPath", "a/pw.user"));
        Delivery v1 = new Delivery("agent", "cred", "password", 1, b, Secret.of("password-1"))
                .withRecords(java.util.List.of(), null, java.util.List.of(new dev.rotakey.targets.Login("pg", "role_a")));
        Delivery v2 = new Delivery("agent", "cred", "password", 2, b, Secret.of("password-2"))
                .withRecords(java.util.List.of(), null, java.util.List.of(new dev.rotakey.targets.Login("pg", "role_b")));
        target.deliver(v1);
        target.verify(v1);
        target.deliver(v2);
        target.verify(v2);
        assertThat(Files.readString(base.resolve("a/pw.user"))).isEqualTo("role_b\n");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(base.resolve("a/pw.user")))).isEqualTo("rw-------");

        target.discard(new Revocation("agent", "cred", "password", 2, b,
                content -> new String(content, StandardCharsets.UTF_8).equals("password-2")));
        assertThat(Files.readString(base.resolve("a/pw"))).isEqualTo("password-1");
        assertThat(Files.readString(base.resolve("a/pw.user"))).isEqualTo("role_a\n");
        target.verify(v1);

        target.revoke(new Revocation("agent", "cred", "password", 1, b,
                content -> new String(content, StandardCharsets.UTF_8).equals("password-1")));
        assertThat(base.resolve("a/pw")).doesNotExist();
        assertThat(base.resolve("a/pw.user")).doesNotExist();

        // Without a binding that decides a login there is nothing to write: refused, not guessed.
        assertThatThrownBy(() -> target.deliver(new Delivery("agent", "cred", "password", 3, b, Secret.of("password-3"))))
                .isInstanceOf(TargetException.class).hasMessageContaining("loginPath");
    }
}
