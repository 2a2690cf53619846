package dev.rotakey.crash;

import dev.rotakey.testing.SoftHsmTokens;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A SoftHSM2 token of its own ({@code rotakey}, as the shipped config names it) under a test's
 * directory, for daemon processes only: its objects are exactly what those daemons made, so a listing
 * can be matched against the database. Listed with {@code pkcs11-tool} in another process, which sees
 * the token files as a restarted daemon would.
 */
public final class CrashToken {
    static final String LABEL = "rotakey";
    private static final Pattern LABEL_LINE = Pattern.compile("(?m)^\\s+label:\\s+(\\S+)\\s*$");
    /** SunPKCS11 stores a KeyStore alias as the objects' CKA_ID; the private key of an entry has no label. */
    private static final Pattern ID_LINE = Pattern.compile("(?m)^\\s+ID:\\s+([0-9a-f]+)\\s*$");
    private final Path dir;

    private CrashToken(Path dir) {
        this.dir = dir;
    }

    /** Creates the conf, the token and a PIN file ({@code hsm-pin} in {@code dataDir}, as the shipped config reads it). */
    public static CrashToken create(Path dir, Path dataDir) throws IOException {
        Files.createDirectories(dir.resolve("tokens"));
        Files.createDirectories(dataDir);
        CrashToken token = new CrashToken(dir);
        Files.writeString(token.conf(), "directories.tokendir = " + dir.resolve("tokens") + "\n"
                + "objectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n");
        Path pin = Files.writeString(dataDir.resolve("hsm-pin"), SoftHsmTokens.USER_PIN);
        Files.setPosixFilePermissions(pin, PosixFilePermissions.fromString("rw-------"));
        token.run("softhsm2-util", "--init-token", "--free", "--label", LABEL, "--so-pin", SoftHsmTokens.SO_PIN,
                "--pin", SoftHsmTokens.USER_PIN);
        return token;
    }

    public Path conf() {
        return dir.resolve("softhsm2.conf");
    }

    /**
     * Each key entry in the token — the alias in its objects' CKA_ID, or a label where there is no ID (the
     * HMAC key) — with how many objects it has (a signing key entry is a private key and a certificate).
     */
    Map<String, Integer> labels() {
        String listing = run("pkcs11-tool", "--module", SoftHsmTokens.library(), "--token-label", LABEL, "--login",
                "--pin", SoftHsmTokens.USER_PIN, "--list-objects");
        Map<String, Integer> labels = new TreeMap<>();
        for (String object : SoftHsmTokens.objects(listing)) {
            Matcher id = ID_LINE.matcher(object);
            Matcher label = LABEL_LINE.matcher(object);
            String name = id.find() ? new String(HexFormat.of().parseHex(id.group(1)), StandardCharsets.UTF_8)
                    : label.find() ? label.group(1) : "<unnamed " + object.lines().findFirst().orElse("") + ">";
            labels.merge(name, 1, Integer::sum);
        }
        return labels;
    }

    private String run(String... command) {
        try {
            Path errors = Files.createTempFile(dir, "cmd", ".err");
            ProcessBuilder b = new ProcessBuilder(List.of(command)).redirectError(errors.toFile());
            b.environment().put("SOFTHSM2_CONF", conf().toString());
            Process p = b.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", new ArrayList<>(List.of(command)).subList(0, 2))
                        + " failed: " + out + Files.readString(errors));
            }
            Files.delete(errors);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
