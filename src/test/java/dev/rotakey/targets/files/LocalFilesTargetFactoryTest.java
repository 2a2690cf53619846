package dev.rotakey.targets.files;

import com.fasterxml.jackson.databind.DeserializationFeature;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetException;
import dev.rotakey.targets.TargetFactory;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationValidationException;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.DiscoverableSubtypeResolver;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code local-files} target's configuration: YAML, validation, discovery, and building. */
class LocalFilesTargetFactoryTest {
    @TempDir
    Path tmp;

    // Jackson.newObjectMapper() tolerates unknown keys; the application's configuration factory
    // (DefaultConfigurationFactoryFactory) turns the check back on, and so does this test.
    private final YamlConfigurationFactory<TargetFactory> yaml = new YamlConfigurationFactory<>(
            TargetFactory.class, Validators.newValidator(),
            Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES), "dw");

    private TargetFactory parse(String text) throws IOException, ConfigurationException {
        return yaml.build(path -> new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), "target.yml");
    }

    @Test
    void isDiscoverable() {
        assertThat(new DiscoverableSubtypeResolver().getDiscoveredSubtypes()).contains(LocalFilesTargetFactory.class);
    }

    @Test
    void parsesFromYaml() throws Exception {
        TargetFactory factory = parse("type: local-files\ndirectory: /var/lib/rotakey/delivered\n");

        assertThat(factory).isInstanceOfSatisfying(LocalFilesTargetFactory.class,
                f -> assertThat(f.getDirectory()).isEqualTo("/var/lib/rotakey/delivered"));
    }

    @Test
    void requiresTheDirectory() {
        assertThatThrownBy(() -> parse("type: local-files\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("directory");
        assertThatThrownBy(() -> parse("type: local-files\ndirectory: ''\n"))
                .isInstanceOf(ConfigurationValidationException.class)
                .hasMessageContaining("directory");
    }

    @Test
    void refusesUnknownKeys() {
        assertThatThrownBy(() -> parse("type: local-files\ndirectory: /x\ndirectroy: /y\n"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("directroy");
    }

    @Test
    void buildCreatesAMissingDirectoryPrivately() throws Exception {
        Path dir = tmp.resolve("data/delivered");
        LocalFilesTargetFactory factory = (LocalFilesTargetFactory) parse("type: local-files\ndirectory: " + dir + "\n");

        try (Target target = factory.build("local-files")) {
            assertThat(target.name()).isEqualTo("local-files");
            assertThat(target.type()).isEqualTo("local-files");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir))).isEqualTo("rwx------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.getParent()))).isEqualTo("rwx------");
        }
    }

    @Test
    void buildRefusesAFileWhereTheDirectoryShouldBe() throws IOException {
        Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
        LocalFilesTargetFactory factory = new LocalFilesTargetFactory();
        factory.setDirectory(file.toString());

        assertThatThrownBy(() -> factory.build("local-files"))
                .isInstanceOfSatisfying(TargetException.class, e -> {
                    assertThat(e.retryable()).isFalse();
                    assertThat(e.getMessage()).contains("not a directory");
                });
    }
}
