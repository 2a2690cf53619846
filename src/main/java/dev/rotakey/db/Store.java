package dev.rotakey.db;

import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.argument.AbstractArgumentFactory;
import org.jdbi.v3.core.argument.Argument;
import org.jdbi.v3.core.config.ConfigRegistry;
import org.jdbi.v3.core.statement.DefinedAttributeTemplateEngine;
import org.jdbi.v3.core.statement.SqlStatements;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Rotakey's database: runs work in a transaction (or a read-only handle) and hands it the DAOs
 * bound to that transaction, so that one workflow step's writes commit or roll back together.
 */
public final class Store {
    /** Rotations committed together at most, per transaction. */
    private static final int MAX_GROUP = 64;
    private final Jdbi jdbi;
    private final GroupCommit steps;
    private final List<Runnable> afterTransactions = new CopyOnWriteArrayList<>();

    public Store(Jdbi jdbi) {
        this.jdbi = jdbi;
        this.steps = new GroupCommit(jdbi, MAX_GROUP);
        jdbi.registerArgument(new InstantArgumentFactory());
        // Jdbi's own engine, which parses each statement's template once and caches it. Dropwizard's JdbiFactory wraps
        // it in a NamePrependingTemplateEngine, which names SqlObject methods (Rotakey has none) but is not a parsing
        // engine, so every statement was parsed again (an ANTLR lexer run) each time it ran.
        jdbi.getConfig(SqlStatements.class).setTemplateEngine(new DefinedAttributeTemplateEngine());
    }

    /**
     * Binds an {@link Instant} as an {@link OffsetDateTime} in UTC. Jdbi's default binding, a
     * {@code java.sql.Timestamp}, makes H2 go through the JVM zone's local time, which is ambiguous in
     * the hour that daylight saving time repeats each autumn: such instants were stored an hour early.
     */
    static final class InstantArgumentFactory extends AbstractArgumentFactory<Instant> {
        InstantArgumentFactory() {
            super(Types.TIMESTAMP_WITH_TIMEZONE);
        }

        @Override
        protected Argument build(Instant value, ConfigRegistry config) {
            OffsetDateTime utc = value.atOffset(ZoneOffset.UTC);
            return (position, statement, ctx) -> statement.setObject(position, utc);
        }
    }

    /**
     * Runs {@code hook} after each transaction of {@link #tx}, {@link #stepTx} and {@link #txRun} has ended, committed or not: a cache
     * of what the database held drops its answers then ({@link NotifiedCache}), once the change is visible to every
     * reader. Every write to Rotakey's own tables goes through them; {@link #read} never writes to them.
     */
    public void afterEachTransaction(Runnable hook) {
        afterTransactions.add(hook);
    }

    public <T> T tx(Function<Daos, T> work) {
        try {
            return jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
                Daos daos = new Daos(h);
                T result = work.apply(daos);
                daos.sealAudit();
                return result;
            });
        } finally {
            transactionEnded();
        }
    }

    /**
     * A transaction that writes none of the tables the nodes cache answers from (versions, credentials, agents,
     * rotations, tokens, CAs): usage telemetry's counts, its anomalies and their audit events. The caches are not dropped
     * after it, so a flush every minute does not send every API-key verification back to the database.
     */
    public <T> T txUncached(Function<Daos, T> work) {
        return jdbi.inTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
            Daos daos = new Daos(h);
            T result = work.apply(daos);
            daos.sealAudit();
            return result;
        });
    }

    /**
     * A transaction of a rotation's step, committed together with the steps other threads commit at the same time
     * ({@link GroupCommit}); returns once it is durable. {@code work} must only use the database: it may run on
     * another thread (with this thread's logging context), and it must not wait for other threads.
     */
    public <T> T stepTx(Function<Daos, T> work) {
        try {
            return steps.tx(work);
        } finally {
            transactionEnded();
        }
    }

    public void txRun(Consumer<Daos> work) {
        try {
            jdbi.useTransaction(TransactionIsolationLevel.READ_COMMITTED, h -> {
                Daos daos = new Daos(h);
                work.accept(daos);
                daos.sealAudit();
            });
        } finally {
            transactionEnded();
        }
    }

    /**
     * Reads; a write here would escape {@link #afterEachTransaction} (only the target rate slots and the audit streams'
     * cursors, no cached table).
     */
    public <T> T read(Function<Daos, T> work) {
        return jdbi.withHandle(h -> work.apply(Daos.readOnly(h)));
    }

    private void transactionEnded() {
        for (Runnable hook : afterTransactions) {
            hook.run();
        }
    }

    /** PostgreSQL's advisory locks, for the nodes of a cluster (not available on H2). */
    public AdvisoryLocks advisoryLocks() {
        return new AdvisoryLocks(jdbi);
    }

    /** Cheap round trip for health checks. */
    public void ping() {
        jdbi.useHandle(h -> h.createQuery("SELECT 1").mapTo(Integer.class).one());
    }
}
