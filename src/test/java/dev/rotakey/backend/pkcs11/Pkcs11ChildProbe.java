package dev.rotakey.backend.pkcs11;

import dev.rotakey.backend.KeyBackend;
import dev.rotakey.config.SecretSource;
import dev.rotakey.testing.SoftHsmTokens;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Starts a backend in a child JVM, for what a test cannot arrange in its own: an environment
 * variable holding the PIN, or a JVM without the wrapper's {@code --add-exports}. {@link #main}
 * prints {@code healthy=}, {@code message=} and, when healthy, {@code hmac=} lines. Arguments:
 * token label, name of the PIN variable, HMAC input.
 */
final class Pkcs11ChildProbe {
    private Pkcs11ChildProbe() {
    }

    public static void main(String[] args) {
        Pkcs11KeyBackendFactory factory = SoftHsmTokens.factory(args[0]);
        factory.setPin(SecretSource.fromEnv(args[1]));
        try (KeyBackend backend = factory.build("child")) {
            backend.start();
            System.out.println("healthy=" + backend.status().healthy());
            System.out.println("message=" + backend.status().message());
            if (backend.status().healthy()) {
                System.out.println("hmac=" + HexFormat.of().formatHex(
                        backend.hmac(args[2].getBytes(StandardCharsets.UTF_8))));
            }
        }
    }

    /** Runs {@link #main} in a child JVM with this test class path and returns its output. */
    static String run(boolean addExports, Map<String, String> environment, String... args)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        if (addExports) {
            command.addAll(List.of(Pkcs11Module.ADD_EXPORTS.split(" ")));
        }
        command.addAll(List.of("-Drotakey.test.softhsm.dir=" + SoftHsmTokens.dir(),
                "-cp", System.getProperty("java.class.path"), Pkcs11ChildProbe.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder child = new ProcessBuilder(command).redirectErrorStream(true);
        child.environment().put("SOFTHSM2_CONF", SoftHsmTokens.conf().toString());
        child.environment().putAll(environment);
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("child JVM did not finish within 60 s:\n" + output);
        }
        if (process.exitValue() != 0) {
            throw new IllegalStateException("child JVM exited with " + process.exitValue() + ":\n" + output);
        }
        return output;
    }
}
