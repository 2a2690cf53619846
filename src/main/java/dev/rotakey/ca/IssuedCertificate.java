package dev.rotakey.ca;

import java.math.BigInteger;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.List;

/**
 * A leaf certificate just issued by a CA generation, with the chain a relying party needs: the
 * issuing CA's certificate first, then its parents up to the root. All public material.
 */
public record IssuedCertificate(String caName, int caGeneration, X509Certificate certificate,
                                List<X509Certificate> chain) {

    public IssuedCertificate {
        chain = List.copyOf(chain);
    }

    public BigInteger serial() {
        return certificate.getSerialNumber();
    }

    public Instant notBefore() {
        return certificate.getNotBefore().toInstant();
    }

    public Instant notAfter() {
        return certificate.getNotAfter().toInstant();
    }

    public String certificatePem() {
        return CertificatePem.of(certificate);
    }

    public String chainPem() {
        StringBuilder out = new StringBuilder();
        chain.forEach(c -> out.append(CertificatePem.of(c)));
        return out.toString();
    }
}
