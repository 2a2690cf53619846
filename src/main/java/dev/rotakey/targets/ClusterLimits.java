package dev.rotakey.targets;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.db.Store;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import io.dropwizard.db.ManagedPooledDataSource;
import org.apache.tomcat.jdbc.pool.DataSourceProxy;

/**
 * What targets' {@code limits:} share when they must hold for a whole cluster rather than per node: the shared
 * PostgreSQL database, for start slots ({@link DatabaseStartSlots}), and this node's small pool of connections that
 * hold advisory-lock permits ({@link AdvisoryLockPermits}).
 */
public final class ClusterLimits {
    /** How long a node waits for a free lock connection before it counts as a taken slot and backs off. */
    private static final int POOL_WAIT_MILLIS = 250;
    private static final String POOL_NAME = "target-limits";
    /** The prefix of the gauges Dropwizard registers for the pool when it starts. */
    private static final String POOL_METRICS = MetricRegistry.name(ManagedPooledDataSource.class, POOL_NAME) + ".";

    private final Store store;
    private final PermitConnectionPool connections;

    public ClusterLimits(Store store, PermitConnectionPool connections) {
        this.store = store;
        this.connections = connections;
    }

    /**
     * The lock connections of one node, on the database of {@code db} but sized {@code size} (about the scheduler's
     * threads + 2: one per operation this node runs at once, and a little for the API's deliveries): every held
     * permit occupies a connection for the whole target call, so they must not come from the main pool, whose
     * connections are for short transactions. Idle connections are not kept open at start, connections are checked
     * when borrowed, and a connection held long is never reclaimed as abandoned (that would drop the permit).
     */
    public static PermitConnectionPool pool(DataSourceFactory db, int size, MetricRegistry metrics) {
        return new PermitConnectionPool(() -> {
            ManagedDataSource ds = db.build(metrics, POOL_NAME);
            if (ds instanceof DataSourceProxy p) {
                p.setMaxActive(size);
                p.setMaxIdle(size);
                p.setMinIdle(0);
                p.setInitialSize(0);
                p.setMaxWait(POOL_WAIT_MILLIS);
                p.setTestOnBorrow(true);
                p.setRemoveAbandoned(false);
                p.setAbandonWhenPercentageFull(0);
            }
            // A pool built again (after the last one was stopped) takes over the gauges rather than failing every
            // limited operation on "a metric named ... already exists".
            metrics.removeMatching((name, metric) -> name.startsWith(POOL_METRICS));
            try {
                ds.start();
            } catch (Exception e) {
                throw new IllegalStateException("cannot start the pool of target-limits connections: "
                        + e.getMessage(), e);
            }
            return ds;
        });
    }

    Store store() {
        return store;
    }

    PermitConnectionPool connections() {
        return connections;
    }
}
