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
 * install, uninstalling keeps the data, and only {@code --purge --yes} deletes it.
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
        List<String> command = new ArrayList<>(List.of("bash", "scripts/" + script));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().put("NO_COLOR", "1");
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
        assertThat(mode("/etc/systemd/system/rotakey.service")).isEqualTo("rw-r--r--");
        assertThat(Files.mismatch(at("/etc/systemd/system/rotakey.service"), Path.of("systemd/rotakey.service")))
                .isEqualTo(-1);
        assertThat(mode("/usr/share/doc/rotakey/README.md")).isEqualTo("rw-r--r--");
        assertThat(mode("/usr/share/doc/rotakey/docs/configuration.md")).isEqualTo("rw-r--r--");
        if (Files.exists(Path.of("scripts/rotakeyctl"))) {
            assertThat(mode("/usr/local/bin/rotakeyctl")).isEqualTo("rwxr-xr-x");
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
        assertThat(at("/etc/systemd/system/rotakey.service")).doesNotExist();
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
