package dev.rotakey.service;

import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.ca.CertificateAuthorityNotReadyException;
import dev.rotakey.core.RejectedException;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetException;
import org.jdbi.v3.core.ConnectionException;

import java.io.IOException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ConcurrentModificationException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

/**
 * Decides whether a failed workflow step or removal may be retried: only failures known to pass on their own
 * (a target or backend that says so, a database connection or transaction that broke, I/O, a CA not ready yet).
 * A programming error is never retried, since trying again cannot fix it, and the rest is not either. The decision
 * feeds the pure {@link dev.rotakey.core.RotationWorkflow} and the revocation backoff.
 */
public final class FailureClassifier {
    /** What kind of failure an exception is, and so whether it is retried. */
    public enum Kind {
        /** Says it, or is known to, pass on its own: retried with backoff while attempts remain. */
        TRANSIENT(true, "retryable"),
        /** A refusal or a condition that another attempt cannot change (a 403, an invalid binding). */
        PERMANENT(false, "not retryable"),
        /** A defect in Rotakey (a null, a broken assumption): never retried, logged with its stack trace. */
        PROGRAMMING_ERROR(false, "a defect, not retried"),
        /** Nothing known: not retried, and logged with its stack trace so that it can be classified. */
        UNKNOWN(false, "unexpected, not retried");

        private final boolean retryable;
        private final String description;

        Kind(boolean retryable, String description) {
            this.retryable = retryable;
            this.description = description;
        }

        public boolean retryable() {
            return retryable;
        }

        /** Whether the failure was not foreseen: logged as an error, with its stack trace, to be fixed or classified. */
        public boolean unforeseen() {
            return this == PROGRAMMING_ERROR || this == UNKNOWN;
        }

        /** How log lines say it. */
        public String description() {
            return description;
        }
    }

    /** Exceptions the JDK throws at code that broke its own or an API's contract. */
    private static final List<Class<? extends RuntimeException>> PROGRAMMING_ERRORS = List.of(
            NullPointerException.class, IllegalStateException.class, IllegalArgumentException.class,
            ClassCastException.class, IndexOutOfBoundsException.class, UnsupportedOperationException.class,
            ArithmeticException.class, ArrayStoreException.class, NegativeArraySizeException.class,
            NoSuchElementException.class, ConcurrentModificationException.class);

    /**
     * SQLState prefixes of failures that pass: connection exceptions (08), transaction rollbacks such as
     * serialization failures and deadlocks (40), insufficient resources (53), a server shutting down or starting
     * (57P), a lock not available (55P03), and timeouts (HYT).
     */
    private static final List<String> TRANSIENT_SQL_STATES = List.of("08", "40", "53", "57P", "55P03", "HYT");

    private FailureClassifier() {
    }

    /** Whether {@code e} may be retried. */
    static boolean retryable(Throwable e) {
        return classify(e).retryable();
    }

    /**
     * The kind of {@code e}: decided by the outermost exception in its cause chain that is known, so that a
     * target's own "not retryable" wins over the I/O error it wraps.
     */
    public static Kind classify(Throwable e) {
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
            Kind kind = known(t);
            if (kind != null) {
                return kind;
            }
        }
        return Kind.UNKNOWN;
    }

    private static Kind known(Throwable t) {
        if (t instanceof TargetException target) {
            return target.retryable() ? Kind.TRANSIENT : Kind.PERMANENT;
        }
        if (t instanceof KeyBackendException backend) {
            return backend.retryable() ? Kind.TRANSIENT : Kind.PERMANENT;
        }
        if (t instanceof CertificateAuthorityNotReadyException || t instanceof ConnectionException
                || t instanceof IOException || t instanceof SQLTransientException || t instanceof SQLRecoverableException) {
            return Kind.TRANSIENT;
        }
        if (t instanceof SQLException sql) {
            return transientState(sql.getSQLState()) ? Kind.TRANSIENT : Kind.PERMANENT;
        }
        if (t instanceof InvalidBindingException || t instanceof RejectedException) {
            return Kind.PERMANENT;
        }
        for (Class<? extends RuntimeException> error : PROGRAMMING_ERRORS) {
            if (error.isInstance(t)) {
                return Kind.PROGRAMMING_ERROR;
            }
        }
        // A wrapper (UncheckedIOException, Jdbi's statement and transaction exceptions): its cause decides.
        return null;
    }

    private static boolean transientState(String state) {
        return state != null && TRANSIENT_SQL_STATES.stream().anyMatch(state::startsWith);
    }

    /** The failure as recorded with a step, an audit event and a version's {@code revokeError}: its type and message. */
    public static String describe(Throwable e) {
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
    }
}
