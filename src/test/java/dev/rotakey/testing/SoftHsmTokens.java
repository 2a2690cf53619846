package dev.rotakey.testing;

import dev.rotakey.backend.pkcs11.Pkcs11KeyBackendFactory;
import dev.rotakey.config.SecretSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The SoftHSM2 tokens every Rotakey test that needs a PKCS#11 token uses: a private
 * {@code softhsm2.conf} and token directory under {@code rotakey.test.softhsm.dir} (surefire and failsafe set
 * it, and {@code SOFTHSM2_CONF} to the conf inside it), a PIN file, and one token per purpose.
 *
 * <p>All tokens are created up front, before anything in the JVM initialises the module, because
 * SoftHSM 2.6 fixes its slot list at {@code C_Initialize}: a token created afterwards by
 * {@code softhsm2-util} (measured: another process, same conf) is not in {@code C_GetSlotList}
 * of a process that had already initialised the module, and the JDK's PKCS#11 wrapper
 * initialises a module once per JVM and never finalises it. So call {@link #ensure()} (or
 * {@link #factory(String)}, which does) before any PKCS#11 use, and never add tokens in a test.
 *
 * <p>SoftHSM does not lock a user PIN after wrong logins; it only sets {@code CKF_USER_PIN_COUNT_LOW}
 * ("user PIN count low") until the next successful login, which tests use to see whether a
 * wrong login happened.
 */
public final class SoftHsmTokens {
    /** General purpose token, shared by tests that only need a working backend. */
    public static final String TEST = "rotakey-test";
    /** Token for wrong-PIN tests: nothing else logs in to it, so its PIN counter tells the truth. */
    public static final String PIN = "rotakey-pin";
    /** Token for application (Dropwizard) tests. */
    public static final String APP = "rotakey-app";
    /** Token for workflow tests. */
    public static final String WORKFLOW = "rotakey-workflow";
    public static final List<String> LABELS = List.of(TEST, PIN, APP, WORKFLOW);

    public static final String USER_PIN = "1234";
    public static final String SO_PIN = "5678";

    private static final String DEFAULT_LIBRARY = "/usr/lib/softhsm/libsofthsm2.so";

    private static boolean ready;

    private SoftHsmTokens() {
    }

    /**
     * Writes the conf and PIN file and creates the missing tokens; idempotent and cheap after the
     * first call. A file lock keeps concurrent test JVMs on the same directory from creating a
     * token twice.
     */
    public static synchronized void ensure() {
        if (ready) {
            return;
        }
        Path dir = dir();
        Path conf = conf();
        checkEnvironment(conf);
        try {
            Files.createDirectories(dir.resolve("tokens"));
            try (FileChannel channel = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE)) {
                // Held until the channel closes.
                channel.lock();
                writeIfChanged(conf, "directories.tokendir = " + dir.resolve("tokens") + "\n"
                        + "objectstore.backend = file\n"
                        + "log.level = ERROR\n"
                        + "slots.removable = false\n");
                writeIfChanged(pinFile(), USER_PIN);
                Files.setPosixFilePermissions(pinFile(), PosixFilePermissions.fromString("rw-------"));
                Set<String> existing = existingLabels();
                for (String label : LABELS) {
                    if (!existing.contains(label)) {
                        run(List.of("softhsm2-util", "--init-token", "--free", "--label", label,
                                "--so-pin", SO_PIN, "--pin", USER_PIN));
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare SoftHSM tokens in " + dir, e);
        }
        ready = true;
    }

    /** The directory of the conf, the tokens and the PIN file. */
    public static Path dir() {
        return Path.of(System.getProperty("rotakey.test.softhsm.dir", "target/softhsm")).toAbsolutePath().normalize();
    }

    public static Path conf() {
        return dir().resolve("softhsm2.conf");
    }

    /** A file holding the user PIN of every token ({@value #USER_PIN}), mode 0600. */
    public static Path pinFile() {
        return dir().resolve("pin");
    }

    public static String library() {
        return System.getProperty("rotakey.test.softhsm.library", DEFAULT_LIBRARY);
    }

    /** A factory for {@code label}'s token with the PIN from {@link #pinFile()} and the default HMAC key label. */
    public static Pkcs11KeyBackendFactory factory(String label) {
        ensure();
        Pkcs11KeyBackendFactory factory = new Pkcs11KeyBackendFactory();
        factory.setLibrary(library());
        factory.setTokenLabel(label);
        factory.setPin(SecretSource.fromFile(pinFile().toString()));
        return factory;
    }

    /**
     * Runs {@code pkcs11-tool --module <library>} with {@code args} against these tokens (in another
     * process, so it sees the token files as they are) and returns its standard output and error.
     */
    public static String pkcs11Tool(String... args) {
        ensure();
        List<String> command = new ArrayList<>(List.of("pkcs11-tool", "--module", library()));
        command.addAll(List.of(args));
        return run(command);
    }

    /**
     * The private key objects in a {@code pkcs11-tool --list-objects} listing stored under the KeyStore
     * alias {@code alias} (SunPKCS11 sets the object's CKA_ID to the alias's bytes).
     */
    public static List<String> privateKeysWithAlias(String listing, String alias) {
        String id = "ID:         " + java.util.HexFormat.of().formatHex(alias.getBytes(java.nio.charset.StandardCharsets.UTF_8)) + "\n";
        return objects(listing).stream().filter(o -> o.startsWith("Private Key Object") && o.contains(id)).toList();
    }

    /** The objects in a {@code pkcs11-tool --list-objects} listing whose label is exactly {@code label}. */
    public static List<String> objectsLabelled(String listing, String label) {
        Pattern labelLine = Pattern.compile("(?m)^\\s+label:\\s+" + Pattern.quote(label) + "\\s*$");
        return objects(listing).stream().filter(o -> labelLine.matcher(o).find()).toList();
    }

    /** pkcs11-tool prints one unindented header line per object followed by indented attribute lines. */
    public static List<String> objects(String listing) {
        List<String> objects = new ArrayList<>();
        StringBuilder current = null;
        for (String line : listing.split("\n")) {
            if (!line.isBlank() && !Character.isWhitespace(line.charAt(0))) {
                if (current != null) {
                    objects.add(current.toString());
                }
                current = new StringBuilder();
            }
            if (current != null) {
                current.append(line).append('\n');
            }
        }
        if (current != null) {
            objects.add(current.toString());
        }
        return objects;
    }

    private static Set<String> existingLabels() {
        return run(List.of("softhsm2-util", "--show-slots")).lines()
                .map(String::trim)
                .filter(l -> l.startsWith("Label:"))
                .map(l -> l.substring("Label:".length()).trim())
                .collect(Collectors.toSet());
    }

    /** Standard output only: pkcs11-tool writes warnings to stderr, which would land inside its listings. */
    private static String run(List<String> command) {
        Path errors = null;
        try {
            errors = Files.createTempFile("softhsm-tokens", ".err");
            ProcessBuilder builder = new ProcessBuilder(command).redirectError(errors.toFile());
            builder.environment().put("SOFTHSM2_CONF", conf().toString());
            Process process = builder.start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(command.get(0) + " did not finish within 60 s");
            }
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", command.subList(0, 2)) + " … exited with "
                        + process.exitValue() + ": " + output + Files.readString(errors));
            }
            return output;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + command.get(0) + " (is it installed?)", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + command.get(0), e);
        } finally {
            if (errors != null) {
                errors.toFile().delete();
            }
        }
    }

    /** SoftHSM inside this JVM reads SOFTHSM2_CONF, which Java cannot set: it must already point here. */
    private static void checkEnvironment(Path conf) {
        String env = System.getenv("SOFTHSM2_CONF");
        if (env == null || !Path.of(env).toAbsolutePath().normalize().equals(conf)) {
            throw new IllegalStateException("SOFTHSM2_CONF is " + (env == null ? "not set" : env)
                    + " but the test tokens are configured by " + conf
                    + ": run through Maven (surefire and failsafe set both) or set SOFTHSM2_CONF and -Drotakey.test.softhsm.dir alike");
        }
    }

    private static void writeIfChanged(Path file, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        if (Files.isRegularFile(file) && Arrays.equals(Files.readAllBytes(file), bytes)) {
            return;
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.write(tmp, bytes);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING,
                StandardCopyOption.ATOMIC_MOVE);
    }
}
