package dev.rotakey.ops;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code scripts/install.sh} and {@code scripts/uninstall.sh}, run for real with bash on a tree
 * staged with {@code --root}: every file lands with its mode, an edited config survives a second
 * install, uninstalling keeps the data, and only {@code --purge --yes} deletes it; without a prebuilt jar or
 * package the installer stops with directions and never runs Maven; {@code --deb} unpacks the package.
 */
class InstallScriptIT {
    @TempDir
    Path tmp;

    Path root;
    Path jar;

    /** Exit code and merged standard output and error of one run. */
    private record Run(int exitCode, String output) {
    }

    @BeforeEach
    void prebuiltJar() throws IOException {
        root = tmp.resolve("root");
        // Any file will do: the scripts copy the jar, they never run it.
        jar = Files.writeString(tmp.resolve("rotakey-test.jar"), "not really a jar\n");
    }

    private static Run run(String script, String... args) throws IOException, InterruptedException {
        return runIn(Path.of("."), null, script, args);
    }

    /** Runs {@code scripts/SCRIPT} of the tree TREE, with PATH_FIRST (when given) at the head of PATH. */
    private static Run runIn(Path tree, Path pathFirst, String script, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("bash", tree.resolve("scripts/" + script).toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
        if (pathFirst != null) {
            pb.environment().put("PATH", pathFirst + ":" + pb.environment().get("PATH"));
        }
        // stdin is not a terminal here: --purge without --yes must refuse rather than wait for an answer.
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(script + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), out);
    }

    private Run install(String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of("--root", root.toString(), "--jar", jar.toString()));
        args.addAll(List.of(extra));
        Run r = run("install.sh", args.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.output()).isZero();
        return r;
    }

    private Path at(String absolute) {
        return root.resolve(absolute.substring(1));
    }

    private String mode(String absolute) throws IOException {
        return PosixFilePermissions.toString(Files.getPosixFilePermissions(at(absolute)));
    }

    @Test
    void installPutsEveryFileInPlaceWithItsMode() throws Exception {
        Run r = install();
        assertThat(mode("/usr/share/rotakey/rotakey.jar")).isEqualTo("rw-r--r--");
        assertThat(Files.readString(at("/usr/share/rotakey/rotakey.jar"))).isEqualTo("not really a jar\n");
        assertThat(mode("/etc/rotakey")).isEqualTo("rwxr-x---");
        assertThat(mode("/etc/rotakey/rotakey.yml")).isEqualTo("rw-r-----");
        assertThat(Files.mismatch(at("/etc/rotakey/rotakey.yml"), Path.of("config/production/rotakey.yml"))).isEqualTo(-1);
        assertThat(mode("/etc/rotakey/credentials")).isEqualTo("rwx------");
        assertThat(mode("/etc/default/rotakey")).isEqualTo("rw-------");
        assertThat(mode("/var/lib/rotakey")).isEqualTo("rwx------");
        // /etc/systemd/system is the admin's (drop-ins); /usr/lib the package's; a source install's is /usr/local/lib.
        assertThat(mode("/usr/local/lib/systemd/system/rotakey.service")).isEqualTo("rw-r--r--");
        assertThat(Files.mismatch(at("/usr/local/lib/systemd/system/rotakey.service"), Path.of("systemd/rotakey.service")))
                .isEqualTo(-1);
        assertThat(at("/etc/systemd/system/rotakey.service")).doesNotExist();
        // The user and the directories come from the same files as the package's.
        assertThat(Files.mismatch(at("/usr/local/lib/sysusers.d/rotakey.conf"), Path.of("packaging/sysusers.d/rotakey.conf")))
                .isEqualTo(-1);
        assertThat(Files.mismatch(at("/usr/local/lib/tmpfiles.d/rotakey.conf"), Path.of("packaging/tmpfiles.d/rotakey.conf")))
                .isEqualTo(-1);
        assertThat(mode("/var/lib/rotakey-delivered")).isEqualTo("rwx--x--x");
        assertThat(Files.mismatch(at("/etc/default/rotakey"), Path.of("packaging/default/rotakey"))).isEqualTo(-1);
        assertThat(mode("/etc/rotakey/rotakeyctl.conf")).isEqualTo("rw-r-----");
        assertThat(Files.mismatch(at("/etc/rotakey/rotakeyctl.conf"), Path.of("config/rotakeyctl.conf"))).isEqualTo(-1);
        assertThat(mode("/usr/share/doc/rotakey/README.md")).isEqualTo("rw-r--r--");
        assertThat(mode("/usr/share/doc/rotakey/docs/configuration.md")).isEqualTo("rw-r--r--");
        if (Files.exists(Path.of("scripts/rotakeyctl"))) {
            assertThat(mode("/usr/local/bin/rotakeyctl")).isEqualTo("rwxr-xr-x");
            if (Files.isDirectory(Path.of("scripts/lib/rotakeyctl"))) {
                assertThat(at("/usr/share/rotakey/rotakeyctl")).isDirectoryContaining("glob:**.py");
            }
        } else {
            assertThat(at("/usr/local/bin/rotakeyctl")).doesNotExist();
        }
        // The operator is told which secrets the unit will look for and are not there yet.
        assertThat(r.output()).contains("missing credential files in /etc/rotakey/credentials/: hsm-pin db-password vault-secret-id");
        // Staging touches nothing outside the root.
        assertThat(r.output()).contains("Staging under " + root).doesNotContain("systemctl daemon-reload\n");
    }

    @Test
    void aSecondInstallKeepsAnEditedConfigAndPutsTheNewOneBesideIt() throws Exception {
        install();
        Path config = at("/etc/rotakey/rotakey.yml");
        String edited = Files.readString(config).replace("db.example.internal", "db7.corp.internal");
        Files.writeString(config, edited);
        Files.writeString(at("/etc/rotakey/credentials/hsm-pin"), "1234\n");

        Run second = install();
        assertThat(Files.readString(config)).isEqualTo(edited);
        assertThat(mode("/etc/rotakey/rotakey.yml.dist")).isEqualTo("rw-r-----");
        assertThat(Files.mismatch(at("/etc/rotakey/rotakey.yml.dist"), Path.of("config/production/rotakey.yml")))
                .isEqualTo(-1);
        assertThat(second.output()).contains("/etc/rotakey/rotakey.yml was edited and is kept")
                .contains("rotakey.yml.dist");
        assertThat(Files.readString(at("/etc/rotakey/credentials/hsm-pin"))).isEqualTo("1234\n");
        assertThat(second.output()).contains("missing credential files in /etc/rotakey/credentials/: db-password vault-secret-id");

        // An unedited config is simply left as it is, with no .dist beside it.
        Path other = tmp.resolve("other");
        root = other;
        install();
        install();
        assertThat(at("/etc/rotakey/rotakey.yml.dist")).doesNotExist();
    }

    @Test
    void uninstallKeepsConfigurationAndDataAndPurgeWithYesRemovesThem() throws Exception {
        install();
        Files.writeString(at("/var/lib/rotakey/admin-token"), "token\n");
        Files.createDirectories(at("/var/lib/rotakey/tokens"));
        Files.writeString(at("/etc/rotakey/credentials/hsm-pin"), "1234\n");

        Run u = run("uninstall.sh", "--root", root.toString());
        assertThat(u.exitCode()).as(u.output()).isZero();
        assertThat(at("/usr/share/rotakey/rotakey.jar")).doesNotExist();
        assertThat(at("/usr/share/rotakey")).doesNotExist();
        assertThat(at("/usr/local/lib/systemd/system/rotakey.service")).doesNotExist();
        assertThat(at("/usr/local/lib/sysusers.d/rotakey.conf")).doesNotExist();
        assertThat(at("/usr/local/lib/tmpfiles.d/rotakey.conf")).doesNotExist();
        assertThat(at("/usr/local/bin/rotakeyctl")).doesNotExist();
        assertThat(at("/var/lib/rotakey/admin-token")).hasContent("token");
        assertThat(at("/var/lib/rotakey/tokens")).isDirectory();
        assertThat(at("/etc/rotakey/rotakey.yml")).exists();
        assertThat(at("/etc/rotakey/credentials/hsm-pin")).exists();
        assertThat(u.output()).contains("kept");

        // Idempotent: a second uninstall finds nothing to do and succeeds.
        assertThat(run("uninstall.sh", "--root", root.toString()).exitCode()).isZero();

        // --purge without --yes, not on a terminal: refused, and nothing is deleted.
        Run refused = run("uninstall.sh", "--root", root.toString(), "--purge");
        assertThat(refused.exitCode()).as(refused.output()).isNotZero();
        assertThat(refused.output()).contains("--yes");
        assertThat(at("/var/lib/rotakey/admin-token")).exists();

        Run purged = run("uninstall.sh", "--root", root.toString(), "--purge", "--yes");
        assertThat(purged.exitCode()).as(purged.output()).isZero();
        assertThat(at("/var/lib/rotakey")).doesNotExist();
        assertThat(at("/etc/rotakey")).doesNotExist();
        assertThat(at("/etc/default/rotakey")).doesNotExist();
        assertThat(run("uninstall.sh", "--root", root.toString(), "--purge", "--yes").exitCode()).isZero();
    }

    /**
     * A checkout without target/rotakey.jar and no --jar or --deb: the installer stops with directions to build on a
     * build machine, and neither Maven nor anything else is run (a fake mvn first on PATH would leave a mark).
     */
    @Test
    void withoutAPrebuiltJarOrPackageItStopsAndNeverBuilds() throws Exception {
        Path tree = tmp.resolve("checkout");
        for (String part : List.of("scripts", "systemd", "config", "packaging", "docs", "README.md")) {
            copyTree(Path.of(part), tree.resolve(part));
        }
        Path bin = Files.createDirectories(tmp.resolve("bin"));
        Path mark = tmp.resolve("mvn-ran");
        Path mvn = Files.writeString(bin.resolve("mvn"), "#!/bin/sh\ntouch " + mark + "\nexit 0\n");
        Files.setPosixFilePermissions(mvn, PosixFilePermissions.fromString("rwxr-xr-x"));

        Run r = runIn(tree, bin, "install.sh", "--root", root.toString());
        assertThat(r.exitCode()).as(r.output()).isEqualTo(1);
        assertThat(r.output()).contains("nothing to install", "never builds", "mvn -B package",
                "--deb rotakey_<version>_all.deb", "./scripts/quickstart.sh");
        assertThat(mark).as("install.sh ran mvn").doesNotExist();
        assertThat(root).doesNotExist();
    }

    /** With a prebuilt jar beside the script (target/rotakey.jar) and no option, that jar is installed. */
    @Test
    void thePrebuiltJarBesideTheScriptIsTheDefault() throws Exception {
        Path tree = tmp.resolve("checkout");
        for (String part : List.of("scripts", "systemd", "config", "packaging", "docs", "README.md")) {
            copyTree(Path.of(part), tree.resolve(part));
        }
        Files.createDirectories(tree.resolve("target"));
        Files.writeString(tree.resolve("target/rotakey.jar"), "the prebuilt jar\n");
        Run r = runIn(tree, null, "install.sh", "--root", root.toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(at("/usr/share/rotakey/rotakey.jar")).hasContent("the prebuilt jar");
    }

    /**
     * --deb stages the package's files (dpkg-deb -x) and the configuration beside them; it removes a unit an older
     * install.sh left in /etc/systemd/system, which would hide the package's.
     */
    @Test
    void aPackageIsUnpackedAndAnOlderUnitInEtcIsRemoved() throws Exception {
        Path pkg = tmp.resolve("pkg");
        Files.createDirectories(pkg.resolve("DEBIAN"));
        Files.writeString(pkg.resolve("DEBIAN/control"), "Package: rotakey\nVersion: 0.0.1\nArchitecture: all\n"
                + "Maintainer: test <test@example.com>\nDescription: a stand-in for the built package\n");
        Files.createDirectories(pkg.resolve("usr/share/rotakey"));
        Files.writeString(pkg.resolve("usr/share/rotakey/rotakey.jar"), "packaged jar\n");
        Files.createDirectories(pkg.resolve("usr/lib/systemd/system"));
        Files.copy(Path.of("systemd/rotakey.service"), pkg.resolve("usr/lib/systemd/system/rotakey.service"));
        Path deb = tmp.resolve("rotakey_0.0.1_all.deb");
        Process build = new ProcessBuilder("dpkg-deb", "--root-owner-group", "-b", pkg.toString(), deb.toString())
                .redirectErrorStream(true).start();
        String out = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(build.waitFor()).as(out).isZero();
        Path old = at("/etc/systemd/system/rotakey.service");
        Files.createDirectories(old.getParent());
        Files.copy(Path.of("systemd/rotakey.service"), old);

        Run r = run("install.sh", "--root", root.toString(), "--deb", deb.toString());
        assertThat(r.exitCode()).as(r.output()).isZero();
        assertThat(at("/usr/share/rotakey/rotakey.jar")).hasContent("packaged jar");
        assertThat(at("/usr/lib/systemd/system/rotakey.service")).exists();
        assertThat(at("/usr/local/lib/systemd/system/rotakey.service")).doesNotExist();
        assertThat(old).doesNotExist();
        assertThat(r.output()).contains("removed /etc/systemd/system/rotakey.service");
        assertThat(mode("/etc/rotakey")).isEqualTo("rwxr-x---");
        assertThat(mode("/etc/rotakey/rotakey.yml")).isEqualTo("rw-r-----");

        Run both = run("install.sh", "--root", root.toString(), "--deb", deb.toString(), "--jar", jar.toString());
        assertThat(both.exitCode()).isNotZero();
        assertThat(both.output()).contains("not both");
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (var paths = Files.walk(from)) {
            for (Path p : (Iterable<Path>) paths::iterator) {
                Path dest = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(dest);
                } else {
                    Files.createDirectories(dest.getParent());
                    Files.copy(p, dest, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }

    @Test
    void helpAndBadArguments() throws Exception {
        for (String script : List.of("install.sh", "uninstall.sh")) {
            Run help = run(script, "--help");
            assertThat(help.exitCode()).isZero();
            assertThat(help.output()).startsWith("Usage: scripts/" + script).contains("--root DIR");
            Run bad = run(script, "--frobnicate");
            assertThat(bad.exitCode()).isEqualTo(2);
            assertThat(bad.output()).contains("unknown argument: --frobnicate");
        }
        Run noJar = run("install.sh", "--root", root.toString(), "--jar", tmp.resolve("absent.jar").toString());
        assertThat(noJar.exitCode()).isNotZero();
        assertThat(noJar.output()).contains("absent.jar does not exist");
        assertThat(root).doesNotExist();
    }

    @Test
    void scriptsAreShellcheckClean() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("shellcheck", "-x", "scripts/install.sh", "scripts/uninstall.sh")
                .redirectErrorStream(true);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            // shellcheck is a development aid, not one of the machine's required binaries.
            org.junit.jupiter.api.Assumptions.abort("shellcheck is not installed");
            return;
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
    }
}
