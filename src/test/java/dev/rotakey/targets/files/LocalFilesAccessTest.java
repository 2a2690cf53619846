package dev.rotakey.targets.files;

import dev.rotakey.core.Secret;
import dev.rotakey.targets.BindingUse;
import dev.rotakey.targets.Delivery;
import dev.rotakey.targets.Endpoint;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.Login;
import dev.rotakey.targets.Revocation;
import dev.rotakey.targets.TargetBinding;
import dev.rotakey.targets.TargetException;
import dev.rotakey.testing.OpenSsl;
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
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A local-files binding's access (mode, group) and formats: refusals of unsafe modes, files and directories an agent's
 * group can reach and nobody else can, and API keys, passwords and certificates in each format, verified and revoked.
 */
class LocalFilesAccessTest {
    /** A group every Debian host has, which the tests (run as root, or by its member) may give files to. */
    private static final String GROUP = "nogroup";

    @TempDir
    Path tmp;
    private Path base;
    private LocalFilesTarget target;

    @BeforeEach
    void setUp() throws IOException {
        base = Files.createDirectory(tmp.resolve("delivered"));
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx--x--x"));
        target = new LocalFilesTarget("files", base);
    }

    private static TargetBinding binding(Map<String, String> params) {
        return new TargetBinding("files", params);
    }

    private static Map<String, String> params(String... kv) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            out.put(kv[i], kv[i + 1]);
        }
        return out;
    }

    private static Delivery delivery(TargetBinding b, String type, int version, String secret, List<Login> logins) {
        return new Delivery("agent", "cred", type, version, b, Secret.of(secret), null, List.of(), null, logins);
    }

    private static Revocation revocation(TargetBinding b, String type, int version, String secret) {
        byte[] expected = secret.getBytes(StandardCharsets.UTF_8);
        return new Revocation("agent", "cred", type, version, b, content -> Arrays.equals(content, expected));
    }

    private static PosixFileAttributes attributes(Path p) throws IOException {
        return Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    }

    @ParameterizedTest
    @ValueSource(strings = {"0644", "0604", "0666", "0601"})
    void refusesWorldReadableOrWritableModes(String mode) {
        assertThatThrownBy(() -> target.validateBinding(binding(params("path", "k", "mode", mode, "group", GROUP))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> {
                    assertThat(e.parameter()).isEqualTo("mode");
                    assertThat(e.getMessage()).contains("every user");
                });
    }

    @ParameterizedTest
    @ValueSource(strings = {"0660", "0700", "0740", "0200", "644x", "rw-r-----", "10640"})
    void refusesWritableExecutableOrMalformedModes(String mode) {
        assertThatThrownBy(() -> target.validateBinding(binding(params("path", "k", "mode", mode, "group", GROUP))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("mode"));
    }

    @Test
    void aGroupModeNeedsANamedGroup() {
        assertThatThrownBy(() -> target.validateBinding(binding(params("path", "k", "mode", "0640"))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.getMessage()).contains("group"));
    }

    @Test
    void refusesAnUnknownGroupAndABadName() {
        assertThatThrownBy(() -> target.validateBinding(binding(params("path", "k", "group", "no-such-group-rk"))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> {
                    assertThat(e.parameter()).isEqualTo("group");
                    assertThat(e.getMessage()).contains("not a group");
                });
        assertThatThrownBy(() -> target.validateBinding(binding(params("path", "k", "group", "a b"))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("group"));
    }

    @Test
    void refusesASharedBindingWhenNobodyCanPassThroughTheDirectory() throws IOException {
        Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
        LocalFilesTarget closed = new LocalFilesTarget("files", base);
        assertThatThrownBy(() -> closed.validateBinding(binding(params("path", "k", "group", GROUP))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.getMessage()).contains("0711"));
        assertThatCode(() -> closed.validateBinding(binding(params("path", "k")))).doesNotThrowAnyException();
    }

    @Test
    void aGroupBindingGivesTheFileToTheGroupAndLetsItPassThroughTheDirectories() throws IOException {
        // A private directory left by an earlier binding lies on the way: it is opened for passing through only.
        Files.createDirectory(base.resolve("agents"), PosixFilePermissions.asFileAttribute(BaseDirectory.DIRECTORY_MODE));
        TargetBinding b = binding(params("path", "agents/billing/api-key", "group", GROUP));
        target.validateBinding(b);
        target.deliver(delivery(b, "api-key", 1, "rk_one", List.of()));
        target.verify(delivery(b, "api-key", 1, "rk_one", List.of()));

        Path file = base.resolve("agents/billing/api-key");
        assertThat(Files.readString(file)).isEqualTo("rk_one");
        assertThat(PosixFilePermissions.toString(attributes(file).permissions())).isEqualTo("rw-r-----");
        assertThat(attributes(file).group().getName()).isEqualTo(GROUP);
        assertThat(PosixFilePermissions.toString(attributes(base.resolve("agents")).permissions())).isEqualTo("rwx-----x");
        assertThat(PosixFilePermissions.toString(attributes(base.resolve("agents/billing")).permissions())).isEqualTo("rwx--x--x");

        // The next version keeps the access, and its backup is no wider than the file.
        target.deliver(delivery(b, "api-key", 2, "rk_two", List.of()));
        assertThat(attributes(file).group().getName()).isEqualTo(GROUP);
        Path backup = base.resolve("agents/billing/.api-key.rotakey-previous");
        assertThat(PosixFilePermissions.toString(attributes(backup).permissions())).isEqualTo("rw-r-----");
    }

    @Test
    void verifyFailsWhenTheFileNoLongerHasTheAccessAskedFor() throws IOException {
        TargetBinding b = binding(params("path", "k", "group", GROUP, "mode", "0440"));
        target.deliver(delivery(b, "api-key", 1, "rk_one", List.of()));
        Files.setPosixFilePermissions(base.resolve("k"), PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> target.verify(delivery(b, "api-key", 1, "rk_one", List.of())))
                .isInstanceOf(TargetException.class).hasMessageContaining("r--r-----").hasMessageNotContaining("rk_one");
        // A repeated delivery puts it right.
        target.deliver(delivery(b, "api-key", 1, "rk_one", List.of()));
        target.verify(delivery(b, "api-key", 1, "rk_one", List.of()));
    }

    @Test
    void envAndJsonFormatsOfAnApiKey() throws IOException {
        TargetBinding env = binding(params("path", "k.env", "format", "env", "envPrefix", "BILLING_"));
        TargetBinding json = binding(params("path", "k.json", "format", "json"));
        for (TargetBinding b : List.of(env, json)) {
            target.validateBinding(b);
            target.deliver(delivery(b, "api-key", 3, "rk_abc-DEF_123", List.of()));
            target.verify(delivery(b, "api-key", 3, "rk_abc-DEF_123", List.of()));
        }
        assertThat(Files.readString(base.resolve("k.env"))).isEqualTo("BILLING_API_KEY=rk_abc-DEF_123\n");
        assertThat(Files.readString(base.resolve("k.json")))
                .isEqualTo("{\"credential\":\"cred\",\"version\":3,\"apiKey\":\"rk_abc-DEF_123\"}\n");
        // Revocation finds the version inside the formatted file, and leaves another version alone.
        target.revoke(revocation(env, "api-key", 2, "rk_other"));
        assertThat(base.resolve("k.env")).exists();
        target.revoke(revocation(env, "api-key", 3, "rk_abc-DEF_123"));
        target.revoke(revocation(json, "api-key", 3, "rk_abc-DEF_123"));
        assertThat(base.resolve("k.env")).doesNotExist();
        assertThat(base.resolve("k.json")).doesNotExist();
    }

    @Test
    void aPasswordBundleNamesTheLoginAndWhereItLogsIn() throws IOException {
        Login login = new Login("pg-main", "reporting_b", new Endpoint("postgresql", "db.internal", 5432, "app", false));
        TargetBinding json = binding(params("path", "db.json", "format", "json"));
        TargetBinding uri = binding(params("path", "db.uri", "format", "uri"));
        TargetBinding env = binding(params("path", "db.env", "format", "env", "envPrefix", "DB_"));
        String password = "p@ss:w/rd%1";
        for (TargetBinding b : List.of(json, uri)) {
            target.deliver(delivery(b, "password", 2, password, List.of(login)));
            target.verify(delivery(b, "password", 2, password, List.of(login)));
        }
        target.deliver(delivery(env, "password", 2, "plainPass-1", List.of(login)));
        assertThat(Files.readString(base.resolve("db.json"))).isEqualTo("{\"credential\":\"cred\",\"version\":2,"
                + "\"engine\":\"postgresql\",\"host\":\"db.internal\",\"port\":5432,\"dbname\":\"app\","
                + "\"username\":\"reporting_b\",\"password\":\"p@ss:w/rd%1\"}\n");
        assertThat(Files.readString(base.resolve("db.uri")))
                .isEqualTo("postgresql://reporting_b:p%40ss%3Aw%2Frd%251@db.internal:5432/app\n");
        assertThat(Files.readString(base.resolve("db.env"))).isEqualTo("DB_ENGINE=postgresql\nDB_HOST=db.internal\n"
                + "DB_PORT=5432\nDB_DBNAME=app\nDB_USERNAME=reporting_b\nDB_PASSWORD=plainPass-1\n");
        target.revoke(revocation(uri, "password", 2, password));
        assertThat(base.resolve("db.uri")).doesNotExist();
    }

    @Test
    void aUriNeedsALoginAndEnvRefusesShellCharacters() {
        TargetBinding uri = binding(params("path", "db.uri", "format", "uri"));
        assertThatThrownBy(() -> target.validateUse(uri, new BindingUse("password", false, List.of())))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("format"));
        assertThatCode(() -> target.validateUse(uri, new BindingUse("password", false,
                List.of(new Endpoint("mariadb", "h", 3306, null, false))))).doesNotThrowAnyException();
        assertThat(target.refusedCharacters(binding(params("path", "e", "format", "env")))).contains('$', '\'', ' ', '`');
        assertThatThrownBy(() -> target.validateBinding(binding(params("path", "e", "format", "yaml"))))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.parameter()).isEqualTo("format"));
        assertThatThrownBy(() -> target.validateUse(binding(params("path", "e", "format", "pkcs12")),
                new BindingUse("api-key", false, List.of()))).isInstanceOf(InvalidBindingException.class);
    }

    @Test
    void pkcs12AndCombinedNeedAnExportedKey() {
        TargetBinding p12 = binding(params("path", "tls", "format", "pkcs12"));
        assertThatThrownBy(() -> target.validateUse(p12, new BindingUse("certificate", false, List.of())))
                .isInstanceOfSatisfying(InvalidBindingException.class, e -> assertThat(e.getMessage()).contains("hsm"));
        assertThatCode(() -> target.validateUse(p12, new BindingUse("certificate", true, List.of())))
                .doesNotThrowAnyException();
    }

    @Test
    void aPkcs12KeystoreOpensWithItsPasswordInOpenSsl() throws Exception {
        TestCertificateAuthority ca = TestCertificateAuthority.create("Access Test CA", TestCertificateAuthority.KeyType.EC);
        TestCertificateAuthority.Leaf leaf = ca.leaf("agent-tls", TestCertificateAuthority.KeyType.EC);
        TargetBinding b = binding(params("path", "tls", "format", "pkcs12", "group", GROUP));
        Delivery d = new Delivery("agent", "cred", "certificate", 1, b, Secret.of(leaf.certificatePem()), leaf.exported());
        target.deliver(d);
        target.verify(d);
        Path dir = base.resolve("tls");
        assertThat(dir.resolve("key.pem")).doesNotExist();
        assertThat(attributes(dir.resolve("keystore.p12")).group().getName()).isEqualTo(GROUP);
        assertThat(PosixFilePermissions.toString(attributes(dir).permissions())).isEqualTo("rwxr-x---");
        String password = Files.readString(dir.resolve("keystore.pass")).strip();
        String subject = OpenSsl.openssl("pkcs12", "-in", dir.resolve("keystore.p12").toString(), "-passin",
                "pass:" + password, "-nokeys", "-clcerts");
        assertThat(subject).contains("agent-tls");
        // Delivered again, the keystore that holds the version is kept as it is.
        byte[] before = Files.readAllBytes(dir.resolve("keystore.p12"));
        target.deliver(d);
        assertThat(Files.readAllBytes(dir.resolve("keystore.p12"))).isEqualTo(before);

        // The same directory in the combined format: the keystore goes, combined.pem holds leaf, chain and key.
        TargetBinding combined = binding(params("path", "tls", "format", "combined", "group", GROUP));
        Delivery c = new Delivery("agent", "cred", "certificate", 1, combined, Secret.of(leaf.certificatePem()), leaf.exported());
        target.deliver(c);
        target.verify(c);
        assertThat(dir.resolve("keystore.p12")).doesNotExist();
        assertThat(Files.readString(dir.resolve("combined.pem"))).contains("BEGIN CERTIFICATE").contains("BEGIN PRIVATE KEY");
    }
}
