package dev.rotakey.service;

import dev.rotakey.backend.KeyBackendAuthenticationException;
import dev.rotakey.backend.KeyBackendException;
import dev.rotakey.backend.KeyBackendUnavailableException;
import dev.rotakey.ca.CertificateAuthorityNotReadyException;
import dev.rotakey.core.RejectedException;
import dev.rotakey.service.FailureClassifier.Kind;
import dev.rotakey.targets.InvalidBindingException;
import dev.rotakey.targets.TargetException;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransactionRollbackException;
import java.sql.SQLTransientConnectionException;
import java.util.ConcurrentModificationException;
import java.util.NoSuchElementException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link FailureClassifier}: what a target or backend says about itself decides; broken database connections and
 * transactions, I/O and a CA not ready yet are retried; programming errors and the unknown never are.
 */
class FailureClassifierTest {

    @Test
    void targetsAndBackendsSayThemselves() {
        assertThat(FailureClassifier.classify(new TargetException("503", true))).isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.classify(new TargetException("403", false))).isEqualTo(Kind.PERMANENT);
        assertThat(FailureClassifier.classify(new KeyBackendUnavailableException("token gone"))).isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.classify(new KeyBackendAuthenticationException("bad PIN"))).isEqualTo(Kind.PERMANENT);
        assertThat(FailureClassifier.classify(new KeyBackendException("no such backend"))).isEqualTo(Kind.PERMANENT);
    }

    @Test
    void theOutermostKnownExceptionDecides() {
        // A target that refuses for good stays refused, whatever I/O error it wraps.
        TargetException refused = new TargetException("cannot write", false, new IOException("disk full"));
        assertThat(FailureClassifier.classify(refused)).isEqualTo(Kind.PERMANENT);
        // A defect that happens to wrap I/O is still a defect.
        assertThat(FailureClassifier.classify(new IllegalStateException("bug", new IOException("x"))))
                .isEqualTo(Kind.PROGRAMMING_ERROR);
        // A plain wrapper has no say: its cause decides.
        assertThat(FailureClassifier.classify(new RuntimeException(new TargetException("503", true))))
                .isEqualTo(Kind.TRANSIENT);
    }

    @Test
    void brokenDatabaseConnectionsAndTransactionsAreRetried() {
        assertThat(FailureClassifier.classify(new ConnectionException(new SQLException("refused", "08001"))))
                .isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.classify(statement(new SQLTimeoutException("lock timeout", "HYT00"))))
                .isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.classify(statement(new SQLTransactionRollbackException("deadlock", "40P01"))))
                .isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.classify(statement(new SQLTransientConnectionException("pool exhausted"))))
                .isEqualTo(Kind.TRANSIENT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"08006", "40001", "53300", "57P01", "55P03", "HYT00"})
    void transientSqlStatesAreRetried(String state) {
        assertThat(FailureClassifier.classify(statement(new SQLException("server said no", state))))
                .isEqualTo(Kind.TRANSIENT);
    }

    @ParameterizedTest
    @ValueSource(strings = {"23505", "42601", "22001", "90028"})
    void otherSqlStatesAreNot(String state) {
        assertThat(FailureClassifier.classify(statement(new SQLException("server said no", state))))
                .isEqualTo(Kind.PERMANENT);
        assertThat(FailureClassifier.classify(statement(new SQLException("no state")))).isEqualTo(Kind.PERMANENT);
    }

    @Test
    void ioAndACaNotReadyYetAreRetried() {
        assertThat(FailureClassifier.classify(new UncheckedIOException(new SocketTimeoutException("read timed out"))))
                .isEqualTo(Kind.TRANSIENT);
        assertThat(FailureClassifier.classify(new CertificateAuthorityNotReadyException("backend offline")))
                .isEqualTo(Kind.TRANSIENT);
    }

    @Test
    void programmingErrorsAreNeverRetried() {
        for (RuntimeException e : new RuntimeException[]{new NullPointerException(), new IllegalStateException("x"),
                new IllegalArgumentException("x"), new ClassCastException("x"), new IndexOutOfBoundsException(3),
                new UnsupportedOperationException(), new ArithmeticException("/ by zero"), new NoSuchElementException(),
                new ConcurrentModificationException(), new NumberFormatException("x")}) {
            assertThat(FailureClassifier.classify(e)).as(e.getClass().getSimpleName()).isEqualTo(Kind.PROGRAMMING_ERROR);
            assertThat(FailureClassifier.retryable(e)).isFalse();
            assertThat(FailureClassifier.classify(e).unforeseen()).isTrue();
        }
    }

    @Test
    void refusalsOfBadInputAreNotRetried() {
        assertThat(FailureClassifier.classify(new InvalidBindingException("path", "escapes the base"))).isEqualTo(Kind.PERMANENT);
        assertThat(FailureClassifier.classify(RejectedException.conflict("already rotating"))).isEqualTo(Kind.PERMANENT);
        assertThat(Kind.PERMANENT.unforeseen()).isFalse();
    }

    @Test
    void theUnknownIsNotRetriedAndIsReportedAsUnforeseen() {
        RuntimeException unknown = new RuntimeException("something else");
        assertThat(FailureClassifier.classify(unknown)).isEqualTo(Kind.UNKNOWN);
        assertThat(FailureClassifier.retryable(unknown)).isFalse();
        assertThat(Kind.UNKNOWN.unforeseen()).isTrue();
    }

    @Test
    void aCauseCycleEnds() {
        RuntimeException a = new RuntimeException("a");
        RuntimeException b = new RuntimeException("b", a);
        a.initCause(b);
        assertThat(FailureClassifier.classify(a)).isEqualTo(Kind.UNKNOWN);
    }

    @Test
    void describesTypeAndMessage() {
        assertThat(FailureClassifier.describe(new TargetException("HTTP 503", true))).isEqualTo("TargetException: HTTP 503");
        assertThat(FailureClassifier.describe(new NullPointerException())).isEqualTo("NullPointerException");
    }

    private static UnableToExecuteStatementException statement(SQLException cause) {
        return new UnableToExecuteStatementException(cause, null);
    }
}
