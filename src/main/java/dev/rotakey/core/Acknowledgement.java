package dev.rotakey.core;

import java.time.Instant;

/** A consumer's confirmation that it now uses a version of a credential; records who confirmed, never the key. */
public record Acknowledgement(String credentialId, int version, String consumer, Instant acknowledgedAt, String actor) {
}
