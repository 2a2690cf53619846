package dev.rotakey.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.configuration.YamlConfigurationFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code prometheus:} section: defaults, the commented sample in the shipped config, and refused values. */
class PrometheusFactoryTest {
    @TempDir
    Path tmp;

    private PrometheusFactory parse(String yaml) throws IOException, ConfigurationException {
        ObjectMapper mapper = Jackson.newObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        Path file = Files.writeString(tmp.resolve("prometheus.yml"), yaml);
        return new YamlConfigurationFactory<>(PrometheusFactory.class, Validators.newValidator(), mapper, "dw")
                .build(new FileConfigurationSourceProvider(), file.toString());
    }

    @Test
    void perCredentialSeriesAreOffByDefaultAndTheFleetRefreshesEvery15Seconds() {
        PrometheusFactory f = new PrometheusFactory();
        assertThat(f.isPerCredentialSeries()).isFalse();
        assertThat(f.getFleetRefreshInterval()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void theCommentedSampleInTheShippedConfigParsesToTheDefaults() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("config/rotakey.yml"));
        int start = lines.indexOf("#prometheus:");
        assertThat(start).as("a commented prometheus: block in config/rotakey.yml").isNotNegative();
        String block = lines.subList(start + 1, lines.size()).stream().takeWhile(l -> l.startsWith("#  "))
                .map(l -> l.substring(1)).collect(Collectors.joining("\n"));
        PrometheusFactory f = parse(block.replaceAll("(?m)^  ", ""));
        assertThat(f.isPerCredentialSeries()).isFalse();
        assertThat(f.getFleetRefreshInterval()).isEqualTo(Duration.ofSeconds(15));
    }

    @Test
    void valuesAreRead() throws Exception {
        PrometheusFactory f = parse("perCredentialSeries: true\nfleetRefreshInterval: PT1M\n");
        assertThat(f.isPerCredentialSeries()).isTrue();
        assertThat(f.getFleetRefreshInterval()).isEqualTo(Duration.ofMinutes(1));
    }

    @Test
    void aRefreshIntervalUnderASecondIsRefusedNamingTheKey() {
        assertThatThrownBy(() -> parse("fleetRefreshInterval: PT0.1S\n"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("prometheus.fleetRefreshInterval must be at least PT1S");
    }

    @Test
    void anUnknownKeyIsRefusedNamingIt() {
        assertThatThrownBy(() -> parse("perCredential: true\n"))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("perCredential");
    }
}
