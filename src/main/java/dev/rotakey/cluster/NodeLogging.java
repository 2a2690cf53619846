package dev.rotakey.cluster;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggerContextListener;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.dropwizard.configuration.ConfigurationException;
import io.dropwizard.configuration.ConfigurationFactory;
import io.dropwizard.configuration.ConfigurationFactoryFactory;
import io.dropwizard.configuration.ConfigurationSourceProvider;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.server.AbstractServerFactory;
import io.dropwizard.logging.common.AbstractAppenderFactory;
import io.dropwizard.logging.common.AppenderFactory;
import io.dropwizard.logging.common.DefaultLoggingFactory;
import io.dropwizard.logging.json.AbstractJsonLayoutBaseFactory;
import io.dropwizard.request.logging.LogbackAccessRequestLogFactory;
import org.slf4j.ILoggerFactory;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Puts this node's instance id in every line of the daemon's log, whichever thread writes it: a {@code node} field in
 * each {@code json} and {@code access-json} layout of the configuration (added to its {@code additionalFields} before
 * Dropwizard builds the appenders), and the logger context property {@code node} for pattern layouts
 * ({@code %property{node}}), put back after every reset of the context. Nothing depends on a thread's MDC.
 */
public final class NodeLogging {
    /** The JSON field and the logger context property. */
    public static final String FIELD = "node";

    private NodeLogging() {
    }

    /**
     * {@code configurations}, with every configuration they build tagged with its node ({@link #tag}) and the node
     * installed in the logging context ({@link #install()}), before the command applies its {@code logging} section.
     */
    public static <T extends Configuration> ConfigurationFactoryFactory<T> configurations(
            ConfigurationFactoryFactory<T> configurations, Function<T, NodeIdentity> nodeOf) {
        return (klass, validator, mapper, prefix) -> {
            ConfigurationFactory<T> parse = configurations.create(klass, validator, mapper, prefix);
            return new ConfigurationFactory<>() {
                @Override
                public T build(ConfigurationSourceProvider provider, String path)
                        throws IOException, ConfigurationException {
                    return tagged(parse.build(provider, path), nodeOf);
                }

                @Override
                public T build() throws IOException, ConfigurationException {
                    return tagged(parse.build(), nodeOf);
                }
            };
        };
    }

    private static <T extends Configuration> T tagged(T config, Function<T, NodeIdentity> nodeOf) {
        NodeIdentity node = nodeOf.apply(config);
        tag(config, node);
        install(node);
        return config;
    }

    /**
     * Adds {@code node} to the {@code additionalFields} of every JSON layout of {@code config}: the root appenders,
     * each logger's own appenders and the request log's. A layout that already sets {@code node} keeps its value.
     */
    public static void tag(Configuration config, NodeIdentity node) {
        if (config.getLoggingFactory() instanceof DefaultLoggingFactory logging) {
            logging.getAppenders().forEach(a -> tag(a, node));
            // A logger's own appenders stay JSON trees until Dropwizard builds them.
            for (JsonNode logger : logging.getLoggers().values()) {
                for (JsonNode appender : logger.path("appenders")) {
                    JsonNode layout = appender.path("layout");
                    if (layout instanceof ObjectNode l && l.path("type").asText().endsWith("json")) {
                        JsonNode fields = l.path("additionalFields");
                        ObjectNode f = fields instanceof ObjectNode o ? o : l.putObject("additionalFields");
                        if (!f.has(FIELD)) {
                            f.put(FIELD, node.instanceId());
                        }
                    }
                }
            }
        }
        if (config.getServerFactory() instanceof AbstractServerFactory server
                && server.getRequestLogFactory() instanceof LogbackAccessRequestLogFactory requests) {
            requests.getAppenders().forEach(a -> tag(a, node));
        }
    }

    private static void tag(AppenderFactory<?> appender, NodeIdentity node) {
        if (appender instanceof AbstractAppenderFactory<?> a && a.getLayout() instanceof AbstractJsonLayoutBaseFactory<?> json) {
            Map<String, Object> fields = new LinkedHashMap<>(json.getAdditionalFields());
            fields.putIfAbsent(FIELD, node.instanceId());
            json.setAdditionalFields(fields);
        }
    }

    /** Sets the property {@code node} of logback's context, and again after each reset (Dropwizard resets it). */
    public static void install(NodeIdentity node) {
        ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (factory instanceof LoggerContext context) {
            install(context, node);
        }
    }

    static void install(LoggerContext context, NodeIdentity node) {
        synchronized (NodeLogging.class) {
            // One node per context: a second daemon in the same JVM (tests) names its own.
            List<LoggerContextListener> previous = context.getCopyOfListenerList().stream()
                    .filter(l -> l instanceof PropertySetter).toList();
            previous.forEach(context::removeListener);
            context.putProperty(FIELD, node.instanceId());
            context.addListener(new PropertySetter(node.instanceId()));
        }
    }

    /** Puts the property back after a reset, which clears every property of the context. */
    private record PropertySetter(String instanceId) implements LoggerContextListener {
        @Override
        public boolean isResetResistant() {
            return true;
        }

        @Override
        public void onStart(LoggerContext context) {
            context.putProperty(FIELD, instanceId);
        }

        @Override
        public void onReset(LoggerContext context) {
            context.putProperty(FIELD, instanceId);
        }

        @Override
        public void onStop(LoggerContext context) {
        }

        @Override
        public void onLevelChange(Logger logger, Level level) {
        }
    }
}
