package dev.rotakey.ca;

import java.time.Instant;

/** When the certificate of one CA generation in use (not RETIRED) ends: what the expiry alert needs. */
public record GenerationExpiry(String ca, int generation, GenerationState state, Instant notAfter) {
}
