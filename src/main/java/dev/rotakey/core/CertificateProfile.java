package dev.rotakey.core;

import dev.rotakey.backend.KeySpec;

import java.time.Duration;
import java.util.List;

/**
 * What each certificate of a certificate credential looks like: the issuing CA, the leaf key spec
 * and custody, the validity, when in that validity the next rotation is due ({@code renewAt}), and
 * extra DNS and URI names besides the agent's SPIFFE ID.
 */
public record CertificateProfile(
        String ca,
        KeySpec keySpec,
        Duration validity,
        double renewAt,
        List<String> dnsNames,
        List<String> uris,
        KeyCustody keyCustody) {

    /** Renew after two thirds of the validity, as cert-manager does by default. */
    public static final double DEFAULT_RENEW_AT = 2.0 / 3.0;

    public CertificateProfile {
        dnsNames = List.copyOf(dnsNames);
        uris = List.copyOf(uris);
    }

    /** The interval between renewals: {@code renewAt} of the validity, to the second. */
    public Duration renewalInterval() {
        return Duration.ofSeconds(Math.max(1, (long) Math.floor(validity.toSeconds() * renewAt)));
    }
}
