package dev.rotakey.backend;

import org.slf4j.Logger;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * One key backend's connection to its device and its online/offline state, in the manner of EJBCA's
 * crypto tokens: not started, online, offline (with why, and whether retrying may help), closed. The
 * backend opens, checks and releases the connection {@code C}; this class decides when it may, which
 * exception an operation on an offline backend throws, and when a failing operation makes the backend
 * unhealthy or a successful one makes it healthy again.
 *
 * <p>Every state change happens under this object's monitor, which is also the lock the backend's
 * {@code start}, {@code reconnect} and {@code close} run under; operations read the connection and the
 * status with one volatile load each and lock only on the rare paths (a failure, a recovery).
 *
 * @param <C> what a successful connect established (handles, pinned key versions, caches)
 */
public final class BackendConnection<C> {
    /** Which exception an offline backend's operations throw: retryable, or not (a PIN, credentials or policy problem). */
    public enum Failure {
        UNAVAILABLE,
        AUTHENTICATION;

        /** The failure an exception stands for: an authentication refusal, or anything else (retryable). */
        public static Failure of(KeyBackendException e) {
            return e instanceof KeyBackendAuthenticationException ? AUTHENTICATION : UNAVAILABLE;
        }

        /** The exception an operation failing this way throws. */
        public KeyBackendException exception(String message, Throwable cause) {
            return this == AUTHENTICATION
                    ? new KeyBackendAuthenticationException(message, cause)
                    : new KeyBackendUnavailableException(message, cause);
        }
    }

    private static final BackendStatus NOT_STARTED = BackendStatus.down("not started");
    private static final BackendStatus CLOSED = BackendStatus.down("closed");

    /** The status together with whether an offline backend failed on authentication (null while healthy), read in one volatile load. */
    private record State(BackendStatus status, Failure offline) {
    }

    private final String backendName;
    private final Logger log;
    private final Clock clock;
    private final Duration reconnectInterval;
    private final Runnable connectOnDemand;

    private volatile C connection;
    private volatile State state = new State(NOT_STARTED, Failure.UNAVAILABLE);
    // Guarded by this.
    private boolean closed;
    private Instant nextConnectAttempt = Instant.MIN;

    private BackendConnection(String backendName, Logger log, Clock clock, Duration reconnectInterval,
                              Runnable connectOnDemand) {
        this.backendName = backendName;
        this.log = log;
        this.clock = clock;
        this.reconnectInterval = reconnectInterval;
        this.connectOnDemand = connectOnDemand;
    }

    /**
     * A connection that only {@code start} and {@code reconnect} open: for a PKCS#11 token, where
     * trying again on its own could spend the few wrong PINs a token allows.
     *
     * @param log the backend's logger, so its lines keep their category
     */
    public static <C> BackendConnection<C> connectedOnRequest(String backendName, Logger log) {
        return new BackendConnection<>(backendName, log, null, null, null);
    }

    /**
     * A connection that an operation on an offline backend also tries to open, at most once per
     * {@code interval}, by running {@code connect} (which reports through {@link #connected} or
     * {@link #offline}). Not before {@code start}: a backend that was never started stays so.
     */
    public static <C> BackendConnection<C> connectedOnDemand(String backendName, Logger log, Clock clock,
                                                             Duration interval, Runnable connect) {
        return new BackendConnection<>(backendName, log, clock, interval, connect);
    }

    /** Runs {@code connect} once, unless the backend was closed or is already connected. */
    public synchronized void start(Runnable connect) {
        if (closed || connection != null) {
            return;
        }
        connect.run();
    }

    /**
     * Runs {@code action} with the current connection (null when offline) unless the backend was
     * closed or is connected and healthy; returns the status afterwards.
     */
    public synchronized BackendStatus reconnect(Consumer<C> action) {
        if (closed) {
            return state.status();
        }
        C current = connection;
        if (current != null && state.status().healthy()) {
            return state.status();
        }
        action.accept(current);
        return state.status();
    }

    /** The open connection, or null while offline. */
    public C current() {
        return connection;
    }

    /** The status of the last connect, check or operation. */
    public BackendStatus status() {
        return state.status();
    }

    /**
     * The connection an operation is to use; while there is none, and connecting on demand is
     * allowed and due, tries once to connect. Otherwise throws what the backend's offline state
     * says: {@link KeyBackendAuthenticationException} or {@link KeyBackendUnavailableException},
     * naming the operation and why the backend is offline.
     */
    public C require(String operation) {
        C c = connection;
        if (c != null) {
            return c;
        }
        if (connectOnDemand != null) {
            synchronized (this) {
                if (connection == null && !closed && state.status() != NOT_STARTED
                        && !clock.instant().isBefore(nextConnectAttempt)) {
                    nextConnectAttempt = clock.instant().plus(reconnectInterval);
                    connectOnDemand.run();
                }
                if (connection != null) {
                    return connection;
                }
            }
        }
        State s = state;
        throw (s.offline() == null ? Failure.UNAVAILABLE : s.offline()).exception(offlineMessage(operation, s), null);
    }

    /** Records a fresh connection: the backend is online with {@code status}. */
    public synchronized void connected(C c, BackendStatus status) {
        connection = c;
        state = new State(status, null);
    }

    /** Forgets the connection (before the backend releases it to open a fresh one); returns it. */
    public synchronized C disconnect() {
        C c = connection;
        connection = null;
        return c;
    }

    /**
     * The backend cannot connect, or could not read what it needs to: it is down for {@code message}
     * (which names no secret), and its operations throw as {@code failure} says.
     */
    public synchronized void offline(Failure failure, String message, Throwable cause) {
        state = new State(BackendStatus.down(message), failure);
        if (cause == null) {
            log.warn("Key backend '{}' is offline: {}", backendName, message);
        } else {
            log.warn("Key backend '{}' is offline: {}", backendName, message, cause);
        }
    }

    /** A check of a failing connection failed again: it stays down, now for {@code message}. */
    public synchronized void stillDown(Failure failure, String message) {
        state = new State(BackendStatus.down(message), failure);
    }

    /**
     * An operation on {@code used} failed as the device would fail every operation now (a device error,
     * Vault sealed, a refused login): the backend keeps the connection, since the trouble may pass, but
     * reports itself down until an operation succeeds again or a reconnect does. A failure on a connection
     * already replaced or closed leaves the status alone, and so does a second failure. Returns the
     * message the operation's exception is to carry: {@code message}, or for a replaced connection why
     * the backend is offline now.
     */
    public synchronized String failed(C used, String operation, Failure failure, String message, Throwable cause) {
        if (connection != used) {
            return offlineMessage(operation, state);
        }
        if (state.offline() == null) {
            state = new State(BackendStatus.down(message), failure);
            log.warn("Key backend '{}': {}", backendName, message, cause);
        }
        return message;
    }

    /**
     * An operation on {@code used} succeeded: if the backend had been reported down on it, the device
     * is back. Locks only on that rare path, so a concurrent reconnect or close is never overwritten.
     */
    public void recovered(C used, Supplier<BackendStatus> up) {
        if (state.offline() == null) {
            return;
        }
        synchronized (this) {
            if (connection == used && state.offline() != null) {
                state = new State(up.get(), null);
                log.info("Key backend '{}' is back online", backendName);
            }
        }
    }

    /**
     * Closes for good, once: the backend goes down as "closed" and {@code release} gets the last
     * connection (null when there was none) to let go of its resources.
     */
    public synchronized void close(Consumer<C> release) {
        if (closed) {
            return;
        }
        closed = true;
        C c = connection;
        connection = null;
        state = new State(CLOSED, Failure.UNAVAILABLE);
        release.accept(c);
    }

    private String offlineMessage(String operation, State s) {
        return operation + " on key backend '" + backendName + "' failed: " + s.status().message();
    }
}
