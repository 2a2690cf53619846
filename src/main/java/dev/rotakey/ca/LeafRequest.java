package dev.rotakey.ca;

import java.security.PublicKey;
import java.time.Duration;
import java.util.List;

/**
 * What a certificate credential asks its CA to certify: the agent (subject CN and SPIFFE ID), the
 * credential version the certificate belongs to, the leaf's public key, the validity, and any extra
 * DNS and URI names (already validated).
 */
public record LeafRequest(
        String agentId,
        String credentialId,
        int version,
        PublicKey publicKey,
        Duration validity,
        List<String> dnsNames,
        List<String> uris) {

    public LeafRequest {
        dnsNames = List.copyOf(dnsNames);
        uris = List.copyOf(uris);
    }
}
