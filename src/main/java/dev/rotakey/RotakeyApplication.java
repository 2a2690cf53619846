package dev.rotakey;

import dev.rotakey.alert.AlertDispatcher;
import dev.rotakey.alert.AlertEvaluator;
import dev.rotakey.alert.AlertSinkFactory;
import dev.rotakey.api.ApiJson;
import dev.rotakey.audit.AuditAction;
import dev.rotakey.audit.AuditLog;
import dev.rotakey.audit.CorrelationIdFilter;
import dev.rotakey.auth.AuthenticationFailures;
import dev.rotakey.auth.BearerTokenFilter;
import dev.rotakey.auth.OperatorTokens;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackendFactory;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.ca.CrlRefresher;
import dev.rotakey.config.SecretUnavailableException;
import dev.rotakey.core.CredentialLocks;
import dev.rotakey.core.RotationState;
import dev.rotakey.core.RotationWorkflow;
import dev.rotakey.db.Migrations;
import dev.rotakey.db.Store;
import dev.rotakey.health.CertificateAuthoritiesHealthCheck;
import dev.rotakey.health.DatabaseHealthCheck;
import dev.rotakey.health.FailedRotationsHealthCheck;
import dev.rotakey.health.KeyBackendHealthCheck;
import dev.rotakey.health.SchedulerHealthCheck;
import dev.rotakey.http.HttpHardening;
import dev.rotakey.http.LogLevelTaskGuard;
import dev.rotakey.http.WireLogging;
import dev.rotakey.metrics.ApiKeyVerificationMetrics;
import dev.rotakey.metrics.FleetMetrics;
import dev.rotakey.metrics.InstrumentedKeyBackend;
import dev.rotakey.metrics.InstrumentedTarget;
import dev.rotakey.metrics.RotationMetrics;
import dev.rotakey.resources.AcknowledgementResource;
import dev.rotakey.resources.AlertResource;
import dev.rotakey.resources.AgentResource;
import dev.rotakey.resources.ApiKeyResource;
import dev.rotakey.resources.AuditResource;
import dev.rotakey.resources.CertificateAuthorityResource;
import dev.rotakey.resources.CredentialResource;
import dev.rotakey.resources.ExceptionMappers;
import dev.rotakey.resources.PlanResource;
import dev.rotakey.resources.RotationResource;
import dev.rotakey.resources.StatusResource;
import dev.rotakey.schedule.QuartzWorkScheduler;
import dev.rotakey.service.AgentService;
import dev.rotakey.service.AcknowledgementService;
import dev.rotakey.service.ApiKeyVerifier;
import dev.rotakey.service.BindingClaims;
import dev.rotakey.service.CredentialQueries;
import dev.rotakey.service.CredentialService;
import dev.rotakey.service.OperatorQueries;
import dev.rotakey.service.RevocationService;
import dev.rotakey.service.RotationExecutor;
import dev.rotakey.service.RotationPlanner;
import dev.rotakey.service.OrphanLeafKeys;
import dev.rotakey.service.RotationService;
import dev.rotakey.service.ScheduleCalculator;
import dev.rotakey.service.ScheduledWork;
import dev.rotakey.service.StatusReport;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetFactory;
import dev.rotakey.targets.TargetLimitsFactory;
import dev.rotakey.targets.Targets;
import dev.rotakey.tasks.DecommissionTask;
import dev.rotakey.tasks.PauseRotationsTask;
import dev.rotakey.tasks.RevokeTask;
import dev.rotakey.tasks.RotateCaTask;
import dev.rotakey.tasks.RotateTask;
import dev.rotakey.tasks.TaskResponseFilter;
import dev.rotakey.tasks.TokenTask;
import io.dropwizard.configuration.EnvironmentVariableSubstitutor;
import io.dropwizard.configuration.SubstitutingSourceProvider;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.jdbi3.JdbiFactory;
import io.dropwizard.lifecycle.Managed;
import io.dropwizard.migrations.MigrationsBundle;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import jakarta.servlet.DispatcherType;
import liquibase.Scope;
import liquibase.ui.LoggerUIService;
import org.jdbi.v3.core.Jdbi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * The Rotakey daemon: wires configuration, database, key backends, targets, the rotation
 * workflow, the scheduler and the HTTP interfaces together, top to bottom, in {@link #run}.
 */
public class RotakeyApplication extends Application<RotakeyConfiguration> {
    static {
        // Before anything touches Liquibase, the `db` commands of the migrations bundle included.
        Migrations.quietLiquibase();
    }

    private final Clock clock;
    private volatile Runtime runtime;

    public RotakeyApplication() {
        this(Clock.systemUTC());
    }

    /** With an injected clock, for tests. */
    public RotakeyApplication(Clock clock) {
        this.clock = clock;
    }

    public static void main(String[] args) throws Exception {
        new RotakeyApplication().run(args);
    }

    @Override
    public String getName() {
        return "rotakey";
    }

    @Override
    protected void addDefaultCommands(Bootstrap<RotakeyConfiguration> bootstrap) {
        bootstrap.addCommand(new RotakeyServerCommand(this));
        bootstrap.addCommand(new CheckCommand<>(this));
    }

    @Override
    public void initialize(Bootstrap<RotakeyConfiguration> bootstrap) {
        bootstrap.setConfigurationSourceProvider(new SubstitutingSourceProvider(
                bootstrap.getConfigurationSourceProvider(), new EnvironmentVariableSubstitutor(false)));
        bootstrap.addBundle(new MigrationsBundle<>() {
            @Override
            public DataSourceFactory getDataSourceFactory(RotakeyConfiguration configuration) {
                return configuration.getDatabase();
            }
        });
    }

    /** The wired services of a running daemon, for tests that drive it from inside. */
    public record Runtime(Store store, RotationService rotations, RevocationService revocations,
                          RotationExecutor executor, QuartzWorkScheduler scheduler, KeyBackends backends,
                          Targets targets, CertificateAuthorities authorities, AlertEvaluator alerts,
                          AlertDispatcher alertDispatcher) {
    }

    public Runtime runtime() {
        return runtime;
    }

    @Override
    public void run(RotakeyConfiguration config, Environment environment) throws Exception {
        WireLogging.install();
        Path dataDir = Path.of(config.getDataDir());
        createPrivateDirectory(dataDir, "dataDir");
        ApiJson.configure(environment.getObjectMapper());

        DataSourceFactory dbConfig = config.getDatabase();
        boolean postgres = dbConfig.getUrl().startsWith("jdbc:postgresql:");
        ManagedDataSource migrationsDs = dbConfig.build(environment.metrics(), "rotakey-migrations");
        migrate(migrationsDs);
        Jdbi jdbi = new JdbiFactory().build(environment, dbConfig, "database");
        Store store = new Store(jdbi);
        AuditLog audit = new AuditLog(store, clock);
        // Rotakey's own labelled rotakey_* metrics register here; Dropwizard's are exported into it below.
        PrometheusRegistry prometheus = new PrometheusRegistry();

        InstrumentedKeyBackend.Metrics backendMetrics = new InstrumentedKeyBackend.Metrics(prometheus);
        KeyBackends backends = new KeyBackends(buildAll("keyBackends", config.getKeyBackends(),
                (f, name) -> new InstrumentedKeyBackend(f.build(name), backendMetrics)));
        // Instrumented inside the storm control: the histogram measures the system behind the target, and
        // LimitedTarget's own rotakey.target.<name>.wait timer the queueing in front of it (a "target busy"
        // refusal is Rotakey's throttling, not the target's error); and a limited target stays a LimitedTarget.
        InstrumentedTarget.Metrics targetMetrics = new InstrumentedTarget.Metrics(prometheus);
        Targets targets = new Targets(buildAll("targets", config.getTargets(),
                (f, name) -> limited(f, new InstrumentedTarget(f.build(name), targetMetrics), environment)));
        checkBackendNames(config.getCertificateAuthorities(), backends);
        CertificateAuthorities authorities = new CertificateAuthorities(config.getCertificateAuthorities(), backends,
                store, clock);

        // A separate small pool: Quartz leaves auto-commit off on its connections, and must never starve the API.
        ManagedDataSource quartzDs = dbConfig.build(environment.metrics(), "quartz");
        environment.lifecycle().manage(quartzDs);
        QuartzWorkScheduler scheduler = new QuartzWorkScheduler(config.getScheduler(), quartzDs, postgres, store,
                environment.metrics());

        RotationWorkflow workflow = new RotationWorkflow(config.getRotation().getRetry().build());
        CredentialLocks locks = new CredentialLocks(1024);
        ScheduleCalculator schedule = ScheduleCalculator.from(config.getRotation());
        RotationExecutor executor = new RotationExecutor(store, backends, targets, workflow, audit, scheduler, locks,
                clock, schedule, authorities);
        RotationMetrics rotationMetrics = new RotationMetrics(prometheus, store);
        RevocationService revocations = new RevocationService(store, backends, targets, workflow, audit, scheduler,
                locks, clock, authorities);
        executor.setRevocations(revocations);
        RotationService rotations = new RotationService(store, workflow, executor, revocations, audit, scheduler, clock);
        AgentService agents = new AgentService(store, audit, scheduler, clock);
        CredentialService credentials = new CredentialService(store, backends, targets, rotations, audit,
                config.getRotation(), clock, authorities);
        ApiKeyVerifier verifier = new ApiKeyVerifier(store, backends, audit, new ApiKeyVerificationMetrics(prometheus));
        scheduler.setHandler(new ScheduledWork(rotations, revocations));

        AlertDispatcher alertDispatcher = new AlertDispatcher(List.copyOf(buildAll("alerting.sinks",
                config.getAlerting().getSinks(), AlertSinkFactory::build).values()),
                config.getAlerting().getDelivery().build(), config.getAlerting().getQueueCapacity(), prometheus);
        AlertEvaluator alerts = new AlertEvaluator(config.getAlerting(), store, backends, authorities,
                scheduler::pausedOrUnknown, alertDispatcher, audit, clock, prometheus);
        // A finished rotation or a revoked key presented is looked at now rather than at the next tick.
        OrphanLeafKeys orphanKeys = new OrphanLeafKeys(store, backends);
        executor.setListener((before, after, took) -> {
            rotationMetrics.afterStep(before, after, took);
            if (after.state() != RotationState.RUNNING) {
                alerts.evaluateSoon();
                orphanKeys.rotationEnded(after);
            }
        });
        audit.setAfterCommit(action -> {
            if (action == AuditAction.API_KEY_REVOKED_PRESENTED) {
                alerts.evaluateSoon();
            }
        });

        OperatorTokens tokens = new OperatorTokens(store, audit, clock);
        try {
            tokens.ensureAdminToken(Path.of(config.getAuth().getAdminTokenFile()));
        } catch (IOException e) {
            throw new StartupException("auth.adminTokenFile: " + e.getMessage(), e);
        }

        // Started in this order, stopped in reverse: backends before the scheduler that uses them.
        environment.lifecycle().manage(new Managed() {
            @Override
            public void start() {
                backends.startAll();
            }

            @Override
            public void stop() {
                backends.close();
                targets.close();
            }
        });
        environment.lifecycle().manage(authorities);
        environment.lifecycle().manage(new CrlRefresher(authorities));
        environment.lifecycle().manage(scheduler);
        // The dispatcher starts before the evaluator that feeds it and stops after it.
        environment.lifecycle().manage(alertDispatcher);
        environment.lifecycle().manage(alerts);
        environment.lifecycle().manage(new Managed() {
            @Override
            public void start() {
                // Claims for credentials created before they were recorded; shared resources are logged as warnings.
                new BindingClaims(targets).backfill(store);
                orphanKeys.sweep();
                rotations.resumeInFlight();
            }
        });

        ExceptionMappers.all().forEach(environment.jersey()::register);
        environment.jersey().register(new AgentResource(agents));
        CredentialQueries credentialQueries = new CredentialQueries(store, credentials);
        OperatorQueries operatorQueries = new OperatorQueries(store);
        environment.jersey().register(new CredentialResource(credentials, credentialQueries));
        // The wall clock, not the injected one: the budget of audited failures is a rate, whatever time tests set.
        AuthenticationFailures authFailures = new AuthenticationFailures(audit, Clock.systemUTC());
        environment.jersey().register(new AcknowledgementResource(
                new AcknowledgementService(store, backends, audit, scheduler, clock), authFailures));
        environment.jersey().register(new RotationResource(credentialQueries));
        environment.jersey().register(new ApiKeyResource(verifier));
        environment.jersey().register(new AuditResource(operatorQueries));
        environment.jersey().register(new AlertResource(operatorQueries));
        environment.jersey().register(new StatusResource(
                new StatusReport(store, scheduler::pausedOrUnknown, scheduler::running, backends)));
        environment.jersey().register(new CertificateAuthorityResource(authorities));
        environment.jersey().register(new PlanResource(new RotationPlanner(store, clock, scheduler::pausedOrUnknown)));

        HttpHardening.install(environment, config.getHttp());
        environment.servlets().addFilter("correlation-id", new CorrelationIdFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        environment.admin().addFilter("correlation-id", new CorrelationIdFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        BearerTokenFilter appAuth = BearerTokenFilter.application(tokens, authFailures, audit,
                environment.getObjectMapper(), List.of("/api/v1/cas/"));
        environment.servlets().addFilter("bearer-token", appAuth)
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        BearerTokenFilter adminAuth = BearerTokenFilter.admin(tokens, authFailures, audit, environment.getObjectMapper(),
                List.of("/ping"));
        environment.admin().addFilter("bearer-token", adminAuth)
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        environment.admin().addFilter("task-status", new TaskResponseFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/tasks/*");
        environment.admin().addFilter("log-level-guard", new LogLevelTaskGuard())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/tasks/log-level");

        environment.admin().addTask(new RotateTask(rotations, audit, environment.getObjectMapper()));
        environment.admin().addTask(new RevokeTask(rotations, audit, environment.getObjectMapper()));
        environment.admin().addTask(new DecommissionTask(rotations, audit, environment.getObjectMapper()));
        environment.admin().addTask(new RotateCaTask(authorities, environment.getObjectMapper()));
        environment.admin().addTask(new TokenTask(tokens, environment.getObjectMapper(), true));
        environment.admin().addTask(new TokenTask(tokens, environment.getObjectMapper(), false));
        environment.admin().addTask(new PauseRotationsTask(scheduler, audit, environment.getObjectMapper(), true));
        environment.admin().addTask(new PauseRotationsTask(scheduler, audit, environment.getObjectMapper(), false));

        environment.healthChecks().register("database-store", new DatabaseHealthCheck(store));
        for (KeyBackend b : backends.all()) {
            environment.healthChecks().register("key-backend-" + b.name(), new KeyBackendHealthCheck(b));
        }
        environment.healthChecks().register("scheduler", new SchedulerHealthCheck(scheduler));
        environment.healthChecks().register("failed-rotations", new FailedRotationsHealthCheck(store));
        environment.healthChecks().register("certificate-authorities", new CertificateAuthoritiesHealthCheck(authorities));

        // Registers the fleet gauges; they query the database when scraped, at most once per refresh interval.
        new FleetMetrics(prometheus, store, backends, scheduler::paused, clock, config.getAlerting().getOverdueAfter(),
                config.getPrometheus().getFleetRefreshInterval(), config.getPrometheus().isPerCredentialSeries());
        // Jersey's ".total" timers duplicate the plain ones once Prometheus strips the "_total" suffix.
        DropwizardExports.builder().dropwizardRegistry(environment.metrics())
                .metricFilter((name, metric) -> !name.endsWith(".total")).register(prometheus);
        environment.admin().addServlet("prometheus", new PrometheusMetricsServlet(prometheus))
                .addMapping("/metrics/prometheus");

        runtime = new Runtime(store, rotations, revocations, executor, scheduler, backends, targets, authorities,
                alerts, alertDispatcher);
    }

    /**
     * Builds each named plugin of a config section; a failure stops start-up with a message that
     * names the section and the entry (secret errors already name their full key).
     */
    private static <F, T> Map<String, T> buildAll(String section, Map<String, F> factories, BiFunction<F, String, T> build) {
        Map<String, T> out = new LinkedHashMap<>();
        for (Map.Entry<String, F> e : factories.entrySet()) {
            try {
                out.put(e.getKey(), build.apply(e.getValue(), e.getKey()));
            } catch (SecretUnavailableException ex) {
                throw new StartupException(ex.getMessage(), ex);
            } catch (RuntimeException ex) {
                throw new StartupException(section + "." + e.getKey() + ": " + ex.getMessage(), ex);
            }
        }
        return out;
    }

    /** Storm control: a target with a {@code limits:} block gets them applied around its operations. */
    private static Target limited(TargetFactory factory, Target target, Environment environment) {
        TargetLimitsFactory limits = factory.limits();
        return limits == null ? target : limits.apply(target, environment.metrics());
    }

    /** A CA naming a key backend that is not configured stops start-up, naming the config key to fix. */
    private static void checkBackendNames(Map<String, CertificateAuthorityFactory> cas, KeyBackends backends) {
        for (Map.Entry<String, CertificateAuthorityFactory> e : cas.entrySet()) {
            String backend = e.getValue().getBackend();
            if (backends.find(backend).isEmpty()) {
                throw new StartupException("certificateAuthorities." + e.getKey() + ".backend: no key backend named '"
                        + backend + "' is configured (keyBackends: " + String.join(", ", backends.names()) + ")");
            }
        }
    }

    private static void migrate(ManagedDataSource ds) throws Exception {
        try {
            // At start-up, migration progress goes to the log rather than to standard output.
            Scope.child(Scope.Attr.ui.name(), new LoggerUIService(), () -> Migrations.apply(ds));
        } catch (java.sql.SQLException e) {
            throw new StartupException("database.url: cannot connect (" + e.getMessage() + ")", e);
        } finally {
            ds.stop();
        }
    }

    private static void createPrivateDirectory(Path dir, String key) {
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new StartupException(key + ": cannot create directory " + dir + " (" + e.getMessage() + ")", e);
        }
    }
}
