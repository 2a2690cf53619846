package dev.rotakey.alert.sink;

import dev.rotakey.testing.OpenSsl;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * A self-signed server certificate made with the machine's openssl for one subject alternative
 * name (e.g. {@code IP:127.0.0.1}), for the loopback TLS servers of the sinks' tests: the server
 * presents it from {@link #serverContext()}, and a sink trusts it with {@code tls.caFile: certFile}.
 */
record LoopbackCertificate(Path certFile, SSLContext serverContext) {

    static LoopbackCertificate create(Path dir, String subjectAltName) throws IOException, GeneralSecurityException {
        Files.createDirectories(dir);
        OpenSsl.run(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-keyout", "key.pem", "-out", "cert.pem", "-days", "1", "-subj", "/CN=rotakey sink test",
                "-addext", "subjectAltName=" + subjectAltName).ok();
        Certificate cert = CertificateFactory.getInstance("X.509").generateCertificate(
                new ByteArrayInputStream(Files.readAllBytes(dir.resolve("cert.pem"))));
        String pem = Files.readString(dir.resolve("key.pem"));
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", ""));
        PrivateKey key = KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
        KeyStore identity = KeyStore.getInstance("PKCS12");
        identity.load(null, null);
        identity.setKeyEntry("server", key, new char[0], new Certificate[]{cert});
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(identity, new char[0]);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf.getKeyManagers(), null, new SecureRandom());
        return new LoopbackCertificate(dir.resolve("cert.pem"), context);
    }
}
