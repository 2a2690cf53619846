package dev.rotakey.ops;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The Debian package {@code mvn package} builds, installed for real with this machine's dpkg: its control fields and
 * file list, the unit inside it, an install (user, directories, rotakeyctl), then the operator's path: the single-host
 * example copied unchanged, the unit's ExecStartPre= and the daemon run as user rotakey with the unit's environment
 * (no systemd here), and rotakeyctl with no flags creating, changing, rotating, importing and retiring; then an upgrade
 * that keeps the admin's config and the data, and a purge that keeps {@code /var/lib/rotakey}. Everything it puts on the machine is removed in {@link #leaveTheMachineAsFound()}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DebPackageIT {
    private static final Path TARGET = Path.of("target");
    private static final Path STATE = Path.of("/var/lib/rotakey");
    private static final Path DELIVERED = STATE.resolve("delivered");
    private static final Path UNIT = Path.of("/usr/lib/systemd/system/rotakey.service");
    private static final String UPGRADE_SUFFIX = "+1";
    private static final String ADMIN_EDIT = "# edited by the admin: kept across upgrades\n";

    private Path tmp;
    private Path deb;
    private String version;
    private Process daemon;
    private int httpPort;
    private int adminPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    /** Exit code and merged standard output and error of one run. */
    private record Run(int exitCode, String output) {
    }

    private static Run run(String... command) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 120 s");
        }
        return new Run(p.exitValue(), out);
    }

    private static Run ok(String... command) throws IOException, InterruptedException {
        Run r = run(command);
        assertThat(r.exitCode()).as("%s:\n%s", String.join(" ", command), r.output()).isZero();
        return r;
    }

    private static boolean onPath(String command) throws InterruptedException {
        try {
            return run("sh", "-c", "command -v " + command).exitCode() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    @BeforeAll
    void newestPackageOnAMachineWithoutRotakey() throws Exception {
        assumeTrue(onPath("dpkg") && onPath("dpkg-deb"), "dpkg is not installed");
        assumeTrue("root".equals(System.getProperty("user.name")), "installing a package needs root");
        // Never clobber a Rotakey that was here before the test: its state is not ours to purge.
        Run known = run("dpkg-query", "-W", "-f=${Status}", "rotakey");
        assumeTrue(known.exitCode() != 0 || known.output().contains("not-installed"),
                "the rotakey package is installed (or its conffiles are) on this machine");
        assumeTrue(!Files.exists(STATE) && run("getent", "passwd", "rotakey").exitCode() != 0,
                "this machine has a user rotakey or /var/lib/rotakey already");
        try (Stream<Path> debs = Files.list(TARGET)) {
            deb = debs.filter(p -> p.getFileName().toString().matches("rotakey_.+_all\\.deb"))
                    .max(Comparator.comparing(p -> p.toFile().lastModified()))
                    .orElseThrow(() -> new AssertionError("no target/rotakey_*_all.deb: mvn package makes it"));
        }
        tmp = Files.createTempDirectory("rotakey-deb-it");
        version = ok("dpkg-deb", "-f", deb.toString(), "Version").output().strip();
    }

    @AfterAll
    void leaveTheMachineAsFound() throws Exception {
        stopDaemon();
        if (deb == null) {
            return;
        }
        run("dpkg", "--purge", "rotakey");
        run("rm", "-rf", "/var/lib/rotakey", "/var/lib/rotakey-delivered", "/etc/rotakey",
                "/run/rotakey.restart-after-upgrade");
        run("userdel", "rotakey");
        run("groupdel", "rotakey");
        run("rm", "-rf", tmp.toString());
    }

    @Test
    @Order(1)
    void controlFieldsFileListAndUnit() throws Exception {
        assertThat(deb.getFileName().toString()).isEqualTo("rotakey_" + version + "_all.deb");
        // A snapshot orders by its build time, and before the release of the same number.
        assertThat(version).matches("\\d+\\.\\d+\\.\\d+(~\\d{14})?");
        Run info = ok("dpkg-deb", "-I", deb.toString());
        assertThat(info.output()).contains("Package: rotakey", "Architecture: all", "Section: admin",
                "Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless | java-runtime-headless (>= 17), python3,"
                        + " python3-yaml, adduser",
                "Recommends: softhsm2", "Maintainer: ", "Homepage: ", "Description: ");
        assertThat(ok("dpkg-deb", "-I", deb.toString(), "conffiles").output().lines().toList())
                .containsExactlyInAnyOrder("/etc/rotakey/rotakeyctl.conf", "/etc/default/rotakey");

        List<String> listing = ok("dpkg-deb", "-c", deb.toString()).output().lines().toList();
        Map<String, String> expected = Map.ofEntries(
                Map.entry("./usr/share/rotakey/rotakey.jar", "-rw-r--r-- root/root"),
                Map.entry("./usr/lib/systemd/system/rotakey.service", "-rw-r--r-- root/root"),
                Map.entry("./usr/lib/sysusers.d/rotakey.conf", "-rw-r--r-- root/root"),
                Map.entry("./usr/lib/tmpfiles.d/rotakey.conf", "-rw-r--r-- root/root"),
                Map.entry("./usr/bin/rotakeyctl", "-rwxr-xr-x root/root"),
                Map.entry("./usr/share/rotakey/prepare-data-dir", "-rwxr-xr-x root/root"),
                Map.entry("./usr/share/rotakey/init-softhsm.sh", "-rwxr-xr-x root/root"),
                Map.entry("./usr/share/rotakey/lib/common.sh", "-rw-r--r-- root/root"),
                Map.entry("./etc/rotakey/rotakeyctl.conf", "-rw-r----- root/root"),
                Map.entry("./etc/default/rotakey", "-rw------- root/root"),
                Map.entry("./usr/share/doc/rotakey/examples/rotakey.yml", "-rw-r--r-- root/root"),
                Map.entry("./usr/share/doc/rotakey/examples/production/rotakey.yml", "-rw-r--r-- root/root"),
                Map.entry("./usr/share/doc/rotakey/examples/prometheus/rotakey-rules.yml", "-rw-r--r-- root/root"),
                Map.entry("./usr/share/doc/rotakey/copyright", "-rw-r--r-- root/root"),
                Map.entry("./usr/share/doc/rotakey/changelog.gz", "-rw-r--r-- root/root"),
                Map.entry("./usr/share/doc/rotakey/README.md", "-rw-r--r-- root/root"));
        expected.forEach((path, modeAndOwner) -> assertThat(listing)
                .as("%s in:\n%s", path, String.join("\n", listing))
                .anySatisfy(l -> assertThat(l).startsWith(modeAndOwner).endsWith(" " + path)));
        // Optional parts made by the rotakeyctl work, packed when the source tree has them.
        if (Files.isDirectory(Path.of("scripts/lib/rotakeyctl"))) {
            assertThat(listing).anySatisfy(l -> assertThat(l).contains("./usr/share/rotakey/rotakeyctl/").endsWith(".py"));
        }
        if (Files.exists(Path.of("docs/man/rotakeyctl.1"))) {
            assertThat(listing).anySatisfy(l -> assertThat(l).endsWith(" ./usr/share/man/man1/rotakeyctl.1.gz"));
        }
        if (Files.exists(Path.of("scripts/completion/rotakeyctl.bash"))) {
            assertThat(listing).anySatisfy(l -> assertThat(l).endsWith(" ./usr/share/bash-completion/completions/rotakeyctl"));
        }

        Path extracted = tmp.resolve("extracted");
        ok("dpkg-deb", "-x", deb.toString(), extracted.toString());
        assertThat(Files.mismatch(extracted.resolve("usr/share/rotakey/rotakey.jar"), TARGET.resolve("rotakey.jar")))
                .as("the packed jar is the shaded one").isEqualTo(-1);
        Path unit = extracted.resolve("usr/lib/systemd/system/rotakey.service");
        assertThat(Files.mismatch(unit, Path.of("systemd/rotakey.service"))).isEqualTo(-1);
        Run verify = run("systemd-analyze", "verify", unit.toString());
        assertThat(verify.output().lines().filter(l -> l.contains("rotakey.service") || l.contains(tmp.toString())))
                .as("systemd-analyze verify:\n%s", verify.output()).isEmpty();
        assertThat(verify.exitCode()).as(verify.output()).isZero();
        assertThat(ok("sh", "-c", "gzip -dc " + extracted.resolve("usr/share/doc/rotakey/changelog.gz"))
                .output()).startsWith("rotakey (");

        // lintian, where installed (it is not required): warnings are accepted (the modes of /etc/rotakey and its
        // secrets' files are deliberate), errors are not.
        if (onPath("lintian")) {
            Run lintian = run("lintian", deb.toString());
            assertThat(lintian.output().lines().filter(l -> l.startsWith("E:"))).as(lintian.output()).isEmpty();
        }

        // The maintainer scripts are POSIX sh: they parse under dash, Debian's /bin/sh.
        Path control = tmp.resolve("control");
        ok("dpkg-deb", "-e", deb.toString(), control.toString());
        for (String script : List.of("postinst", "prerm", "postrm")) {
            ok(onPath("dash") ? "dash" : "sh", "-n", control.resolve(script).toString());
        }
    }

    @Test
    @Order(2)
    void installCreatesTheUserAndDirectoriesAndEnablesWithoutStarting() throws Exception {
        Run install = ok("dpkg", "-i", deb.toString());
        assertThat(install.output()).contains("installed, not started");
        assertThat(ok("getent", "passwd", "rotakey").output().strip())
                .endsWith(":/var/lib/rotakey:/usr/sbin/nologin").contains("Rotakey");
        assertOwnerAndMode("/var/lib/rotakey", "rotakey", "rotakey", "rwx------");
        assertOwnerAndMode("/var/lib/rotakey-delivered", "rotakey", "rotakey", "rwx--x--x");
        assertOwnerAndMode("/etc/rotakey", "root", "rotakey", "rwxr-x---");
        assertOwnerAndMode("/etc/rotakey/credentials", "root", "root", "rwx------");
        assertOwnerAndMode("/etc/rotakey/rotakeyctl.conf", "root", "rotakey", "rw-r-----");
        assertOwnerAndMode("/etc/default/rotakey", "root", "root", "rw-------");
        assertOwnerAndMode("/usr/bin/rotakeyctl", "root", "root", "rwxr-xr-x");
        assertThat(Path.of("/etc/systemd/system/multi-user.target.wants/rotakey.service"))
                .as("enabled at boot").isSymbolicLink();
        assertThat(ok("/usr/bin/rotakeyctl", "--help").output()).contains("usage: rotakeyctl");
    }

    @Test
    @Order(3)
    void theSingleHostExampleStartsAsIsAndRotakeyctlNeedsNoFlags() throws Exception {
        Path config = Path.of("/etc/rotakey/rotakey.yml");
        // The operator's steps: the single-host example copied unchanged, readable by the daemon's group.
        Files.copy(Path.of("/usr/share/doc/rotakey/examples/rotakey.yml"), config);
        ok("chown", "root:rotakey", config.toString());
        ok("chmod", "0640", config.toString());
        // Ports of our own (another daemon may hold 8080 on a test machine), set where an operator sets them.
        httpPort = freePort();
        adminPort = freePort();
        Files.writeString(Path.of("/etc/default/rotakey"), "ROTAKEY_HTTP_PORT=" + httpPort + "\nROTAKEY_ADMIN_PORT="
                + adminPort + "\n", java.nio.file.StandardOpenOption.APPEND);

        // What systemctl start does: ExecStartPre= (it creates the SoftHSM2 token the example uses), then ExecStart=.
        Run prepared = prepareDataDir();
        assertThat(prepared.output()).contains("creating it");
        assertOwnerAndMode("/var/lib/rotakey/hsm-pin", "rotakey", "rotakey", "rw-------");
        assertOwnerAndMode("/var/lib/rotakey/softhsm-tokens", "rotakey", "rotakey", "rwx------");
        startDaemon("first");

        // rotakeyctl as root, no flags, no ROTAKEY_* variable: /etc/rotakey/rotakeyctl.conf and /etc/rotakey/rotakey.yml.
        Run settings = ctlOk("config");
        assertThat(settings.output()).contains("http://127.0.0.1:" + httpPort, "http://127.0.0.1:" + adminPort,
                "/var/lib/rotakey/admin-token", "derived from /etc/rotakey/rotakey.yml");
        ctlOk("status");
        assertThat(ctlOk("agents", "create", "deb-agent", "--owner", "ops@example.com").output())
                .contains("Agent deb-agent created");
        assertThat(ctlOk("agents").output()).contains("deb-agent");
        assertThat(ctlOk("credentials", "create", "deb-key", "--agent", "deb-agent", "--type", "api-key",
                "--backend", "hsm", "--target", "local-files,path=deb/api", "--every", "P30D").output())
                .contains("Credential deb-key created");
        String first = Files.readString(DELIVERED.resolve("deb/api")).strip();
        assertThat(ctlOk("rotate", "--credential", "deb-key", "--wait").output()).contains("SUCCEEDED");
        assertThat(ctlOk("credentials").output()).contains("deb-key");
        // What the target holds: the rotated key, which the daemon accepts.
        String second = Files.readString(DELIVERED.resolve("deb/api")).strip();
        assertThat(second).startsWith("rk_").isNotEqualTo(first);
        assertThat(ctlOk("verify", "--key-file", DELIVERED.resolve("deb/api").toString()).output())
                .startsWith("valid: credential deb-key version 2");

        // The token is the daemon's own: an unauthenticated call is refused.
        HttpResponse<String> anonymous = http.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + httpPort + "/api/v1/agents")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(anonymous.statusCode()).isEqualTo(401);
    }

    @Test
    @Order(4)
    void aCredentialIsChangedWithNoFlags() throws Exception {
        assertThat(ctlOk("credentials", "change", "deb-key", "--every", "P7D").output())
                .contains("Credential deb-key changed");
        assertThat(ctlOk("credentials", "show", "deb-key").output()).contains("P7D");
    }

    @Test
    @Order(5)
    void anExistingSecretIsImportedWithNoFlags() throws Exception {
        String secret = "Deb-Imported-" + System.nanoTime();
        Path secretFile = tmp.resolve("imported.secret");
        Files.writeString(secretFile, secret + "\n");
        // Import adopts a secret the target holds already: the file is there, the daemon's own, before Rotakey knows it.
        Run placed = run("runuser", "-u", "rotakey", "--", "sh", "-c", "umask 077; printf %s \"$0\" > \"$1\"", secret,
                DELIVERED.resolve("deb/imported").toString());
        assertThat(placed.exitCode()).as(placed.output()).isZero();
        ctlOk("credentials", "import", "deb-imported", "--agent", "deb-agent", "--type", "password", "--backend", "hsm",
                "--target", "local-files,path=deb/imported", "--secret-file", secretFile.toString());
        assertThat(Files.readString(DELIVERED.resolve("deb/imported")).strip()).isEqualTo(secret);
    }

    @Test
    @Order(6)
    void aCredentialIsRetiredWithNoFlags() throws Exception {
        Path key = DELIVERED.resolve("deb/api");
        Path saved = tmp.resolve("retired.key");
        Files.copy(key, saved);
        ctlOk("credentials", "retire", "deb-key", "--yes", "--wait");
        assertThat(key).doesNotExist();
        Run refused = ctl("verify", "--key-file", saved.toString());
        assertThat(refused.exitCode()).as(refused.output()).isEqualTo(1);
    }

    @Test
    @Order(7)
    void anUpgradeKeepsTheConfigurationAndTheData() throws Exception {
        stopDaemon();
        assertThat(STATE.resolve("rotakey.mv.db")).exists();
        assertOwnerAndMode("/var/lib/rotakey/admin-token", "rotakey", "rotakey", "rw-------");
        byte[] pin = Files.readAllBytes(STATE.resolve("hsm-pin"));
        Path ctlConf = Path.of("/etc/rotakey/rotakeyctl.conf");
        String editedCtl = Files.readString(ctlConf) + ADMIN_EDIT;
        Files.writeString(ctlConf, editedCtl);
        String config = Files.readString(Path.of("/etc/rotakey/rotakey.yml"));
        byte[] token = Files.readAllBytes(STATE.resolve("admin-token"));

        Path next = nextVersionWithAChangedConffile();
        String newVersion = version + UPGRADE_SUFFIX;
        Run upgrade = ok("dpkg", "-i", "--force-confdef", "--force-confold", next.toString());
        assertThat(upgrade.output()).doesNotContain("installed, not started");
        assertThat(ok("dpkg-query", "-W", "-f=${Version}", "rotakey").output()).isEqualTo(newVersion);

        // The admin's edit of a conffile wins; the package's new one waits beside it.
        assertThat(Files.readString(ctlConf)).isEqualTo(editedCtl);
        assertThat(Files.readString(Path.of("/etc/rotakey/rotakeyctl.conf.dpkg-dist"))).endsWith("# new in the next version\n");
        assertThat(Files.readString(Path.of("/etc/rotakey/rotakey.yml"))).isEqualTo(config);
        assertThat(Files.readAllBytes(STATE.resolve("admin-token"))).isEqualTo(token);
        assertOwnerAndMode("/etc/rotakey", "root", "rotakey", "rwxr-x---");
        assertOwnerAndMode("/etc/rotakey/rotakeyctl.conf", "root", "rotakey", "rw-r-----");
        assertOwnerAndMode("/var/lib/rotakey", "rotakey", "rotakey", "rwx------");

        // The new version runs on the old data: ExecStartPre= leaves the token alone, the agent made before is there.
        assertThat(prepareDataDir().output()).isEmpty();
        assertThat(Files.readAllBytes(STATE.resolve("hsm-pin"))).isEqualTo(pin);
        startDaemon("upgraded");
        HttpResponse<String> agent = api("GET", "/api/v1/agents/deb-agent", null);
        assertThat(agent.statusCode()).as(agent.body()).isEqualTo(200);
        assertThat(agent.body()).contains("ops@example.com");
        stopDaemon();
    }

    @Test
    @Order(8)
    void purgeRemovesThePackageButKeepsTheIrreplaceableState() throws Exception {
        Run purge = ok("dpkg", "--purge", "rotakey");
        assertThat(purge.output()).contains("kept /var/lib/rotakey");
        assertThat(run("dpkg-query", "-W", "-f=${Status}", "rotakey").output()).doesNotContain("installed ok");
        for (String gone : List.of("/usr/share/rotakey", "/usr/bin/rotakeyctl", "/usr/lib/systemd/system/rotakey.service",
                "/usr/lib/sysusers.d/rotakey.conf", "/usr/lib/tmpfiles.d/rotakey.conf", "/etc/rotakey/rotakeyctl.conf",
                "/etc/rotakey/rotakeyctl.conf.dpkg-dist", "/etc/default/rotakey", "/usr/share/doc/rotakey",
                "/etc/systemd/system/multi-user.target.wants/rotakey.service")) {
            assertThat(Path.of(gone)).as(gone).doesNotExist();
        }
        // The HSM token, the database and the admin token stay, and so does what the admin put into /etc/rotakey.
        assertThat(STATE.resolve("admin-token")).exists();
        assertThat(STATE.resolve("rotakey.mv.db")).exists();
        assertThat(STATE.resolve("softhsm-tokens")).isDirectory();
        assertThat(Path.of("/etc/rotakey/rotakey.yml")).exists();
        assertThat(purge.output()).contains("kept /etc/rotakey");
    }

    /** The built package repacked as the next version, whose rotakeyctl.conf differs from the installed one. */
    private Path nextVersionWithAChangedConffile() throws Exception {
        Path tree = tmp.resolve("next");
        ok("dpkg-deb", "-R", deb.toString(), tree.toString());
        Path control = tree.resolve("DEBIAN/control");
        Files.writeString(control, Files.readString(control)
                .replace("Version: " + version + "\n", "Version: " + version + UPGRADE_SUFFIX + "\n"));
        Path conf = tree.resolve("etc/rotakey/rotakeyctl.conf");
        Files.writeString(conf, Files.readString(conf) + "# new in the next version\n");
        Path md5sums = tree.resolve("DEBIAN/md5sums");
        if (Files.exists(md5sums)) {
            String sum = HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(Files.readAllBytes(conf)));
            List<String> lines = new ArrayList<>();
            for (String line : Files.readAllLines(md5sums)) {
                lines.add(line.endsWith(" etc/rotakey/rotakeyctl.conf") ? sum + "  etc/rotakey/rotakeyctl.conf" : line);
            }
            Files.write(md5sums, lines);
        }
        Path next = tmp.resolve("rotakey_" + version + UPGRADE_SUFFIX + "_all.deb");
        ok("dpkg-deb", "--root-owner-group", "-b", tree.toString(), next.toString());
        return next;
    }

    /**
     * The environment systemd gives the service: the installed unit's Environment= lines, then its EnvironmentFile=
     * (/etc/default/rotakey), read from the files rather than repeated here.
     */
    private static Map<String, String> unitEnvironment() throws IOException {
        Map<String, String> env = new java.util.LinkedHashMap<>();
        env.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin");
        List<String> files = new ArrayList<>();
        for (String line : Files.readAllLines(UNIT)) {
            if (line.startsWith("Environment=")) {
                String assignment = unquote(line.substring("Environment=".length()));
                env.put(assignment.substring(0, assignment.indexOf('=')), assignment.substring(assignment.indexOf('=') + 1));
            } else if (line.startsWith("EnvironmentFile=")) {
                files.add(line.substring("EnvironmentFile=".length()).replaceFirst("^-", ""));
            }
        }
        for (String file : files) {
            for (String line : Files.exists(Path.of(file)) ? Files.readAllLines(Path.of(file)) : List.<String>of()) {
                if (!line.isBlank() && !line.startsWith("#") && line.contains("=")) {
                    env.put(line.substring(0, line.indexOf('=')).strip(), unquote(line.substring(line.indexOf('=') + 1).strip()));
                }
            }
        }
        return env;
    }

    private static String unquote(String value) {
        return value.length() >= 2 && value.startsWith("\"") && value.endsWith("\"") ? value.substring(1, value.length() - 1) : value;
    }

    /** The unit's one line starting with key, without the key. */
    private static String unitLine(String key) throws IOException {
        return Files.readAllLines(UNIT).stream().filter(l -> l.startsWith(key + "=")).map(l -> l.substring(key.length() + 1))
                .reduce((a, b) -> {
                    throw new AssertionError("two " + key + "= lines in " + UNIT);
                }).orElseThrow(() -> new AssertionError("no " + key + "= line in " + UNIT));
    }

    /** The unit's ExecStartPre= as user rotakey, in its working directory, with nothing but the unit's environment. */
    private Run prepareDataDir() throws Exception {
        List<String> command = new ArrayList<>(List.of("runuser", "-u", "rotakey", "--", "env", "-i"));
        unitEnvironment().forEach((k, v) -> command.add(k + "=" + v));
        command.addAll(List.of(unitLine("ExecStartPre").split(" +")));
        ProcessBuilder pb = new ProcessBuilder(command).directory(STATE.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("ExecStartPre= finished").isTrue();
        assertThat(p.exitValue()).as("ExecStartPre= %s:\n%s", unitLine("ExecStartPre"), out).isZero();
        return new Run(p.exitValue(), out);
    }

    /** rotakeyctl as an operator runs it on the host: as root, no flags, no ROTAKEY_* variable, from elsewhere. */
    private Run ctl(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("/usr/bin/rotakeyctl"));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(tmp.toFile()).redirectErrorStream(true)
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        pb.environment().keySet().removeIf(k -> k.startsWith("ROTAKEY") || k.equals("SOFTHSM2_CONF"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("rotakeyctl " + String.join(" ", args) + " did not finish");
        }
        return new Run(p.exitValue(), out);
    }

    private Run ctlOk(String... args) throws Exception {
        Run r = ctl(args);
        assertThat(r.exitCode()).as("rotakeyctl %s:\n%s", String.join(" ", args), r.output()).isZero();
        return r;
    }

    /** ExecStart= by hand as user rotakey (no systemd here): the installed jar, the unit's environment and directory. */
    private void startDaemon(String name) throws Exception {
        Path log = tmp.resolve("daemon-" + name + ".log");
        Map<String, String> env = unitEnvironment();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of("runuser", "-u", "rotakey", "--", java));
        command.addAll(List.of(env.getOrDefault("JAVA_OPTS", "").split(" +")));
        command.addAll(List.of("-jar", "/usr/share/rotakey/rotakey.jar", "server", "/etc/rotakey/rotakey.yml"));
        command.removeIf(String::isEmpty);
        ProcessBuilder pb = new ProcessBuilder(command)
                .directory(Path.of(unitLine("WorkingDirectory")).toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        daemon = pb.start();
        URI ready = URI.create("http://127.0.0.1:" + adminPort + "/health/ready");
        await("the installed daemon answers 200 at /health/ready").atMost(Duration.ofMinutes(3))
                .pollInterval(Duration.ofMillis(500)).ignoreExceptions()
                .until(() -> {
                    assertThat(daemon.isAlive()).as("the daemon exited; its log:\n%s", Files.readString(log)).isTrue();
                    return http.send(HttpRequest.newBuilder(ready).build(), HttpResponse.BodyHandlers.ofString())
                            .statusCode() == 200;
                });
        assertThat(daemon.isAlive()).as("the daemon exited; its log:\n%s", Files.readString(log)).isTrue();
    }

    /** SIGTERM to java and to runuser, as systemd would stop it; the daemon shuts down gracefully. */
    private void stopDaemon() throws InterruptedException {
        if (daemon == null) {
            return;
        }
        daemon.descendants().forEach(ProcessHandle::destroy);
        daemon.destroy();
        if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
            daemon.descendants().forEach(ProcessHandle::destroyForcibly);
            daemon.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        daemon = null;
    }

    private HttpResponse<String> api(String method, String path, String json) throws Exception {
        String token = Files.readString(STATE.resolve("admin-token")).strip();
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + path))
                .header("Authorization", "Bearer " + token)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) {
            req.header("Content-Type", "application/json");
        }
        return http.send(req.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void assertOwnerAndMode(String path, String owner, String group, String mode) throws IOException {
        PosixFileAttributes a = Files.getFileAttributeView(Path.of(path), PosixFileAttributeView.class,
                LinkOption.NOFOLLOW_LINKS).readAttributes();
        assertThat(a.owner().getName() + ":" + a.group().getName() + " " + PosixFilePermissions.toString(a.permissions()))
                .as(path).isEqualTo(owner + ":" + group + " " + mode);
    }
}
