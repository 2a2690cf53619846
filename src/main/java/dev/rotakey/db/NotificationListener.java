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
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Listens on one PostgreSQL notification channel (LISTEN/NOTIFY) over a connection of its own, outside the pools, in
 * a thread of its own, and tells a {@link Subscriber} what it heard. Every {@code heartbeat} it runs a query on that
 * connection: its answer proves the connection alive and that every notification committed before it was sent has
 * arrived. When the connection fails it tells the subscriber at once, then connects again every {@code retryDelay}.
 */
public final class NotificationListener implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(NotificationListener.class);
    private static final Pattern CHANNEL = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

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

    private final String channel;
    private final ConnectionSource connections;
    private final Subscriber subscriber;
    private final Clock clock;
    private final Duration heartbeat;
    private final Duration retryDelay;
    private final Object pause = new Object();
    private volatile boolean running;
    private volatile Connection current;
    private Thread thread;

    /**
     * @param channel    a lower-case PostgreSQL identifier, the channel that NOTIFY is sent on
     * @param clock      the clock {@link Subscriber#heardAt} times are read from
     * @param heartbeat  how often the connection is proved alive
     * @param retryDelay how long to wait before connecting again after a failure
     */
    public NotificationListener(String channel, ConnectionSource connections, Subscriber subscriber, Clock clock,
                                Duration heartbeat, Duration retryDelay) {
        if (!CHANNEL.matcher(channel).matches()) {
            throw new IllegalArgumentException("not a channel name: " + channel);
        }
        this.channel = channel;
        this.connections = Objects.requireNonNull(connections);
        this.subscriber = Objects.requireNonNull(subscriber);
        this.clock = Objects.requireNonNull(clock);
        this.heartbeat = heartbeat;
        this.retryDelay = retryDelay;
    }

    @Override
    public synchronized void start() {
        running = true;
        thread = new Thread(this::run, "listen-" + channel);
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
                LOG.debug("aborting the connection listening on {} failed", channel, e);
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
                subscriber.lost();
                if (!running) {
                    break;
                }
                if (listening) {
                    LOG.warn("stopped listening on PostgreSQL channel {} ({}); connecting again every {}", channel,
                            e.getMessage(), retryDelay);
                } else {
                    LOG.debug("still not listening on PostgreSQL channel {}", channel, e);
                }
                listening = false;
                pauseFor(retryDelay);
                continue;
            }
            listening = true;
        }
        subscriber.lost();
    }

    /** Listens until stopped (returns) or until the connection fails (throws). */
    private void listen() throws SQLException {
        Properties extra = new Properties();
        extra.setProperty("ApplicationName", "rotakey-listen-" + channel);
        // A read that hangs (a peer gone without a reset) fails after this, not after the TCP keepalive's 90 s.
        extra.setProperty("socketTimeout", Long.toString(Math.max(10, heartbeat.multipliedBy(3).toSeconds())));
        try (Connection c = connections.open(extra)) {
            current = c;
            if (!running) {
                return;
            }
            PGConnection pg = c.unwrap(PGConnection.class);
            try (Statement s = c.createStatement()) {
                s.execute("LISTEN " + channel);
            }
            // Whatever was sent before LISTEN took effect will never arrive here.
            subscriber.changed();
            subscriber.heardAt(clock.millis());
            LOG.info("listening on PostgreSQL channel {}", channel);
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
                    subscriber.heardAt(sentAt);
                    nextBeat = System.nanoTime() + beatNanos;
                }
            }
        } finally {
            current = null;
        }
    }

    private void passOn(PGNotification[] heard) {
        if (heard != null && heard.length > 0) {
            subscriber.changed();
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
