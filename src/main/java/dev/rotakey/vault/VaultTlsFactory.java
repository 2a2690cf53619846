package dev.rotakey.vault;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.dropwizard.validation.selfvalidating.SelfValidating;
import io.dropwizard.validation.selfvalidating.SelfValidation;
import io.dropwizard.validation.selfvalidating.ViolationCollector;

import javax.net.ssl.SSLContext;

/**
 * TLS towards Vault: the PEM file of the CA that signed Vault's certificate ({@code caFile}; the
 * JDK's trust store when absent), an optional client certificate and key (PEM) for Vault's TLS
 * client authentication, and {@code verify} (default true; false only for throwaway test setups).
 */
@SelfValidating
public class VaultTlsFactory {
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
     * The SSL context this configuration describes; other HTTPS clients (the webhook target) share it
     * so that every TLS file in the config is read the same way.
     *
     * @param key the config key of this block, named in error messages
     */
    public SSLContext sslContext(String key) {
        return VaultTransport.sslContext(this, key);
    }

    static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    @Override
    public String toString() {
        return "VaultTlsFactory{caFile=" + caFile + ", clientCertificateFile=" + clientCertificateFile
                + ", clientKeyFile=" + clientKeyFile + ", verify=" + verify + "}";
    }
}
