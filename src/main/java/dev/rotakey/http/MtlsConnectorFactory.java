package dev.rotakey.http;

import com.fasterxml.jackson.annotation.JsonTypeName;
import dev.rotakey.auth.ClientCertificateHandshake;
import io.dropwizard.jetty.HttpsConnectorFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;

import javax.net.ssl.TrustManager;
import java.security.KeyStore;
import java.security.cert.CRL;
import java.util.Collection;

/**
 * {@code type: https-mtls}: Dropwizard's https connector that asks every client for a certificate ({@code
 * wantClientAuth}, so that bearer-token clients without one still connect) and hands it to the request, where the
 * authentication filter checks it ({@link ClientCertificateHandshake} says why not in the handshake). Needs
 * {@code auth.mtls.enabled: true}; the trust store keys of {@code https} are not used.
 */
@JsonTypeName("https-mtls")
public class MtlsConnectorFactory extends HttpsConnectorFactory {
    private final ClientCertificateHandshake handshake = new ClientCertificateHandshake();

    /** The handshake's trust manager, for the daemon to tell it which CAs to name. */
    public ClientCertificateHandshake handshake() {
        return handshake;
    }

    @Override
    protected SslContextFactory.Server configureSslContextFactory(SslContextFactory ignored) {
        SslContextFactory.Server factory = super.configureSslContextFactory(new SslContextFactory.Server() {
            @Override
            protected TrustManager[] getTrustManagers(KeyStore trustStore, Collection<? extends CRL> crls) {
                return new TrustManager[]{handshake};
            }
        });
        factory.setNeedClientAuth(false);
        factory.setWantClientAuth(true);
        return factory;
    }
}
