package dev.rotakey.service;

import dev.rotakey.backend.KeySpec;
import dev.rotakey.ca.CertificateAuthorities;
import dev.rotakey.core.CertificateProfile;
import dev.rotakey.core.KeyCustody;
import dev.rotakey.core.RejectedException;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Checks the certificate fields of a credential request and turns them into a
 * {@link CertificateProfile}, with a 400 naming the field for anything a CA could not or should
 * not put in a certificate.
 */
final class CertificateProfiles {
    static final Duration DEFAULT_VALIDITY = Duration.ofDays(30);
    static final Duration MIN_VALIDITY = Duration.ofMinutes(5);
    private static final int MAX_NAMES = 32;
    /** RFC 1123 labels, lower case, optionally one leading wildcard label. */
    private static final Pattern DNS_NAME = Pattern.compile(
            "(?=.{1,253}$)(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*");

    private final CertificateAuthorities authorities;

    CertificateProfiles(CertificateAuthorities authorities) {
        this.authorities = authorities;
    }

    CertificateProfile parse(NewCredential req) {
        List<String> configured = authorities.names();
        String ca = req.ca();
        if (ca == null || ca.isBlank()) {
            if (configured.isEmpty()) {
                throw RejectedException.invalid("ca", "no certificate authority is configured (certificateAuthorities)");
            }
            ca = configured.get(0);
        }
        KeySpec spec = keySpec(req.keySpec());
        Duration validity = req.validity() == null ? DEFAULT_VALIDITY : CredentialService.duration("validity", req.validity());
        if (validity.compareTo(MIN_VALIDITY) < 0) {
            throw RejectedException.invalid("validity", validity + " is too short: at least " + MIN_VALIDITY);
        }
        authorities.checkLeafRequest(ca, validity);
        double renewAt = req.renewAt() == null ? CertificateProfile.DEFAULT_RENEW_AT : req.renewAt();
        if (!(renewAt > 0 && renewAt < 1)) {
            throw RejectedException.invalid("renewAt", "must be a fraction of the validity between 0 and 1 (exclusive), "
                    + "such as 0.66");
        }
        KeyCustody custody = req.keyCustody() == null ? KeyCustody.EXPORT : KeyCustody.fromWire(req.keyCustody())
                .orElseThrow(() -> RejectedException.invalid("keyCustody", "'" + req.keyCustody()
                        + "' is not a key custody (export: the key is delivered as PEM; hsm: it stays in the key backend)"));
        return new CertificateProfile(ca, spec, validity, renewAt, dnsNames(req.dnsNames()), uris(req.uris()), custody);
    }

    /** An API key has no CA, key spec or names: silently ignoring them would hide a mistaken type. */
    static void refuseCertificateFields(NewCredential req) {
        String[][] fields = {{"ca", req.ca()}, {"keySpec", req.keySpec()}, {"validity", req.validity()},
                {"renewAt", req.renewAt() == null ? null : "x"}, {"dnsNames", req.dnsNames() == null ? null : "x"},
                {"uris", req.uris() == null ? null : "x"}, {"keyCustody", req.keyCustody()}};
        for (String[] f : fields) {
            if (f[1] != null) {
                throw RejectedException.invalid(f[0], "applies only to \"type\": \"certificate\"");
            }
        }
    }

    static KeySpec keySpec(String text) {
        if (text == null) {
            return KeySpec.EC_P256;
        }
        String normal = text.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (KeySpec k : KeySpec.values()) {
            if (k.name().equals(normal)) {
                return k;
            }
        }
        throw RejectedException.invalid("keySpec", "'" + text + "' is not supported (supported: "
                + Arrays.toString(KeySpec.values()) + "; SunPKCS11 offers no Ed25519)");
    }

    private static List<String> dnsNames(List<String> names) {
        if (names == null) {
            return List.of();
        }
        if (names.size() > MAX_NAMES) {
            throw RejectedException.invalid("dnsNames", "at most " + MAX_NAMES + " names");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            String n = names.get(i) == null ? "" : names.get(i).toLowerCase(Locale.ROOT);
            if (!DNS_NAME.matcher(n).matches()) {
                throw RejectedException.invalid("dnsNames[" + i + "]", "'" + names.get(i) + "' is not a DNS name");
            }
            if (!out.contains(n)) {
                out.add(n);
            }
        }
        return out;
    }

    private static List<String> uris(List<String> uris) {
        if (uris == null) {
            return List.of();
        }
        if (uris.size() > MAX_NAMES) {
            throw RejectedException.invalid("uris", "at most " + MAX_NAMES + " URIs");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < uris.size(); i++) {
            String field = "uris[" + i + "]";
            String text = uris.get(i);
            URI uri;
            try {
                uri = new URI(text == null ? "" : text);
            } catch (URISyntaxException e) {
                throw RejectedException.invalid(field, "'" + text + "' is not a URI");
            }
            if (uri.getScheme() == null || !uri.isAbsolute()) {
                throw RejectedException.invalid(field, "'" + text + "' is not an absolute URI");
            }
            if (uri.getScheme().equalsIgnoreCase("spiffe")) {
                // An SVID carries exactly one SPIFFE ID, and Rotakey sets it from the agent's id.
                throw RejectedException.invalid(field, "the SPIFFE ID is set by Rotakey (spiffe://<trust-domain>/agent/<id>)");
            }
            if (!out.contains(text)) {
                out.add(text);
            }
        }
        return out;
    }
}
