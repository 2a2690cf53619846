package dev.rotakey.ops;

import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.RotakeyApplication;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.config.StrictEnvironmentSubstitution;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.logging.common.DefaultLoggingFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The production config's logging, loaded through the application's bootstrap and applied as Dropwizard applies it,
 * writes each event as one stdout line led by its syslog priority, which the journal takes as the entry's priority:
 * {@code <3>} for an ERROR (its stack trace inside the same line), {@code <4>} WARN, {@code <6>} INFO.
 */
class JournalPrioritiesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final PrintStream stdout = System.out;
    private DefaultLoggingFactory logging;

    @AfterEach
    void restore() {
        System.setOut(stdout);
        if (logging != null) {
            logging.stop();
            logging.reset();
        }
    }

    @Test
    void eachLineCarriesItsEventsPriority() throws Exception {
        RotakeyApplication application = new RotakeyApplication();
        Bootstrap<RotakeyConfiguration> bootstrap = new Bootstrap<>(application);
        application.initialize(bootstrap);
        RotakeyConfiguration config = bootstrap.getConfigurationFactoryFactory()
                .create(RotakeyConfiguration.class, bootstrap.getValidatorFactory().getValidator(), bootstrap.getObjectMapper(), "dw")
                .build(new StrictEnvironmentSubstitution(new FileConfigurationSourceProvider(),
                        name -> Map.of("ROTAKEY_TLS_KEYSTORE_PASSWORD", "example").getOrDefault(name, System.getenv(name))),
                        "config/production/rotakey.yml");
        logging = (DefaultLoggingFactory) config.getLoggingFactory();

        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        logging.configure(new MetricRegistry(), "rotakey");
        Logger log = LoggerFactory.getLogger("dev.rotakey.service.StepRecords");
        log.error("rotation r-1 of c-1 version 2 failed: target refused", new IllegalStateException("refused\nby the target"));
        log.warn("attempt 1 failed");
        log.info("started");
        log.debug("not at INFO");
        logging.stop();

        List<String> lines = captured.toString(StandardCharsets.UTF_8).lines().toList();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("<3>{");
        assertThat(lines.get(1)).startsWith("<4>{");
        assertThat(lines.get(2)).startsWith("<6>{");
        JsonNode error = JSON.readTree(lines.get(0).substring(3));
        assertThat(error.path("level").asText()).isEqualTo("ERROR");
        assertThat(error.path("message").asText()).isEqualTo("rotation r-1 of c-1 version 2 failed: target refused");
        // The stack trace is part of the one line, hence of the one journal entry at priority 3.
        assertThat(error.path("exception").asText()).contains("IllegalStateException: refused\nby the target", "\tat ");
        assertThat(error.path("service").asText()).isEqualTo("rotakey");
        assertThat(error.path("node").asText()).as("NodeLogging tags the journal-json layout too").isNotEmpty();
        assertThat(JSON.readTree(lines.get(2).substring(3)).path("message").asText()).isEqualTo("started");
    }
}
