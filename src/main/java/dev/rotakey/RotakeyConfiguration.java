package dev.rotakey;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.rotakey.backend.KeyBackendFactory;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.config.AlertingFactory;
import dev.rotakey.config.AuditFactory;
import dev.rotakey.config.AuthFactory;
import dev.rotakey.config.BatchesFactory;
import dev.rotakey.config.DatabaseFactory;
import dev.rotakey.config.GovernanceFactory;
import dev.rotakey.config.CacheFactory;
import dev.rotakey.config.PrometheusFactory;
import dev.rotakey.config.RotationFactory;
import dev.rotakey.config.SchedulerFactory;
import dev.rotakey.http.HttpLimitsFactory;
import dev.rotakey.targets.TargetFactory;
import io.dropwizard.core.Configuration;
import io.dropwizard.validation.ValidationMethod;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Rotakey's configuration: the database, the named key backends, targets and certificate authorities, rotation defaults,
 * the scheduler, operator authentication, caches and alerting. Unknown keys, wrong types and impossible values stop
 * start-up with a message naming the key.
 */
public class RotakeyConfiguration extends Configuration {
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");

    @NotEmpty
    private String dataDir = "./data";

    @Valid
    @NotNull
    private DatabaseFactory database = defaultDatabase();

    @Valid
    @NotEmpty
    private Map<String, KeyBackendFactory> keyBackends = new LinkedHashMap<>();

    @Valid
    @NotNull
    private Map<String, TargetFactory> targets = new LinkedHashMap<>();

    @Valid
    @NotNull
    private Map<String, CertificateAuthorityFactory> certificateAuthorities = new LinkedHashMap<>();

    @Valid
    @NotNull
    private RotationFactory rotation = new RotationFactory();

    @Valid
    @NotNull
    private SchedulerFactory scheduler = new SchedulerFactory();

    @Valid
    @NotNull
    private AuthFactory auth = new AuthFactory();

    @Valid
    @NotNull
    private AuditFactory audit = new AuditFactory();

    @Valid
    @NotNull
    private AlertingFactory alerting = new AlertingFactory();

    @Valid
    @NotNull
    private PrometheusFactory prometheus = new PrometheusFactory();

    @Valid
    @NotNull
    private HttpLimitsFactory http = new HttpLimitsFactory();

    @Valid
    @NotNull
    private BatchesFactory batches = new BatchesFactory();
    private CacheFactory cache = new CacheFactory();
    @Valid
    @NotNull
    private GovernanceFactory governance = new GovernanceFactory();

    private static DatabaseFactory defaultDatabase() {
        DatabaseFactory db = new DatabaseFactory();
        db.setDriverClass("org.h2.Driver");
        db.setUrl("jdbc:h2:file:./data/rotakey");
        db.setUser("rotakey");
        return db;
    }

    @JsonProperty
    public String getDataDir() {
        return dataDir;
    }

    @JsonProperty
    public void setDataDir(String dataDir) {
        this.dataDir = dataDir;
    }

    @JsonProperty
    public DatabaseFactory getDatabase() {
        return database;
    }

    @JsonProperty
    public void setDatabase(DatabaseFactory database) {
        this.database = database;
    }

    @JsonProperty
    public Map<String, KeyBackendFactory> getKeyBackends() {
        return keyBackends;
    }

    @JsonProperty
    public void setKeyBackends(Map<String, KeyBackendFactory> keyBackends) {
        this.keyBackends = keyBackends;
    }

    @JsonProperty
    public Map<String, TargetFactory> getTargets() {
        return targets;
    }

    @JsonProperty
    public void setTargets(Map<String, TargetFactory> targets) {
        this.targets = targets;
    }

    @JsonProperty
    public Map<String, CertificateAuthorityFactory> getCertificateAuthorities() {
        return certificateAuthorities;
    }

    @JsonProperty
    public void setCertificateAuthorities(Map<String, CertificateAuthorityFactory> certificateAuthorities) {
        this.certificateAuthorities = certificateAuthorities;
    }

    @JsonProperty
    public RotationFactory getRotation() {
        return rotation;
    }

    @JsonProperty
    public void setRotation(RotationFactory rotation) {
        this.rotation = rotation;
    }

    @JsonProperty
    public SchedulerFactory getScheduler() {
        return scheduler;
    }

    @JsonProperty
    public void setScheduler(SchedulerFactory scheduler) {
        this.scheduler = scheduler;
    }

    @JsonProperty
    public AuthFactory getAuth() {
        return auth;
    }

    @JsonProperty
    public AuditFactory getAudit() {
        return audit;
    }

    @JsonProperty
    public void setAudit(AuditFactory audit) {
        this.audit = audit;
    }

    @JsonProperty
    public void setAuth(AuthFactory auth) {
        this.auth = auth;
    }

    @JsonProperty
    public AlertingFactory getAlerting() {
        return alerting;
    }

    @JsonProperty
    public void setAlerting(AlertingFactory alerting) {
        this.alerting = alerting;
    }

    @JsonProperty
    public CacheFactory getCache() {
        return cache;
    }

    @JsonProperty
    public void setCache(CacheFactory cache) {
        this.cache = cache;
    }

    @JsonProperty
    public GovernanceFactory getGovernance() {
        return governance;
    }

    @JsonProperty
    public void setGovernance(GovernanceFactory governance) {
        this.governance = governance;
    }

    @JsonProperty
    public PrometheusFactory getPrometheus() {
        return prometheus;
    }

    @JsonProperty
    public void setPrometheus(PrometheusFactory prometheus) {
        this.prometheus = prometheus;
    }

    @JsonProperty
    public HttpLimitsFactory getHttp() {
        return http;
    }

    @JsonProperty
    public void setHttp(HttpLimitsFactory http) {
        this.http = http;
    }

    @JsonProperty
    public BatchesFactory getBatches() {
        return batches;
    }

    @JsonProperty
    public void setBatches(BatchesFactory batches) {
        this.batches = batches;
    }

    @JsonIgnore
    @ValidationMethod(message = "auth.mtls: authorities[].ca and agents.ca must name configured certificateAuthorities")
    public boolean isMtlsCasConfigured() {
        var mtls = auth == null ? null : auth.getMtls();
        if (mtls == null || mtls.getAuthorities() == null) {
            return true;
        }
        return mtls.getAuthorities().stream().allMatch(a -> a.getCa() == null || certificateAuthorities.containsKey(a.getCa()))
                && (mtls.getAgents() == null || mtls.getAgents().getCa() == null
                || certificateAuthorities.containsKey(mtls.getAgents().getCa()));
    }

    @JsonIgnore
    @ValidationMethod(message = "keyBackends, targets and certificateAuthorities names must be lower-case letters, digits and '-' (at most 63)")
    public boolean isNamesWellFormed() {
        return keyBackends.keySet().stream().allMatch(n -> NAME.matcher(n).matches())
                && targets.keySet().stream().allMatch(n -> NAME.matcher(n).matches())
                && certificateAuthorities.keySet().stream().allMatch(n -> NAME.matcher(n).matches());
    }

    @JsonIgnore
    @ValidationMethod(message = "audit.checkpoints.backend must name a configured key backend")
    public boolean isAuditBackendConfigured() {
        String backend = audit.getCheckpoints().getBackend();
        return backend == null || keyBackends.containsKey(backend);
    }
}
