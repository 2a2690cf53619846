package dev.rotakey.api;

import dev.rotakey.core.Acknowledgement;

import java.time.Instant;

/** A recorded acknowledgement, as the ack endpoint answers it (the same record for a repeated ack). */
public record AcknowledgementView(String credential, int version, String consumer, Instant acknowledgedAt, String actor) {
    public static AcknowledgementView of(Acknowledgement a) {
        return new AcknowledgementView(a.credentialId(), a.version(), a.consumer(), a.acknowledgedAt(), a.actor());
    }
}
