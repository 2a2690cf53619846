package dev.rotakey.ca;

import java.time.Instant;

/**
 * What the API shows of a certificate issued for a credential version: its serial (lower-case hex),
 * validity, issuing CA generation, and whether it is on the CRL.
 */
public record CertificateSummary(String caName, int caGeneration, String serial, Instant notBefore,
                                 Instant notAfter, Instant revokedAt) {
}
