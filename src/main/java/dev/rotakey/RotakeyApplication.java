package dev.rotakey;

import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rotakey.api.ApiJson;
import dev.rotakey.audit.CorrelationIdFilter;
import dev.rotakey.auth.BearerTokenFilter;
import dev.rotakey.dashboard.Dashboard;
import dev.rotakey.auth.ClientCertificates;
import dev.rotakey.config.MtlsFactory;
import dev.rotakey.config.StrictEnvironmentSubstitution;
import dev.rotakey.http.MtlsConnectorFactory;
import io.dropwizard.core.server.DefaultServerFactory;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.cluster.NodeLogging;
import dev.rotakey.db.Migrations;
import dev.rotakey.db.Store;
import dev.rotakey.health.HealthProbes;
import dev.rotakey.health.ReadinessChecks;
import dev.rotakey.health.ReadinessProbe;
import dev.rotakey.http.HttpHardening;
import dev.rotakey.http.LogLevelTaskGuard;
import dev.rotakey.http.WireLogging;
import dev.rotakey.resources.AcknowledgementResource;
import dev.rotakey.resources.AgentResource;
import dev.rotakey.resources.AlertResource;
import dev.rotakey.resources.ApiKeyResource;
import dev.rotakey.resources.AuditResource;
import dev.rotakey.resources.BatchResource;
import dev.rotakey.resources.CertificateAuthorityResource;
import dev.rotakey.resources.CredentialBatchResource;
import dev.rotakey.resources.CredentialResource;
import dev.rotakey.resources.CredentialRotationResource;
import dev.rotakey.resources.ExceptionMappers;
import dev.rotakey.resources.OpenApiResource;
import dev.rotakey.resources.PlanResource;
import dev.rotakey.resources.RotationResource;
import dev.rotakey.resources.FleetResource;
import dev.rotakey.resources.PostureResource;
import dev.rotakey.resources.StatusResource;
import dev.rotakey.resources.TokenResource;
import dev.rotakey.service.OwnerScope;
import dev.rotakey.tasks.DecommissionTask;
import dev.rotakey.tasks.PauseRotationsTask;
import dev.rotakey.tasks.RevokeTask;
import dev.rotakey.tasks.RotateCaTask;
import dev.rotakey.tasks.RotateTask;
import dev.rotakey.tasks.TaskResponseFilter;
import dev.rotakey.tasks.TokenTask;
import io.dropwizard.core.Application;
import io.dropwizard.core.cli.CheckCommand;
import io.dropwizard.core.setup.AdminEnvironment;
import io.dropwizard.core.setup.Bootstrap;
import io.dropwizard.core.setup.Environment;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.jdbi3.JdbiFactory;
import io.dropwizard.jersey.setup.JerseyEnvironment;
import io.dropwizard.migrations.MigrationsBundle;
import io.prometheus.metrics.exporter.servlet.jakarta.PrometheusMetricsServlet;
import io.prometheus.metrics.instrumentation.dropwizard.DropwizardExports;
import jakarta.servlet.DispatcherType;
import liquibase.Scope;
import liquibase.ui.LoggerUIService;
import org.jdbi.v3.core.Jdbi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The Rotakey daemon: migrates the database, has {@link RotakeyComponents} build the service graph
 * from the configuration, and registers it with Dropwizard — lifecycle, resources, filters, tasks,
 * health checks and metrics — in {@link #run}.
 */
public class RotakeyApplication extends Application<RotakeyConfiguration> {
    static {
        // Before anything touches Liquibase, the `db` commands of the migrations bundle included.
        Migrations.quietLiquibase();
    }

    private final Clock clock;
    private volatile RotakeyComponents components;

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
        bootstrap.addCommand(new AuditCommand());
    }

    @Override
    public void initialize(Bootstrap<RotakeyConfiguration> bootstrap) {
        // An unset ${VAR} without a default stops start-up, naming it, rather than reach a key as literal text.
        bootstrap.setConfigurationSourceProvider(new StrictEnvironmentSubstitution(bootstrap.getConfigurationSourceProvider()));
        // Every log line names the node, whichever thread writes it: tagged before the command applies `logging`.
        bootstrap.setConfigurationFactoryFactory(NodeLogging.configurations(bootstrap.getConfigurationFactoryFactory(),
                config -> NodeIdentity.of(config.getScheduler())));
        bootstrap.addBundle(new MigrationsBundle<>() {
            @Override
            public DataSourceFactory getDataSourceFactory(RotakeyConfiguration configuration) {
                return configuration.getDatabase();
            }
        });
    }

    /** The components of the running daemon, for tests that drive it from inside; null until {@link #run}. */
    public RotakeyComponents components() {
        return components;
    }

    /** Builds the components from the configuration, then registers them with Dropwizard. */
    @Override
    public void run(RotakeyConfiguration config, Environment environment) throws Exception {
        WireLogging.install();
        Path dataDir = Path.of(config.getDataDir());
        createPrivateDirectory(dataDir, "dataDir");
        ApiJson.configure(environment.getObjectMapper());

        DataSourceFactory dbConfig = config.getDatabase();
        migrate(dbConfig.build(environment.metrics(), "rotakey-migrations"), config.getDatabase().isMigrateOnStart());
        Jdbi jdbi = new JdbiFactory().build(environment, dbConfig, "database");
        RotakeyComponents c = RotakeyComponents.builder(config, clock, new Store(jdbi))
                .metrics(environment.metrics()).adminTokenFile(Path.of(config.getAuth().getAdminTokenFile())).build();

        c.managed().forEach(environment.lifecycle()::manage);
        // What an owner-scoped token may reach, for the resources and the rotate task alike.
        OwnerScope scope = new OwnerScope(c.store());
        registerResources(c, scope, environment);
        registerFilters(c, config, environment);
        registerTasks(c, scope, environment);
        registerHealthChecks(c, environment);
        // Jersey's ".total" timers duplicate the plain ones once Prometheus strips the "_total" suffix.
        DropwizardExports.builder().dropwizardRegistry(environment.metrics())
                .metricFilter((name, metric) -> !name.endsWith(".total")).register(c.prometheus());
        environment.admin().addServlet("prometheus", new PrometheusMetricsServlet(c.prometheus()))
                .addMapping("/metrics/prometheus");
        components = c;
    }

    private static void registerResources(RotakeyComponents c, OwnerScope scope, Environment environment) {
        JerseyEnvironment jersey = environment.jersey();
        ExceptionMappers.all().forEach(jersey::register);
        List<Class<?>> documented = new ArrayList<>();
        Consumer<Object> resource = r -> {
            jersey.register(r);
            documented.add(r.getClass());
        };
        resource.accept(new AgentResource(c.agents(), scope, c.attestations(), c.agentChanges()));
        resource.accept(new CredentialResource(c.credentials(), c.credentialQueries(), scope, c.batches().operator()));
        resource.accept(new CredentialBatchResource(c.credentialBatch()));
        resource.accept(new AcknowledgementResource(c.acknowledgements(), c.authenticationFailures(), scope));
        resource.accept(new CredentialRotationResource(c.batches().operator(), scope));
        resource.accept(new RotationResource(c.credentialQueries(), scope, c.fleetQueries()));
        resource.accept(new FleetResource(c.fleetQueries()));
        resource.accept(new ApiKeyResource(c.verifier()));
        resource.accept(new AuditResource(c.operatorQueries(), c.auditVerifier(), c.auditExport()));
        resource.accept(new AlertResource(c.operatorQueries()));
        resource.accept(new StatusResource(c.status()));
        resource.accept(new PostureResource(c.posture()));
        resource.accept(new CertificateAuthorityResource(c.authorities()));
        resource.accept(new PlanResource(c.planner()));
        resource.accept(new BatchResource(c.batches().queries(), scope));
        resource.accept(new TokenResource(c.tokens(), c.clock()));
        Dashboard.register(c, environment, resource);
        // Built at the first request from every resource registered above (Jersey keeps only wrappers of them).
        resource.accept(new OpenApiResource(() -> List.copyOf(documented),
                RotakeyApplication.class.getPackage().getImplementationVersion()));
    }

    private static void registerFilters(RotakeyComponents c, RotakeyConfiguration config, Environment environment) {
        HttpHardening.install(environment, config.getHttp());
        environment.servlets().addFilter("correlation-id", new CorrelationIdFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        environment.admin().addFilter("correlation-id", new CorrelationIdFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        BearerTokenFilter appAuth = BearerTokenFilter.application(c.tokens(), c.authenticationFailures(), c.audit(),
                environment.getObjectMapper(), List.of("/api/v1/cas/"), HealthProbes.PATHS, clientCertificates(c, config));
        environment.servlets().addFilter("bearer-token", appAuth)
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        BearerTokenFilter adminAuth = BearerTokenFilter.admin(c.tokens(), c.authenticationFailures(), c.audit(),
                environment.getObjectMapper(), List.of("/ping"), HealthProbes.PATHS);
        environment.admin().addFilter("bearer-token", adminAuth)
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/*");
        environment.admin().addFilter("task-status", new TaskResponseFilter())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/tasks/*");
        environment.admin().addFilter("log-level-guard", new LogLevelTaskGuard())
                .addMappingForUrlPatterns(EnumSet.of(DispatcherType.REQUEST), true, "/tasks/log-level");
    }

    /**
     * The check of client certificates when {@code auth.mtls} is enabled (null when not), handed to the {@code
     * https-mtls} connectors' handshakes too; mutual TLS without such a connector, or such a connector without it,
     * stops start-up rather than serve without what the config asked for.
     */
    private static ClientCertificates clientCertificates(RotakeyComponents c, RotakeyConfiguration config) {
        MtlsFactory mtls = config.getAuth().getMtls();
        List<MtlsConnectorFactory> connectors = config.getServerFactory() instanceof DefaultServerFactory server
                ? server.getApplicationConnectors().stream().filter(MtlsConnectorFactory.class::isInstance)
                .map(MtlsConnectorFactory.class::cast).toList() : List.of();
        if (mtls.isEnabled() && connectors.isEmpty()) {
            throw new StartupException("auth.mtls.enabled: true needs an application connector of type https-mtls "
                    + "(server.applicationConnectors)");
        }
        if (!mtls.isEnabled() && !connectors.isEmpty()) {
            throw new StartupException("server.applicationConnectors: a connector of type https-mtls needs auth.mtls.enabled: true");
        }
        ClientCertificates certificates = ClientCertificates.of(mtls, c.authorities(), c.trustedCas(),
                ca -> config.getCertificateAuthorities().get(ca).getTrustDomain(), c.clock());
        if (certificates != null) {
            connectors.forEach(f -> f.handshake().issuers(certificates::acceptedIssuers));
        }
        return certificates;
    }

    private static void registerTasks(RotakeyComponents c, OwnerScope scope, Environment environment) {
        ObjectMapper json = environment.getObjectMapper();
        AdminEnvironment admin = environment.admin();
        admin.addTask(new RotateTask(c.batches().operator(), scope, json));
        admin.addTask(new RevokeTask(c.batches().operator(), json));
        admin.addTask(new DecommissionTask(c.batches().operator(), json));
        admin.addTask(new RotateCaTask(c.authorities(), json));
        for (TokenTask.Kind kind : TokenTask.Kind.values()) {
            admin.addTask(new TokenTask(c.tokens(), json, kind, c.clock()));
        }
        admin.addTask(new PauseRotationsTask(c.scheduler(), c.audit(), json, true));
        admin.addTask(new PauseRotationsTask(c.scheduler(), c.audit(), json, false));
    }

    /** The details at the admin port's /healthcheck (token required); the readiness ones also at /health/ready. */
    private static void registerHealthChecks(RotakeyComponents c, Environment environment) {
        HealthCheckRegistry health = environment.healthChecks();
        Map<String, HealthCheck> readiness = ReadinessChecks.readiness(c.store(), c.backends().all(), c.scheduler());
        readiness.forEach(health::register);
        ReadinessChecks.businessAlerts(c.store(), c.authorities()).forEach(health::register);
        HealthProbes.install(environment, new ReadinessProbe(readiness));
    }

    /**
     * Migrates the database, or with {@code database.migrateOnStart: false} (a cluster, where upgrades migrate once
     * with {@code db migrate}) refuses to start while a changeset of this release is missing. Changesets applied by
     * a newer release are fine: migrations are additive (docs/operations.md, "Rolling upgrades").
     */
    private static void migrate(ManagedDataSource ds, boolean migrateOnStart) throws Exception {
        try {
            if (!migrateOnStart) {
                List<String> missing = Migrations.unapplied(ds);
                if (!missing.isEmpty()) {
                    throw new StartupException("database.migrateOnStart is false and the database lacks " + missing.size()
                            + " migration(s) of this release (" + String.join(", ", missing.subList(0, Math.min(3, missing.size())))
                            + (missing.size() > 3 ? ", …" : "") + "): run `java -jar rotakey.jar db migrate <config>` with this"
                            + " release's jar first, then start the node");
                }
                return;
            }
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
