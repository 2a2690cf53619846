package dev.rotakey.ca;

import dev.rotakey.backend.SigningKey;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.DefaultSignatureAlgorithmIdentifierFinder;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;

/**
 * A BouncyCastle {@link ContentSigner} whose signature is made by a {@link SigningKey} inside its
 * backend. BouncyCastle streams the to-be-signed bytes; they are buffered because a backend signs a
 * whole message in one call.
 */
public final class BackendContentSigner implements ContentSigner {
    private final SigningKey key;
    private final AlgorithmIdentifier algorithm;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();

    public BackendContentSigner(SigningKey key) {
        this.key = key;
        this.algorithm = new DefaultSignatureAlgorithmIdentifierFinder().find(key.spec().signatureAlgorithm());
    }

    @Override
    public AlgorithmIdentifier getAlgorithmIdentifier() {
        return algorithm;
    }

    @Override
    public OutputStream getOutputStream() {
        return buffer;
    }

    @Override
    public byte[] getSignature() {
        byte[] data = buffer.toByteArray();
        buffer.reset();
        return key.sign(data);
    }
}
