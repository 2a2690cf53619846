package dev.rotakey.ca;

import dev.rotakey.backend.SigningKey;
import dev.rotakey.core.RevocationReason;
import org.bouncycastle.asn1.x509.CRLNumber;
import org.bouncycastle.asn1.x509.CRLReason;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v2CRLBuilder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Builds and signs (inside the backend) the CRL of one CA generation: its revoked, unexpired
 * certificates with revocation time and reason, a CRL number and the authority key identifier.
 */
public final class CrlBuilder {
    /** One revoked certificate. */
    public record Entry(BigInteger serial, Instant revokedAt, RevocationReason reason) {
    }

    /** The RFC 5280 reason code a revocation reason is published with. */
    public static int reasonCode(RevocationReason reason) {
        return switch (reason) {
            case SUPERSEDED -> CRLReason.superseded;
            case EMERGENCY -> CRLReason.keyCompromise;
            case DECOMMISSIONED, ROTATION_FAILED -> CRLReason.cessationOfOperation;
        };
    }

    /** The DER encoding of the signed CRL. */
    public byte[] build(SigningKey caKey, X509Certificate caCertificate, long crlNumber, Instant thisUpdate,
                        Instant nextUpdate, List<Entry> entries) {
        X509v2CRLBuilder builder = new X509v2CRLBuilder(CaExtensions.subject(caCertificate), Date.from(thisUpdate));
        builder.setNextUpdate(Date.from(nextUpdate));
        for (Entry e : entries) {
            builder.addCRLEntry(e.serial(), Date.from(e.revokedAt()), reasonCode(e.reason()));
        }
        try {
            builder.addExtension(Extension.cRLNumber, false, new CRLNumber(BigInteger.valueOf(crlNumber)));
            builder.addExtension(Extension.authorityKeyIdentifier, false, CaExtensions.authorityKeyIdentifier(caCertificate));
            return builder.build(new BackendContentSigner(caKey)).getEncoded();
        } catch (CertIOException e) {
            throw new IllegalStateException("cannot build a CRL: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a CRL", e);
        }
    }
}
