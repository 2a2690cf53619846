package dev.rotakey.ca;

import java.security.cert.X509CRL;
import java.security.cert.X509Certificate;

/**
 * A CA generation a relying party inside Rotakey trusts now (one that is not RETIRED): its certificate and the CRL
 * it publishes now, so that a revocation counts from the moment it is stored.
 */
public record TrustedGeneration(String name, int generation, X509Certificate certificate, X509CRL crl) {
}
