package dev.rotakey.alert;

import dev.rotakey.core.RetryPolicy;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The dispatcher's promises: it never blocks the caller, a sink's notifications arrive in order even
 * across retries, retryable failures are retried and the rest counted, and a full queue drops its oldest.
 */
class AlertDispatcherTest {
    private static final RetryPolicy FAST = new RetryPolicy(4, Duration.ofMillis(1), Duration.ofMillis(5), 2.0, 0.0);
    private final PrometheusRegistry registry = new PrometheusRegistry();
    private AlertDispatcher dispatcher;

    /** A sink that records what it is given, after failing as told. */
    static class RecordingSink implements AlertSink {
        final List<Alert> received = new CopyOnWriteArrayList<>();
        final AtomicInteger calls = new AtomicInteger();
        volatile int failFirst;
        volatile boolean retryable = true;
        volatile CountDownLatch gate;

        @Override
        public String name() {
            return "recorder";
        }

        @Override
        public String type() {
            return "test";
        }

        @Override
        public void send(Alert alert) throws AlertDeliveryException {
            CountDownLatch g = gate;
            if (g != null) {
                try {
                    g.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (calls.incrementAndGet() <= failFirst) {
                throw new AlertDeliveryException("sink recorder: HTTP 503", retryable);
            }
            received.add(alert);
        }
    }

    private static Alert alert(String fp, AlertStatus status) {
        Instant t = Instant.parse("2026-12-02T10:00:00Z");
        return new Alert(fp, AlertCondition.ROTATION_FAILED, status, Map.of("owner", "o"), "s", "d", t,
                status == AlertStatus.RESOLVED ? t.plusSeconds(60) : null);
    }

    @AfterEach
    void stop() throws Exception {
        if (dispatcher != null) {
            dispatcher.stop();
        }
    }

    private AlertDispatcher start(AlertSink sink, int capacity) {
        dispatcher = new AlertDispatcher(List.of(sink), FAST, capacity, registry);
        dispatcher.start();
        return dispatcher;
    }

    private String scrape() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new PrometheusTextFormatWriter(false).write(out, registry.scrape());
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void retryableFailuresAreRetriedAndTheFiringStillArrivesBeforeItsResolution() throws Exception {
        RecordingSink sink = new RecordingSink();
        sink.failFirst = 2;
        start(sink, 100);

        dispatcher.dispatch(alert("a", AlertStatus.FIRING));
        dispatcher.dispatch(alert("a", AlertStatus.RESOLVED));

        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 2);
        assertThat(sink.received).extracting(Alert::status).containsExactly(AlertStatus.FIRING, AlertStatus.RESOLVED);
        assertThat(scrape())
                .contains("rotakey_alert_notifications_total{outcome=\"retried\",sink=\"recorder\",type=\"test\"} 2.0")
                .contains("rotakey_alert_notifications_total{outcome=\"sent\",sink=\"recorder\",type=\"test\"} 2.0");
    }

    @Test
    void aFailureThatWillNotChangeIsCountedAndNotRetried() throws Exception {
        RecordingSink sink = new RecordingSink();
        sink.failFirst = 1;
        sink.retryable = false;
        start(sink, 100);

        dispatcher.dispatch(alert("a", AlertStatus.FIRING));
        dispatcher.dispatch(alert("b", AlertStatus.FIRING));

        await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 1);
        assertThat(sink.received).extracting(Alert::fingerprint).containsExactly("b");
        assertThat(sink.calls.get()).isEqualTo(2);
        assertThat(scrape()).contains("rotakey_alert_notifications_total{outcome=\"failed\",sink=\"recorder\",type=\"test\"} 1.0");
    }

    @Test
    void retriesStopAtTheConfiguredNumberOfAttempts() throws Exception {
        RecordingSink sink = new RecordingSink();
        sink.failFirst = Integer.MAX_VALUE;
        start(sink, 100);

        dispatcher.dispatch(alert("a", AlertStatus.FIRING));

        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().contains(
                "rotakey_alert_notifications_total{outcome=\"failed\",sink=\"recorder\",type=\"test\"} 1.0"));
        assertThat(sink.calls.get()).isEqualTo(FAST.maxAttempts());
    }

    @Test
    void aStuckSinkNeverBlocksTheCallerAndAFullQueueDropsItsOldest() throws Exception {
        RecordingSink sink = new RecordingSink();
        sink.gate = new CountDownLatch(1);
        start(sink, 10);

        // The sink is held shut until after these calls: were dispatch() to wait for it, this would never return.
        for (int i = 0; i < 25; i++) {
            dispatcher.dispatch(alert("a" + i, AlertStatus.FIRING));
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> scrape().contains(
                "rotakey_alert_notifications_total{outcome=\"dropped\",sink=\"recorder\",type=\"test\"}"));

        sink.gate.countDown();
        await().atMost(Duration.ofSeconds(10)).until(() -> dispatcher.pending() == 0);
        // The newest ten survive (plus the one the thread held when the queue filled); none arrives twice.
        assertThat(sink.received).extracting(Alert::fingerprint).doesNotHaveDuplicates().contains("a24", "a15");
        assertThat(sink.received.size()).isBetween(10, 11);
    }
}
