package dev.rotakey.ca;

import org.bouncycastle.openssl.jcajce.JcaPEMWriter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/** Certificates as PEM text: how CA certificates are stored and chains are published. */
public final class CertificatePem {
    private CertificatePem() {
    }

    /** One {@code CERTIFICATE} block. */
    public static String of(X509Certificate certificate) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write a certificate as PEM", e);
        }
        return out.toString();
    }

    /** The certificate of a stored CA generation; a stored one that does not parse is a bug, not bad input. */
    static X509Certificate parse(String pem) {
        try {
            return (X509Certificate) CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII)));
        } catch (CertificateException e) {
            throw new IllegalStateException("a stored CA certificate does not parse: " + e.getMessage(), e);
        }
    }
}
