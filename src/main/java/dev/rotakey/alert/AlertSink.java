package dev.rotakey.alert;

/**
 * A place alerts are sent to (a signed webhook, Alertmanager, Slack, PagerDuty, e-mail). Sinks are
 * called from Rotakey's alert dispatcher on a thread of their own, one notification at a time, and
 * never from a rotation: a slow or unreachable sink delays nothing but its own notifications.
 *
 * <p>{@link #send} may block up to the sink's configured timeout. A failure is an
 * {@link AlertDeliveryException} that says whether trying again may help; the dispatcher retries
 * those with backoff and counts the rest. A sink never logs or echoes its own secrets (an HMAC key,
 * a routing key, an SMTP password, a Slack URL's token).
 */
public interface AlertSink extends AutoCloseable {

    /** The configured name under {@code alerting.sinks}. */
    String name();

    /** The configured type ({@code webhook}, {@code alertmanager}, {@code slack}, {@code pagerduty}, {@code email}). */
    String type();

    /** Delivers one notification (firing or resolved). */
    void send(Alert alert) throws AlertDeliveryException;

    @Override
    default void close() {
    }
}
