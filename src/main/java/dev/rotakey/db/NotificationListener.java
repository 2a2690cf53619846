package dev.rotakey.db;

import io.dropwizard.lifecycle.Managed;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Listens on PostgreSQL notification channels (LISTEN/NOTIFY) over a connection of its own, outside the pools, in a
 * thread of its own, and tells each channel's {@link Subscriber} what it heard. Every {@code heartbeat} it runs a query
 * on that connection: its answer proves the connection alive and that every notification committed before it was sent
 * has arrived. When the connection fails it tells the subscribers at once, then connects again every {@code retryDelay}.
 */
public final class NotificationListener implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(NotificationListener.class);
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    /** How the connection shows in pg_stat_activity. */
    public static final String APPLICATION_NAME = "rotakey-listener";

    /** Told, from the listener's one thread, what the listener heard. */
    public interface Subscriber {
        /** A notification arrived, or listening (re)started and notifications sent meanwhile were missed. */
        void changed();

        /** Every notification committed before {@code millis} (by the listener's clock) has been passed to {@link #changed()}. */
        void heardAt(long millis);

        /** The connection failed or the listener stopped: notifications may be missed until {@link #changed()} again. */
        void lost();
    }

    /** Opens a new connection to the database, with these driver properties added to the configured ones. */
    @FunctionalInterface
    public interface ConnectionSource {
        Connection open(Properties extra) throws SQLException;
    }

    private final Map<String, Subscriber> subscribers;
    private final ConnectionSource connections;
    private final Clock clock;
    private final Duration heartbeat;
    private final Duration retryDelay;
    private final Object pause = new Object();
    private volatile boolean running;
    private volatile Connection current;
    private Thread thread;

    /**
     * @param subscribers by channel: lower-case PostgreSQL identifiers, the channels NOTIFY is sent on
     * @param clock       the clock {@link Subscriber#heardAt} times are read from
     * @param heartbeat   how often the connection is proved alive
     * @param retryDelay  how long to wait before connecting again after a failure
     */
    public NotificationListener(Map<String, Subscriber> subscribers, ConnectionSource connections, Clock clock,
                                Duration heartbeat, Duration retryDelay) {
        if (subscribers.isEmpty()) {
            throw new IllegalArgumentException("no channel to listen on");
        }
        subscribers.keySet().forEach(channel -> {
            if (!CHANNEL.matcher(channel).matches()) {
                throw new IllegalArgumentException("not a channel name: " + channel);
            }
        });
        this.subscribers = Map.copyOf(subscribers);
        this.connections = Objects.requireNonNull(connections);
        this.clock = Objects.requireNonNull(clock);
        this.heartbeat = heartbeat;
        this.retryDelay = retryDelay;
    }

    @Override
    public synchronized void start() {
        running = true;
        thread = new Thread(this::run, "db-notification-listener");
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public synchronized void stop() throws InterruptedException {
        running = false;
        synchronized (pause) {
            pause.notifyAll();
        }
        Connection c = current;
        if (c != null) {
            try {
                // Closes the socket under the listener's blocked read; close() would wait for the read to end.
                c.abort(Runnable::run);
            } catch (SQLException e) {
                LOG.debug("aborting the connection listening on {} failed", subscribers.keySet(), e);
            }
        }
        if (thread != null) {
            thread.join(TimeUnit.SECONDS.toMillis(10));
            thread = null;
        }
    }

    private void run() {
        boolean listening = true;
        while (running) {
            try {
                listen();
            } catch (SQLException | RuntimeException e) {
                subscribers.values().forEach(Subscriber::lost);
                if (!running) {
                    break;
                }
                if (listening) {
                    LOG.warn("stopped listening on PostgreSQL channels {} ({}); caches are off, connecting again every {}",
                            subscribers.keySet(), e.getMessage(), retryDelay);
                } else {
                    LOG.debug("still not listening on PostgreSQL channels {}", subscribers.keySet(), e);
                }
                listening = false;
                pauseFor(retryDelay);
                continue;
            }
            listening = true;
        }
        subscribers.values().forEach(Subscriber::lost);
    }

    /** Listens until stopped (returns) or until the connection fails (throws). */
    private void listen() throws SQLException {
        Properties extra = new Properties();
        extra.setProperty("ApplicationName", APPLICATION_NAME);
        // A read that hangs (a peer gone without a reset) fails after this, not after the TCP keepalive's 90 s.
        extra.setProperty("socketTimeout", Long.toString(Math.max(10, heartbeat.multipliedBy(3).toSeconds())));
        try (Connection c = connections.open(extra)) {
            current = c;
            if (!running) {
                return;
            }
            PGConnection pg = c.unwrap(PGConnection.class);
            try (Statement s = c.createStatement()) {
                for (String channel : subscribers.keySet()) {
                    s.execute("LISTEN " + channel);
                }
            }
            // Whatever was sent before LISTEN took effect will never arrive here.
            long listeningSince = clock.millis();
            subscribers.values().forEach(Subscriber::changed);
            subscribers.values().forEach(sub -> sub.heardAt(listeningSince));
            LOG.info("listening on PostgreSQL channels {}", subscribers.keySet());
            long beatNanos = heartbeat.toNanos();
            long nextBeat = System.nanoTime() + beatNanos;
            while (running) {
                long waitMillis = Math.max(1, TimeUnit.NANOSECONDS.toMillis(nextBeat - System.nanoTime()));
                passOn(pg.getNotifications((int) Math.min(waitMillis, Integer.MAX_VALUE)));
                if (System.nanoTime() - nextBeat >= 0) {
                    long sentAt = clock.millis();
                    try (Statement s = c.createStatement()) {
                        s.execute("SELECT 1");
                    }
                    // Notifications that arrived with the answer; nothing committed before sentAt is still on its way.
                    passOn(pg.getNotifications());
                    subscribers.values().forEach(sub -> sub.heardAt(sentAt));
                    nextBeat = System.nanoTime() + beatNanos;
                }
            }
        } finally {
            current = null;
        }
    }

    /** Each subscriber told once however many of its notifications came: it drops everything anyway. */
    private void passOn(PGNotification[] heard) {
        if (heard == null || heard.length == 0) {
            return;
        }
        Set<Subscriber> told = new HashSet<>();
        for (PGNotification n : heard) {
            Subscriber sub = subscribers.get(n.getName());
            if (sub != null && told.add(sub)) {
                sub.changed();
            }
        }
    }

    private void pauseFor(Duration delay) {
        synchronized (pause) {
            if (running) {
                try {
                    pause.wait(Math.max(1, delay.toMillis()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    running = false;
                }
            }
        }
    }
}
