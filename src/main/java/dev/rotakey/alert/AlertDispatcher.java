package dev.rotakey.alert;

import dev.rotakey.core.RetryPolicy;
import io.dropwizard.lifecycle.Managed;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingDeque;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * Hands notifications to every configured sink without ever blocking the caller: each sink has a
 * bounded queue and a thread of its own that sends in order, retrying a retryable failure with
 * backoff before it moves on (so a resolution never overtakes its firing). A full queue drops its
 * oldest notification; the alert is sent again at its next repeat. Every outcome is counted in
 * {@code rotakey_alert_notifications_total{sink,type,outcome}}.
 */
public final class AlertDispatcher implements Managed {
    private static final Logger LOG = LoggerFactory.getLogger(AlertDispatcher.class);

    private final List<Channel> channels = new ArrayList<>();
    private final RetryPolicy retry;
    private final Counter notifications;

    public AlertDispatcher(List<AlertSink> sinks, RetryPolicy retry, int queueCapacity, PrometheusRegistry registry) {
        this.retry = retry;
        this.notifications = Counter.builder().name("rotakey_alert_notifications_total")
                .help("Alert notifications by sink and outcome (sent, retried, failed, dropped)")
                .labelNames("sink", "type", "outcome").register(registry);
        for (AlertSink sink : sinks) {
            channels.add(new Channel(sink, queueCapacity));
        }
        GaugeWithCallback.builder().name("rotakey_alert_queue_length")
                .help("Notifications waiting to be sent, by sink").labelNames("sink")
                .callback(cb -> channels.forEach(c -> cb.call(c.queue.size(), c.sink.name())))
                .register(registry);
        for (Channel c : channels) {
            for (String outcome : List.of("sent", "retried", "failed", "dropped")) {
                notifications.labelValues(c.sink.name(), c.sink.type(), outcome); // so that rate() sees the first one
            }
        }
    }

    /** Queues {@code alert} for every sink; returns at once. */
    public void dispatch(Alert alert) {
        for (Channel c : channels) {
            c.offer(alert);
        }
    }

    /** Notifications not yet delivered (or given up on) by any sink; for tests and the status view. */
    public int pending() {
        return channels.stream().mapToInt(c -> c.queue.size() + (c.busy ? 1 : 0)).sum();
    }

    @Override
    public void start() {
        channels.forEach(Channel::start);
    }

    @Override
    public void stop() throws InterruptedException {
        for (Channel c : channels) {
            c.thread.interrupt();
        }
        for (Channel c : channels) {
            c.thread.join(TimeUnit.SECONDS.toMillis(5));
            c.sink.close();
        }
    }

    /** One sink's queue and sending thread. */
    private final class Channel implements Runnable {
        private final AlertSink sink;
        private final BlockingDeque<Alert> queue;
        private final int capacity;
        private final Thread thread;
        private volatile boolean busy;

        Channel(AlertSink sink, int capacity) {
            this.sink = sink;
            this.capacity = capacity;
            this.queue = new LinkedBlockingDeque<>();
            this.thread = new Thread(this, "alert-sink-" + sink.name());
            this.thread.setDaemon(true);
        }

        void start() {
            thread.start();
        }

        void offer(Alert alert) {
            while (queue.size() >= capacity) {
                if (queue.pollFirst() != null) {
                    notifications.labelValues(sink.name(), sink.type(), "dropped").inc();
                }
            }
            queue.offerLast(alert);
        }

        @Override
        public void run() {
            try {
                while (!Thread.currentThread().isInterrupted()) {
                    Alert alert = queue.takeFirst();
                    busy = true;
                    try {
                        deliver(alert);
                    } finally {
                        busy = false;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void deliver(Alert alert) throws InterruptedException {
            for (int attempt = 1; ; attempt++) {
                try {
                    sink.send(alert);
                    notifications.labelValues(sink.name(), sink.type(), "sent").inc();
                    return;
                } catch (AlertDeliveryException e) {
                    if (!e.retryable() || !retry.allowsAnotherAttempt(attempt)) {
                        notifications.labelValues(sink.name(), sink.type(), "failed").inc();
                        // Only the sink's own message: the causes below it may quote the sink's URL, and a Slack or
                        // PagerDuty webhook URL is itself a secret.
                        LOG.warn("alert sink {} ({}) gave up on {} {} after {} attempt(s): {}", sink.name(), sink.type(),
                                alert.status().wireName(), alert.fingerprint(), attempt, e.getMessage());
                        return;
                    }
                    notifications.labelValues(sink.name(), sink.type(), "retried").inc();
                    Duration wait = retry.backoff(attempt, ThreadLocalRandom.current().nextDouble());
                    LOG.info("alert sink {} ({}): {}; trying again in {} ms", sink.name(), sink.type(), e.getMessage(),
                            wait.toMillis());
                    Thread.sleep(wait.toMillis()); // this sink's own thread: nothing else waits on it
                } catch (RuntimeException e) {
                    notifications.labelValues(sink.name(), sink.type(), "failed").inc();
                    // The class name alone, for the reason above: an unexpected exception's message is not known to be safe.
                    LOG.warn("alert sink {} ({}) failed on {} {}: {}", sink.name(), sink.type(),
                            alert.status().wireName(), alert.fingerprint(), e.getClass().getSimpleName());
                    return;
                }
            }
        }
    }
}
