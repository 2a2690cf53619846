package dev.rotakey.ca;

/** A configured CA whose key and certificate do not exist yet, because its backend has been offline: retry later. */
public class CertificateAuthorityNotReadyException extends RuntimeException {
    public CertificateAuthorityNotReadyException(String message) {
        super(message);
    }
}
