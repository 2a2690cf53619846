package dev.rotakey.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A {@code tls:} block for Rotakey's outgoing TLS connections (Vault, webhook and redis-acl targets,
 * alert sinks, audit streams): the PEM file of the CA that signed the server's certificate ({@code caFile}; the
 * JDK's trust store when absent), an optional client certificate and key (PEM) for TLS client
 * authentication, and {@code verify} (default true; false only for throwaway test setups).
 */
@SelfValidating
public class TlsFactory {
    private String caFile;
    private String clientCertificateFile;
    private String clientKeyFile;
    private boolean verify = true;

    @JsonProperty
    public String getCaFile() {
        return caFile;
    }

    @JsonProperty
    public void setCaFile(String caFile) {
        this.caFile = caFile;
    }

    @JsonProperty
    public String getClientCertificateFile() {
        return clientCertificateFile;
    }

    @JsonProperty
    public void setClientCertificateFile(String clientCertificateFile) {
        this.clientCertificateFile = clientCertificateFile;
    }

    @JsonProperty
    public String getClientKeyFile() {
        return clientKeyFile;
    }

    @JsonProperty
    public void setClientKeyFile(String clientKeyFile) {
        this.clientKeyFile = clientKeyFile;
    }

    @JsonProperty
    public boolean isVerify() {
        return verify;
    }

    @JsonProperty
    public void setVerify(boolean verify) {
        this.verify = verify;
    }

    /** A certificate without its key (or the reverse) is a half-done configuration: say which half is missing. */
    @SelfValidation
    public void validateClientPair(ViolationCollector violations) {
        if (blank(clientCertificateFile) != blank(clientKeyFile)) {
            violations.addViolation(blank(clientKeyFile) ? "clientKeyFile" : "clientCertificateFile",
                    "must be set together with " + (blank(clientKeyFile) ? "clientCertificateFile" : "clientKeyFile"));
        }
    }

    /**
     * The SSL context this configuration describes, built the same way for every client so that
     * every TLS file in the config is read the same way.
     *
     * @param key the config key of this block, named in error messages
     */
    public SSLContext sslContext(String key) {
        try {
            TrustManager[] trust;
            if (!verify) {
                trust = new TrustManager[]{new TrustingEveryone()};
            } else if (!blank(caFile)) {
                KeyStore anchors = KeyStore.getInstance(KeyStore.getDefaultType());
                anchors.load(null, null);
                int i = 0;
                for (Certificate c : readCertificates(caFile, key + ".caFile")) {
                    anchors.setCertificateEntry("ca-" + i++, c);
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(anchors);
                trust = tmf.getTrustManagers();
            } else {
                trust = null; // the JDK's default trust store
            }
            KeyManagerFactory kmf = null;
            if (!blank(clientCertificateFile)) {
                List<Certificate> chain = readCertificates(clientCertificateFile, key + ".clientCertificateFile");
                PrivateKey privateKey = readPrivateKey(clientKeyFile, key + ".clientKeyFile");
                // An in-memory store only: the password guards nothing and exists because the API wants one.
                char[] password = new char[0];
                KeyStore identity = KeyStore.getInstance("PKCS12");
                identity.load(null, null);
                identity.setKeyEntry("client", privateKey, password, chain.toArray(new Certificate[0]));
                kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
                kmf.init(identity, password);
            }
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf == null ? null : kmf.getKeyManagers(), trust, new SecureRandom());
            return context;
        } catch (GeneralSecurityException | IOException e) {
            throw new IllegalArgumentException(key + ": cannot set up TLS (" + e.getClass().getSimpleName() + ": "
                    + e.getMessage() + ")", e);
        }
    }

    private static List<Certificate> readCertificates(String file, String key) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            Collection<? extends Certificate> certificates = CertificateFactory.getInstance("X.509").generateCertificates(in);
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException(key + ": " + file + " holds no PEM certificate");
            }
            return new ArrayList<>(certificates);
        } catch (IOException e) {
            throw new IllegalArgumentException(key + ": cannot read " + file + " (" + e.getClass().getSimpleName() + ")", e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(key + ": " + file + " is not a PEM certificate file (" + e.getMessage() + ")", e);
        }
    }

    /** PKCS#8, PKCS#1 RSA and SEC1 EC keys, unencrypted: the forms Vault's and openssl's tooling write. */
    private static PrivateKey readPrivateKey(String file, String key) {
        try (Reader reader = Files.newBufferedReader(Path.of(file), StandardCharsets.US_ASCII);
             PEMParser parser = new PEMParser(reader)) {
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (o instanceof PrivateKeyInfo info) {
                    return converter.getPrivateKey(info);
                }
                if (o instanceof PEMKeyPair pair) {
                    // Only the private half: a SEC1 key may omit its public key, which getKeyPair would need.
                    return converter.getPrivateKey(pair.getPrivateKeyInfo());
                }
            }
            throw new IllegalArgumentException(key + ": " + file + " holds no unencrypted PEM private key");
        } catch (IOException e) {
            // The message of a parsing error could quote key material: give only the type.
            throw new IllegalArgumentException(key + ": cannot read the private key in " + file + " ("
                    + e.getClass().getSimpleName() + ")", e);
        }
    }

    /** {@code verify: false}: accepts any server certificate and any host name (checked by the trust manager in JSSE). */
    private static final class TrustingEveryone extends X509ExtendedTrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public String toString() {
        return "TlsFactory{caFile=" + caFile + ", clientCertificateFile=" + clientCertificateFile
                + ", clientKeyFile=" + clientKeyFile + ", verify=" + verify + "}";
    }
}
