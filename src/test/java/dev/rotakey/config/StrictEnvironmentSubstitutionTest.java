package dev.rotakey.config;

import dev.rotakey.StartupException;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link StrictEnvironmentSubstitution}: set variables and defaults substituted, an unset one without a default refused by name. */
class StrictEnvironmentSubstitutionTest {
    private static final Map<String, String> ENV = Map.of("ROTAKEY_HTTP_PORT", "9090", "EMPTY", "");

    private final StrictEnvironmentSubstitution substitution =
            new StrictEnvironmentSubstitution(new FileConfigurationSourceProvider(), ENV::get);

    @TempDir
    Path tmp;

    @Test
    void aSetVariableIsSubstitutedEvenWhenItHasADefault() {
        assertThat(substitution.substitute("f.yml", "port: ${ROTAKEY_HTTP_PORT}\nother: ${ROTAKEY_HTTP_PORT:-8080}\n"))
                .isEqualTo("port: 9090\nother: 9090\n");
    }

    @Test
    void anUnsetVariableTakesItsDefaultAnEmptyDefaultIncluded() {
        assertThat(substitution.substitute("f.yml", "dir: ${ROTAKEY_DATA_DIR:-./data}/x\npassword: ${ROTAKEY_DB_PASSWORD:-}\n"))
                .isEqualTo("dir: ./data/x\npassword: \n");
    }

    @Test
    void aVariableSetToTheEmptyStringIsSet() {
        assertThat(substitution.substitute("f.yml", "v: '${EMPTY}'")).isEqualTo("v: ''");
    }

    @Test
    void anEscapedExpressionStaysLiteral() {
        assertThat(substitution.substitute("f.yml", "v: $${NOT_A_VARIABLE}")).isEqualTo("v: ${NOT_A_VARIABLE}");
    }

    @Test
    void anUnsetVariableWithoutADefaultIsRefusedNamingItTheFileAndTheLine() {
        String yaml = "dataDir: ${ROTAKEY_DATA_DIR:-./data}\nserver:\n  keyStorePassword: ${ROTAKEY_TLS_KEYSTORE_PASSWORD}\n";
        assertThatThrownBy(() -> substitution.substitute("/etc/rotakey/rotakey.yml", yaml))
                .isInstanceOf(StartupException.class)
                .hasMessage("/etc/rotakey/rotakey.yml line 3: environment variable ROTAKEY_TLS_KEYSTORE_PASSWORD is not set"
                        + " and ${ROTAKEY_TLS_KEYSTORE_PASSWORD} has no default (set it, or write"
                        + " ${ROTAKEY_TLS_KEYSTORE_PASSWORD:-default})")
                .hasNoCause();
    }

    @Test
    void theFirstUnsetVariableIsNamedNotADefaultedOneBeforeIt() {
        assertThatThrownBy(() -> substitution.substitute("f.yml", "a: ${UNSET_A:-x}\nb: ${UNSET_B}\nc: ${UNSET_C}\n"))
                .hasMessageStartingWith("f.yml line 2: environment variable UNSET_B is not set");
    }

    @Test
    void opensTheFileThroughTheDelegate() throws Exception {
        Path file = Files.writeString(tmp.resolve("rotakey.yml"), "port: ${ROTAKEY_HTTP_PORT}\n");
        try (var in = substitution.open(file.toString())) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("port: 9090\n");
        }
        Path bad = Files.writeString(tmp.resolve("bad.yml"), "port: ${NOPE}\n");
        assertThatThrownBy(() -> substitution.open(bad.toString())).hasMessageContaining(bad + " line 1: environment variable NOPE");
    }
}
