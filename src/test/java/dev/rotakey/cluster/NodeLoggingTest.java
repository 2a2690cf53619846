package dev.rotakey.cluster;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.util.ContextInitializer;
import com.codahale.metrics.MetricRegistry;
import com.fasterxml.jackson.annotation.JsonTypeName;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.RotakeyConfiguration;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendFactory;
import io.dropwizard.configuration.DefaultConfigurationFactoryFactory;
import io.dropwizard.configuration.FileConfigurationSourceProvider;
import io.dropwizard.core.server.DefaultServerFactory;
import io.dropwizard.jackson.Jackson;
import io.dropwizard.jersey.validation.Validators;
import io.dropwizard.logging.common.AbstractAppenderFactory;
import io.dropwizard.logging.json.AbstractJsonLayoutBaseFactory;
import io.dropwizard.request.logging.LogbackAccessRequestLogFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The node's id in the daemon's log: a configuration built as the daemon builds it, whose {@code logging} section
 * Dropwizard then applies, writes {@code "node"} in JSON lines and {@code %property{node}} in patterns, for a line
 * from a thread that never touched its MDC. (The unit tier runs one class at a time, so this test may configure the
 * JVM's logging; it restores {@code logback-test.xml} after.)
 */
class NodeLoggingTest {
    /** A key backend type for this test only, so that the configuration validates; never built. */
    @JsonTypeName("node-logging-stub")
    static class StubKeyBackendFactory implements KeyBackendFactory {
        @Override
        public KeyBackend build(String name) {
            throw new UnsupportedOperationException();
        }
    }

    @TempDir
    Path dir;
    private final ObjectMapper json = Jackson.newObjectMapper();

    private RotakeyConfiguration configuration(String yaml) throws Exception {
        Path file = dir.resolve("rotakey.yml");
        Files.writeString(file, yaml);
        ObjectMapper mapper = Jackson.newObjectMapper();
        mapper.registerSubtypes(StubKeyBackendFactory.class);
        return NodeLogging.configurations(new DefaultConfigurationFactoryFactory<RotakeyConfiguration>(),
                        (RotakeyConfiguration c) -> NodeIdentity.of(c.getScheduler()))
                .create(RotakeyConfiguration.class, Validators.newValidator(), mapper, "dw")
                .build(new FileConfigurationSourceProvider(), file.toString());
    }

    @Test
    void aLineFromAFreshThreadCarriesTheNodeInJsonAndInPatterns() throws Exception {
        RotakeyConfiguration config = configuration("""
                keyBackends:
                  hsm: {type: node-logging-stub}
                scheduler:
                  clustered: true
                  instanceId: node-7
                logging:
                  level: INFO
                  appenders:
                    - type: file
                      currentLogFilename: %1$s/json.log
                      archive: false
                      layout:
                        type: json
                        additionalFields: {service: rotakey}
                    - type: file
                      currentLogFilename: %1$s/plain.log
                      archive: false
                      logFormat: "%%property{node} %%logger %%m%%n"
                  loggers:
                    rotakey.own:
                      level: INFO
                      additive: false
                      appenders:
                        - type: file
                          currentLogFilename: %1$s/own.log
                          archive: false
                          layout: {type: json}
                """.formatted(dir));
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        try {
            config.getLoggingFactory().configure(new MetricRegistry(), "rotakey");
            Thread fresh = new Thread(() -> {
                MDC.clear();
                LoggerFactory.getLogger("rotakey.test").info("from a fresh thread");
                LoggerFactory.getLogger("rotakey.own").info("to a logger's own appender");
            }, "fresh-thread");
            fresh.start();
            fresh.join();
            config.getLoggingFactory().stop();
        } finally {
            // Back to the tests' own logging (this also closes the files).
            context.reset();
            new ContextInitializer(context).autoConfig();
        }

        JsonNode line = lineWith(dir.resolve("json.log"), "from a fresh thread");
        assertThat(line.path("node").asText()).isEqualTo("node-7");
        assertThat(line.path("service").asText()).isEqualTo("rotakey");
        assertThat(line.path("thread").asText()).isEqualTo("fresh-thread");
        assertThat(line.has("mdc")).isFalse();
        assertThat(lineWith(dir.resolve("own.log"), "to a logger's own appender").path("node").asText())
                .isEqualTo("node-7");
        assertThat(Files.readAllLines(dir.resolve("plain.log"))).contains("node-7 rotakey.test from a fresh thread");
    }

    @Test
    void theRequestLogsJsonLinesNameTheNodeAndAnOperatorsOwnFieldIsKept() throws Exception {
        RotakeyConfiguration config = configuration("""
                keyBackends:
                  hsm: {type: node-logging-stub}
                scheduler:
                  instanceId: node-8
                server:
                  requestLog:
                    appenders:
                      - type: console
                        layout: {type: access-json}
                logging:
                  appenders:
                    - type: console
                      layout:
                        type: json
                        additionalFields: {node: chosen-by-operator}
                """);
        // Only the configuration is looked at: applying it would send the test's log to the console as JSON.
        var requests = (LogbackAccessRequestLogFactory) ((DefaultServerFactory) config.getServerFactory()).getRequestLogFactory();
        assertThat(additionalFields(requests.getAppenders().get(0))).containsEntry("node", "node-8");
        var logging = (io.dropwizard.logging.common.DefaultLoggingFactory) config.getLoggingFactory();
        assertThat(additionalFields(logging.getAppenders().get(0))).containsEntry("node", "chosen-by-operator");
    }

    private static java.util.Map<String, Object> additionalFields(Object appender) {
        return ((AbstractJsonLayoutBaseFactory<?>) ((AbstractAppenderFactory<?>) appender).getLayout()).getAdditionalFields();
    }

    private JsonNode lineWith(Path file, String message) throws Exception {
        List<String> lines = Files.readAllLines(file);
        for (String l : lines) {
            JsonNode n = json.readTree(l);
            if (message.equals(n.path("message").asText())) {
                return n;
            }
        }
        throw new AssertionError("no line with '" + message + "' in " + lines);
    }
}
