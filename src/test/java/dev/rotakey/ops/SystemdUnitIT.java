package dev.rotakey.ops;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped {@code systemd/rotakey.service}, checked by the machine's real {@code systemd-analyze}:
 * it verifies without a warning, its sandbox rates an exposure of 2.0 or below, and the secrets it
 * hands over with {@code LoadCredential=} are exactly the ones the production config reads.
 */
class SystemdUnitIT {
    private static final Path UNIT = Path.of("systemd/rotakey.service");
    private static final Path PRODUCTION_CONFIG = Path.of("config/production/rotakey.yml");
    private static final double MAX_EXPOSURE = 2.0;
    private static final Pattern EXPOSURE = Pattern.compile("Overall exposure level for \\S+: (\\d+\\.\\d+) ");
    private static final Pattern LOAD_CREDENTIAL = Pattern.compile("^(#?)LoadCredential=([^:\\s]+):(\\S+)$");
    private static final Pattern CONFIG_CREDENTIAL = Pattern.compile("credential: *([A-Za-z0-9_.-]+)");

    @TempDir
    Path tmp;

    /** Exit code and merged standard output and error of one run. */
    private record Run(int exitCode, String output) {
    }

    private static Run run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within 60 s");
        }
        return new Run(p.exitValue(), out);
    }

    /** A copy under a temp dir: verify then reads the unit alone, not a stale one installed on the machine. */
    private Path unitCopy() throws IOException {
        Path copy = tmp.resolve("rotakey.service");
        Files.copy(UNIT, copy);
        return copy;
    }

    @Test
    void verifiesWithoutAnyWarning() throws Exception {
        Path unit = unitCopy();
        Run r = run("systemd-analyze", "verify", unit.toString());
        List<String> aboutTheUnit = r.output().lines()
                .filter(l -> l.contains("rotakey.service") || l.contains(tmp.toString()))
                .toList();
        assertThat(aboutTheUnit).as("systemd-analyze verify:\n%s", r.output()).isEmpty();
        assertThat(r.exitCode()).as("systemd-analyze verify exit code; output:\n%s", r.output()).isZero();
    }

    @Test
    void sandboxExposureIsAtMostTwo() throws Exception {
        Run r = run("systemd-analyze", "security", "--offline=true", "--no-pager", unitCopy().toString());
        Matcher m = EXPOSURE.matcher(r.output());
        assertThat(m.find()).as("no exposure level in:\n%s", r.output()).isTrue();
        double exposure = Double.parseDouble(m.group(1));
        assertThat(exposure).as("overall exposure; systemd-analyze security says:\n%s", r.output())
                .isLessThanOrEqualTo(MAX_EXPOSURE);
        // The protections docs/security.md ("Hardening") promises are in force (a ✓ line each), not only a good total.
        for (String setting : List.of("PrivateDevices=", "ProtectSystem=", "ProtectHome=", "NoNewPrivileges=",
                "RestrictAddressFamilies=~AF_PACKET", "SystemCallFilter=~@privileged", "SystemCallFilter=~@resources",
                "CapabilityBoundingSet=~CAP_SYS_ADMIN", "PrivateTmp=", "ProtectProc=")) {
            assertThat(r.output().lines().filter(l -> l.contains(setting)).findFirst())
                    .as(setting).hasValueSatisfying(l -> assertThat(l.strip()).startsWith("✓"));
        }
        // The one the JVM cannot have: its JIT writes and executes the same pages.
        assertThat(r.output().lines().filter(l -> l.contains("MemoryDenyWriteExecute=")).findFirst())
                .hasValueSatisfying(l -> assertThat(l.strip()).startsWith("✗"));
    }

    /**
     * With the drop-in that {@code scripts/install.sh --agent-group} writes (supplementary groups, and PrivateUsers off
     * so that they are real inside the service), the unit still verifies and rates 2.0 or below, and it may write the
     * delivery directory and nothing else of /var.
     */
    @Test
    void theAgentGroupsDropInKeepsTheSandboxAtMostTwo() throws Exception {
        Path staged = tmp.resolve("staged");
        Path jar = Files.writeString(tmp.resolve("rotakey.jar"), "not a jar: staging copies it only");
        Run install = run("bash", "scripts/install.sh", "--root", staged.toString(), "--jar", jar.toString(),
                "--agent-group", "billing-agent", "--agent-group", "nogroup");
        assertThat(install.exitCode()).as("install.sh --root:\n%s", install.output()).isZero();
        Path dropIn = staged.resolve("etc/systemd/system/rotakey.service.d/agent-groups.conf");
        assertThat(Files.readString(dropIn)).contains("SupplementaryGroups=billing-agent nogroup", "PrivateUsers=no");
        assertThat(Files.getPosixFilePermissions(staged.resolve("var/lib/rotakey-delivered")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));

        // systemd-analyze --offline reads one file: the drop-in's lines appended are what systemd would merge.
        Path merged = tmp.resolve("merged/rotakey.service");
        Files.createDirectories(merged.getParent());
        Files.writeString(merged, Files.readString(UNIT).replace("PrivateUsers=yes\n", "") + "\n"
                + Files.readString(dropIn));
        Run r = run("systemd-analyze", "security", "--offline=true", "--no-pager", merged.toString());
        Matcher m = EXPOSURE.matcher(r.output());
        assertThat(m.find()).as("no exposure level in:\n%s", r.output()).isTrue();
        assertThat(Double.parseDouble(m.group(1))).as("exposure with the agent groups:\n%s", r.output())
                .isLessThanOrEqualTo(MAX_EXPOSURE);
        assertThat(Files.readString(UNIT)).contains("ReadWritePaths=-/var/lib/rotakey-delivered\n");
    }

    @Test
    void loadCredentialsAreExactlyTheCredentialsTheProductionConfigReads() throws Exception {
        Set<String> active = new TreeSet<>();
        Set<String> commented = new TreeSet<>();
        for (String line : Files.readAllLines(UNIT)) {
            Matcher m = LOAD_CREDENTIAL.matcher(line.strip());
            if (m.matches()) {
                (m.group(1).isEmpty() ? active : commented).add(m.group(2));
                assertThat(m.group(3)).as("source of credential %s", m.group(2))
                        .isEqualTo("/etc/rotakey/credentials/" + m.group(2));
            }
        }
        Set<String> configActive = new TreeSet<>();
        Set<String> configCommented = new TreeSet<>();
        for (String line : Files.readAllLines(PRODUCTION_CONFIG)) {
            String code = line.strip();
            boolean isComment = code.startsWith("#");
            Matcher m = CONFIG_CREDENTIAL.matcher(code);
            while (m.find()) {
                // A credential named in the explanatory text of a comment ("…, or {credential: vault-token}")
                // is an alternative, not a key: only commented-out YAML lines (`#   key: {credential: x}`) count.
                if (!isComment) {
                    configActive.add(m.group(1));
                } else if (code.matches("#\\s*[A-Za-z][A-Za-z0-9]*:.*|#\\s*credential:.*")) {
                    configCommented.add(m.group(1));
                }
            }
        }
        // An alternative shown in a comment may name a credential that is in use already (the same PIN).
        configCommented.removeAll(configActive);
        assertThat(active).as("active LoadCredential= lines vs credentials the production config reads")
                .isNotEmpty().isEqualTo(configActive);
        assertThat(commented).as("commented-out LoadCredential= lines vs the commented-out config keys that read them")
                .isEqualTo(configCommented);
    }

    @Test
    void theUnitRunsTheInstalledJarWithTheInstalledConfigAsTheRotakeyUser() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(UNIT));
        assertThat(lines).contains(
                "ExecStart=/usr/bin/java $JAVA_OPTS -jar /usr/share/rotakey/rotakey.jar server /etc/rotakey/rotakey.yml",
                "User=rotakey", "Group=rotakey", "StateDirectory=rotakey", "StateDirectoryMode=0700",
                "Environment=ROTAKEY_DATA_DIR=/var/lib/rotakey", "Type=notify", "NotifyAccess=main", "Restart=on-failure",
                "MemoryDenyWriteExecute=no", "SuccessExitStatus=143");
        // systemd-analyze parses TimeoutStopSec for us: it must outlast Dropwizard's grace period.
        Run r = run("systemd-analyze", "timespan", lines.stream().filter(l -> l.startsWith("TimeoutStopSec="))
                .findFirst().orElseThrow().substring("TimeoutStopSec=".length()));
        Matcher us = Pattern.compile("μs: (\\d+)").matcher(r.output());
        assertThat(us.find()).as(r.output()).isTrue();
        long stopSeconds = Long.parseLong(us.group(1)) / 1_000_000;
        String config = Files.readString(PRODUCTION_CONFIG);
        Matcher grace = Pattern.compile("\n  shutdownGracePeriod: (\\d+)s\n").matcher(config);
        assertThat(grace.find()).as("server.shutdownGracePeriod in the production config").isTrue();
        assertThat(stopSeconds).isGreaterThan(Long.parseLong(grace.group(1)) + 30);
    }
}
