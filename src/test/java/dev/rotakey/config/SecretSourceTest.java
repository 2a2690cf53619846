package dev.rotakey.config;

import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.validation.ConstraintViolations;
import jakarta.validation.ConstraintViolation;
import jakarta.validation.Valid;
import jakarta.validation.Validator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link SecretSource}: reading from env, file and systemd credential, errors that name the key and path but never the secret, redaction, and the one-source rule. */
class SecretSourceTest {
    private static final String KEY = "keyBackends.hsm.pin";
    private static final String PIN = "73-hunter2-91";

    @TempDir
    Path tmp;

    private final Validator validator = Validators.newValidator();

    private static SecretSource credential(String name) {
        SecretSource s = new SecretSource();
        s.setCredential(name);
        return s;
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(tmp.resolve(name), content);
    }

    private Path write(String name, String content) throws IOException {
        return write(name, content.getBytes(StandardCharsets.UTF_8));
    }

    // --- env ---

    @Test
    void readsAnEnvironmentVariable() {
        assertThat(SecretSource.fromEnv("HSM_PIN").read(KEY, Map.of("HSM_PIN", PIN))).containsExactly(PIN.toCharArray());
    }

    @Test
    void keepsWhitespaceAndNewlinesOfAnEnvironmentVariable() {
        assertThat(SecretSource.fromEnv("HSM_PIN").read(KEY, Map.of("HSM_PIN", " pin\n"))).containsExactly(" pin\n".toCharArray());
    }

    @Test
    void anUnsetVariableNamesTheKeyAndVariable() {
        assertThatThrownBy(() -> SecretSource.fromEnv("HSM_PIN").read(KEY, Map.of("OTHER", PIN)))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining("HSM_PIN")
                .hasMessageNotContaining(PIN);
    }

    @Test
    void anEmptyVariableIsUnavailable() {
        assertThatThrownBy(() -> SecretSource.fromEnv("HSM_PIN").read(KEY, Map.of("HSM_PIN", "")))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining("HSM_PIN");
    }

    // --- file ---

    @Test
    void readsAFileWithoutItsTrailingNewline() throws IOException {
        assertThat(SecretSource.fromFile(write("lf", PIN + "\n").toString()).read(KEY, Map.of())).containsExactly(PIN.toCharArray());
        assertThat(SecretSource.fromFile(write("crlf", PIN + "\r\n").toString()).read(KEY, Map.of())).containsExactly(PIN.toCharArray());
        assertThat(SecretSource.fromFile(write("none", PIN).toString()).read(KEY, Map.of())).containsExactly(PIN.toCharArray());
    }

    @Test
    void onlyOneTrailingNewlineIsStripped() throws IOException {
        assertThat(SecretSource.fromFile(write("two", "pin\n\n").toString()).read(KEY, Map.of())).containsExactly("pin\n".toCharArray());
        assertThat(SecretSource.fromFile(write("lead", "\n pin ").toString()).read(KEY, Map.of())).containsExactly("\n pin ".toCharArray());
    }

    @Test
    void readsUtf8() throws IOException {
        assertThat(SecretSource.fromFile(write("utf8", "pässwörd€\n").toString()).read(KEY, Map.of()))
                .containsExactly("pässwörd€".toCharArray());
    }

    @Test
    void anEmptyFileIsUnavailable() throws IOException {
        Path empty = write("empty", "");
        Path newlineOnly = write("newline", "\n");

        assertThatThrownBy(() -> SecretSource.fromFile(empty.toString()).read(KEY, Map.of()))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining(empty.toString())
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> SecretSource.fromFile(newlineOnly.toString()).read(KEY, Map.of()))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("empty");
    }

    @Test
    void aMissingFileNamesTheKeyAndPath() {
        Path missing = tmp.resolve("no-such-pin");
        assertThatThrownBy(() -> SecretSource.fromFile(missing.toString()).read(KEY, Map.of()))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining(missing.toString())
                .hasNoCause();
    }

    @Test
    void aDirectoryIsNotASecretFile() {
        assertThatThrownBy(() -> SecretSource.fromFile(tmp.toString()).read(KEY, Map.of()))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining(tmp.toString());
    }

    @Test
    void aFileThatIsNotUtf8IsUnavailableWithoutShowingItsContent() throws IOException {
        // "hunter2" followed by bytes that are Latin-1, not UTF-8.
        byte[] latin1 = (PIN + "\u00ff\u00e9").getBytes(StandardCharsets.ISO_8859_1);
        Path file = write("latin1", latin1);

        assertThatThrownBy(() -> SecretSource.fromFile(file.toString()).read(KEY, Map.of()))
                .isInstanceOfSatisfying(SecretUnavailableException.class, e -> {
                    assertThat(e.getMessage()).contains(KEY).contains(file.toString()).contains("UTF-8");
                    assertThat(e.getMessage()).doesNotContain(PIN).doesNotContain("hunter2");
                    assertThat(e.getCause()).isNull();
                });
    }

    @Test
    void aTruncatedUtf8SequenceIsUnavailable() throws IOException {
        // The first byte of "€" (E2 82 AC) alone.
        Path file = write("truncated", new byte[] {'p', 'i', 'n', (byte) 0xE2});
        assertThatThrownBy(() -> SecretSource.fromFile(file.toString()).read(KEY, Map.of()))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("UTF-8");
    }

    // --- systemd credential ---

    @Test
    void readsASystemdCredentialFromCredentialsDirectory() throws IOException {
        write("hsm-pin", PIN + "\n");
        assertThat(credential("hsm-pin").read(KEY, Map.of("CREDENTIALS_DIRECTORY", tmp.toString())))
                .containsExactly(PIN.toCharArray());
    }

    @Test
    void aSystemdCredentialWithoutCredentialsDirectoryIsUnavailable() {
        assertThatThrownBy(() -> credential("hsm-pin").read(KEY, Map.of()))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining("hsm-pin")
                .hasMessageContaining("CREDENTIALS_DIRECTORY");
        assertThatThrownBy(() -> credential("hsm-pin").read(KEY, Map.of("CREDENTIALS_DIRECTORY", "")))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining("CREDENTIALS_DIRECTORY");
    }

    @Test
    void aMissingSystemdCredentialNamesItsPath() {
        assertThatThrownBy(() -> credential("hsm-pin").read(KEY, Map.of("CREDENTIALS_DIRECTORY", tmp.toString())))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY)
                .hasMessageContaining(tmp.resolve("hsm-pin").toString());
    }

    @Test
    void noSourceIsUnavailable() {
        assertThatThrownBy(() -> new SecretSource().read(KEY, Map.of()))
                .isInstanceOf(SecretUnavailableException.class)
                .hasMessageContaining(KEY);
    }

    // --- redaction ---

    @Test
    void toStringNamesTheSourceButNeverTheValue() throws IOException {
        Path file = write("pin", PIN);
        write("hsm-pin", PIN);
        Map<String, String> env = Map.of("HSM_PIN", PIN, "CREDENTIALS_DIRECTORY", tmp.toString());

        SecretSource fromEnv = SecretSource.fromEnv("HSM_PIN");
        SecretSource fromFile = SecretSource.fromFile(file.toString());
        SecretSource fromCredential = credential("hsm-pin");
        for (SecretSource s : new SecretSource[] {fromEnv, fromFile, fromCredential}) {
            char[] value = s.read(KEY, env);
            assertThat(new String(value)).isEqualTo(PIN);
            assertThat(s.toString()).doesNotContain(PIN);
        }
        assertThat(fromEnv.toString()).contains("HSM_PIN");
        assertThat(fromFile.toString()).contains(file.toString());
        assertThat(fromCredential.toString()).contains("hsm-pin");
    }

    // --- validation ---

    @Test
    void exactlyOneSourceIsValid() {
        assertThat(validator.validate(SecretSource.fromEnv("HSM_PIN"))).isEmpty();
        assertThat(validator.validate(SecretSource.fromFile("/etc/rotakey/pin"))).isEmpty();
        assertThat(validator.validate(credential("hsm-pin"))).isEmpty();
    }

    @Test
    void noSourceOrABlankOneIsInvalid() {
        assertThat(messages(new SecretSource())).singleElement().asString().contains("exactly one");
        assertThat(messages(SecretSource.fromEnv("  "))).singleElement().asString().contains("exactly one");
    }

    @Test
    void twoOrThreeSourcesAreInvalid() {
        SecretSource envAndFile = SecretSource.fromEnv("HSM_PIN");
        envAndFile.setFile("/etc/rotakey/pin");
        SecretSource all = credential("hsm-pin");
        all.setEnv("HSM_PIN");
        all.setFile("/etc/rotakey/pin");
        SecretSource fileAndCredential = credential("hsm-pin");
        fileAndCredential.setFile("/etc/rotakey/pin");

        assertThat(messages(envAndFile)).singleElement().asString().contains("exactly one");
        assertThat(messages(all)).singleElement().asString().contains("exactly one");
        assertThat(messages(fileAndCredential)).singleElement().asString().contains("exactly one");
        // A blank second source does not count.
        SecretSource envAndBlank = SecretSource.fromEnv("HSM_PIN");
        envAndBlank.setFile("");
        assertThat(validator.validate(envAndBlank)).isEmpty();
    }

    /** A bean holding a secret source, as a backend's configuration does. */
    static class Holder {
        @Valid
        SecretSource pin;

        Holder(SecretSource pin) {
            this.pin = pin;
        }
    }

    @Test
    void theViolationNamesWhereTheSourceIs() {
        SecretSource both = SecretSource.fromEnv("HSM_PIN");
        both.setFile("/etc/rotakey/pin");

        Set<ConstraintViolation<Holder>> violations = validator.validate(new Holder(both));

        assertThat(ConstraintViolations.format(violations))
                .containsExactly("pin must name exactly one of 'env', 'file' or 'credential'");
        assertThat(validator.validate(new Holder(SecretSource.fromEnv("HSM_PIN")))).isEmpty();
    }

    private Set<String> messages(SecretSource s) {
        return validator.validate(s).stream().map(ConstraintViolation::getMessage).collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void aSecretWrittenStraightIntoTheConfigIsRefusedWithoutBeingRepeated() {
        io.dropwizard.configuration.YamlConfigurationFactory<dev.rotakey.RotakeyConfiguration> factory =
                new io.dropwizard.configuration.YamlConfigurationFactory<>(dev.rotakey.RotakeyConfiguration.class,
                        Validators.newValidator(), io.dropwizard.jackson.Jackson.newObjectMapper(), "dw");
        String yaml = "keyBackends:\n  hsm:\n    type: pkcs11\n    library: /usr/lib/softhsm/libsofthsm2.so\n"
                + "    tokenLabel: rotakey\n    pin: hunter2-literal-pin\n";

        assertThatThrownBy(() -> factory.build(path -> new java.io.ByteArrayInputStream(
                yaml.getBytes(StandardCharsets.UTF_8)), "rotakey.yml"))
                .hasMessageContaining("keyBackends")
                .hasMessageContaining("never the secret itself")
                .satisfies(e -> assertThat(stackText(e)).doesNotContain("hunter2"));
    }

    private static String stackText(Throwable e) {
        java.io.StringWriter out = new java.io.StringWriter();
        e.printStackTrace(new java.io.PrintWriter(out));
        return out.toString();
    }
}
