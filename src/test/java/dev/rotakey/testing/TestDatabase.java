package dev.rotakey.testing;

import com.codahale.metrics.MetricRegistry;
import dev.rotakey.cluster.NodeIdentity;
import dev.rotakey.config.SchedulerFactory;
import dev.rotakey.db.Store;
import dev.rotakey.schedule.JobHandler;
import dev.rotakey.schedule.QuartzWorkScheduler;
import io.dropwizard.db.DataSourceFactory;
import io.dropwizard.db.ManagedDataSource;
import org.jdbi.v3.core.Jdbi;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * One migrated test database, open: a started pool, a {@code Jdbi} and a {@code Store} over it,
 * plus any further pools and schedulers made through it. {@link #close()} stops the schedulers and
 * pools, newest first, and then hands the database back ({@link TestDatabases#cleanup}: a PostgreSQL
 * copy is emptied for the next test). Made by {@link TestDatabases#open}.
 */
public final class TestDatabase implements AutoCloseable {
    private final DataSourceFactory factory;
    private final ManagedDataSource dataSource;
    private final Jdbi jdbi;
    private final Store store;
    private final Deque<AutoCloseable> toClose = new ArrayDeque<>();

    TestDatabase(DataSourceFactory factory) throws Exception {
        this.factory = factory;
        this.dataSource = factory.build(new MetricRegistry(), "rotakey-test");
        dataSource.start();
        this.jdbi = Jdbi.create(dataSource);
        this.store = new Store(jdbi);
    }

    public DataSourceFactory factory() {
        return factory;
    }

    public boolean postgres() {
        return TestDatabases.isPostgres(factory);
    }

    public ManagedDataSource dataSource() {
        return dataSource;
    }

    public Jdbi jdbi() {
        return jdbi;
    }

    public Store store() {
        return store;
    }

    /** Another started pool on this database (the application gives Quartz its own), stopped on close. */
    public synchronized ManagedDataSource dataSource(String name) throws Exception {
        ManagedDataSource ds = factory.build(new MetricRegistry(), name);
        ds.start();
        toClose.push(ds::stop);
        return ds;
    }

    /**
     * The same database through a pool of its own, as another node of a cluster (another process) reaches it;
     * the pool is stopped on close.
     */
    public Store anotherNode(String name) throws Exception {
        return new Store(Jdbi.create(dataSource(name)));
    }

    /**
     * A scheduler on this database wired as the application wires it (its own pool, the engine's
     * delegate), handing its jobs to {@code handler}, not started; stopped on close if still running.
     */
    public QuartzWorkScheduler scheduler(SchedulerFactory config, JobHandler handler) throws Exception {
        QuartzWorkScheduler s = new QuartzWorkScheduler(config, NodeIdentity.of(config),
                dataSource("quartz-" + config.getInstanceName()), postgres(), store, new MetricRegistry(), () -> handler);
        synchronized (this) {
            toClose.push(s::stop);
        }
        return s;
    }

    /** A scheduler configuration with this instance name and Rotakey's defaults otherwise. */
    public static SchedulerFactory schedulerConfig(String instanceName) {
        SchedulerFactory c = new SchedulerFactory();
        c.setInstanceName(instanceName);
        // Beyond what any test schedules: the horizon itself is tested with a configuration of its own.
        c.setTriggerHorizon(java.time.Duration.ofDays(30));
        return c;
    }

    @Override
    public synchronized void close() throws Exception {
        Exception first = null;
        while (!toClose.isEmpty()) {
            try {
                toClose.pop().close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        try {
            dataSource.stop();
        } catch (Exception e) {
            first = first == null ? e : first;
        }
        try {
            TestDatabases.cleanup(factory);
        } catch (RuntimeException e) {
            first = first == null ? e : first;
        }
        if (first != null) {
            throw first;
        }
    }
}
