package dev.rotakey.service;

import dev.rotakey.targets.TargetException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PartialFailures}: every place is tried; one failure is rethrown as it was, several together. */
class PartialFailuresTest {

    @Test
    void everyPlaceIsTriedEvenAfterAFailure() {
        List<String> tried = new ArrayList<>();
        PartialFailures failures = new PartialFailures();
        failures.attempt("a", () -> {
            tried.add("a");
            throw new TargetException("refused", false);
        });
        failures.attempt("b", () -> tried.add("b"));
        assertThat(tried).containsExactly("a", "b");
    }

    @Test
    void nothingIsThrownWhenEveryPlaceSucceeded() {
        PartialFailures failures = new PartialFailures();
        failures.attempt("a", () -> { });
        assertThatCode(failures::throwIfAny).doesNotThrowAnyException();
    }

    @Test
    void aSingleFailureIsRethrownAsItWas() {
        TargetException refused = new TargetException("HTTP 403", false);
        PartialFailures failures = new PartialFailures();
        failures.attempt("a", () -> { });
        failures.attempt("hook", () -> {
            throw refused;
        });
        assertThatThrownBy(failures::throwIfAny).isSameAs(refused);
    }

    @Test
    void severalFailuresComeTogetherRetryableWhenAnyIs() {
        TargetException refused = new TargetException("HTTP 403", false);
        PartialFailures failures = new PartialFailures();
        failures.attempt("hook", () -> {
            throw refused;
        });
        failures.attempt("redis", () -> {
            throw new TargetException("unreachable", true);
        });
        assertThatThrownBy(failures::throwIfAny)
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isTrue())
                .hasMessage("2 places failed: hook: TargetException: HTTP 403; redis: TargetException: unreachable")
                .hasCause(refused);
    }

    @Test
    void severalRefusalsStayNotRetryable() {
        PartialFailures failures = new PartialFailures();
        failures.attempt("a", () -> {
            throw new TargetException("HTTP 403", false);
        });
        failures.attempt("b", () -> {
            throw new NullPointerException();
        });
        assertThatThrownBy(failures::throwIfAny)
                .isInstanceOfSatisfying(TargetException.class, e -> assertThat(e.retryable()).isFalse());
    }
}
