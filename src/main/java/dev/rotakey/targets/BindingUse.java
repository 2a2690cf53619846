package dev.rotakey.targets;

import java.util.List;

/**
 * What a binding serves, known once the whole credential is: its type, whether a certificate's private key leaves the
 * backend (and so can be written into a file), and where the credential's other bindings log in. For the checks a
 * binding's parameters alone cannot decide (a PKCS#12 file needs an exported key, a connection URI needs a login).
 *
 * @param credentialType {@code api-key}, {@code password} or {@code certificate}
 * @param endpoints      the endpoints of the credential's bindings whose targets define a user, in binding order
 */
public record BindingUse(String credentialType, boolean privateKeyExported, List<Endpoint> endpoints) {
    public BindingUse {
        endpoints = List.copyOf(endpoints);
    }
}
