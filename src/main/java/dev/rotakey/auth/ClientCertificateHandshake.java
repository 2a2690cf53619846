package dev.rotakey.auth;

import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.function.Supplier;

/**
 * The trust manager of the mutual-TLS connector's handshake. It lets every client certificate through, on purpose: the
 * handshake has already proven the client holds the certificate's key, and {@link ClientCertificates} decides at each
 * request, against the CRLs as they are then, so that a revoked certificate is refused on a kept-alive or resumed
 * connection too, and an invalid one gets a JSON 401 that is audited rather than a bare handshake failure. It names
 * the configured CAs to clients so that they choose the right certificate.
 */
public final class ClientCertificateHandshake extends X509ExtendedTrustManager {
    private volatile Supplier<X509Certificate[]> issuers = () -> new X509Certificate[0];

    /** Where the CAs to name come from: set when the daemon's certificate checks are built. */
    public void issuers(Supplier<X509Certificate[]> issuers) {
        this.issuers = issuers;
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        // Decided at each request by ClientCertificates (see the class comment).
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        // Decided at each request by ClientCertificates (see the class comment).
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {
        // Decided at each request by ClientCertificates (see the class comment).
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) throws CertificateException {
        throw new CertificateException("a server's trust manager checks no server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) throws CertificateException {
        throw new CertificateException("a server's trust manager checks no server");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        throw new CertificateException("a server's trust manager checks no server");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        try {
            return issuers.get();
        } catch (RuntimeException e) {
            return new X509Certificate[0];
        }
    }
}
