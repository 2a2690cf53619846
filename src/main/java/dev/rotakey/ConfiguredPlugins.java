package dev.rotakey;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.alert.AlertSink;
import dev.rotakey.alert.AlertSinkFactory;
import dev.rotakey.backend.KeyBackend;
import dev.rotakey.backend.KeyBackends;
import dev.rotakey.ca.CertificateAuthorityFactory;
import dev.rotakey.config.SecretUnavailableException;
import dev.rotakey.db.Store;
import dev.rotakey.metrics.InstrumentedKeyBackend;
import dev.rotakey.metrics.InstrumentedTarget;
import dev.rotakey.targets.ClusterLimits;
import dev.rotakey.targets.Target;
import dev.rotakey.targets.TargetFactory;
import dev.rotakey.targets.TargetLimitsFactory;
import dev.rotakey.metrics.TargetLimitMetrics;
import io.dropwizard.db.DataSourceFactory;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/**
 * Builds the named plugins of the configuration — key backends, targets, alert sinks — as the daemon uses
 * them (instrumented, storm-controlled); a plugin that cannot be built stops start-up with a message naming
 * the configuration key to fix.
 */
final class ConfiguredPlugins {
    private ConfiguredPlugins() {
    }

    static Map<String, KeyBackend> keyBackends(RotakeyConfiguration config, PrometheusRegistry prometheus) {
        InstrumentedKeyBackend.Metrics metrics = new InstrumentedKeyBackend.Metrics(prometheus);
        return buildAll("keyBackends", config.getKeyBackends(),
                (f, name) -> new InstrumentedKeyBackend(f.build(name), metrics));
    }

    /**
     * Instrumented inside the storm control: the histogram measures the system behind the target, and LimitedTarget's
     * own rotakey_target_wait_seconds{target} the queueing in front of it (a "target busy" refusal is Rotakey's
     * throttling, not the target's error); and a limited target stays a LimitedTarget.
     */
    static Map<String, Target> targets(RotakeyConfiguration config, PrometheusRegistry prometheus,
                                       MetricRegistry registry, Store store) {
        InstrumentedTarget.Metrics metrics = new InstrumentedTarget.Metrics(prometheus);
        TargetLimitMetrics limitMetrics = new TargetLimitMetrics(prometheus);
        ClusterLimits cluster = clusterLimits(config, registry, store);
        return buildAll("targets", config.getTargets(),
                (f, name) -> limited(f, new InstrumentedTarget(f.build(name), metrics), limitMetrics, cluster));
    }

    /**
     * On a clustered node, limits hold for the cluster, through the shared PostgreSQL database; the pool of
     * lock connections is sized for one held permit per scheduler thread, plus two for the API's deliveries.
     * Null (limits of this process) on a single node.
     */
    private static ClusterLimits clusterLimits(RotakeyConfiguration config, MetricRegistry registry, Store store) {
        DataSourceFactory db = config.getDatabase();
        if (!config.getScheduler().isClustered() || !db.getUrl().startsWith("jdbc:postgresql:")) {
            return null;
        }
        return new ClusterLimits(store, ClusterLimits.pool(db, config.getScheduler().getThreads() + config.getScheduler().rotationThreads() + 2, registry));
    }

    static List<AlertSink> alertSinks(RotakeyConfiguration config) {
        return List.copyOf(buildAll("alerting.sinks", config.getAlerting().getSinks(), AlertSinkFactory::build).values());
    }

    /** A CA naming a key backend that is not configured stops start-up, naming the config key to fix. */
    static void checkBackendNames(Map<String, CertificateAuthorityFactory> cas, KeyBackends backends) {
        for (Map.Entry<String, CertificateAuthorityFactory> e : cas.entrySet()) {
            String backend = e.getValue().getBackend();
            if (backends.find(backend).isEmpty()) {
                throw new StartupException("certificateAuthorities." + e.getKey() + ".backend: no key backend named '"
                        + backend + "' is configured (keyBackends: " + String.join(", ", backends.names()) + ")");
            }
        }
    }

    /** Storm control: a target with a {@code limits:} block gets them applied around its operations. */
    private static Target limited(TargetFactory factory, Target target, TargetLimitMetrics metrics,
                                  ClusterLimits cluster) {
        TargetLimitsFactory limits = factory.limits();
        return limits == null ? target : limits.apply(target, metrics, cluster);
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
}
