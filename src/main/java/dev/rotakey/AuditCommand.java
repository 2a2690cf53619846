package dev.rotakey;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import dev.rotakey.audit.AuditChainVerifier;
import dev.rotakey.audit.AuditExport;
import dev.rotakey.audit.AuditSigningKeys;
import dev.rotakey.audit.AuditVerification;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.db.Store;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ConfiguredCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.db.ManagedDataSource;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;
import org.jdbi.v3.core.Jdbi;
import org.slf4j.LoggerFactory;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * {@code rotakey audit verify CONFIG} checks the whole audit chain and its signed checkpoints, printing the report
 * and exiting non-zero at the first broken link; {@code rotakey audit export [--from N] [--to N] CONFIG} writes a
 * range as JSON lines for an auditor. Both read the database and the checkpoint key's backend of {@code CONFIG}, with
 * no daemon running, and change nothing.
 */
final class AuditCommand extends ConfiguredCommand<RotakeyConfiguration> {
    AuditCommand() {
        super("audit", "Checks or exports the tamper-evident audit trail");
    }

    @Override
    public void configure(Subparser subparser) {
        subparser.addArgument("action").choices("verify", "export").help("verify the chain, or export a range of it");
        subparser.addArgument("--from").type(Long.class).help("export: the first event's number (default 1)");
        subparser.addArgument("--to").type(Long.class).help("export: the last event's number (default: the last)");
        super.configure(subparser);
    }

    @Override
    protected void run(Bootstrap<RotakeyConfiguration> bootstrap, Namespace namespace, RotakeyConfiguration config)
            throws Exception {
        logToStandardError();
        ManagedDataSource ds = config.getDatabase().build(bootstrap.getMetricRegistry(), "rotakey-audit");
        KeyBackends backends = new KeyBackends(ConfiguredPlugins.keyBackends(config, new PrometheusRegistry()));
        try {
            ds.start();
            dev.rotakey.api.ApiJson.configure(bootstrap.getObjectMapper());
            Store store = new Store(Jdbi.create(ds));
            AuditSigningKeys keys = new AuditSigningKeys(backends, config.getAudit().getCheckpoints());
            if (keys.configured()) {
                KeyBackend backend = backends.get(keys.backendName());
                backend.start();
            }
            if ("verify".equals(namespace.getString("action"))) {
                AuditVerification report = new AuditChainVerifier(store, keys).verify();
                System.out.println(bootstrap.getObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(report));
                if (!report.intact()) {
                    throw new BrokenChain(report.firstBreak().problem());
                }
            } else {
                Writer out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
                new AuditExport(store, keys).write(namespace.get("from"), namespace.get("to"), out);
            }
        } finally {
            backends.close();
            ds.stop();
        }
    }

    /**
     * The report and the export are the command's standard output, so the configuration's console logging (standard
     * output too) is replaced by warnings on standard error.
     */
    private static void logToStandardError() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%-5level %logger{0}: %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();
        root.addAppender(stderr);
        root.setLevel(Level.WARN);
    }

    /** A broken chain: the report is printed, the exit status says so, no stack trace. */
    private static final class BrokenChain extends Exception {
        BrokenChain(String problem) {
            super("the audit trail is not intact: " + problem);
        }
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        if (e instanceof BrokenChain) {
            cli.getStdErr().println(e.getMessage());
        } else {
            super.onError(cli, namespace, e);
        }
    }
}
